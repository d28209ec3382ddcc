"""StatusNotification on every change of a connector's status, after MinimumStatusDuration.

Errata 3.19 makes the notification a SHALL; MinimumStatusDuration suppresses statuses that
do not last. While the link is down only the newest status of each connector matters, so
the reporter keeps one pending report per connector and sends it once registered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from chargestack.exceptions import ChargestackError
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


class StatusReporter:
    def __init__(self, station: Station) -> None:
        self.station = station
        self.current: dict[int, Report] = {}
        self.reported: dict[int, Report] = {}
        self._timers: dict[int, asyncio.Task[None]] = {}
        self._wakeup = asyncio.Event()

    def observe(self, connector_id: int, report: Report) -> None:
        """A connector's status (or error) may have changed: schedule a notification."""
        previous = self.current.get(connector_id)
        if previous is not None and _same(previous, report):
            return
        self.current[connector_id] = report
        log.info("connector %d: %s (%s)", connector_id, report.status, report.error_code)
        timer = self._timers.pop(connector_id, None)
        if timer is not None:
            timer.cancel()
        delay = max(0, self.station.config.get_int("MinimumStatusDuration"))
        self._timers[connector_id] = asyncio.get_running_loop().create_task(
            self._settle(connector_id, delay)
        )

    async def _settle(self, connector_id: int, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        self._timers.pop(connector_id, None)
        self._wakeup.set()

    async def run(self) -> None:
        """Send what is due, oldest connector first; wait while not registered."""
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self.station.registration.wait_accepted()
            for connector_id in sorted(self.current):
                if connector_id in self._timers:
                    continue
                report = self.current[connector_id]
                sent = self.reported.get(connector_id)
                if sent is not None and _same(sent, report):
                    continue
                if not await self._send(connector_id, report):
                    break

    async def _send(self, connector_id: int, report: Report) -> bool:
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
        except ChargestackError as exc:
            log.info("StatusNotification for %d deferred: %s", connector_id, exc)
            return False
        self.reported[connector_id] = report
        return True

    def pending(self) -> bool:
        """True while some connector's current status has not been reported yet."""
        return any(
            self.reported.get(cid) is None or not _same(self.reported[cid], report)
            for cid, report in self.current.items()
        )

    def resend_all(self) -> None:
        """After BootNotification Accepted: connector 0 and every connector (errata 3.22)."""
        self.reported.clear()
        self._wakeup.set()

    def kick(self) -> None:
        self._wakeup.set()

    async def send_now(self, connector_id: int) -> None:
        """TriggerMessage(StatusNotification): the current status, regardless of changes."""
        report = self.current.get(connector_id)
        if report is not None:
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
