"""The station's notion of time: UTC, milliseconds, corrected by the central system.

The offset learned from BootNotification/Heartbeat ``currentTime`` is applied to the local
clock instead of setting the system clock, so a controller without RTC privileges still
stamps messages with the operator's time.

The loops that run every configured interval (heartbeat, sampled and clock-aligned meter
values, websocket ping) measure and wait through this object, so a test can hand the
station a clock whose time it moves itself.

Two kinds of waiting (issue 17 item 4). An interval (a heartbeat, a sample every N
seconds, a timeout) is a duration: :meth:`Clock.sleep`, on the monotonic clock, which an
adjustment does not move. An instant (a charging schedule's next change, a clock-aligned
sample, a reservation's expiryDate, a firmware retrieveDate) is a time of this clock:
:meth:`Clock.call_at_ms` and :meth:`Clock.sleep_until_ms`, the one facility for such
timers. An adjustment, either way, ends every one of them at once (``Wake.ADJUSTED``) and
its owner works out anew from the adjusted time what is due and when: a limit whose change
the clock jumped past applies now, one it jumped back before applies again until then.

The controller's own clock can step too (NTP, an RTC read at boot, an operator's
``date -s``): the wall clock jumps while the monotonic one, which the event loop's timers
follow, does not, so a timer armed before would come early or late by the step. A step shows
as a change of the difference between the two; :meth:`Clock.watch_steps` looks at it once a
second (one cheap timer per station) and every timer that fires looks at it too. A step
beyond :data:`ADJUSTMENT_TOLERANCE_S` is then an adjustment like the central system's: every
timer ends, it is logged at INFO with its size, and the adjust listeners hear it (the
whitepaper's SettingSystemTime event keeps its own threshold).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chargestack.waiting import wait_event

log = logging.getLogger("chargestack.clock")

#: A central-system time this close to the station's is not an adjustment: the difference
#: is the message's latency and currentTime's resolution (a central system that writes
#: whole seconds is up to 1 s behind), and following it would move the clock to and fro.
ADJUSTMENT_TOLERANCE_S = 1.0


#: How often :meth:`Clock.watch_steps` compares the wall clock with the monotonic one.
STEP_CHECK_PERIOD_S = 1.0


class Wake(enum.Enum):
    """How :meth:`Clock.sleep_until_ms` ended."""

    DUE = "due"  # the clock reached the instant
    ADJUSTED = "adjusted"  # the clock was adjusted first: work out the instant anew
    EVENT = "event"  # the wake event was set first


class WallTimer:
    """A callback at an instant of the station clock (:meth:`Clock.call_at_ms`)."""

    __slots__ = ("_clock", "adjusted", "at_ms", "callback", "handle")

    def __init__(self, clock: Clock, at_ms: int | None, callback: Callable[[], None]) -> None:
        self._clock = clock
        self.at_ms = at_ms
        self.callback = callback
        self.handle: asyncio.Handle | None = None
        #: True when it fired because the clock was adjusted, not at its instant.
        self.adjusted = False

    def cancel(self) -> None:
        self._clock._disarm(self)


class Clock:
    def __init__(self) -> None:
        self.offset_s = 0.0
        # Told the change of offset after each adjustment (security whitepaper: the
        # SettingSystemTime event).
        self.adjust_listeners: list[Callable[[float], None]] = []
        self._timers: set[WallTimer] = set()
        # system_s() - monotonic() when last looked at: a change of it is a step of the
        # system clock (None: not looked at yet).
        self._wall_lead_s: float | None = None

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

    # -- instants of this clock -------------------------------------------------------------

    def call_at_ms(self, at_ms: int | None, callback: Callable[[], None]) -> WallTimer:
        """Call ``callback`` on the event loop when this clock reads ``at_ms`` (soon when
        it is past), or as soon as the clock is adjusted: the caller then works out the
        instant anew. ``at_ms`` None: only an adjustment calls it."""
        timer = WallTimer(self, at_ms, callback)
        self._timers.add(timer)
        self._arm(timer)
        return timer

    async def sleep_until_ms(self, at_ms: int, wake: asyncio.Event | None = None) -> Wake:
        """Wait until this clock reads ``at_ms``, an adjustment, or ``wake`` being set."""
        if wake is not None and wake.is_set():
            return Wake.EVENT
        loop = asyncio.get_running_loop()
        arrived: asyncio.Future[bool] = loop.create_future()

        def arrive() -> None:
            if not arrived.done():
                arrived.set_result(True)

        timer = self.call_at_ms(at_ms, arrive)
        woken: asyncio.Task[Any] | None = None
        try:
            if wake is None:
                await arrived
            else:
                woken = loop.create_task(wake.wait())
                either: set[asyncio.Future[Any]] = {arrived, woken}
                await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
                if wake.is_set():
                    return Wake.EVENT
            return Wake.ADJUSTED if timer.adjusted else Wake.DUE
        finally:
            timer.cancel()
            if woken is not None:
                woken.cancel()

    async def reach_ms(self, at_ms: int) -> None:
        """Return once this clock reads ``at_ms``, however it is adjusted meanwhile."""
        while self.now_ms() < at_ms:
            await self.sleep_until_ms(at_ms)

    def _arm(self, timer: WallTimer) -> None:
        if timer.at_ms is None:
            timer.handle = None
            return
        delay = max(0.0, (timer.at_ms - self.now_ms()) / 1000)
        timer.handle = asyncio.get_running_loop().call_later(delay, self._fire, timer)

    def _disarm(self, timer: WallTimer) -> None:
        self._timers.discard(timer)
        if timer.handle is not None:
            timer.handle.cancel()
            timer.handle = None

    def _fire(self, timer: WallTimer) -> None:
        if timer not in self._timers:
            return
        if not timer.adjusted and self.check_step():
            return  # every timer, this one too, fires again as adjusted
        if not timer.adjusted and (timer.at_ms is None or self.now_ms() < timer.at_ms):
            self._arm(timer)  # the loop's monotonic timer ran ahead of this clock
            return
        self._disarm(timer)
        timer.callback()

    def _end_all_for_adjustment(self) -> None:
        for timer in list(self._timers):
            if timer.handle is not None:
                timer.handle.cancel()
            timer.adjusted = True
            # Soon, not now: the owners run on the loop, not inside whoever adjusted.
            timer.handle = asyncio.get_running_loop().call_soon(self._fire, timer)

    # -- adjustments -------------------------------------------------------------------------

    def adjust_to(self, central_time: datetime) -> float:
        """Take the central system's time; returns the change in seconds (0.0 when it was
        within :data:`ADJUSTMENT_TOLERANCE_S` and the clock stayed as it was)."""
        if central_time.tzinfo is None:
            central_time = central_time.replace(tzinfo=UTC)
        new_offset = central_time.timestamp() - self.system_s()
        change = new_offset - self.offset_s
        if abs(change) < ADJUSTMENT_TOLERANCE_S:
            return 0.0
        self.offset_s = new_offset
        log.info("clock adjusted by %+.3f s to the central system's time", change)
        self._adjusted(change)
        return change

    def check_step(self) -> float:
        """Look for a step of the system clock since the last look; a step beyond
        :data:`ADJUSTMENT_TOLERANCE_S` is an adjustment. Returns it (0.0: none)."""
        lead = self.system_s() - self.monotonic()
        previous, self._wall_lead_s = self._wall_lead_s, lead
        step = 0.0 if previous is None else lead - previous
        if abs(step) < ADJUSTMENT_TOLERANCE_S:
            # Below it: the slewing NTP does, or the time between reading the two clocks.
            return 0.0
        log.info("system clock stepped by %+.3f s", step)
        self._adjusted(step)
        return step

    async def watch_steps(self, period_s: float = STEP_CHECK_PERIOD_S) -> None:
        """Look for a step of the system clock every ``period_s`` (of the event loop's
        monotonic time), until cancelled."""
        self.check_step()
        while True:
            await asyncio.sleep(period_s)
            self.check_step()

    def _adjusted(self, change: float) -> None:
        self._end_all_for_adjustment()
        for listener in list(self.adjust_listeners):
            listener(change)


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
