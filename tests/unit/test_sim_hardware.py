"""The sim driver: each manual action validates, changes the hardware and emits its event."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chargestack.hardware.events import (
    EvFull,
    EvParameters,
    EvResumed,
    EvSuspended,
    EvUnplugged,
    FaultCleared,
    FaultRaised,
    IdTagPresented,
    PluggedIn,
    PluggedOut,
    PowerStageFault,
)
from chargestack.hardware.power_bridge import (
    event_from_stage,
    stage_config,
    telemetry_from_snapshot,
)
from chargestack.hardware.sim import (
    ConnectorStateError,
    ConnectorTelemetry,
    InvalidActionValueError,
    ModuleFault,
    SimHardware,
    UnknownConnectorError,
    UnknownModuleError,
)
from chargestack.hardware.sim.plugged_evs import save_plugged, take_plugged
from chargestack.hardware.sim.rust_stage import ManualPauseEchoes
from sim_support import RecordingPowerStage, drain, station_settings


@pytest.fixture
def power() -> RecordingPowerStage:
    return RecordingPowerStage()


@pytest.fixture
def sim(tmp_path: Path, power: RecordingPowerStage) -> SimHardware:
    return SimHardware(station_settings(tmp_path), power)


def test_plug_in_and_out_emit_events_and_reach_the_ev_model(
    sim: SimHardware, power: RecordingPowerStage
) -> None:
    ev = EvParameters(battery_wh=60_000, soc=35, max_current_a=150)
    sim.plug_in(1, ev)
    assert sim.connector(1).is_plugged()
    sim.plug_out(1)
    assert not sim.connector(1).is_plugged()
    assert drain(sim) == [PluggedIn(1, ev), PluggedOut(1)]
    assert power.calls == [("ev_plug_in", 1, ev), ("ev_plug_out", 1)]


async def test_ev_unplug_leaves_a_socket_cable_in_the_station(
    sim: SimHardware, power: RecordingPowerStage
) -> None:
    """Connector 2 has a socket: the EV leaves, the cable (and its lock) stays."""
    sim.plug_in(2)
    assert await sim.connector(2).lock()  # as the station locks it for a transaction
    sim.ev_unplug(2)
    connector = sim.connector(2)
    assert connector.is_plugged() and not connector.is_ev_connected() and connector.is_locked()
    with pytest.raises(ConnectorStateError, match="no EV on connector 2"):
        sim.ev_unplug(2)
    with pytest.raises(ConnectorStateError, match="no EV on connector 2"):
        sim.ev_pause(2)
    sim.plug_in(2)  # an EV connected to that cable again
    sim.ev_unplug(2)
    sim.plug_out(2)
    assert not connector.is_plugged() and not connector.is_locked()
    assert drain(sim) == [
        PluggedIn(2, EvParameters()),
        EvUnplugged(2),
        PluggedIn(2, EvParameters()),
        EvUnplugged(2),
        PluggedOut(2),
    ]
    # The EV leaves the power stage once, when it is unplugged at its side.
    assert power.calls == [
        ("ev_plug_in", 2, EvParameters()),
        ("ev_plug_out", 2),
        ("ev_plug_in", 2, EvParameters()),
        ("ev_plug_out", 2),
    ]
    assert sim.plugged_evs() == {}


def test_ev_unplug_of_a_fixed_cable_frees_the_connector(
    sim: SimHardware, power: RecordingPowerStage
) -> None:
    sim.plug_in(1)
    sim.ev_unplug(1)
    assert not sim.connector(1).is_plugged()
    assert drain(sim) == [PluggedIn(1, EvParameters()), EvUnplugged(1)]
    with pytest.raises(ConnectorStateError):
        sim.plug_out(1)


def test_plug_in_without_parameters_leaves_defaults_to_the_driver(sim: SimHardware) -> None:
    sim.plug_in(2)
    assert drain(sim) == [PluggedIn(2, EvParameters())]


def test_plug_in_twice_is_refused_without_an_event(sim: SimHardware) -> None:
    sim.plug_in(1)
    drain(sim)
    with pytest.raises(ConnectorStateError, match="already plugged"):
        sim.plug_in(1)
    assert drain(sim) == []


def test_plug_out_of_an_empty_connector_is_refused(sim: SimHardware) -> None:
    with pytest.raises(ConnectorStateError, match="not plugged"):
        sim.plug_out(1)


@pytest.mark.parametrize("connector_id", [0, 3, -1])
def test_unknown_connector_is_named(sim: SimHardware, connector_id: int) -> None:
    with pytest.raises(UnknownConnectorError, match=f"unknown connector {connector_id}; .* 1..2"):
        sim.plug_in(connector_id)
    assert drain(sim) == []


@pytest.mark.parametrize(
    ("ev", "field"),
    [
        (EvParameters(battery_wh=0), "batteryWh"),
        (EvParameters(battery_wh=float("nan")), "batteryWh"),
        (EvParameters(soc=100.5), "soc"),
        (EvParameters(soc=-1), "soc"),
        (EvParameters(max_current_a=0), "maxCurrentA"),
    ],
)
def test_bad_ev_parameters_name_the_field(sim: SimHardware, ev: EvParameters, field: str) -> None:
    with pytest.raises(InvalidActionValueError) as info:
        sim.plug_in(1, ev)
    assert info.value.field == field
    assert not sim.connector(1).is_plugged()


def test_one_reader_serves_all_connectors(sim: SimHardware) -> None:
    sim.present_id_tag("TAG-0001")
    assert drain(sim) == [IdTagPresented("TAG-0001")]


@pytest.mark.parametrize("tag", ["", "X" * 21])
def test_id_tag_must_be_a_cistring20(sim: SimHardware, tag: str) -> None:
    with pytest.raises(InvalidActionValueError, match="idTag"):
        sim.present_id_tag(tag)


def test_ev_pause_and_resume(sim: SimHardware, power: RecordingPowerStage) -> None:
    sim.plug_in(1)
    sim.ev_pause(1)
    with pytest.raises(ConnectorStateError, match="already paused"):
        sim.ev_pause(1)
    sim.ev_resume(1)
    with pytest.raises(ConnectorStateError, match="not paused"):
        sim.ev_resume(1)
    assert drain(sim)[1:] == [EvSuspended(1), EvResumed(1)]
    assert power.calls[1:] == [("ev_pause", 1), ("ev_resume", 1)]


def test_ev_pause_needs_an_ev(sim: SimHardware) -> None:
    with pytest.raises(ConnectorStateError, match="no EV"):
        sim.ev_pause(2)


def test_unplugging_forgets_the_pause(sim: SimHardware) -> None:
    sim.plug_in(1)
    sim.ev_pause(1)
    sim.plug_out(1)
    assert not sim.connector(1).is_ev_paused()


def test_faults_on_a_connector_and_on_the_charge_point(sim: SimHardware) -> None:
    sim.raise_fault(1, "GroundFailure", "insulation 80 kOhm")
    sim.raise_fault(0, "HighTemperature")
    assert sim.active_fault(1) == FaultRaised(1, "GroundFailure", "insulation 80 kOhm")
    sim.clear_fault(1)
    sim.clear_fault(0)
    assert drain(sim) == [
        FaultRaised(1, "GroundFailure", "insulation 80 kOhm"),
        FaultRaised(0, "HighTemperature"),
        FaultCleared(1),
        FaultCleared(0),
    ]
    assert sim.active_fault(1) is None


@pytest.mark.parametrize("code", ["NoError", "GroundFault", "groundfailure"])
def test_fault_error_code_must_be_an_ocpp_fault(sim: SimHardware, code: str) -> None:
    with pytest.raises(InvalidActionValueError, match="errorCode"):
        sim.raise_fault(1, code)
    assert drain(sim) == []


def test_fault_info_is_a_cistring50(sim: SimHardware) -> None:
    with pytest.raises(InvalidActionValueError, match="info"):
        sim.raise_fault(1, "OtherError", "i" * 51)


def test_clearing_no_fault_is_refused(sim: SimHardware) -> None:
    with pytest.raises(ConnectorStateError, match="no fault"):
        sim.clear_fault(2)
    with pytest.raises(UnknownConnectorError):
        sim.clear_fault(9)


async def test_lock_failure_fails_exactly_the_next_attempt(sim: SimHardware) -> None:
    connector = sim.connector(2)
    assert await connector.lock()
    sim.arm_lock_failure(2)
    assert connector.lock_failure_armed()
    assert not await connector.unlock()
    assert connector.is_locked()
    assert await connector.unlock()
    assert not connector.is_locked()
    assert not connector.lock_failure_armed()


def test_fixed_cable_comes_from_the_station_file(sim: SimHardware) -> None:
    assert sim.connector(1).fixed_cable
    assert not sim.connector(2).fixed_cable


def test_module_actions_validate_the_module_number(
    sim: SimHardware, power: RecordingPowerStage
) -> None:
    sim.inject_module_fault(5, "OverTemperature")
    sim.clear_module_fault(5)
    sim.fail_bus(True)
    assert power.calls == [
        ("inject_module_fault", 5, ModuleFault.OVER_TEMPERATURE),
        ("clear_module_fault", 5),
        ("fail_bus", True),
    ]
    with pytest.raises(UnknownModuleError, match=r"modules 0\.\.5"):
        sim.inject_module_fault(6, "Dead")
    with pytest.raises(InvalidActionValueError, match="fault"):
        sim.inject_module_fault(0, "Melted")


def test_meter_register_never_goes_backwards(sim: SimHardware, power: RecordingPowerStage) -> None:
    power.readings[1] = ConnectorTelemetry(
        400.0, 100.0, 40_000.0, 1_500.0, 120.0, 48_000.0, 42.0, 31.0
    )
    first = sim.meter.read(1)
    assert (first.energy_wh, first.power_w, first.soc_percent) == (1_500.0, 40_000.0, 42.0)
    # The stage restarted and counts from zero again.
    power.readings[1] = ConnectorTelemetry(
        400.0, 100.0, 40_000.0, 200.0, 120.0, 48_000.0, 43.0, 31.0
    )
    assert sim.meter.read(1).energy_wh == 1_700.0
    assert sim.meter.read(2).energy_wh == 0.0


async def test_start_hands_the_event_queue_to_the_power_stage(
    sim: SimHardware, power: RecordingPowerStage
) -> None:
    await sim.start()
    assert power.sink is not None
    power.sink(EvSuspended(2))
    assert await sim.events.get() == EvSuspended(2)
    await sim.stop()
    assert power.calls == [("start",), ("stop",)]


# -- the bridge to the Rust power stage ---------------------------------------------------


def test_stage_config_comes_from_the_station_file(tmp_path: Path) -> None:
    settings = station_settings(
        tmp_path,
        power={"modules": {"count": 3, "matrix": [[1], [1, 2], [2]]}, "loop_period_ms": 10},
    )
    config = stage_config(settings)
    assert config["modules"]["count"] == 3
    assert config["matrix"] == [[1], [1, 2], [2]]
    assert [c["id"] for c in config["connectors"]] == [1, 2]
    assert config["loop_period_ms"] == 10
    assert config["simulated"] is True


def test_empty_matrix_lets_every_module_serve_every_connector(tmp_path: Path) -> None:
    config = stage_config(station_settings(tmp_path, power={"modules": {"count": 2}}))
    assert config["matrix"] == [[1, 2], [1, 2]]


@pytest.mark.parametrize(
    ("raw", "event"),
    [
        ({"kind": "ev_full", "connector": 1}, EvFull(1)),
        ({"kind": "ev_suspended", "connector": 1}, EvSuspended(1)),
        ({"kind": "ev_resumed", "connector": 2}, EvResumed(2)),
        ({"kind": "charging", "connector": 1}, None),
    ],
)
def test_stage_events_become_station_events(raw: dict[str, Any], event: object) -> None:
    assert event_from_stage(raw) == event


def test_a_manual_pause_is_reported_once() -> None:
    echoes = ManualPauseEchoes()
    echoes.paused(1)
    assert echoes.is_echo(EvSuspended(1))
    echoes.resumed(1)
    assert echoes.is_echo(EvResumed(1))
    # The EV model suspending on its own is news, and so is its end.
    assert not echoes.is_echo(EvSuspended(2))
    assert not echoes.is_echo(EvResumed(2))
    assert not echoes.is_echo(EvFull(1))


def test_unplugging_forgets_pending_echoes() -> None:
    echoes = ManualPauseEchoes()
    echoes.paused(1)
    echoes.plugged_out(1)
    assert not echoes.is_echo(EvSuspended(1))


def _connector_snapshot(connector_id: int, **values: Any) -> dict[str, Any]:
    idle = {"voltage_v": 0.0, "current_a": 0.0, "power_w": 0.0, "energy_wh": 0.0}
    offered = {"current_offered_a": 0.0, "power_offered_w": 0.0}
    return {"id": connector_id, **idle, **offered, "soc": None, "temperature_c": None, **values}


def test_telemetry_is_read_from_the_snapshot() -> None:
    snap: Any = {
        "connectors": [
            _connector_snapshot(1, voltage_v=400.0, current_a=50.0, energy_wh=12.5),
            _connector_snapshot(2, soc=81.5, temperature_c=30.0),
        ]
    }
    first = telemetry_from_snapshot(snap, 1)
    assert (first.voltage_v, first.current_a, first.energy_wh, first.soc_percent) == (
        400.0,
        50.0,
        12.5,
        None,
    )
    assert telemetry_from_snapshot(snap, 2).soc_percent == 81.5
    with pytest.raises(LookupError):
        telemetry_from_snapshot(snap, 3)


async def _next_event(sim: SimHardware, kind: type[Any], timeout_s: float = 5.0) -> Any:
    async with asyncio.timeout(timeout_s):
        while True:
            event = await sim.events.get()
            if isinstance(event, kind):
                return event


async def _until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Telemetry has no event of its own; the loop's period is the natural poll interval."""
    async with asyncio.timeout(timeout_s):
        while not predicate():  # noqa: ASYNC110 (telemetry is sampled, not signalled)
            await asyncio.sleep(0.01)


