"""The hardware power stage (``[devices.power] kind = "socketcan"``) through the station: on
the virtual bench (the Infypower module simulator on the in-process bus, as this machine has
no CAN), with the EV's request over the EV link's unix socket from the test's EV-side stack,
contactors through the digital I/O, whole OCPP sessions against the real central system."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from central_system import CentralSystem
from chargestack.assembly import AssembledStation
from chargestack.hardware.devices.errors import DeviceOpenError
from chargestack.settings import parse_station_settings
from ev_link_client import HlcClient
from station_harness import RunningStation, running_station, start_local_session, station_config
from station_process import minimal_devices_file, run_to_exit

# Renewed every 50 ms, the request goes stale after 400 ms of silence.
RENEW_S = 0.05


def on_bench(ev_link: dict[str, Any], **power: Any) -> dict[str, Any]:
    return {
        "hardware": "devices",
        "power": {"loop_period_ms": 20, "modules": {"count": 4}},
        "devices": {
            "power": {
                "kind": "socketcan",
                "interface": "virtual",
                "addresses": [16, 17, 18, 19],
                "ev_request_timeout_ms": 400,
                **power,
            },
            "io": {"poll_interval_ms": 20, "contactor_feedback_timeout_ms": 300},
            "ev_link": ev_link,
        },
    }


def connector(rs: RunningStation, cid: int) -> dict[str, Any]:
    return next(c for c in rs.sim.power.snapshot()["connectors"] if c["id"] == cid)


async def stage_until(rs: RunningStation, predicate: Any, timeout: float = 10.0) -> None:
    """Sample the stage (its loop runs on its own thread and tells no event of this)."""
    async with asyncio.timeout(timeout):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def station_and_hlc(
    cs: CentralSystem, tmp_path: Path
) -> AsyncIterator[tuple[RunningStation, HlcClient]]:
    """A bench station whose EV link is a socket, and the test's EV-side stack on it."""
    socket = tmp_path / "ev-link.sock"
    async with running_station(
        cs, tmp_path, **on_bench({"kind": "socket", "path": str(socket)})
    ) as rs:
        hlc = await HlcClient.connect(socket)
        try:
            yield rs, hlc
        finally:
            await hlc.close()


