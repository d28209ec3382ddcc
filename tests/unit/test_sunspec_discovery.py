"""The SunSpec model chain walk over a register image: it ends at the end model, and a
chain that does not end, or runs past the last register, stops with a one-line error after
a bounded number of reads; the meter model is chosen float first."""

from __future__ import annotations

import pytest

from chargestack.hardware.devices.errors import MeterRefusedError, SunSpecError
from chargestack.hardware.devices.sunspec_discovery import (
    MAX_MODELS,
    ModelHeader,
    choose_meter,
    discover,
    walk_models,
)
from sunspec_images import SUNS, sunspec_device


class Registers:
    """A device's holding registers; an address it does not have is refused, as a Modbus
    device answers (exception 2, illegal data address). Counts the reads."""

    def __init__(self, words: dict[int, int]) -> None:
        self.words = words
        self.reads = 0

    async def read(self, address: int, count: int) -> list[int]:
        self.reads += 1
        try:
            return [self.words[a] for a in range(address, address + count)]
        except KeyError:
            raise MeterRefusedError(f"illegal data address {address}") from None


def chain(base: int, headers: list[tuple[int, int]]) -> dict[int, int]:
    """The marker at ``base``, then models of (id, length) with zeroed points."""
    words = dict(enumerate(SUNS, base))
    address = base + 2
    for model_id, length in headers:
        words |= dict(enumerate([model_id, length] + [0] * length, address))
        address += 2 + length
    return words


async def test_the_walk_ends_at_the_end_model() -> None:
    device = Registers(chain(40000, [(1, 66), (203, 105), (0xFFFF, 0)]))
    assert await walk_models(device.read, 40000) == [
        ModelHeader(1, 40002, 66),
        ModelHeader(203, 40070, 105),
    ]
    assert device.reads == 3


async def test_a_chain_without_an_end_stops_after_max_models() -> None:
    # Zeroed memory after the models: models of id 0 and length 0, for ever.
    device = Registers(chain(0, [(1, 66)] + [(0, 0)] * 5000))
    with pytest.raises(SunSpecError, match=f"no end of the model chain within {MAX_MODELS}"):
        await walk_models(device.read, 0)
    assert device.reads == MAX_MODELS


async def test_a_chain_past_the_last_register_stops() -> None:
    device = Registers(chain(40000, [(1, 66), (64001, 30_000)]))
    with pytest.raises(SunSpecError, match="runs past register 65535"):
        await walk_models(device.read, 40000)
    assert device.reads == 2


async def test_a_chain_into_registers_the_device_does_not_have_stops() -> None:
    device = Registers(chain(40000, [(1, 66), (203, 105)]))
    with pytest.raises(SunSpecError, match="the model chain breaks at register 40177"):
        await walk_models(device.read, 40000)


def test_a_float_meter_is_chosen_before_an_integer_one() -> None:
    models = [ModelHeader(1, 2, 66), ModelHeader(203, 70, 105), ModelHeader(213, 177, 124)]
    assert choose_meter(models).model_id == 213
    assert choose_meter(models[:2]).model_id == 203


def test_a_meter_model_too_short_for_its_energy_register_is_refused() -> None:
    with pytest.raises(SunSpecError, match="meter model 203 at register 70 is 40 registers long"):
        choose_meter([ModelHeader(1, 2, 66), ModelHeader(203, 70, 40)])


async def test_the_common_model_must_come_first() -> None:
    device = Registers(chain(40000, [(213, 124), (1, 66), (0xFFFF, 0)]))
    with pytest.raises(SunSpecError, match="is 213, not the common model"):
        await discover(device.read)


async def test_discovery_reads_the_identity_and_the_meter_map() -> None:
    image = sunspec_device(0, [101, 211], manufacturer="Meters & Co", serial="0042")
    found = await discover(Registers(image.words).read)
    assert (found.base, found.manufacturer, found.model, found.serial_number) == (
        0,
        "Meters & Co",
        "EM-340",
        "0042",
    )
    assert found.meter_model == ModelHeader(211, image.meter_address, 124)
    assert found.register_map.energy_import.address == image.points["TotWhImp"]
    assert found.register_map.voltage is not None
    assert found.register_map.voltage.address == image.points["PhV"]
