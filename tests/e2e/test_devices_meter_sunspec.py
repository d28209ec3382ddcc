"""model = "sunspec" against a real pymodbus server holding a SunSpec device: the driver
finds the marker, walks the models, reads the common model and bills from the meter model
(float 213, or integer 203 with its scale factors); a device it cannot use stops the start
with one line; a point the meter marks "not implemented" is no value, never a number."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from central_system import CentralSystem
from chargestack.assembly import AssembledStation
from chargestack.hardware.devices.errors import DeviceOpenError
from chargestack.settings import parse_station_settings
from chargestack.settings.meter_models import BUILT_IN_MAPS
from device_peers import MeterServer, encode, meter_table
from meter_station import (
    devices,
    sampled,
    session_billed_by_the_meter,
    station_on_a_meter_server,
    tcp_link,
)
from station_harness import start_local_session, station_config
from sunspec_images import sunspec_device

ALL_REGISTERS = 65535


async def sunspec_meter(base: int, models: list[int], **readings: float) -> MeterServer:
    image = sunspec_device(base, models)
    server = MeterServer(image.quantities(scale_factors=models[-1] < 210), registers=ALL_REGISTERS)
    await server.write_words(image.words)
    await server.set(**readings)
    return server


async def test_three_phase_float_meter_at_40000_bills_the_session(
    central_system: CentralSystem, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cs = central_system
    caplog.set_level(logging.INFO, logger="chargestack.hardware.devices.modbus_meter")
    readings = {"energy_import": 2_500_125.0, "voltage": 231.5, "current": 15.5}
    server = await sunspec_meter(40000, [213], power=10_938.5, **readings)
    async with station_on_a_meter_server(cs, tmp_path, server, "sunspec") as rs:
        found = rs.sim.meters[1].sunspec
        assert found is not None
        assert (found.base, found.meter_model.model_id, found.meter_model.address) == (
            40000,
            213,
            40070,
        )
        assert (found.manufacturer, found.model, found.serial_number) == (
            "Acme Metering",
            "EM-340",
            "SN-000042",
        )
        identity = [r for r in caplog.records if "SN-000042" in r.getMessage()]
        assert len(identity) == 1, "the identity is logged once, at open"

        values = await session_billed_by_the_meter(rs, server, 2_500_125)
        assert float(values["Voltage"]) == 231.5
        assert float(values["Current.Import"]) == 15.5
        assert float(values["Power.Active.Import"]) == 10_938.5


async def test_integer_meter_with_negative_scale_factors(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    readings = {"energy_import": 1_234_567.0, "voltage": 230.5, "current": 16.5}
    # 40000 holds no marker: the meter is found at the next standard base.
    server = await sunspec_meter(50000, [203], power=3_750.0, **readings)
    for name, sf in (("energy_import", -3), ("voltage", -2), ("current", -3)):
        spec = server.register_map.quantities()[name]
        assert spec.exponent_address is not None
        assert encode(spec, readings[name])[spec.exponent_address] == sf & 0xFFFF
    async with station_on_a_meter_server(cs, tmp_path, server, "sunspec") as rs:
        found = rs.sim.meters[1].sunspec
        assert found is not None
        assert (found.base, found.meter_model.model_id) == (50000, 203)
        await start_local_session(rs)
        assert cs.messages("StartTransaction")[-1].payload["meterStart"] == 1_234_567
        mv = await cs.wait_for("MeterValues")
        values = sampled(mv)
        assert float(values["Voltage"]) == 230.5
        assert float(values["Current.Import"]) == 16.5
        assert float(values["Power.Active.Import"]) == 3_750.0
        assert rs.sim.meter.read(1).energy_wh == 1_234_567.0


NAN = [0x7FC0, 0x0000]


@pytest.mark.parametrize(
    ("model", "no_value"),
    [
        (203, {"PhV": [0x8000], "W_SF": [0x8000]}),  # no voltage, no power scale factor
        (213, {"PhV": NAN, "W": NAN}),
    ],
)
async def test_not_implemented_points_are_no_value(
    central_system: CentralSystem, tmp_path: Path, model: int, no_value: dict[str, list[int]]
) -> None:
    image = sunspec_device(40000, [model])
    server = await sunspec_meter(40000, [model], energy_import=5_000.0, current=8.0)
    for point, words in no_value.items():
        await server.write_words(dict(enumerate(words, image.points[point])))
    async with station_on_a_meter_server(central_system, tmp_path, server, "sunspec") as rs:
        sample = rs.sim.meters[1].latest
        assert (sample.energy_wh, sample.current_a) == (5_000.0, 8.0)
        assert (sample.voltage_v, sample.power_w) == (None, None)
        # What the meter does not have comes from the power stage.
        stage = rs.sim.simulator.meter.read(1)
        reading = rs.sim.meter.read(1)
        assert (reading.voltage_v, reading.power_w) == (stage.voltage_v, stage.power_w)

        # The billing register without a value is a failed read, never a number.
        not_implemented = NAN if model == 213 else [0xFFFF, 0xFFFF]
        await server.write_words(dict(enumerate(not_implemented, image.points["TotWhImp"])))
        await rs.wait(lambda: rs.sim.meters[1].failed)
        assert rs.sim.meter.read(1).energy_wh == 5_000.0


async def open_error(cs: CentralSystem, tmp_path: Path, server: MeterServer, **table: Any) -> str:
    """The one line the station's start fails with."""
    await server.start_tcp()
    config = station_config(
        cs.url, tmp_path, **devices(meter_table(1, "sunspec", **tcp_link(server), **table))
    )
    station = AssembledStation(parse_station_settings(config))
    try:
        with pytest.raises(DeviceOpenError) as raised:
            await station.start()
    finally:
        station.store.close()
        await server.stop()
    message = str(raised.value)
    assert "\n" not in message
    return message


