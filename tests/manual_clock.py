"""A station clock whose time moves only when the test says so.

The station's interval loops (heartbeat, sampled and clock-aligned meter values, websocket
ping) wait through ``Clock.sleep``; here that wait ends when :meth:`ManualClock.advance`
moves the time past its deadline, or when the loop's wake event is set. Timers at an
instant of the clock (``Clock.call_at_ms``, ``Clock.sleep_until_ms``: a schedule's next
change, clock-aligned samples, reservation expiry) fire when :meth:`ManualClock.advance`
brings the clock to their instant, or, as on the real clock, at an adjustment. Everything
else in the station (the websocket, the store, the power loop) keeps real time. Each
waiting task is listed with its deadline under its task name, so a test can see when a loop
is next due.

Either clock here can step its wall clock under the station (``step_system``), as NTP, an
RTC read at boot or an operator's ``date -s`` step the controller's: :class:`SteppedClock`
keeps real time otherwise.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from central_system import CentralSystem
from chargestack.station.clock import Clock, Wake, WallTimer


class ManualClock(Clock):
    def __init__(self, start: datetime) -> None:
        super().__init__()
        self._start_s = start.timestamp()
        self._elapsed = 0.0
        self._stepped = 0.0
        self._moved = asyncio.Event()
        # Task name -> monotonic instant it waits for.
        self.waiting: dict[str, float] = {}
        # Task name -> instant of this clock (ms) it waits for.
        self.waiting_until_ms: dict[str, int] = {}

    def system_s(self) -> float:
        return self._start_s + self._elapsed + self._stepped

    def step_system(self, seconds: float) -> None:
        """The controller's own clock steps (NTP, ``date -s``): the wall clock moves, the
        monotonic one does not, and nothing is told."""
        self._stepped += seconds

    def monotonic(self) -> float:
        return self._elapsed

    async def sleep(self, seconds: float, wake: asyncio.Event | None = None) -> bool:
        task = asyncio.current_task()
        assert task is not None
        name = task.get_name()
        deadline = self._elapsed + max(0.0, seconds)
        self.waiting[name] = deadline
        try:
            while self._elapsed < deadline:
                if wake is not None and wake.is_set():
                    return True
                moved = self._moved
                waits = [asyncio.ensure_future(moved.wait())]
                if wake is not None:
                    waits.append(asyncio.ensure_future(wake.wait()))
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waits:
                        waiter.cancel()
            return wake is not None and wake.is_set()
        finally:
            if self.waiting.get(name) == deadline:
                del self.waiting[name]

    async def sleep_until_ms(self, at_ms: int, wake: asyncio.Event | None = None) -> Wake:
        task = asyncio.current_task()
        assert task is not None
        name = task.get_name()
        self.waiting_until_ms[name] = at_ms
        try:
            return await super().sleep_until_ms(at_ms, wake)
        finally:
            if self.waiting_until_ms.get(name) == at_ms:
                del self.waiting_until_ms[name]

    def _arm(self, timer: WallTimer) -> None:
        # No loop timer: the clock reaches an instant only when advance() moves it there.
        if timer.at_ms is not None and timer.at_ms <= self.now_ms():
            timer.handle = asyncio.get_running_loop().call_soon(self._fire, timer)
        else:
            timer.handle = None

    def advance(self, seconds: float) -> None:
        """Move the time on; every wait whose deadline passed ends."""
        self._elapsed += seconds
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()
        for timer in list(self._timers):
            if timer.handle is None:
                self._arm(timer)

    def due(self, task_suffix: str) -> float | None:
        """Seconds from now until the waiting task named ``...task_suffix`` is due."""
        for name, deadline in self.waiting.items():
            if name.endswith(task_suffix):
                return deadline - self._elapsed
        for name, at_ms in self.waiting_until_ms.items():
            if name.endswith(task_suffix):
                return (at_ms - self.now_ms()) / 1000
        return None

    def timers_at_ms(self) -> list[int]:
        """The instants every armed timer of this clock waits for, earliest first."""
        return sorted(timer.at_ms for timer in self._timers if timer.at_ms is not None)

    def iso_now(self) -> str:
        """The clock's time as a central system would write it."""
        stamp = datetime.fromtimestamp(self.system_s(), UTC)
        return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def told_by_central_system(cs: CentralSystem, clock: ManualClock, interval: int = 900) -> None:
    """The central system answers BootNotification and Heartbeat with ``clock``'s time, so
    the station's adjustments to it never undo the test's :meth:`ManualClock.advance`."""
    cs.responders["BootNotification"] = lambda _payload: {
        "status": "Accepted",
        "currentTime": clock.iso_now(),
        "interval": interval,
    }
    cs.responders["Heartbeat"] = lambda _payload: {"currentTime": clock.iso_now()}


class SteppedClock(Clock):
    """The real clock, whose wall clock the test steps as NTP or ``date -s`` would: time
    runs on, the monotonic clock (the event loop's timers) knows nothing of the step."""

    def __init__(self) -> None:
        super().__init__()
        self._stepped = 0.0

    def system_s(self) -> float:
        return time.time() + self._stepped

    def step_system(self, seconds: float) -> None:
        self._stepped += seconds
