"""Timers at an instant of the station clock, and what an adjustment does to them (issue 17
item 4): an adjustment ends every such wait so its owner works the instant out anew; a
central-system time within a second of the station's is no adjustment. A step of the
controller's own clock is an adjustment too, noticed by the watcher or by a timer firing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import pytest

from chargestack.station.clock import Clock, Wake, to_ms
from manual_clock import ManualClock, SteppedClock

START = datetime(2026, 3, 2, 12, 0, 5, tzinfo=UTC)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_wait_ends_at_its_instant_at_an_adjustment_or_at_its_event() -> None:
    clock = ManualClock(START)
    at = to_ms(START) + 10_000
    due = asyncio.ensure_future(clock.sleep_until_ms(at))
    await settle()
    clock.advance(9.999)
    await settle()
    assert not due.done()
    clock.advance(0.001)
    assert await due is Wake.DUE

    adjusted = asyncio.ensure_future(clock.sleep_until_ms(at + 10_000))
    await settle()
    assert clock.adjust_to(START + timedelta(seconds=5)) == pytest.approx(-5.0)
    assert await adjusted is Wake.ADJUSTED

    event = asyncio.Event()
    woken = asyncio.ensure_future(clock.sleep_until_ms(at + 10_000, event))
    await settle()
    event.set()
    assert await woken is Wake.EVENT
    assert clock.timers_at_ms() == []


async def test_reach_ms_waits_for_the_instant_of_the_adjusted_clock_either_way() -> None:
    clock = ManualClock(START)
    at = to_ms(START) + 100_000
    reached = asyncio.ensure_future(clock.reach_ms(at))
    await settle()
    clock.adjust_to(START - timedelta(seconds=50))  # the instant is 150 s away now
    await settle()
    clock.advance(149)
    await settle()
    assert not reached.done()
    clock.advance(1)
    await reached
    assert clock.now_ms() == at

    later = asyncio.ensure_future(clock.reach_ms(clock.now_ms() + 100_000))
    await settle()
    clock.adjust_to(clock.now() + timedelta(hours=1))  # jumped past it
    await later


async def test_a_difference_within_a_second_is_no_adjustment(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="chargestack.clock")
    clock = Clock()
    told: list[float] = []
    clock.adjust_listeners.append(told.append)
    waiting = clock.call_at_ms(clock.now_ms() + 60_000, lambda: told.append(0.0))
    assert clock.adjust_to(clock.now() + timedelta(milliseconds=900)) == 0.0
    assert clock.offset_s == 0.0
    await settle()
    assert told == [] and caplog.records == []
    change = clock.adjust_to(clock.now() + timedelta(seconds=2))
    assert change == pytest.approx(2.0, abs=0.01)
    await settle()
    assert told == [change, 0.0]  # the listener, then the timer ended by the adjustment
    assert [r.getMessage()[:20] for r in caplog.records] == ["clock adjusted by +2"]
    waiting.cancel()


async def test_a_step_of_the_system_clock_is_an_adjustment_a_slew_is_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="chargestack.clock")
    clock = ManualClock(START)
    told: list[float] = []
    clock.adjust_listeners.append(told.append)
    assert clock.check_step() == 0.0  # the first look: nothing to compare with
    pending = asyncio.ensure_future(clock.sleep_until_ms(to_ms(START) + 30_000))
    await settle()
    clock.step_system(0.9)  # NTP slews by less than the tolerance
    assert clock.check_step() == 0.0
    clock.step_system(20)
    assert clock.check_step() == pytest.approx(20.0)
    assert await pending is Wake.ADJUSTED
    assert clock.check_step() == 0.0  # said once
    assert told == [pytest.approx(20.0)]
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "system clock stepped by +20.000 s")
    ]


async def test_a_timer_that_fires_notices_a_step_without_the_watcher() -> None:
    clock = SteppedClock()
    clock.check_step()
    told: list[float] = []
    clock.adjust_listeners.append(told.append)
    fired = asyncio.Event()
    clock.call_at_ms(clock.now_ms() + 50, fired.set)
    clock.step_system(-20)  # the instant is 20 s away now; the loop's timer still fires
    await asyncio.wait_for(fired.wait(), 5)
    assert told == [pytest.approx(-20.0, abs=0.1)]


async def test_the_watcher_notices_a_step_within_its_period() -> None:
    clock = SteppedClock()
    told = asyncio.Event()
    clock.adjust_listeners.append(lambda _step: told.set())
    watcher = asyncio.ensure_future(clock.watch_steps(period_s=0.05))
    try:
        await settle()
        clock.step_system(20)
        await asyncio.wait_for(told.wait(), 5)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
