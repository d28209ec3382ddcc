"""Benchmark: composite schedule over 24 h, Rust engine vs the Python reference, same run.

Profile sets of 1, 10, 100 and 1000 installed profiles mix every purpose, kind and recurrence
(Absolute, Relative, Daily, Weekly; with and without duration and validity), on connector 1
with a running transaction. The Rust side is a ``ProfileSet`` holding the profiles (parsed
once, when installed), so its time is the computation and the answer's conversion; the
reference is ``tests/smart_charging_reference.py``. Both results are checked to be equal.

Run: ``.venv/bin/python benches/bench_composite.py`` (build with ``maturin develop --release``
first, or the Rust figures are those of a debug build).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import json

from chargestack import _core
from smart_charging_reference import composite_schedule as reference_composite
from smart_charging_reference import grid_params

if TYPE_CHECKING:
    from chargestack._core import _StationRatings, _Transactions

NOW = 1_700_000_000_000
DAY_S = 86_400
# 400 A per phase and 200 A per connector at 230 V x 3, no conversion losses.
STATION: _StationRatings = {
    "grid_voltage_v": 230.0,
    "grid_phases": 3,
    "grid_max_current_a": 400.0,
    "efficiency": 1.0,
    "module_count": 10,
    "module_max_power_w": 27_600.0,
    "connectors": [{"id": 1, "max_power_w": 138_000.0}, {"id": 2, "max_power_w": 138_000.0}],
}
TRANSACTIONS: _Transactions = {1: (42, NOW - 600_000)}


def profile_set(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` profiles, none replacing another (section 5.16: a purpose, connector and
    stackLevel taken moves the new profile a level up)."""
    rng = random.Random(seed)
    out = []
    taken: set[tuple[str, int, int]] = set()
    for i in range(count):
        purpose = rng.choice(["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"])
        kind = rng.choice(
            ["Absolute", "Recurring", "Recurring"]
            + (["Relative"] if purpose != "ChargePointMaxProfile" else [])
        )
        # Station caps sit above most transaction limits, as on a real site.
        low = 1500 if purpose == "ChargePointMaxProfile" else 60
        starts = sorted(rng.sample(range(1, 6 * 3600), rng.randint(2, 5)))
        schedule: dict[str, Any] = {
            "chargingRateUnit": rng.choice(["A", "W"]),
            "chargingSchedulePeriod": [
                {"startPeriod": s, "limit": rng.randint(low, 3000) / 10} for s in [0, *starts]
            ],
        }
        if schedule["chargingRateUnit"] == "W":
            for p in schedule["chargingSchedulePeriod"]:
                p["limit"] = round(p["limit"] * 690, 1)
        if rng.random() < 0.5:
            schedule["duration"] = rng.randint(3600, 2 * DAY_S)
        profile: dict[str, Any] = {
            "connectorId": 0
            if purpose == "ChargePointMaxProfile"
            else rng.choice([0, 1, 2])
            if purpose == "TxDefaultProfile"
            else 1,
            "chargingProfileId": i + 1,
            "stackLevel": rng.randint(0, 8),
            "chargingProfilePurpose": purpose,
            "chargingProfileKind": kind,
            "chargingSchedule": schedule,
        }
        key = (purpose, profile["connectorId"], profile["stackLevel"])
        while key in taken:
            profile["stackLevel"] += 1
            key = (purpose, profile["connectorId"], profile["stackLevel"])
        taken.add(key)
        if kind != "Relative":
            schedule["startSchedule"] = NOW - rng.randint(0, 8 * DAY_S) * 1000
        if kind == "Recurring":
            profile["recurrencyKind"] = rng.choice(["Daily", "Weekly"])
        if rng.random() < 0.3:
            profile["validFrom"] = NOW + rng.randint(-DAY_S, DAY_S) * 1000
            profile["validTo"] = profile["validFrom"] + rng.randint(3600, 2 * DAY_S) * 1000
        out.append(profile)
    return out


def time_per_call(call: Callable[[], object], budget_s: float) -> float:
    """Median seconds per call over as many calls as fit in ``budget_s`` (at least one)."""
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while not samples or time.perf_counter() < deadline:
        t = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    print("composite schedule, connector 1, 24 h window, running transaction")
    print(f"{'profiles':>8} {'periods':>8} {'rust':>12} {'reference':>12} {'ratio':>9}")
    for count in (1, 10, 100, 1000):
        profiles = profile_set(count)
        installed = _core.ProfileSet(STATION)
        for p in profiles:
            installed.install(_core.ChargingProfile(json.dumps(p)))

        def rust(installed: _core.ProfileSet = installed) -> dict[str, Any]:
            return dict(installed.composite_schedule(1, NOW, DAY_S, TRANSACTIONS, "W"))

        def reference(profiles: list[dict[str, Any]] = profiles) -> dict[str, Any]:
            params = grid_params(STATION)
            return reference_composite(profiles, 1, NOW, DAY_S, TRANSACTIONS, params, "W")

        result = rust()
        assert result == reference(), f"engine and reference differ for {count} profiles"
        rust_s = time_per_call(rust, 1.0)
        reference_s = time_per_call(reference, 2.0)
        periods = len(result["chargingSchedulePeriod"])
        print(
            f"{count:>8} {periods:>8} {rust_s * 1e6:>10.1f}us {reference_s * 1e3:>10.1f}ms "
            f"{reference_s / rust_s:>8.0f}x"
        )


if __name__ == "__main__":
    main()
