"""Profile management rules, the limit sharing and the profile store, without a station."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chargestack import _core
from chargestack.exceptions import SmartChargingError
from chargestack.ocpp import messages as m
from chargestack.profiles.core.running_transactions import ActiveTransaction
from chargestack.profiles.smart_charging.limit_applier import (
    engine_transactions,
    station_ratings,
)
from chargestack.profiles.smart_charging.profile_rules import clear_criteria
from chargestack.settings import parse_station_settings
from chargestack.store import Store
from chargestack.store.charging_profiles import ChargingProfiles

if TYPE_CHECKING:
    from chargestack._core import _ProfileLimits, _StationRatings

LIMITS: _ProfileLimits = {
    "max_stack_level": 10,
    "max_periods": 5,
    "allowed_units": ["A", "W"],
    "connector_count": 3,
    "max_installed": 3,
}
# 1 A per phase = 690 W, and no conversion losses, so grid and DC watts are the same.
STATION: _StationRatings = {
    "grid_voltage_v": 230.0,
    "grid_phases": 3,
    "grid_max_current_a": 400.0,
    "efficiency": 1.0,
    "module_count": 10,
    "module_max_power_w": 30_000.0,
    "connectors": [{"id": c, "max_power_w": 100_000.0} for c in (1, 2, 3)],
}


def body(
    profile_id: int,
    purpose: str = "TxDefaultProfile",
    *,
    stack: int = 0,
    limit: float = 16.0,
    unit: str = "A",
    kind: str = "Relative",
    **extra: Any,
) -> str:
    schedule: dict[str, Any] = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
    }
    if kind == "Absolute":
        schedule["startSchedule"] = "1970-01-01T00:00:00Z"
    return json.dumps(
        {
            "chargingProfileId": profile_id,
            "stackLevel": stack,
            "chargingProfilePurpose": purpose,
            "chargingProfileKind": kind,
            "chargingSchedule": schedule,
            **extra,
        }
    )


def profile(
    profile_id: int, purpose: str = "TxDefaultProfile", *, connector: int = 1, **fields: Any
) -> _core.ChargingProfile:
    return _core.ChargingProfile(body(profile_id, purpose, **fields), connector)


def profile_set(*profiles: _core.ChargingProfile) -> _core.ProfileSet:
    installed = _core.ProfileSet(STATION)
    for p in profiles:
        installed.install(p)
    return installed


def clear(**fields: Any) -> m.ClearChargingProfileRequest:
    return m.ClearChargingProfileRequest.model_validate_json(json.dumps(fields))


# -- replacement and clearing ---------------------------------------------------------------


def test_same_id_is_replaced_on_any_connector() -> None:
    installed = profile_set(profile(1, connector=2), profile(2, stack=3))
    assert installed.replaced_by(profile(1)) == [1]


def test_same_purpose_and_stack_level_is_replaced_on_the_same_connector_only() -> None:
    installed = profile_set(
        profile(1, connector=0), profile(2, connector=1), profile(3, "TxProfile")
    )
    assert installed.replaced_by(profile(9, connector=1)) == [2]
    assert installed.install(profile(9, connector=1)) == [2]
    assert len(installed) == 3


def test_capacity_counts_only_profiles_that_replace_none() -> None:
    installed = profile_set(profile(1), profile(2, stack=1), profile(3, stack=2))
    assert installed.admit(profile(4, stack=2), LIMITS) == [3]
    with pytest.raises(SmartChargingError, match=r"MaxChargingProfilesInstalled \(3\)"):
        installed.admit(profile(5, stack=4), LIMITS)


def test_clear_by_id_ignores_the_other_fields() -> None:
    # Errata 3.25/3.26: id given, other fields ignored.
    installed = profile_set(profile(1), profile(2, connector=2, stack=7))
    assert installed.matching(clear_criteria(clear(id=1, connectorId=2, stackLevel=7))) == [1]


def test_clear_fields_combine_with_and_and_none_matches_all() -> None:
    installed = profile_set(
        profile(1, stack=2),
        profile(2, stack=1),
        profile(3, connector=0, stack=2),
        profile(4, "TxProfile", stack=2),
        profile(5, "ChargePointMaxProfile", connector=0, kind="Absolute"),
    )
    request = clear(connectorId=1, chargingProfilePurpose="TxDefaultProfile", stackLevel=2)
    assert installed.matching(clear_criteria(request)) == [1]
    assert installed.matching(clear_criteria(clear())) == [1, 2, 3, 4, 5]
    assert installed.remove([2, 99]) == 1


def test_out_of_range_values_are_refused_with_a_reason() -> None:
    with pytest.raises(SmartChargingError, match="stackLevel: invalid value: integer `-1`"):
        profile(1, stack=-1)
    with pytest.raises(SmartChargingError, match="above the maximum 10"):
        profile(1, stack=11).check(LIMITS)
    with pytest.raises(SmartChargingError, match="purpose not allowed on connector 1"):
        profile(1, "ChargePointMaxProfile", kind="Absolute")
    profile(1).check(LIMITS)


# -- the engine's inputs ---------------------------------------------------------------------


def test_unknown_transaction_id_matches_no_bound_tx_profile() -> None:
    tx = ActiveTransaction(1, 1, "TAG", None, 1_000, 0, None)
    installed = profile_set(profile(1, "TxProfile", limit=6.0, transactionId=42))
    # Until StartTransaction.conf the id is not known: the bound TxProfile cannot apply.
    waiting = engine_transactions({1: tx})
    assert waiting == {1: (None, 1_000)}
    assert installed.limit_at(1, 2_000, waiting, "A")[0] == 144.9
    tx.transaction_id = 42
    assert installed.limit_at(1, 2_000, engine_transactions({1: tx}), "A")[0] == 6.0


def test_station_ratings_are_converted_grid_side_in_rust(tmp_path: Path) -> None:
    settings = parse_station_settings(
        {
            "identity": {"charge_point_id": "CP", "vendor": "V", "model": "M"},
            "central_system": {"url": "ws://127.0.0.1:1"},
            "connectors": [{"id": 1, "max_power_w": 150_000.0}],
            "data_dir": str(tmp_path),
        }
    )
    installed = _core.ProfileSet(station_ratings(settings))
    # 150 kW DC at 95 % is 157 894.7 W from the grid; 230 V x 3 phases = 690 W per A, so
    # 228.8 A per phase (tenths, rounded down), and the engine keeps the lower of the two
    # ratings: 228.8 A x 690 = 157 872 W.
    assert installed.limit_at(1, 0, {}, "A")[0] == 228.8
    assert installed.limit_at(1, 0, {}, "W")[0] == 157_872.0
    # No profile: the ratings alone limit, so the stage is given no limit.
    assert installed.setpoints(0, {})["connectors"][0]["limit_w"] is None
    # A limit below the rating reaches the stage as DC power: 10 A x 690 W x 95 %.
    installed.install(_core.ChargingProfile(body(1, limit=10.0), 1))
    dc = installed.setpoints(0, {})["connectors"][0]["limit_w"]
    assert dc is not None
    assert dc == pytest.approx(6_555.0)


# -- sharing a ChargePointMaxProfile ---------------------------------------------------------


def test_charge_point_max_is_shared_the_small_consumer_keeping_its_limit() -> None:
    installed = profile_set(
        profile(1, connector=1, limit=5_000.0, unit="W"),
        profile(2, connector=0, limit=50_000.0, unit="W"),
        profile(3, "ChargePointMaxProfile", connector=0, limit=30_000.0, unit="W", kind="Absolute"),
    )
    txs: Any = {1: (1, 0), 2: (2, 0), 3: (3, 0)}
    answer = installed.setpoints(0, txs)
    assert [s["limit_w"] for s in answer["connectors"]] == [5_000.0, 12_500.0, 12_500.0]
    # A connector without a transaction draws nothing and takes no share.
    answer = installed.setpoints(0, {1: (1, 0), 2: (2, 0)})
    assert [s["limit_w"] for s in answer["connectors"]] == [5_000.0, 25_000.0, 30_000.0]


def test_a_zero_limit_offers_no_energy() -> None:
    answer = profile_set(profile(1, limit=0.0)).setpoints(0, {})
    assert answer["connectors"][0] == {"connector_id": 1, "limit_w": 0.0, "offers_energy": False}
    assert answer["next_change_ms"] is None


# -- the store -------------------------------------------------------------------------------


def test_store_replaces_atomically_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        profiles = ChargingProfiles(store)
        profiles.install(profile(1), [], 1)
        profiles.install(profile(2, "TxProfile"), [], 2)
        profiles.install(profile(3, connector=2), [1], 3)
        assert [_core.ChargingProfile(row).id for row in profiles.all()] == [2, 3]
    with Store.open(path) as store:
        profiles = ChargingProfiles(store)
        restored = _core.ChargingProfile(profiles.all()[1])
        assert restored.to_json() == profile(3, connector=2).to_json()
        assert restored.connector_id == 2
        assert profiles.delete_tx_profiles(2) == 0
        assert profiles.delete_tx_profiles(1) == 1
        assert profiles.delete([3, 99]) == 1
        assert profiles.all() == []


def test_rows_of_the_earlier_format_read_back() -> None:
    # Rows written before the profile set: the engine's dict with explicit nulls.
    row = json.loads(body(7, kind="Absolute", validFrom=1_700_000_000_000, validTo=None))
    row["chargingSchedule"]["startSchedule"] = 1_700_000_000_000
    row["chargingSchedule"]["duration"] = None
    row["connectorId"] = 2
    restored = _core.ChargingProfile(json.dumps(row))
    assert (restored.id, restored.connector_id, restored.purpose) == (7, 2, "TxDefaultProfile")
