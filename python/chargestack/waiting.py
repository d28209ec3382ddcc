"""Waiting for an event with a timeout without losing a cancellation.

``asyncio.wait_for`` on Python 3.11 can swallow a cancellation that races with the inner
future finishing (bpo-42130), which leaves a task running after shutdown cancelled it;
``asyncio.timeout`` does not.
"""

from __future__ import annotations

import asyncio
import contextlib


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """True when ``event`` was set within ``timeout`` seconds, False on timeout."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task and wait until it has really ended (None: nothing to do)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
