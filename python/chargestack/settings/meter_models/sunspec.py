"""The SunSpec meter models as register maps: where a discovered meter model keeps the
import energy, voltage, current and power.

Source: the SunSpec Information Model definitions, github.com/sunspec/models (Apache-2.0),
``json/model_201.json`` ... ``model_204.json`` (single, split, wye and delta three-phase
meters, integer values with scale factors) and ``json/model_211.json`` ... ``model_214.json``
(the same meters in float32). The four models of each family share one layout; offsets
below count from the model's ID register (ID at 0, length at 1, the points from 2):

- integer models (length 105): A (int16) 2, A_SF 6; PhV (int16) 7, V_SF 15; W (int16) 18,
  W_SF 22; TotWhImp (acc32) 46-47, TotWh_SF 54. A value is raw x 10^SF, the scale factor
  being a signed power of ten (sunssf);
- float models (length 124): A 2, PhV 10, W 28, TotWhImp 68, each float32 in W, V, A, Wh.

Every register is read with SunSpec's "not implemented" marks (0x8000, 0x80000000, NaN, a
scale factor of 0x8000), so a point the meter does not have reads as no value.
"""

from __future__ import annotations

from chargestack.settings.register_map import DataType, MeterRegisterMap, RegisterSpec

FLOAT_METERS = (211, 212, 213, 214)
INTEGER_METERS = (201, 202, 203, 204)

# quantity -> (offset of the value, offset of its scale factor)
_INTEGER_POINTS = {
    "energy_import": (46, 54),
    "current": (2, 6),
    "voltage": (7, 15),
    "power": (18, 22),
}
_FLOAT_POINTS = {"energy_import": 68, "current": 2, "voltage": 10, "power": 28}


def needed_length(model_id: int) -> int:
    """The model length (after ID and L) that holds every point this map reads."""
    # The last word read, less the two header words the length does not count.
    if model_id in FLOAT_METERS:
        return max(_FLOAT_POINTS.values()) + 1 - 1
    return max(sf for _, sf in _INTEGER_POINTS.values()) - 1


def meter_map(model_id: int, address: int) -> MeterRegisterMap:
    """The map of meter model ``model_id`` whose ID register is at ``address``."""
    if model_id in FLOAT_METERS:
        return MeterRegisterMap(
            **{
                name: _spec(address + offset, "float32", None)
                for name, offset in _FLOAT_POINTS.items()
            }
        )
    if model_id not in INTEGER_METERS:
        raise ValueError(f"SunSpec model {model_id} is not a meter model")
    return MeterRegisterMap(
        **{
            name: _spec(
                address + offset,
                "uint32" if name == "energy_import" else "int16",
                address + sf_offset,
            )
            for name, (offset, sf_offset) in _INTEGER_POINTS.items()
        }
    )


def _spec(address: int, type_: DataType, scale_factor: int | None) -> RegisterSpec:
    return RegisterSpec(
        address=address,
        kind="holding",
        type=type_,
        exponent_address=scale_factor,
        not_implemented="sunspec",
    )
