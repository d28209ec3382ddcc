"""`chargestack run` under a service manager: the notify protocol of the real process, and the
systemd unit in the repository agreeing with the exit codes the station uses."""

from __future__ import annotations

import configparser
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from central_system import CentralSystem
from chargestack.deploy.restart import EXIT_RESTART
from notify_listener import Listener
from station_process import StationProcess, write_station_file
from wheel_tools import REPO


@pytest.fixture
async def listener(tmp_path: Path) -> AsyncIterator[Listener]:
    it = Listener(str(tmp_path / "notify.sock"))
    yield it
    it.close()


async def test_station_process_notifies_ready_status_and_watchdog(
    central_system: CentralSystem, listener: Listener, tmp_path: Path
) -> None:
    cs = central_system
    station_file = tmp_path / "station.toml"
    write_station_file(station_file, cs.url, tmp_path / "data", {})
    environ = {"NOTIFY_SOCKET": listener.socket.getsockname(), "WATCHDOG_USEC": "400000"}
    sp = StationProcess(station_file, env=environ)
    try:
        await sp.start()
        await listener.until(lambda: "READY=1" in listener.lines(), timeout=30)
        await cs.wait_for("BootNotification")
        await listener.until(
            lambda: any("registration Accepted" in line for line in listener.lines())
        )
        mark = len(listener.pings())
        await listener.until(lambda: len(listener.pings()) >= mark + 3)
        assert listener.lines().count("READY=1") == 1
        assert await sp.terminate() == 0
    finally:
        await sp.close()


async def test_ready_without_a_central_system(listener: Listener, tmp_path: Path) -> None:
    """Offline the station still charges: READY once the first attempt failed."""
    station_file = tmp_path / "station.toml"
    write_station_file(station_file, "ws://127.0.0.1:9/ocpp", tmp_path / "data", {})
    sp = StationProcess(station_file, env={"NOTIFY_SOCKET": listener.socket.getsockname()})
    try:
        await sp.start()
        await listener.until(lambda: "READY=1" in listener.lines(), timeout=30)
        status = [line for line in listener.lines() if line.startswith("STATUS=")]
        assert status and "registration Unknown" in status[-1]
    finally:
        await sp.close()


def test_systemd_unit_matches_the_station() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(REPO / "packaging" / "chargestack.service")
    service = unit["Service"]
    assert service["Type"] == "notify"
    assert int(service["WatchdogSec"]) > 0
    assert service["Restart"] == "on-failure"
    assert service["RestartForceExitStatus"] == str(EXIT_RESTART)
    assert " run --config " in service["ExecStart"]