async def test_modbus_meter_without_sunspec_is_a_one_line_start_error(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    # A meter with registers 0-2047 only: 40000 and 50000 are refused, 0 holds no marker.
    server = MeterServer(BUILT_IN_MAPS["accuenergy-acudc240"])
    await server.set(energy_import=1_000.0)
    assert await open_error(central_system, tmp_path, server) == (
        "devices.meter[0] (connector 1): SunSpec discovery: "
        'no SunSpec marker "SunS" at holding register 40000, 50000, 0'
    )


@pytest.mark.parametrize(
    ("models", "table", "problem"),
    [
        ([], {}, "no meter model (211-214 or 201-204) among the device's models 1"),
        (
            [103, 160],
            {},
            "no meter model (211-214 or 201-204) among the device's models 1, 103, 160",
        ),
        ([213], {"sunspec_base": 50000}, 'no SunSpec marker "SunS" at holding register 50000'),
    ],
)
async def test_sunspec_device_without_a_meter_is_a_one_line_start_error(
    central_system: CentralSystem,
    tmp_path: Path,
    models: list[int],
    table: dict[str, Any],
    problem: str,
) -> None:
    server = MeterServer(BUILT_IN_MAPS["accuenergy-acudc240"], registers=ALL_REGISTERS)
    await server.write_words(sunspec_device(40000, models).words)
    message = await open_error(central_system, tmp_path, server, **table)
    assert message == f"devices.meter[0] (connector 1): SunSpec discovery: {problem}"


async def test_energy_register_not_implemented_at_start_is_a_one_line_start_error(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    image = sunspec_device(40000, [213])
    server = await sunspec_meter(40000, [213], voltage=230.0)
    await server.write_words(dict(enumerate(NAN, image.points["TotWhImp"])))
    assert await open_error(central_system, tmp_path, server) == (
        "devices.meter[0] (connector 1): no reading from the meter: "
        'the energy register reads "not implemented"'
    )
