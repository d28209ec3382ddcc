"""The README's main job: `chargestack demo` tours a real session set and exits 0."""

from __future__ import annotations

from station_process import run_cli


async def test_demo_tour_exits_zero_with_a_summary() -> None:
    done = await run_cli("demo", timeout=110)
    text = done.output
    assert done.code == 0, text[-3000:]
    assert "Tour finished" in text
    assert "firmware now 1.1.0" in text
    assert "diagnostics Uploaded" in text
    assert "reason PowerLoss" in text
