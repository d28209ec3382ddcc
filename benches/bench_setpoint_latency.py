"""Benchmark: SetChargingProfile arriving at the station -> the power stage's ``set_limit``.

A real station (the product's ``StationRunner`` with the Rust power stage) runs against the
test central system (PyPI ``ocpp``) over loopback websockets in one process. Each sample
replaces one TxDefaultProfile on connector 1, alternating 10 A and 20 A, so every request
changes the setpoint. Timestamps (``time.perf_counter``, one process, one clock):

- arrived: the station's RPC session dispatches the decoded CALL (frame received);
- applied: ``PowerControl.set_limit`` is called with the new limit;
- sent / answered: the central system sends the CALL / gets the CALLRESULT.

The stage then applies the limit on its next loop tick; ``benches/bench_power_loop.py``
measures that part (set_limit -> first CAN setpoint frame).

Run: ``.venv/bin/python benches/bench_setpoint_latency.py [samples]`` (default 300).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from central_system import CentralSystem, now_iso
from chargestack.station.station import Station
from station_harness import running_station

WARM_UP = 20


def _profile(limit_a: float, start: str) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "startSchedule": start,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit_a}],
            },
        },
    }


class Probes:
    """Timestamps of the station's side, taken by wrapping two of its entry points."""

    def __init__(self, station: Station) -> None:
        self.arrived: list[float] = []
        self.applied: list[float] = []
        power = station.hardware.power
        set_limit = power.set_limit

        def timed_set_limit(connector_id: int, limit_w: float | None) -> None:
            self.applied.append(time.perf_counter())
            set_limit(connector_id, limit_w)

        power.set_limit = timed_set_limit  # type: ignore[method-assign]
        session = station.session
        handle_call: Callable[[str, str, str], Awaitable[None]] = session._handle_call

        async def timed_handle_call(message_id: str, action: str, payload: str) -> None:
            if action == "SetChargingProfile":
                self.arrived.append(time.perf_counter())
            await handle_call(message_id, action, payload)

        session._handle_call = timed_handle_call  # type: ignore[method-assign]

    def clear(self) -> None:
        self.arrived.clear()
        self.applied.clear()


async def measure(samples: int) -> dict[str, list[float]]:
    cs = CentralSystem()
    await cs.start()
    out: dict[str, list[float]] = {"station": [], "loopback": [], "round_trip": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with running_station(cs, Path(tmp)) as rs:
                probes = Probes(rs.station)
                start = now_iso()
                for i in range(samples + WARM_UP):
                    probes.clear()
                    sent = time.perf_counter()
                    answer = await rs.call(
                        "SetChargingProfile", _profile(10.0 + 10 * (i % 2), start)
                    )
                    answered = time.perf_counter()
                    assert answer["status"] == "Accepted", answer
                    assert len(probes.arrived) == 1 and len(probes.applied) == 1
                    if i < WARM_UP:
                        continue
                    out["station"].append(probes.applied[0] - probes.arrived[0])
                    out["loopback"].append(probes.applied[0] - sent)
                    out["round_trip"].append(answered - sent)
    finally:
        await cs.stop()
    return out


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    results = asyncio.run(measure(samples))
    rows = [
        ("station", "CALL dispatched -> set_limit"),
        ("loopback", "CS sends CALL -> set_limit"),
        ("round_trip", "CS sends CALL -> CALLRESULT"),
    ]
    print(f"SetChargingProfile -> set_limit, {samples} samples (+{WARM_UP} warm-up), loopback")
    print(f"{'interval':<30} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'mean ms':>9}")
    for key, label in rows:
        values = [v * 1000 for v in results[key]]
        print(
            f"{label:<30} {_quantile(values, 0.5):>9.3f} {_quantile(values, 0.99):>9.3f} "
            f"{max(values):>9.3f} {statistics.fmean(values):>9.3f}"
        )
    print("target: under 1000 ms from any change to the setpoint (issue 5)")


if __name__ == "__main__":
    main()
