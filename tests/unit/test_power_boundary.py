"""The power stage's typed boundary: what crosses is what ``_core.pyi`` declares, absent
configuration takes the defaults of rust/power, and a bad configuration says where it is bad.

The stub's TypedDicts are read from the stub itself, so a field renamed in Rust without the
stub (or the other way round) fails here, not as a silent 0 V in the station.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path
from typing import Any

import pytest

import chargestack
from chargestack import _core
from chargestack.exceptions import CanInterfaceError, PowerStageError
from chargestack.hardware.power_bridge import stage_config
from sim_support import station_settings

STUB = Path(chargestack.__file__).parent / "_core.pyi"


def declared(name: str) -> set[str]:
    """The keys of TypedDict ``name`` in ``_core.pyi``."""
    for node in ast.parse(STUB.read_text()).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return {
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
    raise LookupError(name)


def charging_stage(tmp_path: Path) -> _core.PowerStage:
    # Safety timers no scheduling delay of a loaded test machine can trip (the watchdog, the
    # simulated cabinet's answers): this test is about shapes, test_sim_hardware about trips.
    settings = station_settings(tmp_path, power={"watchdog_ms": 60_000, "silent_bus_ticks": 1000})
    stage = _core.PowerStage({**stage_config(settings), "realtime_priority": 0})
    stage.start()
    stage.ev_plug_in(1, 60_000.0, 30.0, 100.0)
    stage.enable(1, True)
    return stage


def next_event(stage: _core.PowerStage, kind: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stage.feed_watchdog()
        event = stage.next_event(100)
        if event is not None and event["kind"] == kind:
            return dict(event)
    raise AssertionError(f"no {kind} event")


def test_snapshot_and_events_have_exactly_the_stub_fields(tmp_path: Path) -> None:
    stage = charging_stage(tmp_path)
    try:
        charging = next_event(stage, "charging")
        snapshot = stage.snapshot()
    finally:
        stage.stop()
    assert set(charging) == declared("_ConnectorEvent")
    assert set(snapshot) == declared("_Snapshot")
    assert set(snapshot["connectors"][0]) == declared("_ConnectorSnapshot")
    assert set(snapshot["modules"][0]) == declared("_ModuleSnapshot")
    assert set(snapshot["bus"]) == declared("_BusStats")
    assert set(snapshot["loop"]) == declared("_LoopStats")
    assert set(stage.loop_stats()) == declared("_LoopStats")
    assert snapshot["connectors"][0]["contactor"] is True
    assert set(declared("_StageConfig")) >= set(stage_config(station_settings(tmp_path)))


def test_absent_configuration_takes_the_defaults_of_rust_power() -> None:
    minimal: Any = {
        "modules": {"count": 2},
        "connectors": [{"max_current_a": 100.0, "max_power_w": 50_000.0}],
        "realtime_priority": 0,
    }
    snapshot = _core.PowerStage(minimal).snapshot()
    assert [c["id"] for c in snapshot["connectors"]] == [1]
    assert snapshot["loop"]["period_us"] == 50_000
    assert [m["index"] for m in snapshot["modules"]] == [0, 1]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"colour": "red"}, "unknown field `colour`"),
        ({"connectors": [{"max_current_a": 100.0}]}, "connectors[0]: missing field `max_power_w`"),
        ({"modules": {"count": "six"}}, "modules: {count, max_power_w?, ...}"),
        ({"matrix": [[3]]}, "matrix[0]: unknown connector 3"),
        ({"loop_period_ms": 0}, "loop_period_ms"),
        ({"simulated": False}, "interface: a hardware stage needs its CAN interface"),
        ({"simulated": False, "interface": "virtual", "addresses": [70]}, "addresses[0]"),
    ],
)
def test_a_bad_configuration_names_what_is_wrong(config: dict[str, Any], message: str) -> None:
    base: Any = {
        "modules": {"count": 1},
        "connectors": [{"max_current_a": 100.0, "max_power_w": 50_000.0}],
        **config,
    }
    with pytest.raises(PowerStageError) as info:
        _core.PowerStage(base)
    assert message in str(info.value)


REQUEST: Any = {"type": "ev_request", "connector": 1, "voltage_v": 410.0, "current_a": 20.0}


def test_the_hardware_stages_switchgear_events_have_exactly_the_stub_fields() -> None:
    bench: Any = {
        "modules": {"count": 2},
        "connectors": [{"max_current_a": 100.0, "max_power_w": 50_000.0}],
        "simulated": False,
        "interface": "virtual",
        "loop_period_ms": 10,
        "realtime_priority": 0,
    }
    stage = _core.PowerStage(bench)
    assert stage.kind() == "bench"
    stage.input({"type": "ev_present", "connector": 1})
    stage.enable(1, True)
    stage.start()
    seen: dict[str, dict[str, Any]] = {}
    try:
        deadline = time.monotonic() + 10
        while {"contactor", "module_route"} - set(seen):
            assert time.monotonic() < deadline, seen
            stage.feed_watchdog()
            stage.input(REQUEST)
            event = stage.next_event(20)
            if event is not None:
                seen[event["kind"]] = dict(event)
                if event["kind"] == "contactor":
                    closed = bool(event["closed"])
                    stage.input({"type": "contactor_feedback", "connector": 1, "closed": closed})
    finally:
        stage.stop()
    assert set(seen["contactor"]) == declared("_ContactorEvent")
    assert set(seen["module_route"]) == declared("_ModuleRouteEvent")
    with pytest.raises(CanInterfaceError, match=r'^cannot open CAN interface "can0": '):
        _core.PowerStage({**bench, "interface": "can0"})
    simulated = _core.PowerStage({**bench, "simulated": True, "interface": None})
    with pytest.raises(PowerStageError, match="the simulated cabinet has its own EVs"):
        simulated.input(REQUEST)
    # A shape the stage does not know is refused with the place it is wrong.
    with pytest.raises(PowerStageError, match="voltage_v"):
        stage.input({"type": "ev_request", "connector": 1})  # type: ignore[typeddict-item]
    with pytest.raises(PowerStageError, match="ev_dance"):
        stage.input({"type": "ev_dance", "connector": 1})  # type: ignore[typeddict-item]
