"""Benchmark: the Rust power loop's timing while Python holds the GIL, bus load, limit latency.

Scenario: 8 simulated 30 kW modules, 2 connectors, an EV charging on each (so every tick
allocates, ramps, splits and sends). For each period (10 ms, 50 ms) the loop runs once with a
Python thread busy-looping (it holds the GIL except at the interpreter's switch interval) and
once quiet, with the loop thread at SCHED_FIFO priority (where the OS permits), and once busy
at normal priority to show what the scheduler alone does; the table shows tick-start jitter
p50/p99/max, deadlines missed and each p99 over the quiet p99, all from the same run. Then: bus load at the default rates (virtual bus wire
time, and as counted by the controller), and the latency from ``set_limit`` to the first CAN
setpoint frame, measured by the loop on its own clock, under the busy thread.

Run: ``.venv/bin/python benches/bench_power_loop.py`` (build with
``maturin develop --release`` first). ``--scale 0.1`` runs a tenth of the ticks.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

from chargestack import _core

MODULES = 8
CONNECTORS = [
    {"id": 1, "max_current_a": 250.0, "max_power_w": 150_000.0},
    {"id": 2, "max_current_a": 250.0, "max_power_w": 150_000.0},
]


def config(period_ms: int, realtime: bool = True) -> dict[str, Any]:
    return {
        "realtime_priority": 40 if realtime else 0,
        "modules": {"count": MODULES, "max_power_w": 30_000.0, "max_current_a": 100.0},
        "connectors": CONNECTORS,
        "loop_period_ms": period_ms,
        "watchdog_ms": 2_000,
    }


class GilHog:
    """A Python thread that spins, holding the GIL except when the interpreter switches."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, name="gil-hog", daemon=True)

    def _spin(self) -> None:
        n = 0
        while not self._stop.is_set():
            for _ in range(10_000):
                n += 1

    def __enter__(self) -> GilHog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Feeder:
    """Feeds the stage's watchdog as the station's supervisor does."""

    def __init__(self, stage: _core.PowerStage) -> None:
        self._stage = stage
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feeder", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self._stage.feed_watchdog()

    def __enter__(self) -> Feeder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def charging_stage(period_ms: int, realtime: bool = True) -> _core.PowerStage:
    stage = _core.PowerStage(config(period_ms, realtime))
    for c in CONNECTORS:
        stage.ev_plug_in(int(c["id"]), 150_000.0, 10.0, 250.0)
        stage.enable(int(c["id"]), True)
    return stage


def wait_ticks(stage: _core.PowerStage, ticks: int, period_ms: int) -> None:
    deadline = time.monotonic() + ticks * period_ms / 1000 * 3 + 10
    while stage.loop_stats()["ticks"] < ticks:
        if time.monotonic() > deadline:
            raise RuntimeError(f"loop ran {stage.loop_stats()['ticks']} of {ticks} ticks")
        time.sleep(0.2)


def run_loop(period_ms: int, ticks: int, busy: bool, realtime: bool = True) -> dict[str, Any]:
    stage = charging_stage(period_ms, realtime)
    stage.start()
    with Feeder(stage):
        if busy:
            with GilHog():
                wait_ticks(stage, ticks, period_ms)
        else:
            wait_ticks(stage, ticks, period_ms)
        stats = stage.loop_stats()
        snap = stage.snapshot()
    stage.stop()
    stats["bus"] = snap["bus"]
    stats["faults"] = [f for c in snap["connectors"] for f in c["faults"]]
    return stats


def limit_latency(samples: int) -> list[float]:
    stage = charging_stage(50)
    stage.start()
    latencies: list[float] = []
    with Feeder(stage), GilHog():
        while True:
            ev = stage.next_event(5_000)
            if ev is None:
                raise RuntimeError("connector 1 never started charging")
            if ev["kind"] == "charging" and ev["connector"] == 1:
                break
        for i in range(samples):
            limit = 40_000.0 if i % 2 else 60_000.0
            stage.set_limit(1, limit, None)
            while True:
                ev = stage.next_event(2_000)
                if ev is None:
                    raise RuntimeError("no limit_applied event")
                if ev["kind"] == "limit_applied" and ev["limit_w"] == limit:
                    if ev["latency_ms"] is not None:
                        latencies.append(float(ev["latency_ms"]))
                    break
            time.sleep(0.02)
    stage.stop()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the default ticks")
    args = parser.parse_args()
    # 10 000 ticks at 50 ms would take 8 minutes; 2 000 (100 s) is reported as such.
    plan = [(10, 10_000), (50, 2_000)]
    rows = []
    bus_rows = []
    for period_ms, ticks in plan:
        n = max(50, int(ticks * args.scale))
        busy = run_loop(period_ms, n, busy=True)
        quiet = run_loop(period_ms, max(50, n // 5), busy=False)
        normal = run_loop(period_ms, max(50, n // 5), busy=True, realtime=False)
        for label, s in (("busy GIL", busy), ("quiet", quiet), ("busy, no RT", normal)):
            ratio = s["jitter_p99_us"] / max(1, quiet["jitter_p99_us"])
            rows.append(
                (
                    f"{period_ms} ms",
                    label,
                    "yes" if s["realtime"] else "no",
                    s["ticks"],
                    s["jitter_p50_us"],
                    s["jitter_p99_us"],
                    s["jitter_max_us"],
                    s["missed_deadlines"],
                    s["work_p99_us"],
                    f"{ratio:.2f}",
                )
            )
            if s["faults"]:
                print(f"warning: faults during {period_ms} ms {label}: {s['faults']}")
        bus_rows.append((period_ms, busy["bus"]))

    print("\nLoop timing (8 modules, 2 EVs charging); jitter = tick start minus its deadline")
    header = "period python SCHED_FIFO ticks p50_us p99_us max_us missed work_p99 p99/quiet"
    print("  ".join(f"{h:>11}" for h in header.split()))
    for row in rows:
        print("  ".join(f"{v!s:>11}" for v in row))

    print("\nBus load, 125 kbit/s, default rates (group V/I 100 ms, per-module 1 s, refresh 1 s)")
    print(
        f"{'period':>9}  {'wire load':>9}  {'counted':>9}  {'frames tx':>9}  {'frames rx':>9}  {'lat max ms':>10}"
    )
    for period_ms, bus in bus_rows:
        print(
            f"{period_ms:>6} ms  {bus['load'] * 100:>8.1f}%  {bus['load_observed'] * 100:>8.1f}%"
            f"  {bus['frames_tx']:>9}  {bus['frames_rx']:>9}  {bus['latency_max_ms']:>10.2f}"
        )

    lat = limit_latency(max(10, int(100 * args.scale)))
    lat.sort()
    print("\nset_limit -> first CAN setpoint frame (50 ms period, busy GIL), loop clock")
    print(f"{'samples':>9}  {'p50 ms':>9}  {'p99 ms':>9}  {'max ms':>9}  {'ticks':>9}")
    p99 = lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))]
    print(
        f"{len(lat):>9}  {statistics.median(lat):>9.3f}  {p99:>9.3f}  {lat[-1]:>9.3f}"
        f"  {lat[-1] / 50:>9.3f}"
    )


if __name__ == "__main__":
    main()
