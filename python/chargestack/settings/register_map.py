"""Where a Modbus energy meter keeps each quantity: the register map of one meter model.

A map names, per quantity, the register's address and kind, how its words encode the number
and what to multiply it by to get the station's unit (Wh, V, A, W). The built-in maps
(``meter_models``) and a station file's own map are the same type, so a charger maker whose
meter is not built in writes its map into the station file.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

RegisterKind = Literal["holding", "input"]
DataType = Literal["uint16", "int16", "uint32", "int32", "uint64", "int64", "float32", "float64"]

# Registers (16-bit words) each data type occupies.
WORDS: dict[str, int] = {
    "uint16": 1,
    "int16": 1,
    "uint32": 2,
    "int32": 2,
    "uint64": 4,
    "int64": 4,
    "float32": 2,
    "float64": 4,
}


class RegisterSpec(BaseModel):
    """One quantity's register; the value is ``raw * scale * 10 ** (exponent - offset)``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: Annotated[
        int, Field(ge=0, le=65535, description="protocol address of the first word (0-based)")
    ]
    kind: Annotated[
        RegisterKind,
        Field(description='"holding" (function code 3) or "input" (function code 4)'),
    ] = "holding"
    type: Annotated[DataType, Field(description="how the words encode the number")] = "uint32"
    word_order: Annotated[
        Literal["big", "little"],
        Field(description='"big": the most significant word comes first; "little": last'),
    ] = "big"
    scale: Annotated[
        float,
        Field(gt=0, description="factor from the raw number to the station's unit (Wh, V, A, W)"),
    ] = 1.0
    exponent_address: Annotated[
        int | None,
        Field(
            ge=0,
            le=65535,
            description="a register (same kind, int16) holding a power-of-ten exponent the "
            "meter chose itself (e.g. a decimal-point register); none by default",
        ),
    ] = None
    exponent_offset: Annotated[
        int, Field(ge=-20, le=20, description="subtracted from the exponent register's value")
    ] = 0
    not_implemented: Annotated[
        Literal["none", "sunspec"],
        Field(
            description='"sunspec": the meter marks a value it does not have as SunSpec does '
            "(0x8000 int16, 0xFFFF uint16, 0x80000000 int32, 0xFFFFFFFF uint32, NaN float, "
            "0x8000 in the exponent register), which then reads as no value, never as a "
            'number; "none": every word is a value'
        ),
    ] = "none"

    @property
    def words(self) -> int:
        return WORDS[self.type]

    def addresses(self) -> list[int]:
        """Every word this quantity needs, its exponent register included."""
        out = list(range(self.address, self.address + self.words))
        if self.exponent_address is not None:
            out.append(self.exponent_address)
        return out


class MeterRegisterMap(BaseModel):
    """The quantities a meter offers; only the energy import register is required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    energy_import: Annotated[
        RegisterSpec,
        Field(description="the import energy register (Wh after scale): the billing register"),
    ]
    voltage: Annotated[RegisterSpec | None, Field(description="DC voltage (V after scale)")] = None
    current: Annotated[RegisterSpec | None, Field(description="DC current (A after scale)")] = None
    power: Annotated[RegisterSpec | None, Field(description="DC power (W after scale)")] = None

    def quantities(self) -> dict[str, RegisterSpec]:
        present = {
            "energy_import": self.energy_import,
            "voltage": self.voltage,
            "current": self.current,
            "power": self.power,
        }
        return {name: spec for name, spec in present.items() if spec is not None}
