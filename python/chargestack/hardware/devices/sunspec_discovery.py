"""SunSpec discovery: where a meter keeps its values, asked of the meter itself.

SunSpec Information Model Specification (sunspec.org) and the model definitions of
github.com/sunspec/models (``json/model_1.json``, ``model_201.json`` ... ``model_214.json``):
a SunSpec device holds the marker "SunS" (0x5375 0x6E53) in two holding registers at a base
address (40000, 50000 or 0 by convention), then a chain of models, each an ID register, a
length register L and L registers of points, until the end model ID 0xFFFF. The first model
is the common model (1): manufacturer (Mn, 16 registers from offset 2), model (Md, from 18)
and serial number (SN, from 50), strings of two characters a register, NUL-padded.

Discovery reads only what it needs (the marker, one header per model, the common model's
strings) and stops a chain that does not end within ``MAX_MODELS`` models or runs past the
last register, so a broken device cannot keep the start waiting. The meter model chosen is
the first float meter (211-214) in the chain, else the first integer meter (201-204).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from chargestack.hardware.devices.errors import MeterRefusedError, SunSpecError
from chargestack.settings.meter_models.sunspec import (
    FLOAT_METERS,
    INTEGER_METERS,
    meter_map,
    needed_length,
)
from chargestack.settings.register_map import MeterRegisterMap

MARKER = (0x5375, 0x6E53)  # "SunS"
STANDARD_BASES = (40000, 50000, 0)
END_MODEL = 0xFFFF
COMMON_MODEL = 1
MAX_MODELS = 64
LAST_REGISTER = 0xFFFF

# Reads ``count`` holding registers from ``address``; raises MeterReadError.
ReadHolding = Callable[[int, int], Awaitable[list[int]]]


@dataclass(frozen=True)
class ModelHeader:
    model_id: int
    address: int  # of its ID register
    length: int  # registers after ID and L


@dataclass(frozen=True)
class SunSpecMeter:
    """What discovery found: who made the meter, and the model its values are read from."""

    base: int
    manufacturer: str
    model: str
    serial_number: str
    meter_model: ModelHeader
    register_map: MeterRegisterMap

    def describe(self) -> str:
        return (
            f"{self.manufacturer} {self.model}, serial {self.serial_number}; SunSpec model "
            f"{self.meter_model.model_id} at register {self.meter_model.address}"
        )


async def discover(read: ReadHolding, bases: Sequence[int] = STANDARD_BASES) -> SunSpecMeter:
    """The meter's layout; SunSpecError when it has none a station can bill from. A read that
    fails for any reason but a Modbus exception answer propagates (MeterReadError)."""
    base = await find_base(read, bases)
    models = await walk_models(read, base)
    if models[0].model_id != COMMON_MODEL:
        raise SunSpecError(
            f"the first model at register {models[0].address} is {models[0].model_id}, "
            "not the common model (1)"
        )
    manufacturer, model, serial = await read_common(read, models[0])
    meter = choose_meter(models)
    return SunSpecMeter(
        base, manufacturer, model, serial, meter, meter_map(meter.model_id, meter.address)
    )


async def find_base(read: ReadHolding, bases: Sequence[int]) -> int:
    """The first of ``bases`` that holds the marker."""
    for base in bases:
        try:
            words = await read(base, 2)
        except MeterRefusedError:
            continue  # the device has no such register: not there
        if tuple(words) == MARKER:
            return base
    where = ", ".join(str(b) for b in bases)
    raise SunSpecError(f'no SunSpec marker "SunS" at holding register {where}')


async def walk_models(read: ReadHolding, base: int) -> list[ModelHeader]:
    """Every model from ``base`` to the end model, bounded in count and in address."""
    models: list[ModelHeader] = []
    address = base + len(MARKER)
    while len(models) < MAX_MODELS:
        if address + 1 > LAST_REGISTER:
            raise SunSpecError(f"the model chain from register {base} runs past register 65535")
        try:
            model_id, length = await read(address, 2)
        except MeterRefusedError as exc:
            raise SunSpecError(f"the model chain breaks at register {address}: {exc}") from None
        if model_id == END_MODEL:
            if not models:
                raise SunSpecError(f"the device at register {base} has no models")
            return models
        models.append(ModelHeader(model_id, address, length))
        address += 2 + length
    raise SunSpecError(f"no end of the model chain within {MAX_MODELS} models from {base}")


async def read_common(read: ReadHolding, common: ModelHeader) -> tuple[str, str, str]:
    """Manufacturer, model and serial number from the common model."""
    if common.length < 64:
        raise SunSpecError(f"the common model is {common.length} registers long, not 65 or 66")
    words = await read(common.address + 2, 64)
    return _text(words[0:16]), _text(words[16:32]), _text(words[48:64])


def choose_meter(models: Sequence[ModelHeader]) -> ModelHeader:
    meters = [
        m for family in (FLOAT_METERS, INTEGER_METERS) for m in models if m.model_id in family
    ]
    for m in meters:
        if m.length >= needed_length(m.model_id):
            return m
    if meters:
        m = meters[0]
        raise SunSpecError(
            f"meter model {m.model_id} at register {m.address} is {m.length} registers long, "
            f"too short for its energy register ({needed_length(m.model_id)} needed)"
        )
    found = ", ".join(str(m.model_id) for m in models)
    raise SunSpecError(f"no meter model (211-214 or 201-204) among the device's models {found}")


def _text(words: list[int]) -> str:
    raw = b"".join(w.to_bytes(2, "big") for w in words)
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace").strip()
