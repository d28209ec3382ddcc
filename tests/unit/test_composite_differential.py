"""Differential tests: the Rust composite engine against the simple Python reference.

Hypothesis draws profile sets of every purpose and kind (Absolute, Relative, Daily and
Weekly Recurring, with and without duration, validity, transactionId, numberPhases,
minChargingRate, A and W), connectors including 0, windows starting at any millisecond,
transactions or none, and grid parameters. ``chargestack._core`` must return exactly what
``smart_charging_reference`` returns, for the composite and for the limit-now/next-change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chargestack import _core
from chargestack.exceptions import SmartChargingError
from smart_charging_reference import composite_schedule as reference_composite
from smart_charging_reference import limit_at as reference_limit_at

if TYPE_CHECKING:
    from chargestack._core import _ElectricalParams

Unit = Literal["A", "W"]
UNITS: list[Unit] = ["A", "W"]
T0 = 1_700_000_000_000
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def periods(draw: st.DrawFn) -> list[dict[str, Any]]:
    gaps = draw(st.lists(st.integers(1, 7_200), min_size=0, max_size=4))
    start = 0
    out = []
    for gap in [0, *gaps]:
        start += gap
        period: dict[str, Any] = {"startPeriod": start, "limit": draw(st.integers(0, 3_000)) / 10}
        phases = draw(st.none() | st.integers(1, 3))
        if phases is not None:
            period["numberPhases"] = phases
        out.append(period)
    return out


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    purpose = draw(st.sampled_from(["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]))
    kinds = ["Absolute", "Recurring"] + ([] if purpose == "ChargePointMaxProfile" else ["Relative"])
    kind = draw(st.sampled_from(kinds))
    connector = {"ChargePointMaxProfile": st.just(0), "TxDefaultProfile": st.integers(0, 2)}.get(
        purpose, st.integers(1, 2)
    )
    schedule: dict[str, Any] = {
        "chargingRateUnit": draw(st.sampled_from(["A", "W"])),
        "chargingSchedulePeriod": draw(periods()),
        "duration": draw(st.none() | st.integers(1, 200_000)),
        "minChargingRate": draw(st.none() | st.integers(0, 300).map(lambda t: t / 10)),
    }
    profile: dict[str, Any] = {
        "connectorId": draw(connector),
        "chargingProfileId": draw(st.integers(1, 1000)),
        "stackLevel": draw(st.integers(0, 3)),
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
    }
    if kind != "Relative":
        schedule["startSchedule"] = T0 + draw(st.integers(-200_000_000, 200_000_000))
    if kind == "Recurring":
        profile["recurrencyKind"] = draw(st.sampled_from(["Daily", "Weekly"]))
    valid_from = draw(st.none() | st.integers(-100_000_000, 100_000_000).map(lambda o: T0 + o))
    profile["validFrom"] = valid_from
    length = draw(st.none() | st.integers(0, 200_000_000))
    profile["validTo"] = None if length is None else (valid_from or T0) + length
    if purpose == "TxProfile":
        profile["transactionId"] = draw(st.none() | st.integers(1, 2))
    return profile


def transactions() -> st.SearchStrategy[dict[int, tuple[int, int]]]:
    one = st.tuples(st.integers(1, 2), st.integers(-50_000_000, 50_000_000).map(lambda o: T0 + o))
    return st.dictionaries(st.integers(1, 2), one, max_size=2)


@st.composite
def params(draw: st.DrawFn) -> _ElectricalParams:
    def rating() -> st.SearchStrategy[float]:
        return st.integers(0, 5_000_000).map(lambda t: t / 10)

    connectors = [1, 2]
    return {
        "grid_voltage_v": draw(st.sampled_from([230.0, 120.0, 400.0]) | st.floats(100, 480)),
        "grid_phases": draw(st.integers(1, 3)),
        "station_max_a": draw(rating()),
        "station_max_w": draw(rating()),
        "connector_max_a": {c: draw(rating()) for c in connectors},
        "connector_max_w": {c: draw(rating()) for c in connectors},
    }


@SETTINGS
@given(
    installed=st.lists(profiles(), max_size=8),
    connector=st.integers(0, 2),
    start_offset_ms=st.integers(-100_000_000, 100_000_000),
    duration_s=st.integers(1, 2 * 86_400),
    txs=transactions(),
    grid=params(),
    unit=st.sampled_from(UNITS),
)
def test_composite_equals_reference(
    installed: list[dict[str, Any]],
    connector: int,
    start_offset_ms: int,
    duration_s: int,
    txs: dict[int, tuple[int, int]],
    grid: _ElectricalParams,
    unit: Unit,
) -> None:
    start = T0 + start_offset_ms
    engine = _core.composite_schedule(installed, connector, start, duration_s, txs, grid, unit)
    assert engine == reference_composite(installed, connector, start, duration_s, txs, grid, unit)


@SETTINGS
@given(
    installed=st.lists(profiles(), max_size=6),
    connector=st.integers(0, 2),
    now_offset_ms=st.integers(-100_000_000, 100_000_000),
    txs=transactions(),
    grid=params(),
    unit=st.sampled_from(UNITS),
)
def test_limit_at_equals_reference(
    installed: list[dict[str, Any]],
    connector: int,
    now_offset_ms: int,
    txs: dict[int, tuple[int, int]],
    grid: _ElectricalParams,
    unit: Unit,
) -> None:
    now = T0 + now_offset_ms
    engine = _core.limit_at(installed, connector, now, txs, grid, unit)
    assert engine == reference_limit_at(installed, connector, now, txs, grid, unit)


def test_engine_errors_are_smart_charging_errors() -> None:
    grid: _ElectricalParams = {
        "grid_voltage_v": 230.0,
        "grid_phases": 3,
        "station_max_a": 400.0,
        "station_max_w": 276_000.0,
        "connector_max_a": {1: 200.0},
        "connector_max_w": {1: 138_000.0},
    }
    with pytest.raises(SmartChargingError, match="unknown connector 7"):
        _core.composite_schedule([], 7, T0, 60, {}, grid, "A")
    broken: dict[str, Any] = {
        "connectorId": 1,
        "chargingProfileId": 3,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6.05}],
        },
    }
    with pytest.raises(SmartChargingError, match="at most one decimal"):
        _core.limit_at([broken], 1, T0, {}, grid, "A")

    # SetChargingProfile validation: the same exception, naming the rule.
    def with_periods(*limits: float) -> dict[str, Any]:
        periods = [{"startPeriod": 0, "limit": limit} for limit in limits]
        schedule = {"chargingRateUnit": "A", "chargingSchedulePeriod": periods}
        return {**broken, "chargingSchedule": schedule}

    with pytest.raises(SmartChargingError, match="does not increase"):
        _core.validate_charging_profile(with_periods(6.0, 6.0), 1, 8, 5, ["A", "W"], 2)
    _core.validate_charging_profile(with_periods(6.0), 1, 8, 5, ["A"], 2)
