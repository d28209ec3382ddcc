"""Differential tests: the Rust composite engine against the simple Python reference.

Hypothesis draws profile sets of every purpose and kind (Absolute, Relative, Daily and
Weekly Recurring, with and without duration, validity, transactionId, numberPhases,
minChargingRate, A and W), connectors including 0, windows starting at any millisecond,
transactions or none (with a transactionId not known yet), and stations (grid, efficiency,
modules, connector ratings). A ``chargestack._core.ProfileSet`` holding the profiles must
return exactly what ``smart_charging_reference`` returns, for the composite, for the
limit-now/next-change and for every connector's setpoint.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chargestack import _core
from chargestack.exceptions import SmartChargingError
from smart_charging_reference import composite_schedule as reference_composite
from smart_charging_reference import grid_params
from smart_charging_reference import install as reference_install
from smart_charging_reference import limit_at as reference_limit_at
from smart_charging_reference import setpoints as reference_setpoints

if TYPE_CHECKING:
    from chargestack._core import _StationRatings

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


def transactions() -> st.SearchStrategy[dict[int, tuple[int | None, int]]]:
    started = st.integers(-50_000_000, 50_000_000).map(lambda o: T0 + o)
    one = st.tuples(st.none() | st.integers(1, 2), started)
    return st.dictionaries(st.integers(1, 2), one, max_size=2)


@st.composite
def stations(draw: st.DrawFn) -> _StationRatings:
    def watts(top: int) -> st.SearchStrategy[float]:
        return st.integers(0, top).map(lambda t: t / 10)

    return {
        "grid_voltage_v": draw(st.sampled_from([230.0, 120.0, 400.0]) | st.floats(100, 480)),
        "grid_phases": draw(st.integers(1, 3)),
        "grid_max_current_a": draw(watts(20_000)),
        "efficiency": draw(st.sampled_from([0.95, 1.0]) | st.floats(0.5, 1.0, exclude_min=True)),
        "module_count": draw(st.integers(0, 12)),
        "module_max_power_w": draw(watts(500_000)),
        "connectors": [{"id": c, "max_power_w": draw(watts(5_000_000))} for c in (1, 2)],
    }


def profile_set(
    station: _StationRatings, profiles: Sequence[dict[str, Any]]
) -> tuple[_core.ProfileSet, list[dict[str, Any]]]:
    """A ProfileSet with ``profiles`` installed in order, and what the reference keeps."""
    installed = _core.ProfileSet(station)
    kept: list[dict[str, Any]] = []
    for profile in profiles:
        installed.install(_core.ChargingProfile(json.dumps(profile)))
        kept = reference_install(kept, profile)
    assert len(installed) == len(kept)
    return installed, kept


@SETTINGS
@given(
    drawn=st.lists(profiles(), max_size=8),
    connector=st.integers(0, 2),
    start_offset_ms=st.integers(-100_000_000, 100_000_000),
    duration_s=st.integers(1, 2 * 86_400),
    txs=transactions(),
    station=stations(),
    unit=st.sampled_from(UNITS),
)
def test_composite_equals_reference(
    drawn: list[dict[str, Any]],
    connector: int,
    start_offset_ms: int,
    duration_s: int,
    txs: dict[int, tuple[int | None, int]],
    station: _StationRatings,
    unit: Unit,
) -> None:
    start = T0 + start_offset_ms
    engine, installed = profile_set(station, drawn)
    expected = reference_composite(
        installed, connector, start, duration_s, txs, grid_params(station), unit
    )
    assert engine.composite_schedule(connector, start, duration_s, txs, unit) == expected


@SETTINGS
@given(
    drawn=st.lists(profiles(), max_size=6),
    connector=st.integers(0, 2),
    now_offset_ms=st.integers(-100_000_000, 100_000_000),
    txs=transactions(),
    station=stations(),
    unit=st.sampled_from(UNITS),
)
def test_limit_at_equals_reference(
    drawn: list[dict[str, Any]],
    connector: int,
    now_offset_ms: int,
    txs: dict[int, tuple[int | None, int]],
    station: _StationRatings,
    unit: Unit,
) -> None:
    now = T0 + now_offset_ms
    engine, installed = profile_set(station, drawn)
    expected = reference_limit_at(installed, connector, now, txs, grid_params(station), unit)
    assert engine.limit_at(connector, now, txs, unit) == expected


@SETTINGS
@given(
    drawn=st.lists(profiles(), max_size=6),
    now_offset_ms=st.integers(-100_000_000, 100_000_000),
    txs=transactions(),
    station=stations(),
)
def test_setpoints_equal_reference(
    drawn: list[dict[str, Any]],
    now_offset_ms: int,
    txs: dict[int, tuple[int | None, int]],
    station: _StationRatings,
) -> None:
    now = T0 + now_offset_ms
    engine, installed = profile_set(station, drawn)
    assert engine.setpoints(now, txs) == reference_setpoints(installed, now, txs, station)


STATION: _StationRatings = {
    "grid_voltage_v": 230.0,
    "grid_phases": 3,
    "grid_max_current_a": 400.0,
    "efficiency": 1.0,
    "module_count": 10,
    "module_max_power_w": 30_000.0,
    "connectors": [{"id": 1, "max_power_w": 138_000.0}],
}


def test_engine_errors_are_smart_charging_errors() -> None:
    with pytest.raises(SmartChargingError, match="unknown connector 7"):
        _core.ProfileSet(STATION).composite_schedule(7, T0, 60, {}, "A")
    broken: dict[str, Any] = {
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
        _core.ChargingProfile(json.dumps(broken), 1)
    with pytest.raises(SmartChargingError, match="no connectorId"):
        _core.ChargingProfile(json.dumps(broken))

    # SetChargingProfile validation: the same exception, naming the rule.
    def with_periods(*limits: float) -> str:
        periods = [{"startPeriod": 0, "limit": limit} for limit in limits]
        schedule = {"chargingRateUnit": "A", "chargingSchedulePeriod": periods}
        return json.dumps({**broken, "chargingSchedule": schedule})

    with pytest.raises(SmartChargingError, match="does not increase"):
        _core.ChargingProfile(with_periods(6.0, 6.0), 1)
    limits: Any = {
        "max_stack_level": 8,
        "max_periods": 5,
        "allowed_units": ["W"],
        "connector_count": 2,
        "max_installed": 1,
    }
    profile = _core.ChargingProfile(with_periods(6.0), 1)
    with pytest.raises(SmartChargingError, match="chargingRateUnit not allowed"):
        profile.check(limits)
    profile.check({**limits, "allowed_units": ["A"]})
    with pytest.raises(SmartChargingError, match="efficiency"):
        _core.ProfileSet({**STATION, "efficiency": 1.5})
