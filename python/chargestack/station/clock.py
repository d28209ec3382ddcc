"""The station's notion of time: UTC, milliseconds, corrected by the central system.

The offset learned from BootNotification/Heartbeat ``currentTime`` is applied to the local
clock instead of setting the system clock, so a controller without RTC privileges still
stamps messages with the operator's time.

The loops that run every configured interval (heartbeat, sampled and clock-aligned meter
values, websocket ping) measure and wait through this object, so a test can hand the
station a clock whose time it moves itself.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from chargestack.waiting import wait_event


class Clock:
    def __init__(self) -> None:
        self.offset_s = 0.0
        # Told the change of offset after each adjustment (security whitepaper: the
        # SettingSystemTime event).
        self.adjust_listeners: list[Callable[[float], None]] = []

    def system_s(self) -> float:
        """The controller's own wall clock, in seconds since the epoch (no offset)."""
        return time.time()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.system_s() + self.offset_s, UTC)

    def now_ms(self) -> int:
        return int((self.system_s() + self.offset_s) * 1000)

    def monotonic(self) -> float:
        """Seconds that never jump (an adjustment moves ``now``, not this)."""
        return time.monotonic()

    async def sleep(self, seconds: float, wake: asyncio.Event | None = None) -> bool:
        """Wait ``seconds`` of this clock; True when ``wake`` was set before that."""
        if wake is None:
            await asyncio.sleep(max(0.0, seconds))
            return False
        return await wait_event(wake, max(0.0, seconds))

    def adjust_to(self, central_time: datetime) -> float:
        """Take the central system's time; returns the change of offset in seconds."""
        if central_time.tzinfo is None:
            central_time = central_time.replace(tzinfo=UTC)
        new_offset = central_time.timestamp() - self.system_s()
        change = new_offset - self.offset_s
        self.offset_s = new_offset
        for listener in list(self.adjust_listeners):
            listener(change)
        return change


def to_ms(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def next_slot(previous: float, interval: float, now: float) -> float:
    """The next instant of the grid ``previous + k * interval`` (k >= 1) that is not before
    ``now``: the slot after ``previous``, or, when the loop ran late, the next one still to
    come (the missed ones are skipped, not caught up)."""
    steps = max(1, math.ceil((now - previous) / interval))
    return previous + steps * interval