async def test_a_session_on_the_hardware_stage_with_the_ev_request_over_the_ev_link(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with station_and_hlc(cs, tmp_path) as (rs, hlc):
        mark = cs.mark()
        assert await hlc.send(type="plugged_in", connector=1) == {"type": "ok", "connector": 1}
        await rs.status(1, "Preparing", since=mark)
        before = await hlc.send(type="status", connector=1)
        assert (before["enabled"], before["contactor_closed"]) == (False, False)

        hlc.renew(1, voltage_v=420.0, current_a=80.0, every_s=RENEW_S)
        rs.present("VALIDTAG1")
        start = await cs.wait_for("StartTransaction", since=mark)
        tx = await cs.wait_for_transaction_id(start)
        await rs.status(1, "Charging", since=mark)
        # The stage asked the I/O to close the contactor and got its feedback back; the
        # modules on the bench deliver what the EV asks, at the addresses of the file.
        await stage_until(rs, lambda: hlc.last_status.get("current_a", 0.0) > 75.0)
        assert hlc.last_status["contactor_closed"] is True
        assert hlc.last_status["max_current_a"] == pytest.approx(80.0)
        assert rs.sim.io.inputs().contactor_closed[1] is True
        assert set(rs.sim.io.module_routes().values()) <= {1, None}
        assert 1 in rs.sim.io.module_routes().values()
        assert connector(rs, 1)["current_a"] < 81.0

        # The EV ends its charge (PowerDelivery stop), then asks again.
        mark = cs.mark()
        await hlc.stop_renewing()
        assert await hlc.send(type="stop", connector=1) == {"type": "ok", "connector": 1}
        await rs.status(1, "SuspendedEV", since=mark)
        await stage_until(rs, lambda: not rs.sim.io.inputs().contactor_closed[1])
        hlc.renew(1, voltage_v=420.0, current_a=80.0, every_s=RENEW_S)
        await rs.status(1, "Charging", since=mark)
        await stage_until(rs, lambda: hlc.last_status.get("current_a", 0.0) > 75.0)

        await stage_until(rs, lambda: rs.sim.meter.read(1).energy_wh >= 2.0)
        mark = cs.mark()
        rs.present("VALIDTAG1")
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert (stop.payload["transactionId"], stop.payload["reason"]) == (tx, "Local")
        assert stop.payload["meterStop"] - start.payload["meterStart"] >= 2
        await rs.status(1, "Finishing", since=mark)
        # Power withdrawn: ramped down, then the contactor opened through the I/O.
        await stage_until(rs, lambda: not rs.sim.io.inputs().contactor_closed[1])
        assert hlc.last_status["enabled"] is False

        await hlc.stop_renewing()
        assert await hlc.send(type="stop", connector=1) == {"type": "ok", "connector": 1}
        assert await hlc.send(type="unplugged", connector=1) == {"type": "ok", "connector": 1}
        await rs.status(1, "Available", since=mark)


async def test_an_ev_request_that_is_not_renewed_stops_the_power_until_it_is(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with station_and_hlc(cs, tmp_path) as (rs, hlc):
        mark = cs.mark()
        await hlc.send(type="plugged_in", connector=2)
        hlc.renew(2, voltage_v=420.0, current_a=60.0, every_s=RENEW_S)
        await rs.status(2, "Preparing", since=mark)
        rs.present("VALIDTAG2")
        await rs.status(2, "Charging", since=mark)
        await stage_until(rs, lambda: connector(rs, 2)["current_a"] > 55.0)

        mark = cs.mark()
        await hlc.stop_renewing()  # the EV-side stack hangs
        lost = await rs.status(2, "SuspendedEV", since=mark)
        assert (lost["errorCode"], lost["vendorErrorCode"]) == (
            "EVCommunicationError",
            "EvRequestLost",
        )
        assert connector(rs, 2)["setpoint_a"] == 0.0
        await stage_until(rs, lambda: not rs.sim.io.inputs().contactor_closed[2])
        assert not cs.messages("StopTransaction"), "the transaction goes on"

        mark = cs.mark()
        hlc.renew(2, voltage_v=420.0, current_a=60.0, every_s=RENEW_S)
        back = await rs.status(2, "Charging", since=mark)
        assert back["errorCode"] == "NoError"
        await stage_until(rs, lambda: connector(rs, 2)["current_a"] > 55.0)


async def test_the_simulators_evs_drive_the_hardware_stage_on_the_bench(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, **on_bench({"kind": "simulated"})) as rs:
        tx = await start_local_session(rs, 1, "VALIDTAG1")
        # The simulated EV's battery asks for the connector's 200 A; the request reaches the
        # stage through the EV link, the modules on the bench deliver it.
        await stage_until(rs, lambda: connector(rs, 1)["current_a"] > 150.0)
        assert connector(rs, 1)["ev_request_a"] == pytest.approx(200.0)
        assert rs.sim.io.inputs().contactor_closed[1] is True

        mark = cs.mark()
        rs.simulator.ev_pause(1)
        suspended = await rs.status(1, "SuspendedEV", since=mark)
        assert suspended["errorCode"] == "NoError"
        # The paused battery's zero request reached the stage through the link.
        await stage_until(rs, lambda: connector(rs, 1)["ev_request_a"] == 0.0)
        await stage_until(rs, lambda: connector(rs, 1)["current_a"] < 1.0)
        rs.simulator.ev_resume(1)
        await rs.status(1, "Charging", since=mark)
        await stage_until(rs, lambda: connector(rs, 1)["current_a"] > 150.0)
        statuses = [
            r.payload["status"] for r in cs.received[mark:] if r.action == "StatusNotification"
        ]
        assert statuses == ["SuspendedEV", "Charging"], "each pause is reported once"

        mark = cs.mark()
        rs.plug_out(1)
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert (stop.payload["transactionId"], stop.payload["reason"]) == (tx, "EVDisconnected")
        await stage_until(rs, lambda: not rs.sim.io.inputs().contactor_closed[1])


async def test_an_emergency_stop_cuts_the_hardware_stage_and_opens_its_contactors(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, **on_bench({"kind": "simulated"})) as rs:
        tx1 = await start_local_session(rs, 1, "VALIDTAG1")
        tx2 = await start_local_session(rs, 2, "VALIDTAG2")
        await stage_until(
            rs, lambda: connector(rs, 1)["current_a"] > 20 and connector(rs, 2)["current_a"] > 20
        )
        mark = cs.mark()
        rs.sim.io.press_emergency_stop()
        # On the input's edge: both connectors withdrawn, ramped to zero, contactors opened
        # by the I/O on the stage's command and reported open back to it.
        await stage_until(
            rs,
            lambda: all(
                connector(rs, cid)["setpoint_a"] == 0.0
                and not rs.sim.io.inputs().contactor_closed[cid]
                and not connector(rs, cid)["contactor"]
                for cid in (1, 2)
            ),
        )
        stops = {}
        for tx in (tx1, tx2):
            stop = await cs.wait_for(
                "StopTransaction", lambda p, tx=tx: p["transactionId"] == tx, since=mark
            )
            stops[tx] = stop.payload["reason"]
        assert stops == {tx1: "EmergencyStop", tx2: "EmergencyStop"}
        station = await rs.status(0, "Faulted", since=mark)
        assert station["vendorErrorCode"] == "EmergencyStop"


async def test_the_simulator_cannot_plug_an_ev_the_ev_link_owns(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    socket = tmp_path / "ev-link.sock"
    async with running_station(
        central_system, tmp_path, **on_bench({"kind": "socket", "path": str(socket)})
    ) as rs:
        with pytest.raises(Exception, match="the EV comes from the EV link on"):
            rs.plug_in(1)
        assert rs.simulator.describe()["connectors"][0]["plugged"] is False


def can0_station(url: str, tmp_path: Path) -> dict[str, Any]:
    config = station_config(url, tmp_path, **on_bench({"kind": "socket", "path": "ev.sock"}))
    config["devices"]["power"]["interface"] = "can0"
    return config


async def test_a_can_interface_that_cannot_be_opened_is_a_one_line_error(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    station = AssembledStation(parse_station_settings(can0_station(central_system.url, tmp_path)))
    with pytest.raises(DeviceOpenError) as raised:
        await station.start()
    station.store.close()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith('devices.power: cannot open CAN interface "can0": '), message


async def test_chargestack_run_reports_a_missing_can0_in_one_line(tmp_path: Path) -> None:
    station_file = minimal_devices_file(
        tmp_path / "station.toml",
        [
            "[devices.power]",
            'kind = "socketcan"',
            'interface = "can0"',
            "[devices.io]",
            "[devices.ev_link]",
            'kind = "socket"',
            'path = "ev-link.sock"',
        ],
    )
    returncode, text = await run_to_exit(station_file)
    assert returncode == 1
    assert "Traceback" not in text
    assert text.splitlines()[-1].startswith(
        'chargestack: devices.power: cannot open CAN interface "can0": '
    ), text
