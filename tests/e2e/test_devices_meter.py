"""Modbus energy meters against a real pymodbus server: the meter's import register is the
transaction's meterStart, MeterValues and meterStop; a silent or implausible meter is a
PowerMeterFailure that stops the transaction with the last good register."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from central_system import CentralSystem
from chargestack.assembly import AssembledStation
from chargestack.hardware.devices.errors import DeviceOpenError
from chargestack.settings import parse_station_settings
from chargestack.settings.meter_models import BUILT_IN_MAPS
from device_peers import MeterServer, NullModem, meter_table
from meter_station import (
    devices,
    meter_sees,
    meter_station,
    sampled,
    sampled_payload,
    session_billed_by_the_meter,
    station_on_a_meter_server,
)
from station_harness import RunningStation, start_local_session, station_config

ACUDC = "accuenergy-acudc240"


@contextlib.asynccontextmanager
async def station_on_a_tcp_meter(
    cs: CentralSystem, tmp_path: Path, model: str, unit_id: int = 1, **registers: float
) -> AsyncIterator[tuple[RunningStation, MeterServer]]:
    """A station whose connector 1 meter is a pymodbus server on 127.0.0.1 with ``registers``."""
    server = MeterServer(BUILT_IN_MAPS[model], unit_id=unit_id)
    await server.set(**registers)
    async with station_on_a_meter_server(cs, tmp_path, server, model) as rs:
        yield rs, server


@pytest.mark.parametrize("model", sorted(BUILT_IN_MAPS))
async def test_session_registers_are_the_meters_over_tcp(
    central_system: CentralSystem, tmp_path: Path, model: str
) -> None:
    cs = central_system
    readings = {"energy_import": 1_234_560.0, "voltage": 801.5, "current": 187.5}
    async with station_on_a_tcp_meter(
        cs, tmp_path, model, unit_id=3, power=150_280.0, **readings
    ) as (rs, server):
        values = await session_billed_by_the_meter(rs, server, 1_234_560)
        # Voltage, current and power come from the meter, not from the power stage.
        assert float(values["Voltage"]) == 801.5
        assert float(values["Current.Import"]) == 187.5
        assert float(values["Power.Active.Import"]) == 150_280.0
        for mv in cs.messages("MeterValues"):
            register = int(sampled(mv)["Energy.Active.Import.Register"])
            assert register in (1_234_560, 1_234_570, 1_234_580)


async def test_session_over_rtu_on_a_serial_line(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    modem = NullModem()
    model = "acrel-djsf1352-rn"
    server = MeterServer(BUILT_IN_MAPS[model], unit_id=1)
    await server.set(energy_import=52_000.0, voltage=401.2, current=-0.5, power=0.0)
    await server.start_rtu(modem.device_a)
    link = {"transport": "rtu", "serial_port": modem.device_b, "baudrate": 19200}
    try:
        async with meter_station(cs, tmp_path, model, **link) as rs:
            await start_local_session(rs)
            assert cs.messages("StartTransaction")[-1].payload["meterStart"] == 52_000
            await server.set(energy_import=52_007.0, current=12.5, power=5015.0)
            mv = await cs.wait_for(
                "MeterValues",
                lambda p: sampled_payload(p)["Energy.Active.Import.Register"] == "52007",
            )
            assert float(sampled(mv)["Current.Import"]) == 12.5
            mark = cs.mark()
            rs.present("VALIDTAG1")
            stop = await cs.wait_for("StopTransaction", since=mark)
            assert stop.payload["meterStop"] == 52_007
    finally:
        await server.stop()
        modem.close()


async def test_silent_meter_stops_the_transaction_with_the_last_good_register(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    readings = {"energy_import": 10_000.0, "voltage": 500.0, "current": 100.0, "power": 50_000.0}
    async with station_on_a_tcp_meter(cs, tmp_path, ACUDC, **readings) as (rs, server):
        tx_id = await start_local_session(rs)
        await server.set(energy_import=10_010.0)
        await meter_sees(rs, 1, 10_010.0)
        mark = cs.mark()
        await server.stop()
        faulted = await rs.status(1, "Faulted", since=mark)
        assert faulted["errorCode"] == "PowerMeterFailure"
        assert faulted["vendorErrorCode"] == "MeterNoAnswer"
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["transactionId"] == tx_id
        assert stop.payload["reason"] == "Other"
        assert stop.payload["meterStop"] == 10_010
        # The stop data carry the last good reading, stamped when it was taken.
        end = stop.payload["transactionData"][-1]
        end_values = {v["measurand"]: v for v in end["sampledValue"]}
        assert end_values["Energy.Active.Import.Register"]["value"] == "10010"
        assert end["timestamp"] < stop.payload["timestamp"]
        await rs.wait(lambda: not rs.sim.power.snapshot()["connectors"][0]["enabled"])

        # The meter answers again (the register moved on while it was away).
        mark = cs.mark()
        await server.set(energy_import=10_020.0)
        await server.start_tcp(server.port)
        recovered = await rs.status(1, "Finishing", since=mark)
        assert recovered["errorCode"] == "NoError"


async def test_register_going_backwards_is_refused(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with station_on_a_tcp_meter(cs, tmp_path, ACUDC, energy_import=7_770.0) as (rs, server):
        await start_local_session(rs)
        mark = cs.mark()
        await server.set(energy_import=7_000.0)
        faulted = await rs.status(1, "Faulted", since=mark)
        assert faulted["errorCode"] == "PowerMeterFailure"
        assert faulted["vendorErrorCode"] == "MeterImplausible"
        assert "went back 770 Wh" in faulted["info"]
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["meterStop"] == 7_770
        assert rs.sim.meter.read(1).energy_wh == 7_770.0
        # A jump no charger could deliver in the time is refused as well.
        await server.set(energy_import=9_000_000.0)
        await asyncio.sleep(0)
        await rs.wait(lambda: "jumped" in (rs.sim.meters[1].failed_because or ""))
        assert rs.sim.meter.read(1).energy_wh == 7_770.0
        mark = cs.mark()
        await server.set(energy_import=7_780.0)
        recovered = await rs.status(1, "Finishing", since=mark)
        assert recovered["errorCode"] == "NoError"


async def test_meter_that_cannot_be_reached_at_start_is_a_one_line_error(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    server = MeterServer(BUILT_IN_MAPS["accuenergy-acudc240"])
    port = await server.start_tcp()
    await server.stop()  # a port that nobody listens on
    link = {"transport": "tcp", "host": "127.0.0.1", "port": port}
    config = station_config(
        central_system.url, tmp_path, **devices(meter_table(2, "accuenergy-acudc240", **link))
    )
    station = AssembledStation(parse_station_settings(config))
    with pytest.raises(DeviceOpenError) as raised:
        await station.start()
    station.store.close()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("devices.meter[0] (connector 2): no reading from the meter:")
    assert f"127.0.0.1:{port}" in message