async def test_rust_stage_delivers_energy_to_a_plugged_ev(tmp_path: Path) -> None:
    sim = SimHardware(station_settings(tmp_path, power={"loop_period_ms": 10}))
    await sim.start()
    try:
        sim.plug_in(1, EvParameters(battery_wh=50_000, soc=50, max_current_a=100))
        sim.power.enable(1, True)
        await _until(lambda: sim.meter.read(1).current_a > 1.0)
        assert sim.meter.read(2).current_a == 0.0
        sim.power.set_limit(1, 10_000)
        await _until(lambda: sim.meter.read(1).power_w <= 10_000 * 0.95 + 1)
        assert sim.meter.read(1).energy_wh > 0
    finally:
        await sim.stop()


async def test_silent_bus_stops_the_stage_and_reports_a_fault(tmp_path: Path) -> None:
    sim = SimHardware(station_settings(tmp_path, power={"loop_period_ms": 10}))
    await sim.start()
    try:
        sim.plug_in(1)
        sim.power.enable(1, True)
        await _until(lambda: sim.meter.read(1).current_a > 1.0)
        sim.fail_bus(True)
        fault = await _next_event(sim, PowerStageFault)
        assert fault.connector_id == 1
        await _until(lambda: sim.meter.read(1).current_offered_a == 0.0)
    finally:
        await sim.stop()


