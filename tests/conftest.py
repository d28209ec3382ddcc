"""Shared fixtures: a real central system on 127.0.0.1 with a free port."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from central_system import CentralSystem


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
