"""Benchmark: a station's memory and start-up time, and how many stations one process holds.

1. One two-connector station as the product runs it (``chargestack run --config``, a child
   process, the Rust power stage, product default timers) against the test central system:
   time from process start to BootNotification accepted, then resident memory (``VmRSS``
   from ``/proc``) and CPU once registered and idle.
2. Density: N stations in one worker process (this file with ``--worker``), each with its own
   websocket, two simulated connectors, ``MeterValueSampleInterval`` 10 s and a transaction
   running on connector 1. CPU (process time from ``/proc/<pid>/stat``) and memory over a
   window; per station = (whole process - the worker's baseline before any station) / N.
   The stations' Rust control loops (50 ms ticks) share one thread (``power.loop_thread =
   "shared"``, the setting for a fleet of simulated chargers in one process); the last step
   repeats the largest count with a loop thread per station (``"own"``, a charger's
   setting) as the baseline. One asyncio task per process feeds every stage's watchdog and
   drains its events (``hardware/power_supervision.py``).

Steps stop early when start-up exceeds its time bound or the process saturates the machine.
Targets: under 80 MB for one station; 500 stations at under half a core.

Run: ``.venv/bin/python benches/bench_station_footprint.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import p50_p99_max, print_table, use_test_harness

use_test_harness()

from central_system import CentralSystem, now_iso  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
ARRIVAL_S = 0.02
PYTHON = sys.executable
CHARGESTACK = str(Path(PYTHON).with_name("chargestack"))

STATION_TOML = """\
data_dir = "data"
[identity]
charge_point_id = "{cp_id}"
vendor = "Chargestack"
model = "DC-190"
[central_system]
url = "{url}"
[[connectors]]
id = 1
[[connectors]]
id = 2
[control_api]
enabled = false
[configuration]
MeterValueSampleInterval = 10
"""


def proc_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


def rss_mb(pid: int) -> float:
    return int(proc_status(pid)["VmRSS"].split()[0]) / 1024


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


async def cpu_over(pid: int, window_s: float) -> float:
    """Cores used by ``pid`` over ``window_s`` of wall time."""
    c0, t0 = cpu_s(pid), time.monotonic()
    await asyncio.sleep(window_s)
    return (cpu_s(pid) - c0) / (time.monotonic() - t0)


# -- 1. one station process ---------------------------------------------------------------


async def one_station(cs: CentralSystem, run: int, idle_s: float) -> dict[str, float]:
    accepted: list[float] = []

    def boot(_payload: dict[str, Any]) -> dict[str, Any]:
        accepted.append(time.monotonic())
        return {"status": "Accepted", "currentTime": now_iso(), "interval": 300}

    cs.responders["BootNotification"] = boot
    with tempfile.TemporaryDirectory() as tmp:
        cp_id = f"FOOT-{run}"
        config = Path(tmp) / "station.toml"
        config.write_text(STATION_TOML.format(cp_id=cp_id, url=cs.url))
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            CHARGESTACK,
            "run",
            "--config",
            str(config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await cs.wait_until(lambda: bool(accepted), 60)
            boot_s = accepted[0] - started
            await cs.wait_until(lambda: len(cs.messages("StatusNotification", cp_id)) >= 3, 30)
            cores = await cpu_over(proc.pid, idle_s)
            status = proc_status(proc.pid)
            return {
                "boot_s": boot_s,
                "rss_mb": rss_mb(proc.pid),
                "hwm_mb": int(status["VmHWM"].split()[0]) / 1024,
                "threads": int(status["Threads"]),
                "cores": cores,
            }
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 30)


# -- 2. density: the worker ----------------------------------------------------------------


async def worker(count: int, loop_thread: str, url: str, data_dir: Path) -> None:
    """N stations in this process; prints 'baseline', 'started', 'sessions' as it goes."""
    from chargestack.assembly.runner import StationRunner
    from chargestack.hardware import power_bridge
    from chargestack.hardware.events import EvParameters, PowerStageFault
    from chargestack.settings import parse_station_settings
    from station_harness import station_config

    faults: Counter[str] = Counter()
    translate = power_bridge.event_from_stage

    def counting(raw: dict[str, Any]) -> Any:
        event = translate(raw)
        if isinstance(event, PowerStageFault):
            faults[f"{event.error_code}: {event.info}"] += 1
        return event

    power_bridge.event_from_stage = counting  # the pump thread looks it up per event
    print("baseline", flush=True)
    runners: list[StationRunner] = []
    tasks: list[asyncio.Task[None]] = []
    for i in range(count):
        config = station_config(
            url,
            data_dir / f"s{i}",
            cp_id=f"DENS-{loop_thread}-{count}-{i}",
            power={"loop_period_ms": 50, "loop_thread": loop_thread},
            configuration={"MeterValueSampleInterval": 10},
        )
        runner = StationRunner(parse_station_settings(config))
        runners.append(runner)
        tasks.append(asyncio.create_task(runner.run()))
        await runner.wait_started()
    print("started", flush=True)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60 + count * 0.2
    while not all(
        r.station and r.station.registration.accepted_on_this_connection for r in runners
    ):
        if loop.time() > deadline:
            break
        await asyncio.sleep(0.2)
    for runner in runners:
        if runner.station is not None:
            sim: Any = runner.station.hardware
            sim.plug_in(1, EvParameters())
            sim.present_id_tag("VALIDTAG1")
            # EVs arrive apart, as on a site, not all in the same instant.
            await asyncio.sleep(ARRIVAL_S)
    print("sessions", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    print(f"faults {dict(faults)}", flush=True)
    for runner in runners:
        runner.shutdown()
    await asyncio.wait(tasks, timeout=60)


# -- 2. density: the measuring side -----------------------------------------------------------


async def read_until(proc: asyncio.subprocess.Process, word: str, timeout: float) -> None:
    assert proc.stdout is not None
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"worker exited before {word!r}")
        if line.decode().strip() == word:
            return


def in_session(cs: CentralSystem, prefix: str) -> int:
    return len({r.cp_id for r in cs.messages("StartTransaction") if r.cp_id.startswith(prefix)})


async def density_step(
    cs: CentralSystem, count: int, loop_thread: str, window_s: float
) -> dict[str, Any]:
    prefix = f"DENS-{loop_thread}-{count}-"
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            PYTHON, __file__, "--worker", str(count), "--loop-thread", loop_thread,
            "--url", cs.url, "--data-dir", tmp,
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        bound = 60 + count * 0.5
        out: dict[str, Any] = {"n": count, "loop_thread": loop_thread, "reached": 0}
        try:
            await read_until(proc, "baseline", 60)
            base_mb = rss_mb(proc.pid)
            await read_until(proc, "sessions", bound)
            with contextlib.suppress(TimeoutError):
                await cs.wait_until(lambda: in_session(cs, prefix) >= count, bound)
            out["reached"] = in_session(cs, prefix)
            out["startup_s"] = time.monotonic() - t0
            mark = cs.mark()
            cores = await cpu_over(proc.pid, window_s)
            meter = [r for r in cs.received[mark:] if r.action == "MeterValues"]
            stops = [r for r in cs.messages("StopTransaction") if r.cp_id.startswith(prefix)]
            status = proc_status(proc.pid)
            rss = rss_mb(proc.pid)
            out |= {"cores": cores, "rss_mb": rss, "base_mb": base_mb}
            out |= {"threads": int(status["Threads"]), "meter_values": len(meter)}
            out["stopped"] = len(stops)
            out["per_station_mb"] = (rss - base_mb) / max(1, out["reached"])
            out["per_station_cores"] = cores / max(1, out["reached"])
            # Each station samples every 10 s, so a window holds at least this many.
            out["expected_meter_values"] = out["reached"] * int(window_s // 10)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                assert proc.stdout is not None
                rest = (await asyncio.wait_for(proc.stdout.read(), 90)).decode()
                out["faults"] = [ln for ln in rest.splitlines() if ln.startswith("faults")]
                await asyncio.wait_for(proc.wait(), 90)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        return out


async def measure(quick: bool) -> tuple[list[dict[str, float]], list[dict[str, Any]], list[str]]:
    cs = CentralSystem()
    await cs.start()
    notes: list[str] = []
    try:
        runs = [await one_station(cs, i, 3 if quick else 10) for i in range(2 if quick else 5)]
        cs.responders.pop("BootNotification")
        steps: list[dict[str, Any]] = []
        counts = (10, 50) if quick else (50, 100, 200, 500)
        plan = [(n, "shared") for n in counts] + [(counts[-1], "own")]
        for count, loop_thread in plan:
            step = await density_step(cs, count, loop_thread, 10 if quick else 30)
            steps.append(step)
            for line in step.get("faults", []):
                if line != "faults {}":
                    notes.append(
                        f"{count} stations ({loop_thread}), power-stage {line} (events, by reason)"
                    )
            if step["reached"] < count:
                notes.append(f"{count} stations: only {step['reached']} in session in time")
                break
            if step["cores"] > 0.9 * (os.cpu_count() or 1):
                notes.append(f"{count} stations saturate the machine; stopped there")
                break
    finally:
        await cs.stop()
    return runs, steps, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and smaller steps")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--loop-thread", default="shared", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(args.worker, args.loop_thread, args.url, args.data_dir))
        return
    runs, steps, notes = asyncio.run(measure(args.quick))
    boots = [r["boot_s"] * 1000 for r in runs]
    b50, _, bmax = p50_p99_max(boots)
    rss = [r["rss_mb"] for r in runs]
    print("One two-connector station: `chargestack run` child process, product defaults")
    print_table(
        f"Start-up and footprint over {len(runs)} runs (targets: RSS < 80 MB)",
        ["figure", "p50", "max"],
        [
            ["process start -> BootNotification accepted (ms)", b50, bmax],
            ["resident memory, registered and idle (MB)", p50_p99_max(rss)[0], max(rss)],
            ["peak resident memory VmHWM (MB)", *p50_p99_max([r["hwm_mb"] for r in runs])[::2]],
            ["CPU while idle (% of one core)", *p50_p99_max([r["cores"] * 100 for r in runs])[::2]],
            ["threads", *p50_p99_max([r["threads"] for r in runs])[::2]],
        ],
    )
    rows = [
        [
            s["n"],
            s["loop_thread"],
            s["reached"],
            s.get("startup_s", float("nan")),
            s.get("threads", "-"),
            s.get("cores", float("nan")) * 100,
            s.get("per_station_cores", float("nan")) * 100,
            s.get("rss_mb", float("nan")),
            s.get("per_station_mb", float("nan")),
            f"{s.get('meter_values', 0)}/{s.get('expected_meter_values', 0)}",
            s.get("stopped", "-"),
        ]
        for s in steps
    ]
    headers = [
        "stations",
        "loop thread",
        "in session",
        "start-up s",
        "threads",
        "CPU %core",
        "CPU %/stn",
    ]
    headers += ["RSS MB", "MB/stn", "MeterValues/min expected", "sessions stopped"]
    print_table(
        "Density: stations in one process, a transaction on each, MeterValueSampleInterval 10 s "
        "(target: 500 stations < 50 % of one core)",
        headers,
        rows,
    )
    print(f"worker baseline before any station: {steps[0]['base_mb']:.1f} MB" if steps else "")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
