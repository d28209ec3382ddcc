"""The station's notion of time: UTC, milliseconds, corrected by the central system.

The offset learned from BootNotification/Heartbeat ``currentTime`` is applied to the local
clock instead of setting the system clock, so a controller without RTC privileges still
stamps messages with the operator's time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self.offset_s = 0.0
        # Told the change of offset after each adjustment (security whitepaper: the
        # SettingSystemTime event).
        self.adjust_listeners: list[Callable[[float], None]] = []

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_s)

    def now_ms(self) -> int:
        return int((time.time() + self.offset_s) * 1000)

    def adjust_to(self, central_time: datetime) -> float:
        """Take the central system's time; returns the change of offset in seconds."""
        if central_time.tzinfo is None:
            central_time = central_time.replace(tzinfo=UTC)
        new_offset = (central_time - datetime.now(UTC)).total_seconds()
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
