"""Benchmark: CALL latency and event-loop stalls while the flash is slow (issue 17, item 2).

A real station (the product's ``StationRunner``, sim hardware, the Rust power stage) charges
against the test central system in one process whose ``fsync`` and ``fdatasync`` go through
the LD_PRELOAD shim of ``tests/fsync_delay.py``: the benchmark compiles it and re-executes
itself with it preloaded. Every row runs in that same process, one after the other, with the
shim's delay set to 0, 50 and 200 ms. Each row is one charging session (MeterValues and the
energy registers every second) during which the central system sends:

- GetConfiguration, which writes nothing: its round trip must not notice the flash;
- ChangeConfiguration, which commits: it is answered once the commit is on disk, so it
  takes about one to two fsyncs.

The event-loop stall is how late a 10 ms sleep on the shared loop (station and central system)
wakes up; the supervisor watchdog trips when the loop stalls past ``power.watchdog_ms``
(1000 ms). Trips are counted from the Faulted StatusNotifications the session produced.

Run: ``.venv/bin/python benches/bench_slow_flash.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import p50_p99_max, parse_args, print_table, use_test_harness

use_test_harness()

from central_system import CentralSystem  # noqa: E402
from fsync_delay import SlowFlash  # noqa: E402
from station_harness import RunningStation, running_station  # noqa: E402

DELAYS_MS = (0, 50, 200)
TAG = "BENCHTAG1"
CONFIGURATION = {
    "MeterValueSampleInterval": 1,
    "StopTxnSampledData": "Energy.Active.Import.Register",
}
_REEXEC = "CHARGESTACK_BENCH_SLOW_FLASH_CHILD"


class LoopProbe:
    """How late a short sleep wakes: the stall of everything else on the loop."""

    def __init__(self) -> None:
        self.lags_ms: list[float] = []
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            began = time.perf_counter()
            await asyncio.sleep(0.01)
            self.lags_ms.append(max(0.0, (time.perf_counter() - began - 0.01) * 1000))

    def stop(self) -> None:
        self._stop.set()


async def _row(rs: RunningStation, flash: SlowFlash, delay_ms: int, seconds: float) -> list[object]:
    cs = rs.cs
    flash.set_delay_ms(delay_ms)
    syncs_before = len(flash.calls())
    mark = cs.mark()
    probe = LoopProbe()
    probing = asyncio.create_task(probe.run())
    reads: list[float] = []
    commits: list[float] = []
    rs.plug_in(1)
    await rs.status(1, "Preparing", since=mark)
    rs.present(TAG)
    await rs.status(1, "Charging", since=mark, timeout=30)
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        await rs.call("GetConfiguration", {"key": ["HeartbeatInterval"]})
        reads.append((time.perf_counter() - began) * 1000)
        i += 1
        if i % 10 == 0:
            began = time.perf_counter()
            value = str(301 + (i // 10) % 2)  # a different value each time: one commit each
            await rs.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": value})
            commits.append((time.perf_counter() - began) * 1000)
        await asyncio.sleep(0.01)
    rs.present(TAG)
    await cs.wait_for("StopTransaction", since=mark, timeout=60)
    rs.plug_out(1)
    await rs.status(1, "Available", since=mark, timeout=30)
    probe.stop()
    await probing
    trips = sum(
        1 for r in cs.messages("StatusNotification")[mark:] if r.payload["status"] == "Faulted"
    )
    syncs = len(flash.calls()) - syncs_before
    read_p50, read_p99, read_max = p50_p99_max(reads)
    commit_p50, commit_p99, _ = p50_p99_max(commits)
    _, lag_p99, lag_max = p50_p99_max(probe.lags_ms)
    return [
        f"{delay_ms} ms",
        len(reads),
        read_p50,
        read_p99,
        read_max,
        commit_p50,
        commit_p99,
        lag_p99,
        lag_max,
        syncs,
        trips,
    ]


async def measure(seconds: float) -> list[list[object]]:
    with tempfile.TemporaryDirectory() as tmp:
        flash = SlowFlash(
            Path(os.environ["LD_PRELOAD"]),
            Path(os.environ["FSYNC_DELAY_FILE"]),
            Path(os.environ["FSYNC_LOG_FILE"]),
        )
        cs = CentralSystem()
        await cs.start()
        try:
            async with running_station(
                cs, Path(tmp) / "station", configuration=CONFIGURATION
            ) as rs:
                return [await _row(rs, flash, delay, seconds) for delay in DELAYS_MS]
        finally:
            flash.set_delay_ms(0)
            await cs.stop()


def _reexec_with_the_shim() -> None:
    shim_dir = Path(tempfile.mkdtemp(prefix="chargestack-slow-flash-"))
    flash = SlowFlash.build(shim_dir)
    env = {**flash.environment(), _REEXEC: "1"}
    os.execve(sys.executable, [sys.executable, __file__, *sys.argv[1:]], env)


def main() -> None:
    args = parse_args(__doc__)
    if os.environ.get(_REEXEC) != "1":
        _reexec_with_the_shim()
    seconds = 4.0 if args.quick else 15.0
    rows = asyncio.run(measure(seconds))
    print_table(
        f"Slow flash: one charging session per fsync delay, {seconds:.0f} s each, same process",
        [
            "fsync delay",
            "GetConfiguration n",
            "p50 ms",
            "p99 ms",
            "max ms",
            "ChangeConfiguration p50 ms",
            "p99 ms",
            "loop stall p99 ms",
            "max ms",
            "syncs",
            "watchdog trips",
        ],
        rows,
    )
    print(
        "GetConfiguration writes nothing; ChangeConfiguration is answered once its commit is on "
        "disk. Loop stall: lateness of a 10 ms sleep on the loop that feeds the watchdog (1000 ms)."
    )


if __name__ == "__main__":
    main()
