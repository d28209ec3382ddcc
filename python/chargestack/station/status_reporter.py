"""StatusNotification on every change of a connector's status, after MinimumStatusDuration.

Errata 3.19 makes the notification a SHALL: every status a connector enters is queued and
reported in the order it was entered, none coalesced. Only MinimumStatusDuration (section
9.1.20) suppresses a status, and only one that lasted less than that non-zero duration.
While the station is not registered (offline, or before BootNotification Accepted), only
the newest status of each connector is kept: after a boot every connector's status is
reported anyway (errata 3.22), after a reconnect the newest one of each says where it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from chargestack.exceptions import ChargestackError, OcppError
from chargestack.ocpp import messages as m
from chargestack.station.connector_status import Status

if TYPE_CHECKING:
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.station.status")


@dataclass(frozen=True)
class Report:
    status: Status
    error_code: str
    info: str | None
    vendor_error_code: str | None
    timestamp: datetime


@dataclass(frozen=True)
class _Queued:
    connector_id: int
    report: Report


class StatusReporter:
    def __init__(self, station: Station) -> None:
        self.station = station
        self.current: dict[int, Report] = {}
        self.reported: dict[int, Report] = {}
        # Statuses that lasted (or need not last) MinimumStatusDuration, oldest first.
        self._queue: list[_Queued] = []
        # A status still inside its MinimumStatusDuration, per connector.
        self._timers: dict[int, asyncio.Task[None]] = {}
        self._wakeup = asyncio.Event()
        # One sender at a time, so a triggered notification cannot overtake queued ones.
        self._sending = asyncio.Lock()

    def observe(self, connector_id: int, report: Report) -> None:
        """A connector's status (or error) may have changed: queue a notification."""
        previous = self.current.get(connector_id)
        if previous is not None and _same(previous, report):
            return
        self.current[connector_id] = report
        log.info("connector %d: %s (%s)", connector_id, report.status, report.error_code)
        timer = self._timers.pop(connector_id, None)
        if timer is not None:
            # Section 9.1.20: the status it replaces lasted less than MinimumStatusDuration.
            timer.cancel()
        delay = max(0, self.station.config.get_int("MinimumStatusDuration"))
        if delay == 0:
            self._enqueue(connector_id, report)
            return
        self._timers[connector_id] = asyncio.get_running_loop().create_task(
            self._settle(connector_id, report, delay)
        )

    async def _settle(self, connector_id: int, report: Report, delay: float) -> None:
        await asyncio.sleep(delay)
        self._timers.pop(connector_id, None)
        self._enqueue(connector_id, report)

    def _enqueue(self, connector_id: int, report: Report) -> None:
        if not self.station.registration.accepted:
            self._queue = [q for q in self._queue if q.connector_id != connector_id]
        self._queue.append(_Queued(connector_id, report))
        self._wakeup.set()

    async def run(self) -> None:
        """Send what is due, in the order it happened; wait while not registered."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self.station.registration.wait_accepted()
            async with self._sending:
                while self._queue:
                    if not await self._send_queued(self._queue[0]):
                        break

    async def _send_queued(self, item: _Queued) -> bool:
        """Send the head of the queue (or skip it if already said); False if it failed."""
        sent = self.reported.get(item.connector_id)
        if (sent is None or not _same(sent, item.report)) and not await self._send(
            item.connector_id, item.report
        ):
            return False
        # By identity: a boot may have rebuilt the queue while this one was being sent.
        self._queue = [q for q in self._queue if q is not item]
        return True

    async def _send(self, connector_id: int, report: Report) -> bool:
        """True when the central system has answered (the report is done with)."""
        request = m.StatusNotificationRequest(
            connector_id=connector_id,
            status=m.ChargePointStatus(report.status.value),
            error_code=m.ChargePointErrorCode(report.error_code),
            info=report.info,
            vendor_error_code=report.vendor_error_code,
            timestamp=report.timestamp,
        )
        try:
            await self.station.send(request)
        except OcppError as exc:
            # The central system answered, with a CALLERROR: sending it again would get the
            # same answer and hold up every later status behind it.
            log.warning("StatusNotification for %d refused: %s", connector_id, exc)
            self.reported[connector_id] = report
            return True
        except ChargestackError as exc:
            log.info("StatusNotification for %d deferred: %s", connector_id, exc)
            return False
        self.reported[connector_id] = report
        return True

    def pending(self) -> bool:
        """True while some connector's status has not been reported yet."""
        return bool(self._queue) or any(
            self.reported.get(cid) is None or not _same(self.reported[cid], report)
            for cid, report in self.current.items()
        )

    def resend_all(self) -> None:
        """After BootNotification Accepted: connector 0 and every connector (errata 3.22)."""
        self.reported.clear()
        self._queue = [_Queued(cid, self.current[cid]) for cid in sorted(self.current)]
        self._wakeup.set()

    def kick(self) -> None:
        self._wakeup.set()

    async def send_now(self, connector_id: int) -> None:
        """TriggerMessage(StatusNotification): the current status, regardless of changes.

        What is queued for the connector goes first, so the central system still sees every
        status in order and the current one last."""
        report = self.current.get(connector_id)
        if report is None:
            return
        async with self._sending:
            before = self.reported.get(connector_id)
            for item in [q for q in self._queue if q.connector_id == connector_id]:
                if not await self._send_queued(item):
                    return
            if before is not report and self.reported.get(connector_id) is report:
                return  # what was queued ended with the current status
            await self._send(connector_id, report)

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        for timer in list(self._timers.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await timer


def _same(a: Report, b: Report) -> bool:
    return (a.status, a.error_code, a.info, a.vendor_error_code) == (
        b.status,
        b.error_code,
        b.info,
        b.vendor_error_code,
    )
