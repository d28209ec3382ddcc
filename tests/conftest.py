"""Shared fixtures: a real central system on 127.0.0.1 with a free port, and a small real
filesystem for a data directory the test fills (``small_filesystem.py``)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from central_system import CentralSystem
from small_filesystem import SmallFilesystem, small_filesystem


@pytest.fixture
async def central_system() -> AsyncIterator[CentralSystem]:
    cs = CentralSystem()
    await cs.start()
    try:
        yield cs
    finally:
        await cs.stop()
    # The ocpp package answers a schema violation of ours with a CALLERROR: never acceptable
    # unless the test expected it and cleared the list.
    assert not cs.errors_sent, f"central system rejected our messages: {cs.errors_sent}"


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallFilesystem]:
    with small_filesystem(tmp_path / "data") as fs:
        yield fs
