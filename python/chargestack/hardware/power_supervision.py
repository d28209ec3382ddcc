"""One asyncio task per event loop that supervises every running Rust power stage, and the
control-loop thread the event loop's stations share when their station file asks for it.

Each tick feeds each stage's watchdog and drains the events its control loop queued. It
replaces a pump thread per stage blocked in ``next_event``: with hundreds of stations in one
process those threads (10 wakeups a second each) competed with the event loop for the GIL,
the loop ran late, and the watchdogs it feeds tripped (benches/bench_station_footprint.py,
500 stations). The watchdog keeps its meaning: the feeding runs on the event loop, so a
stalled loop stops every stage's power within ``watchdog_ms`` (issue 6).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Protocol

from chargestack import _core

log = logging.getLogger(__name__)

# Upper bound on how long an event waits in a stage's queue before the station sees it.
MAX_EVENT_DELAY_S = 0.1


class SupervisedStage(Protocol):
    """What the supervisor needs of a stage."""

    @property
    def feed_period_s(self) -> float:
        """Feed at least this often so one late tick is not a stall."""
        ...

    def supervise(self) -> None:
        """Feed the watchdog, then hand the queued events to the station."""
        ...


class _Supervisor:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._stages: dict[int, SupervisedStage] = {}
        self._task: asyncio.Task[None] | None = None
        self._shared_loop: _core.PowerLoop | None = None

    def shared_loop(self) -> _core.PowerLoop:
        if self._shared_loop is None:
            # A normal thread: a fleet of simulated chargers must not hold real-time priority.
            self._shared_loop = _core.PowerLoop()
        return self._shared_loop

    def add(self, stage: SupervisedStage) -> None:
        self._stages[id(stage)] = stage
        if self._task is None or self._task.done():
            self._task = self._loop.create_task(self._run(), name="power-supervision")

    def remove(self, stage: SupervisedStage) -> None:
        self._stages.pop(id(stage), None)
        if not self._stages and self._task is not None:
            # Nothing left to feed: no task lingers until its event loop closes.
            self._task.cancel()
            self._task = None

    def period_s(self) -> float:
        return min([MAX_EVENT_DELAY_S, *(s.feed_period_s for s in self._stages.values())])

    async def _run(self) -> None:
        while True:
            for stage in list(self._stages.values()):
                try:
                    stage.supervise()
                except Exception:
                    # One stage's failure must not stop the feeding of the others.
                    log.exception("power stage supervision failed")
            await asyncio.sleep(self.period_s())


_supervisors: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Supervisor] = (
    weakref.WeakKeyDictionary()
)


def _supervisor() -> _Supervisor:
    loop = asyncio.get_running_loop()
    supervisor = _supervisors.get(loop)
    if supervisor is None:
        supervisor = _supervisors[loop] = _Supervisor(loop)
    return supervisor


def supervise(stage: SupervisedStage) -> None:
    """Supervise ``stage`` from the running event loop until :func:`release`."""
    _supervisor().add(stage)


def shared_loop() -> _core.PowerLoop:
    """The control-loop thread shared by the running event loop's stations."""
    return _supervisor().shared_loop()


def release(stage: SupervisedStage) -> None:
    """Stop supervising ``stage`` (its watchdog is no longer fed from here)."""
    for supervisor in list(_supervisors.values()):
        supervisor.remove(stage)
