"""Helpers shared by the benchmarks: percentiles, fixed-width tables, the ``--quick`` flag.

Benchmarks print tables and never assert on wall-clock time; ``run_all.py`` collects what
they print into ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

BENCHES = Path(__file__).resolve().parent
TESTS = BENCHES.parent / "tests"


def use_test_harness() -> None:
    """Make ``tests/`` importable (the central system and station harness live there)."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile (``q`` in 0..1): a value that was actually measured."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def p50_p99_max(values: Sequence[float]) -> tuple[float, float, float]:
    return quantile(values, 0.5), quantile(values, 0.99), max(values) if values else math.nan


def print_table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[object]], *, first_width: int = 0
) -> None:
    """A plain fixed-width table; the first column is left-aligned, the others right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    widths[0] = max(widths[0], first_width)
    print(f"\n{title}")
    print(_line(headers, widths))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(_line(row, widths))
    sys.stdout.flush()


def _line(values: Sequence[str], widths: Sequence[int]) -> str:
    first = f"{values[0]:<{widths[0]}}"
    rest = [f"{v:>{w}}" for v, w in zip(values[1:], widths[1:], strict=True)]
    return "  ".join([first, *rest]).rstrip()


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def parse_args(description: str | None) -> argparse.Namespace:
    """The common command line: ``--quick`` runs fewer samples (a smoke run)."""
    parser = argparse.ArgumentParser(description=(description or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples, for a smoke run")
    return parser.parse_args()
