"""The README's main job: `chargestack demo` tours a real session set and exits 0."""

from __future__ import annotations

import asyncio
import sys


async def test_demo_tour_exits_zero_with_a_summary() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chargestack.cli",
        "demo",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 110)
    text = out.decode()
    assert proc.returncode == 0, text[-3000:]
    assert "Tour finished" in text
    assert "firmware now 1.1.0" in text
    assert "diagnostics Uploaded" in text
    assert "reason PowerLoss" in text
