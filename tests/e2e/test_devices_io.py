"""The digital I/O interface through the simulator: emergency stop, door interlock,
contactor feedback and cable locks, each reaching OCPP with the specification's codes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from central_system import CentralSystem
from station_harness import RunningStation, running_station, start_local_session

WITH_IO: dict[str, Any] = {"hardware": "devices", "devices": {"io": {"poll_interval_ms": 20}}}


def connector(snapshot: dict[str, Any], cid: int) -> dict[str, Any]:
    return next(c for c in snapshot["connectors"] if c["id"] == cid)


async def stage_until(rs: RunningStation, predicate: Any, timeout: float = 10.0) -> None:
    """Sample the stage (it runs on its own thread and tells no event of this) until true."""
    async with asyncio.timeout(timeout):
        while True:
            if predicate(rs.sim.power.snapshot()):
                return
            await asyncio.sleep(0.005)


def all_setpoints_zero(s: dict[str, Any]) -> bool:
    return all(c["setpoint_a"] == 0.0 for c in s["connectors"]) and all(
        m["setpoint_a"] == 0.0 for m in s["modules"]
    )


def hold_the_loop_until(
    rs: RunningStation, predicate: Any, limit_s: float
) -> dict[str, Any] | None:
    """Sample the stage without yielding to the event loop (nothing else runs meanwhile)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        snapshot: dict[str, Any] = rs.sim.power.snapshot()
        if predicate(snapshot):
            return snapshot
        time.sleep(0.002)
    return None


async def test_emergency_stop_during_two_sessions(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    # A loop period long against this test's sampling (5 ms), so that a busy test machine
    # cannot make a snapshot look a tick later than it was.
    slow_loop = {"power": {"loop_period_ms": 100}}
    async with running_station(cs, tmp_path, **WITH_IO, **slow_loop) as rs:
        tx1 = await start_local_session(rs, 1, "VALIDTAG1")
        tx2 = await start_local_session(rs, 2, "VALIDTAG2")
        await stage_until(
            rs, lambda s: connector(s, 1)["power_w"] > 1000 and connector(s, 2)["power_w"] > 1000
        )
        mark = cs.mark()
        ticks_before = rs.sim.power.snapshot()["ticks"]
        rs.sim.io.press_emergency_stop()
        # The event loop is held here, so the station cannot act on the fault event: only
        # the input's edge can cut the power. The first loop tick that starts after the
        # press commands every module to zero (the tick under way may have read its
        # commands already).
        first_zero = hold_the_loop_until(rs, all_setpoints_zero, limit_s=0.5)
        assert first_zero is not None, "power still on while the event loop was held"
        assert first_zero["ticks"] <= ticks_before + 2, (ticks_before, first_zero["ticks"])
        # The modules report no output and the contactors open (measured, not commanded).
        await stage_until(
            rs,
            lambda s: all(
                connector(s, cid)["power_w"] == 0.0 and not connector(s, cid)["contactor"]
                for cid in (1, 2)
            ),
        )

        station = await rs.status(0, "Faulted", since=mark)
        assert station["errorCode"] == "OtherError"
        assert station["vendorErrorCode"] == "EmergencyStop"
        stops = {}
        for tx in (tx1, tx2):
            stop = await cs.wait_for(
                "StopTransaction", lambda p, tx=tx: p["transactionId"] == tx, since=mark
            )
            stops[tx] = stop.payload["reason"]
        assert stops == {tx1: "EmergencyStop", tx2: "EmergencyStop"}
        await rs.status(1, "Faulted", since=mark)
        await rs.status(2, "Faulted", since=mark)

        mark = cs.mark()
        rs.sim.io.release_emergency_stop()
        cleared = await rs.status(0, "Available", since=mark)
        assert cleared["errorCode"] == "NoError"
        await rs.status(1, "Finishing", since=mark)


async def test_door_open_is_an_interlock(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, **WITH_IO) as rs:
        tx = await start_local_session(rs)
        mark = cs.mark()
        rs.sim.io.set_door_open(True)
        station = await rs.status(0, "Faulted", since=mark)
        assert (station["errorCode"], station["vendorErrorCode"]) == ("OtherError", "DoorOpen")
        stop = await cs.wait_for("StopTransaction", since=mark)
        # An interlock, not the emergency stop button: section 7.36 has Other for it.
        assert (stop.payload["transactionId"], stop.payload["reason"]) == (tx, "Other")
        # An emergency stop on top, then the door closed: still held off by the button.
        rs.sim.io.press_emergency_stop()
        await rs.wait(lambda: rs.station.station_fault is not None)
        await rs.wait(lambda: rs.station.station_fault.vendor_error_code == "EmergencyStop")
        mark = cs.mark()
        rs.sim.io.set_door_open(False)
        await rs.wait(lambda: rs.sim.faults.active(0) == ["emergency_stop"])
        assert rs.station.status_of(0) == "Faulted"
        rs.sim.io.release_emergency_stop()
        cleared = await rs.status(0, "Available", since=mark)
        assert cleared["errorCode"] == "NoError"


async def test_contactor_that_does_not_close_is_a_power_switch_failure(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, **WITH_IO) as rs:
        tx = await start_local_session(rs)
        await stage_until(rs, lambda s: connector(s, 1)["contactor"])
        mark = cs.mark()
        rs.sim.io.stick_contactor(1, False)  # the auxiliary contact reports open
        faulted = await rs.status(1, "Faulted", since=mark)
        assert faulted["errorCode"] == "PowerSwitchFailure"
        assert faulted["info"] == "contactor open, commanded closed"
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert (stop.payload["transactionId"], stop.payload["reason"]) == (tx, "Other")
        await stage_until(rs, lambda s: not connector(s, 1)["enabled"])
        # Once the stage has opened the contactor, feedback and command agree again.
        recovered = await rs.status(1, "Finishing", since=mark)
        assert recovered["errorCode"] == "NoError"


async def test_welded_contactor_is_a_power_switch_failure_while_it_stays_closed(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, **WITH_IO) as rs:
        mark = cs.mark()
        rs.sim.io.stick_contactor(2, True)
        faulted = await rs.status(2, "Faulted", since=mark)
        assert faulted["errorCode"] == "PowerSwitchFailure"
        assert faulted["info"] == "contactor closed, commanded open"
        assert rs.station.status_of(1) == "Available"
        mark = cs.mark()
        rs.sim.io.stick_contactor(2, None)
        recovered = await rs.status(2, "Available", since=mark)
        assert recovered["errorCode"] == "NoError"


async def test_cable_lock_that_does_not_report_locked_starts_nothing(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, fixed_cable=False, **WITH_IO) as rs:
        rs.sim.io.jam_cable_lock(1, True)
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        rs.present("VALIDTAG1")
        faulted = await rs.status(1, "Faulted", since=mark)
        assert faulted["errorCode"] == "ConnectorLockFailure"
        assert not cs.messages("StartTransaction")
        # With a lock that works, the same connector locks and charges.
        rs.sim.io.jam_cable_lock(1, False)
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)
        await start_local_session(rs)
        assert rs.sim.io.inputs().cable_locked[1] is True
