"""sd_notify against a test datagram socket: READY once, STATUS on change, WATCHDOG pings at
half the interval, and no pings while the event loop is blocked."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chargestack.deploy.sd_notify import ServiceNotifier, watchdog_interval_s
from notify_listener import Listener


@pytest.fixture
async def listener(tmp_path: Path) -> AsyncIterator[Listener]:
    it = Listener(str(tmp_path / "notify.sock"))
    yield it
    it.close()


async def test_ready_status_and_watchdog(listener: Listener) -> None:
    state = {"ready": False, "status": "starting"}
    environ = {"NOTIFY_SOCKET": listener.socket.getsockname(), "WATCHDOG_USEC": "200000"}
    notifier = ServiceNotifier.from_environment(
        lambda: bool(state["ready"]), lambda: str(state["status"]), environ
    )
    assert notifier is not None and notifier.watchdog_s == pytest.approx(0.1)
    task = asyncio.create_task(notifier.run())
    try:
        await listener.until(lambda: "STATUS=starting" in listener.lines())
        assert "READY=1" not in listener.lines()
        state.update(ready=True, status="registration Accepted")
        await listener.until(lambda: "READY=1" in listener.lines())
        await listener.until(lambda: "STATUS=registration Accepted" in listener.lines())
        mark = len(listener.pings())
        await listener.until(lambda: len(listener.pings()) >= mark + 3)
    finally:
        task.cancel()
    lines = listener.lines()
    assert lines.count("READY=1") == 1
    assert lines.count("STATUS=registration Accepted") == 1  # sent on change only
    gaps = sorted(b - a for a, b in itertools.pairwise(listener.pings()[-5:]))
    assert 0.05 < gaps[len(gaps) // 2] < 0.4, gaps  # every 0.1 s, whatever else runs


async def test_pings_stop_while_the_loop_is_blocked(listener: Listener) -> None:
    environ = {"NOTIFY_SOCKET": listener.socket.getsockname(), "WATCHDOG_USEC": "100000"}
    notifier = ServiceNotifier.from_environment(lambda: True, lambda: "ok", environ)
    assert notifier is not None
    task = asyncio.create_task(notifier.run())
    try:
        await listener.until(lambda: len(listener.pings()) >= 3)
        blocked_at = time.monotonic()
        time.sleep(0.6)  # noqa: ASYNC251 (a stalled event loop: what systemd must catch)
        resumed_at = time.monotonic()
        await listener.until(lambda: any(t > resumed_at for t in listener.pings()))
    finally:
        task.cancel()
    during = [t for t in listener.pings() if blocked_at + 0.01 < t < resumed_at]
    assert during == []


async def test_abstract_socket_address(tmp_path: Path) -> None:
    address = f"@chargestack-test-{os.getpid()}"
    listener = Listener(address)
    try:
        notifier = ServiceNotifier.from_environment(
            lambda: True, lambda: "up", {"NOTIFY_SOCKET": address}
        )
        assert notifier is not None and notifier.watchdog_s is None
        task = asyncio.create_task(notifier.run())
        try:
            await listener.until(lambda: "READY=1" in listener.lines())
        finally:
            task.cancel()
        assert "WATCHDOG=1" not in listener.lines()
    finally:
        listener.close()


def test_watchdog_only_for_this_process() -> None:
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "soon"}) is None
    assert ServiceNotifier.from_environment(lambda: True, lambda: "", {}) is None
