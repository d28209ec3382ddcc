"""The CLI against a real control API server; each command runs in a thread so the server
keeps serving on the test's event loop."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from chargestack.cli import main
from chargestack.hardware.events import (
    EvParameters,
    EvResumed,
    EvSuspended,
    EvUnplugged,
    FaultCleared,
    FaultRaised,
    IdTagPresented,
    PluggedIn,
    PluggedOut,
)
from chargestack.hardware.sim import ModuleFault, SimHardware
from sim_support import FakeStation, RecordingPowerStage, drain, serving, station_settings


@dataclass
class Cli:
    station: FakeStation
    power: RecordingPowerStage
    url: str

    async def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        env = env if env is not None else {"CHARGESTACK_API": self.url}
        return await asyncio.to_thread(runner.invoke, main, list(args), env=env)

    @property
    def hardware(self) -> SimHardware:
        return self.station.hardware


@pytest.fixture
async def cli(tmp_path: Path) -> AsyncIterator[Cli]:
    power = RecordingPowerStage()
    station = FakeStation(SimHardware(station_settings(tmp_path), power))
    async with serving(station) as server:
        yield Cli(station, power, server.url)


async def test_status_prints_the_station_state_as_json(cli: Cli) -> None:
    result = await cli.run("status")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["registration"] == "Accepted"


async def test_api_option_overrides_the_environment(cli: Cli) -> None:
    result = await cli.run(
        "status", "--api", cli.url, env={"CHARGESTACK_API": "http://127.0.0.1:1"}
    )
    assert result.exit_code == 0, result.output


async def test_sim_session_actions_reach_the_hardware(cli: Cli) -> None:
    for args in [
        ("sim", "rfid", "TAG1"),
        ("sim", "plug-in", "1", "--battery-wh", "50000", "--soc", "30"),
        ("sim", "ev-pause", "1"),
        ("sim", "ev-resume", "1"),
        ("sim", "plug-out", "1"),
        ("sim", "fault", "0", "GroundFailure", "--info", "RCD tripped"),
        ("sim", "clear-fault", "0"),
    ]:
        result = await cli.run(*args)
        assert result.exit_code == 0, (args, result.output)
    assert drain(cli.hardware) == [
        IdTagPresented("TAG1"),
        PluggedIn(1, EvParameters(battery_wh=50000, soc=30)),
        EvSuspended(1),
        EvResumed(1),
        PluggedOut(1),
        FaultRaised(0, "GroundFailure", "RCD tripped"),
        FaultCleared(0),
    ]


async def test_sim_ev_unplug_leaves_the_socket_cable_in_the_station(cli: Cli) -> None:
    for args in [("sim", "plug-in", "2"), ("sim", "ev-unplug", "2"), ("sim", "plug-out", "2")]:
        result = await cli.run(*args)
        assert result.exit_code == 0, (args, result.output)
    assert drain(cli.hardware) == [PluggedIn(2, EvParameters()), EvUnplugged(2), PluggedOut(2)]
    result = await cli.run("sim", "ev-unplug", "2")
    assert result.exit_code == 1
    assert "error: no EV on connector 2" in result.stderr


async def test_lock_failure_and_network(cli: Cli) -> None:
    assert (await cli.run("sim", "lock-failure", "2")).exit_code == 0
    assert cli.hardware.connector(2).lock_failure_armed()
    assert (await cli.run("sim", "network", "disconnect")).exit_code == 0
    assert not cli.station.connected
    assert (await cli.run("sim", "network", "connect")).exit_code == 0
    assert cli.station.connected


async def test_power_commands(cli: Cli) -> None:
    for args in [
        ("sim", "module-fault", "4", "OutputShort"),
        ("sim", "clear-module-fault", "4"),
        ("sim", "bus-fail", "on"),
        ("sim", "bus-fail", "off"),
    ]:
        result = await cli.run(*args)
        assert result.exit_code == 0, (args, result.output)
    assert cli.power.calls == [
        ("inject_module_fault", 4, ModuleFault.OUTPUT_SHORT),
        ("clear_module_fault", 4),
        ("fail_bus", True),
        ("fail_bus", False),
    ]
    result = await cli.run("power")
    assert json.loads(result.stdout) == {"calls": 4, "modules": []}


async def test_rejected_request_exits_2_with_the_api_message(cli: Cli) -> None:
    result = await cli.run("sim", "plug-in", "7")
    assert result.exit_code == 2
    assert "error: unknown connector 7; this station has connectors 1..2" in result.stderr
    result = await cli.run("sim", "fault", "1", "GroundFault")
    assert result.exit_code == 2
    assert "errorCode: Input should be" in result.stderr


async def test_refused_in_the_present_state_exits_1(cli: Cli) -> None:
    result = await cli.run("sim", "plug-out", "1")
    assert result.exit_code == 1
    assert "error: connector 1 is not plugged in" in result.stderr


async def test_unreachable_api_exits_3(cli: Cli) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    result = await cli.run("status", env={"CHARGESTACK_API": f"http://127.0.0.1:{closed_port}"})
    assert result.exit_code == 3
    assert "is unreachable" in result.stderr


async def test_missing_api_address_is_a_usage_error(cli: Cli) -> None:
    result = await cli.run("sim", "rfid", "TAG", env={"CHARGESTACK_API": ""})
    assert result.exit_code == 2
    assert "no control API address" in result.stderr


def test_help_documents_the_exit_codes() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert "3  control API unreachable" in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["version"])
    assert result.exit_code == 0
    assert result.output.startswith("chargestack ")


_GOOD_FILE = """
data_dir = "data"
[identity]
charge_point_id = "CP-7"
vendor = "Chargestack"
model = "DC190"
[central_system]
url = "ws://127.0.0.1:9000/ocpp"
[[connectors]]
id = 1
"""


def test_config_check_prints_the_effective_configuration(tmp_path: Path) -> None:
    station_file = tmp_path / "station.toml"
    station_file.write_text(_GOOD_FILE)
    result = CliRunner().invoke(main, ["config", "check", str(station_file)])
    assert result.exit_code == 0, result.output
    effective = json.loads(result.stdout)
    assert effective["identity"]["charge_point_id"] == "CP-7"
    assert effective["power"]["loop_period_ms"] == 50
    assert effective["data_dir"] == str(tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_config_check_names_the_bad_key_and_exits_2(tmp_path: Path) -> None:
    station_file = tmp_path / "station.toml"
    station_file.write_text(_GOOD_FILE.replace("id = 1", "id = 1\nmax_current_a = -5"))
    result = CliRunner().invoke(main, ["config", "check", str(station_file)])
    assert result.exit_code == 2
    assert "connectors.0.max_current_a" in result.stderr
    assert result.stdout == ""
