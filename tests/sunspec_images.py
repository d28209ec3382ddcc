"""What a SunSpec meter holds, for the Modbus test peer (``device_peers.MeterServer``).

The layouts are written here from the published definitions (github.com/sunspec/models,
``json/model_1.json``, ``model_203.json``, ``model_213.json``) as the lists of points in
order with their sizes, not copied from the driver's offsets, so that a wrong offset in the
driver's tables fails the tests instead of agreeing with itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from chargestack.settings.register_map import MeterRegisterMap, RegisterSpec

SUNS = [0x5375, 0x6E53]
END = [0xFFFF, 0]
COMMON = [("Mn", 16), ("Md", 16), ("Opt", 8), ("Vr", 8), ("SN", 16), ("DA", 1), ("Pad", 1)]


def _phases(name: str, size: int) -> list[tuple[str, int]]:
    return [(name, size)] + [(f"{name}ph{p}", size) for p in "ABC"]


# Models 201-204: int16 values, acc32 energies, each group followed by its scale factor.
INTEGER_METER = [
    *_phases("A", 1),
    ("A_SF", 1),
    *_phases("PhV", 1),
    *_phases("PPV", 1),
    ("V_SF", 1),
    ("Hz", 1),
    ("Hz_SF", 1),
    *_phases("W", 1),
    ("W_SF", 1),
    *_phases("VA", 1),
    ("VA_SF", 1),
    *_phases("VAR", 1),
    ("VAR_SF", 1),
    *_phases("PF", 1),
    ("PF_SF", 1),
    *_phases("TotWhExp", 2),
    *_phases("TotWhImp", 2),
    ("TotWh_SF", 1),
]
INTEGER_METER_LENGTH = 105
# Models 211-214: every point a float32.
FLOAT_METER = [
    *_phases("A", 2),
    *_phases("PhV", 2),
    *_phases("PPV", 2),
    ("Hz", 2),
    *_phases("W", 2),
    *_phases("VA", 2),
    *_phases("VAR", 2),
    *_phases("PF", 2),
    *_phases("TotWhExp", 2),
    *_phases("TotWhImp", 2),
]
FLOAT_METER_LENGTH = 124


def point_addresses(model_address: int, points: list[tuple[str, int]]) -> dict[str, int]:
    """Each point's register, the model's ID register at ``model_address``."""
    out: dict[str, int] = {}
    address = model_address + 2
    for name, size in points:
        out[name] = address
        address += size
    return out


def text(value: str, registers: int) -> list[int]:
    raw = value.encode().ljust(registers * 2, b"\0")
    return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]


@dataclass(frozen=True)
class SunSpecImage:
    words: dict[int, int]  # the marker, the models' headers and the common model's points
    meter_address: int  # the meter model's ID register
    points: dict[str, int]  # the meter model's points (name -> register)

    def quantities(self, scale_factors: bool) -> MeterRegisterMap:
        """Where the peer writes energy, V, A and W (``MeterServer.set``)."""
        p = self.points

        def spec(name: str, sf: str) -> RegisterSpec:
            if not scale_factors:
                return RegisterSpec(address=p[name], type="float32")
            type_ = "uint32" if name == "TotWhImp" else "int16"
            return RegisterSpec(address=p[name], type=type_, exponent_address=p[sf])

        return MeterRegisterMap(
            energy_import=spec("TotWhImp", "TotWh_SF"),
            voltage=spec("PhV", "V_SF"),
            current=spec("A", "A_SF"),
            power=spec("W", "W_SF"),
        )


def sunspec_device(
    base: int,
    models: list[int],
    *,
    manufacturer: str = "Acme Metering",
    model: str = "EM-340",
    serial: str = "SN-000042",
) -> SunSpecImage:
    """The marker at ``base``, the common model, then ``models`` (meter models get their
    real length, any other a length of 4), then the end model."""
    words: dict[int, int] = dict(enumerate(SUNS, base))
    common = base + 2
    points = point_addresses(common, COMMON)
    length = sum(size for _, size in COMMON)
    words |= dict(enumerate([1, length] + [0] * length, common))
    for name, value in (("Mn", manufacturer), ("Md", model), ("SN", serial)):
        words |= dict(enumerate(text(value, 16), points[name]))
    address = common + 2 + words[common + 1]
    meter_address, meter_points = -1, {}
    for model_id in models:
        layout, length = (INTEGER_METER, INTEGER_METER_LENGTH)
        if model_id in (211, 212, 213, 214):
            layout, length = FLOAT_METER, FLOAT_METER_LENGTH
        elif model_id not in (201, 202, 203, 204):
            layout, length = [], 4
        if layout and meter_address < 0:
            meter_address, meter_points = address, point_addresses(address, layout)
        words |= {address: model_id, address + 1: length}  # the points stay the peer's
        address += 2 + length
    words |= dict(enumerate(END, address))
    return SunSpecImage(words, meter_address, meter_points)
