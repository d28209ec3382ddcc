"""Clock-aligned meter values (OCPP 1.6 section 3.16.2, TC_071): the grid they fall on.

Samples fall on multiples of ClockAlignedDataInterval counted from midnight UTC, context
Sample.Clock; what each sample holds and where it goes is ``Metering.send_aligned``. This is
the one loop of the metering that waits for a wall-clock instant. An adjustment of the
station clock (issue 17 item 4) makes it take the next slot after the adjusted time: a slot
the clock jumped over is skipped, as a slot a late loop missed is (issue 12 item 8), since
no reading was taken at it; after a jump back, a slot already sent is not sent again.
"""

from __future__ import annotations

import asyncio
import logging

from chargestack.profiles.core.metering import Metering
from chargestack.station.block import Block
from chargestack.station.clock import Clock, Wake, from_ms
from chargestack.station.configuration import Configuration
from chargestack.station.ports import Spawn

log = logging.getLogger("chargestack.meter")


def next_aligned_ms(now_ms: int, interval_s: int) -> int:
    """The next instant after ``now_ms`` on the interval grid that starts at midnight UTC."""
    day_ms = 86_400_000
    midnight = now_ms - now_ms % day_ms
    step = interval_s * 1000
    since = now_ms - midnight
    return midnight + (since // step + 1) * step


class AlignedMeterValues(Block):
    def __init__(
        self, *, config: Configuration, clock: Clock, spawn: Spawn, metering: Metering
    ) -> None:
        self._config = config
        self._clock = clock
        self._spawn = spawn
        self._metering = metering
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self._config.on_change("ClockAlignedDataInterval", lambda _v: self._changed.set())
        self._spawn(self._loop(), "aligned-meter-values")

    async def _loop(self) -> None:
        sent_ms = 0  # the last slot sent
        while True:
            interval = self._config.get_int("ClockAlignedDataInterval")
            self._changed.clear()
            if interval <= 0:
                await self._changed.wait()
                continue
            # A change of interval wakes the loop, which starts over from the next slot of
            # the new grid after now: no catch-up (issue 12 item 8).
            due = next_aligned_ms(max(self._clock.now_ms(), sent_ms), interval)
            wake = await self._clock.sleep_until_ms(due, self._changed)
            if wake is Wake.ADJUSTED and self._clock.now_ms() > due:
                log.info("clock-aligned sample of %s skipped: the clock moved past it", due)
            if wake is not Wake.DUE:
                continue
            sent_ms = due
            await self._metering.send_aligned(from_ms(due))
