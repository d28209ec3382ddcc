"""The Rust power stage end to end with OCPP: module faults and a silent bus."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from central_system import CentralSystem
from chargestack.hardware import power_supervision
from station_harness import RunningStation, running_station, start_local_session

MODULE_MAX_A = 100.0  # the station file default (power.modules.max_current_a)


def connector(snapshot: dict[str, Any], cid: int) -> dict[str, Any]:
    return next(c for c in snapshot["connectors"] if c["id"] == cid)


async def until(rs: RunningStation, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
    """Sample the stage (its loop runs every 20 ms here) until ``predicate(snapshot)``."""
    async with asyncio.timeout(timeout):
        while True:
            snapshot: dict[str, Any] = rs.sim.power.snapshot()
            if predicate(snapshot):
                return snapshot
            await asyncio.sleep(0.02)


async def test_module_fault_mid_session_keeps_charging_without_overshoot(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await start_local_session(rs)
        snapshot = await until(rs, lambda s: connector(s, 1)["current_a"] > 100.0)
        victim = connector(snapshot, 1)["modules"][0]
        rs.sim.inject_module_fault(victim, "Dead")
        loop = asyncio.get_running_loop()
        end = loop.time() + 2.0
        while loop.time() < end:
            s = rs.sim.power.snapshot()
            c = connector(s, 1)
            healthy = [m for m in s["modules"] if m["connector"] == 1 and m["fault"] is None]
            assert c["current_a"] <= len(healthy) * MODULE_MAX_A * 1.05 + 1.0
            await asyncio.sleep(0.02)
        # The split was redone without the dead module and the session goes on.
        await until(
            rs, lambda s: next(m for m in s["modules"] if m["index"] == victim)["setpoint_a"] == 0.0
        )
        await until(rs, lambda s: connector(s, 1)["current_a"] > 50.0)
        assert rs.station.status_of(1) == "Charging"
        assert not cs.messages("StopTransaction")
        faulted = next(m for m in rs.sim.power.snapshot()["modules"] if m["index"] == victim)
        assert faulted["fault"] is not None


async def test_silent_bus_stops_safely(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        tx_id = await start_local_session(rs)
        await until(rs, lambda s: connector(s, 1)["current_a"] > 50.0)
        mark = cs.mark()
        rs.sim.fail_bus(True)
        faulted = await rs.status(1, "Faulted", since=mark)
        assert faulted["errorCode"] != "NoError"
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["transactionId"] == tx_id
        assert stop.payload["reason"] == "Other"
        snapshot = await until(rs, lambda s: connector(s, 1)["current_a"] < 1.0)
        assert connector(snapshot, 1)["contactor"] is False


def power_loop_threads() -> int:
    tasks = Path("/proc/self/task")
    return sum((t / "comm").read_text().strip() == "power-loop" for t in tasks.iterdir())


async def test_stations_sharing_one_loop_thread_charge_and_stop_independently(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    shared = {"loop_period_ms": 20, "loop_thread": "shared"}
    before = power_loop_threads()
    async with (
        running_station(cs, tmp_path / "a", cp_id="CP-A", power=shared) as a,
        running_station(cs, tmp_path / "b", cp_id="CP-B", power=shared) as b,
    ):
        assert power_loop_threads() == before + 1
        power_loop = power_supervision.shared_loop()
        assert power_loop.hosted() == 2
        for rs in (a, b):
            await start_local_session(rs)
            await until(rs, lambda s: connector(s, 1)["current_a"] > 50.0)
        await a.stop()
        assert power_loop.hosted() == 1
        assert not connector(a.sim.power.snapshot(), 1)["contactor"]
        ticks = b.sim.power.snapshot()["loop"]["ticks"]
        await until(b, lambda s: s["loop"]["ticks"] > ticks + 5)
        assert connector(b.sim.power.snapshot(), 1)["current_a"] > 50.0
        assert b.station.status_of(1) == "Charging"
