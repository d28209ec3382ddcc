"""Profile management rules, the limit sharing and the profile store, without a station."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from chargestack import _core
from chargestack.ocpp import messages as m
from chargestack.profiles.core.transactions import ActiveTransaction
from chargestack.profiles.smart_charging.limit_applier import (
    electrical_params,
    engine_transactions,
    share_cap,
)
from chargestack.profiles.smart_charging.profile_rules import (
    ProfileLimits,
    matches_clear,
    replaced_ids,
    static_violation,
)
from chargestack.station.settings import parse_station_settings
from chargestack.store import Store
from chargestack.store.charging_profiles import ChargingProfiles

LIMITS = ProfileLimits(
    max_stack_level=10, max_periods=5, allowed_units=("A", "W"), max_installed=8, connector_count=2
)


def body(
    profile_id: int, purpose: str = "TxDefaultProfile", *, connector: int = 1, stack: int = 0
) -> dict[str, Any]:
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        },
        "connectorId": connector,
    }


def clear(**fields: Any) -> m.ClearChargingProfileRequest:
    return m.ClearChargingProfileRequest.model_validate_json(json.dumps(fields))


# -- replacement and clearing ---------------------------------------------------------------


def test_same_id_is_replaced_on_any_connector() -> None:
    installed = [body(1, connector=2), body(2, stack=3)]
    assert replaced_ids(body(1), installed) == [1]


def test_same_purpose_and_stack_level_is_replaced_on_the_same_connector_only() -> None:
    installed = [body(1, connector=0), body(2, connector=1), body(3, "TxProfile")]
    assert replaced_ids(body(9, connector=1), installed) == [2]


def test_clear_by_id_ignores_the_other_fields() -> None:
    # Errata 3.25/3.26: id given, other fields ignored.
    request = clear(id=1, connectorId=2, stackLevel=7)
    assert matches_clear(body(1), request)
    assert not matches_clear(body(2, connector=2, stack=7), request)


def test_clear_fields_combine_with_and_and_none_matches_all() -> None:
    request = clear(connectorId=1, chargingProfilePurpose="TxDefaultProfile", stackLevel=2)
    assert matches_clear(body(1, stack=2), request)
    assert not matches_clear(body(1, stack=1), request)
    assert not matches_clear(body(1, connector=0, stack=2), request)
    assert not matches_clear(body(1, "TxProfile", stack=2), request)
    assert matches_clear(body(5, "ChargePointMaxProfile", connector=0), clear())


def test_out_of_range_values_are_a_violation_not_an_exception() -> None:
    assert static_violation({**body(1), "stackLevel": -1}, LIMITS) is not None
    assert static_violation({**body(1), "stackLevel": 11}, LIMITS) is not None
    assert static_violation(body(1, "ChargePointMaxProfile"), LIMITS) is not None
    assert static_violation(body(1), LIMITS) is None


# -- the engine's inputs ---------------------------------------------------------------------


def test_unknown_transaction_id_matches_no_bound_tx_profile() -> None:
    tx = ActiveTransaction(1, 1, "TAG", None, 1_000, 0, None)
    profiles = [{**body(1, "TxProfile"), "transactionId": -5}, body(2)]
    txs = engine_transactions({1: tx}, profiles)
    assert txs[1][1] == 1_000
    assert txs[1][0] not in (-5, None)
    tx.transaction_id = 42
    assert engine_transactions({1: tx}, profiles) == {1: (42, 1_000)}


def test_electrical_params_are_grid_side(tmp_path: Path) -> None:
    settings = parse_station_settings(
        {
            "identity": {"charge_point_id": "CP", "vendor": "V", "model": "M"},
            "central_system": {"url": "ws://127.0.0.1:1"},
            "connectors": [{"id": 1, "max_power_w": 150_000.0}],
            "data_dir": str(tmp_path),
        }
    )
    params = electrical_params(settings)
    # 150 kW DC at 95 % is 157 894.7 W from the grid; 230 V x 3 phases = 690 W per A, so
    # 228.8 A per phase (tenths, rounded down), and the engine keeps the lower of the two
    # ratings: 228.8 A x 690 = 157 872 W.
    assert params["connector_max_w"][1] == 150_000.0 / 0.95
    assert _core.limit_at([], 1, 0, {}, params, "A")[0] == 228.8
    assert _core.limit_at([], 1, 0, {}, params, "W")[0] == 157_872.0


# -- sharing a ChargePointMaxProfile ---------------------------------------------------------


def test_share_cap_gives_the_small_consumer_its_limit_and_splits_the_rest() -> None:
    assert share_cap({1: 5_000.0, 2: 50_000.0, 3: 50_000.0}, 30_000.0) == {
        1: 5_000.0,
        2: 12_500.0,
        3: 12_500.0,
    }


@given(
    st.dictionaries(st.integers(1, 8), st.integers(0, 2_000_000).map(lambda t: t / 10), min_size=1),
    st.integers(0, 4_000_000).map(lambda t: t / 10),
)
def test_share_cap_never_exceeds_a_limit_or_the_cap(limits: dict[int, float], cap: float) -> None:
    shares = share_cap(limits, cap)
    assert shares.keys() == limits.keys()
    assert all(0 <= shares[c] <= limits[c] for c in limits)
    assert sum(shares.values()) <= cap + 1e-6
    if sum(limits.values()) <= cap:
        assert shares == limits


# -- the store -------------------------------------------------------------------------------


def test_store_replaces_atomically_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        profiles = ChargingProfiles(store)
        profiles.install(body(1), [], 1)
        profiles.install(body(2, "TxProfile"), [], 2)
        profiles.install(body(3, connector=2), [1], 3)
        assert [p["chargingProfileId"] for p in profiles.all()] == [2, 3]
    with Store.open(path) as store:
        profiles = ChargingProfiles(store)
        assert profiles.all()[1] == body(3, connector=2)
        assert profiles.delete_tx_profiles(2) == 0
        assert profiles.delete_tx_profiles(1) == 1
        assert profiles.delete([3, 99]) == 1
        assert profiles.all() == []
