"""Benchmark: a profile installed -> every connector's setpoint, before and after issue 14.

Two connectors with a transaction each and 10 or 100 installed profiles (every purpose and
kind, as in ``bench_composite.py``). One timed step is what SetChargingProfile does between
its validated request and the power stage's ``set_limit`` calls (the store write is the
same in both and left out):

- before: the path of ``LimitApplier.apply`` until issue 14, copied below: the request model
  to the engine's dict, ``validate_charging_profile``, the replacement scan, then one
  ``limit_at`` per connector plus one for the ChargePointMaxProfile, each converting every
  installed dict to Rust again, the cap shared in Python and the efficiency applied. It runs
  on the native module built from the last commit before issue 14
  (``build_baseline_core.sh``, built on first use into ``target/baseline/``).
- after: ``ChargingProfile`` parsed from the request's JSON, ``ProfileSet.admit``,
  ``ProfileSet.install``, ``ProfileSet.setpoints``.

Both must give the same setpoints. Run: ``.venv/bin/python benches/bench_apply.py``.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_table
from bench_composite import NOW, profile_set, time_per_call
from chargestack import _core
from chargestack.ocpp import messages as m
from chargestack.station.clock import to_ms
from smart_charging_reference import grid_params

if TYPE_CHECKING:
    from chargestack._core import _ProfileLimits, _StationRatings

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "target" / "baseline" / "_core.abi3.so"
STATION: _StationRatings = {
    "grid_voltage_v": 230.0,
    "grid_phases": 3,
    "grid_max_current_a": 400.0,
    "efficiency": 0.95,
    "module_count": 10,
    "module_max_power_w": 30_000.0,
    "connectors": [{"id": 1, "max_power_w": 150_000.0}, {"id": 2, "max_power_w": 150_000.0}],
}
TRANSACTIONS = {1: (42, NOW - 600_000), 2: (43, NOW - 300_000)}
LIMITS: _ProfileLimits = {
    "max_stack_level": 1_000,
    "max_periods": 10,
    "allowed_units": ["A", "W"],
    "connector_count": 2,
    "max_installed": 1_000,
}


def baseline_core() -> ModuleType:
    """The native module of the last commit before issue 14, built on first use."""
    if not BASELINE.exists():
        print("building the baseline native module (once) ...", file=sys.stderr)
        subprocess.run([str(ROOT / "benches" / "build_baseline_core.sh")], check=True)
    spec = importlib.util.spec_from_file_location("chargestack_baseline._core", BASELINE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- before: LimitApplier.apply and profile_rules as they were (commit db6fd70) --------------


def engine_profile(profile: m.ChargingProfile, connector_id: int) -> dict[str, Any]:
    body: dict[str, Any] = profile.model_dump(mode="json", by_alias=True, exclude_none=True)
    if profile.valid_from is not None:
        body["validFrom"] = to_ms(profile.valid_from)
    if profile.valid_to is not None:
        body["validTo"] = to_ms(profile.valid_to)
    start = profile.charging_schedule.start_schedule
    if start is not None:
        body["chargingSchedule"]["startSchedule"] = to_ms(start)
    body["connectorId"] = connector_id
    return body


def share_cap(limits: Mapping[int, float], cap: float) -> dict[int, float]:
    out: dict[int, float] = {}
    remaining = cap
    pending = sorted(limits, key=lambda cid: limits[cid])
    while pending:
        fair = remaining / len(pending)
        cid = pending[0]
        if limits[cid] <= fair:
            out[cid] = limits[cid]
            remaining -= limits[cid]
            pending.pop(0)
            continue
        for rest in pending:
            out[rest] = math.floor(fair * 10) / 10
        break
    return out


class Before:
    """The station's smart-charging state and apply path before issue 14."""

    def __init__(self, core: ModuleType, installed: Sequence[dict[str, Any]]) -> None:
        self.core = core
        # The old electrical_params: the same arithmetic as the reference's.
        self.params = grid_params(STATION)
        connectors = self.params["connector_max_w"]
        self.connectors = sorted(connectors)
        self.ratings = {c: core.limit_at([], c, 0, {}, self.params, "W")[0] for c in connectors}
        self.station_rating = core.limit_at([], 0, 0, {}, self.params, "W")[0]
        self.profiles = {p["chargingProfileId"]: p for p in installed}

    def set_and_apply(self, profile: m.ChargingProfile, cid: int) -> dict[int, float | None]:
        body = engine_profile(profile, cid)
        self.core.validate_charging_profile(
            body, cid, LIMITS["max_stack_level"], LIMITS["max_periods"], ["A", "W"], 2
        )
        replaced = [
            p["chargingProfileId"]
            for p in self.profiles.values()
            if p["chargingProfileId"] == body["chargingProfileId"]
            or (
                p["chargingProfilePurpose"] == body["chargingProfilePurpose"]
                and p["stackLevel"] == body["stackLevel"]
                and p["connectorId"] == body["connectorId"]
            )
        ]
        for profile_id in replaced:
            self.profiles.pop(profile_id, None)
        self.profiles[body["chargingProfileId"]] = body
        return self.evaluate()

    def evaluate(self) -> dict[int, float | None]:
        profiles = list(self.profiles.values())
        named = {p["transactionId"] for p in profiles if p.get("transactionId") is not None}
        assert not named  # the bench's TxProfiles name no transaction
        txs = TRANSACTIONS
        limits: dict[int, float] = {}
        for cid in self.connectors:
            limits[cid] = self.core.limit_at(profiles, cid, NOW, txs, self.params, "W")[0]
        caps = [p for p in profiles if p["chargingProfilePurpose"] == "ChargePointMaxProfile"]
        cap = self.core.limit_at(caps, 0, NOW, txs, self.params, "W")[0]
        charging = {cid: limits[cid] for cid in txs if cid in limits}
        if cap < self.station_rating and sum(charging.values()) > cap:
            limits.update(share_cap(charging, cap))
        eff = STATION["efficiency"]
        return {
            cid: None if w >= self.ratings[cid] else max(0.0, w) * eff for cid, w in limits.items()
        }


