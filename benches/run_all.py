"""Run every benchmark in ``benches/`` and write one report, ``benches/RESULTS.md``.

Each ``bench_*.py`` runs as its own process (so one cannot skew another's memory or warm
caches), its printed tables are streamed to the terminal and collected under its name,
together with the machine (CPU model, cores, memory, OS, Python, rustc), the commit and the
date. ``--quick`` runs smaller sample counts for a smoke run and writes no report unless
``--output`` is given. A benchmark that fails is reported as such; the others still run.

Run: ``.venv/bin/python benches/run_all.py [--quick] [--output PATH] [bench_x.py ...]``.
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BENCHES = Path(__file__).resolve().parent
ROOT = BENCHES.parent
# Benchmarks with their own smaller-run option; the others get --quick if they accept it.
QUICK_ARGS = {
    "bench_codec.py": ["--quick"],
    "bench_response_times.py": ["--quick"],
    "bench_station_footprint.py": ["--quick"],
    "bench_power_loop.py": ["--scale", "0.1"],
    "bench_setpoint_latency.py": ["50"],
    "bench_slow_flash.py": ["--quick"],
}
# Shown first: the protocol path, then the certification table, then the rest by name.
ORDER = ["bench_codec.py", "bench_response_times.py", "bench_setpoint_latency.py"]
TIMEOUT_S = {"quick": 600, "full": 3600}


def machine() -> list[tuple[str, str]]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    os_name = platform.platform()
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.platform()})"
    return [
        ("CPU", cpu),
        (
            "cores",
            f"{os.cpu_count()} logical (usable by this process: {len(os.sched_getaffinity(0))})",
        ),
        ("memory", f"{mem_kb / 1024 / 1024:.1f} GiB"),
        ("OS", os_name),
        ("Python", sys.version.split()[0] + f" ({platform.python_implementation()})"),
        ("rustc", command_output(["rustc", "--version"])),
        ("load average at start", " ".join(f"{v:.2f}" for v in os.getloadavg()) + " (1/5/15 min)"),
        ("commit", command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])),
    ]


def command_output(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not available"


def benches(names: list[str]) -> list[Path]:
    found = sorted(BENCHES.glob("bench_*.py"))
    if names:
        found = [p for p in found if p.name in names or p.stem in names]
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found, key=lambda p: (rank.get(p.name, len(ORDER)), p.name))


def args_for(path: Path, quick: bool) -> list[str]:
    if not quick:
        return []
    if path.name in QUICK_ARGS:
        return QUICK_ARGS[path.name]
    return ["--quick"] if '"--quick"' in path.read_text() else []


def summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    return doc.splitlines()[0] if doc else ""


def run(path: Path, argv: list[str], timeout: float) -> tuple[str, int, float]:
    """Streams the benchmark's stdout to the terminal and returns it, its exit code and time."""
    started = time.monotonic()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, str(path), *argv], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            sys.stdout.write(line)
            lines.append(line)
            if time.monotonic() - started > timeout:
                proc.kill()
                lines.append(f"\n(stopped after {timeout:.0f} s)\n")
                break
        code = proc.wait()
    return "".join(lines).strip("\n"), code, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples (a smoke run)")
    parser.add_argument("--output", type=Path, help="report file (full mode: benches/RESULTS.md)")
    parser.add_argument("only", nargs="*", help="run only these benchmarks (file or stem)")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    output = args.output or (None if args.quick else BENCHES / "RESULTS.md")
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = [f"# Benchmark results ({mode} run, {date})", ""]
    report += [
        "Produced by `.venv/bin/python benches/run_all.py`"
        + (" --quick" if args.quick else "")
        + ".",
        "",
    ]
    report += ["| machine | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in machine()]
    failed = []
    for path in benches(args.only):
        argv = args_for(path, args.quick)
        title = f"{path.name} {' '.join(argv)}".strip()
        print(f"\n=== {title} ===", flush=True)
        out, code, took = run(path, argv, TIMEOUT_S[mode])
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        report += ["", f"## {path.name}", "", summary(path), ""]
        report += [f"`{title}`: {took:.0f} s, {status}.", "", "```text", out, "```"]
        if code != 0:
            failed.append(path.name)
    if output is not None:
        output.write_text("\n".join(report) + "\n")
        print(f"\nreport written to {output}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