async def test_a_stalled_event_loop_trips_the_watchdog(tmp_path: Path) -> None:
    sim = SimHardware(station_settings(tmp_path, power={"loop_period_ms": 10, "watchdog_ms": 100}))
    await sim.start()
    try:
        sim.plug_in(1)
        sim.power.enable(1, True)
        await _until(lambda: sim.meter.read(1).current_a > 1.0)
        # Block the event loop itself: the watchdog task cannot run, the Rust loop must stop.
        time.sleep(0.5)  # noqa: ASYNC251 (the stall under test)
        fault = await _next_event(sim, PowerStageFault)
        assert fault.connector_id == 1
    finally:
        await sim.stop()


async def test_module_faults_show_in_the_power_snapshot(tmp_path: Path) -> None:
    sim = SimHardware(station_settings(tmp_path, power={"loop_period_ms": 10}))
    await sim.start()
    try:
        sim.inject_module_fault(2, ModuleFault.OUTPUT_SHORT)
        await _until(lambda: sim.power.snapshot()["modules"][2]["state"] in ("faulted", "lost"))
        snapshot = sim.power.snapshot()
        assert len(snapshot["modules"]) == 6
        assert snapshot["loop"]["ticks"] > 0
        sim.clear_module_fault(2)
        await _until(lambda: sim.power.snapshot()["modules"][2]["state"] not in ("faulted", "lost"))
    finally:
        await sim.stop()


def test_plugged_evs_cross_a_process_restart_once(tmp_path: Path) -> None:
    evs = {1: EvParameters(60_000, 41.5, 150), 2: EvParameters()}
    save_plugged(tmp_path, evs)
    assert take_plugged(tmp_path) == evs
    assert take_plugged(tmp_path) == {}  # forgotten once read
    (tmp_path / "simulator" / "plugged.json").write_text('{"1": {"soc": 3}}')
    assert take_plugged(tmp_path) == {}