# -- after -----------------------------------------------------------------------------------


class After:
    def __init__(self, installed: Sequence[dict[str, Any]]) -> None:
        self.profiles = _core.ProfileSet(STATION)
        for p in installed:
            self.profiles.install(_core.ChargingProfile(json.dumps(p)))

    def set_and_apply(self, profile: m.ChargingProfile, cid: int) -> dict[int, float | None]:
        text = profile.model_dump_json(by_alias=True, exclude_none=True)
        parsed = _core.ChargingProfile(text, cid)
        self.profiles.admit(parsed, LIMITS)
        self.profiles.install(parsed)
        return self.evaluate()

    def evaluate(self) -> dict[int, float | None]:
        answer = self.profiles.setpoints(NOW, TRANSACTIONS)
        return {s["connector_id"]: s["limit_w"] for s in answer["connectors"]}


def new_profile() -> m.ChargingProfile:
    """The profile SetChargingProfile installs: a TxDefaultProfile for connector 1."""
    body = {
        "chargingProfileId": 10_000,
        "stackLevel": 999,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "startSchedule": "2023-11-14T22:00:00Z",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 32.0},
                {"startPeriod": 1800, "limit": 16.0},
            ],
        },
    }
    return m.ChargingProfile.model_validate_json(json.dumps(body))


def main() -> None:
    core = baseline_core()
    request = new_profile()
    apply_rows: list[tuple[object, ...]] = []
    handling_rows: list[tuple[object, ...]] = []
    for count in (10, 100):
        # The new profile makes ``count``.
        installed = profile_set(count - 1)
        before, after = Before(core, installed), After(installed)
        expected = before.set_and_apply(request, 1)
        assert after.set_and_apply(request, 1) == expected, f"{count} profiles differ"
        assert after.evaluate() == before.evaluate() == expected

        def before_handling(b: Before = before) -> object:
            return b.set_and_apply(request, 1)

        def after_handling(a: After = after) -> object:
            return a.set_and_apply(request, 1)

        for rows, old, new in (
            (apply_rows, before.evaluate, after.evaluate),
            (handling_rows, before_handling, after_handling),
        ):
            before_s, after_s = time_per_call(old, 2.0), time_per_call(new, 2.0)
            rows.append(
                (
                    count,
                    f"{before_s * 1e6:.1f} us",
                    f"{after_s * 1e6:.1f} us",
                    f"{before_s / after_s:.1f}x",
                )
            )
    headers = ["profiles", "before", "after", "ratio"]
    print_table(
        "apply: profile installed -> setpoints of 2 connectors (median)", headers, apply_rows
    )
    print()
    print_table(
        "SetChargingProfile: validated request -> installed -> setpoints (median)",
        headers,
        handling_rows,
    )


if __name__ == "__main__":
    main()
