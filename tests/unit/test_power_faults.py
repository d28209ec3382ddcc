"""ConnectorPowerFaults: one fault per connector the power stage cannot serve."""

from __future__ import annotations

from typing import Any

from chargestack.hardware.events import PowerStageFault, PowerStageFaultCleared
from chargestack.hardware.power_faults import ConnectorPowerFaults, modules_serving


def module(kind: str, index: int) -> Any:
    return {"kind": kind, "module": index, "reason": "Dead", "ts_ms": 0}


def stage(kind: str, cid: int) -> Any:
    if kind == "fault":
        return {"kind": kind, "connector": cid, "error_code": "OtherError", "info": "bus silent"}
    return {"kind": kind, "connector": cid, "ts_ms": 0}


def test_the_matrix_says_which_modules_serve_a_connector() -> None:
    assert modules_serving([[1], [1, 2], [2]]) == {1: {0, 1}, 2: {1, 2}}


def test_a_connector_is_faulted_once_every_module_that_may_serve_it_failed() -> None:
    faults = ConnectorPowerFaults(modules_serving([[1], [1, 2], [2]]))
    assert faults.on_stage_event(module("module_fault", 0)) == []
    stranded = PowerStageFault(1, "InternalError", "all 2 power modules failed")
    assert faults.on_stage_event(module("module_fault", 1)) == [stranded]
    assert faults.on_stage_event(module("module_fault", 2)) == [
        PowerStageFault(2, "InternalError", "all 2 power modules failed")
    ]
    assert faults.on_stage_event(module("module_recovered", 1)) == [
        PowerStageFaultCleared(1),
        PowerStageFaultCleared(2),
    ]


def test_the_stage_fault_and_lost_modules_clear_only_when_both_are_gone() -> None:
    faults = ConnectorPowerFaults(modules_serving([[1]]))
    bus = PowerStageFault(1, "OtherError", "bus silent")
    assert faults.on_stage_event(stage("fault", 1)) == [bus]
    assert faults.on_stage_event(stage("fault", 1)) == []  # said once
    assert faults.on_stage_event(module("module_fault", 0)) == []
    stranded = PowerStageFault(1, "InternalError", "all 1 power modules failed")
    assert faults.on_stage_event(stage("fault_cleared", 1)) == [stranded]
    assert faults.on_stage_event(module("module_recovered", 0)) == [PowerStageFaultCleared(1)]


def test_other_stage_events_are_not_faults() -> None:
    faults = ConnectorPowerFaults(modules_serving([[1]]))
    assert faults.on_stage_event({"kind": "charging", "connector": 1, "ts_ms": 0}) is None
