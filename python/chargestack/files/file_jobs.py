"""What every file job service has: persisted ``jobs`` rows of one kind, their transfer
settings and their status notifications.

The base of :class:`~chargestack.files.install_flow.FirmwareJobService`
(UpdateFirmware, SignedUpdateFirmware) and
:class:`~chargestack.files.upload_job.UploadJobService` (GetDiagnostics, GetLog).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from chargestack.files.context import FileJobContext
from chargestack.files.errors import TransferError
from chargestack.files.locations import RemoteLocation, parse_location
from chargestack.files.notifier import StatusNotifier
from chargestack.files.transfer import requested_retries, transfer_options, with_retries
from chargestack.store.jobs import Job

T = TypeVar("T")


class FileJobService:
    """One kind of file job; see the module docstring."""

    #: The logger's name; the label of log lines and task names.
    logger = "chargestack.firmware"
    label = "file"

    def __init__(
        self, context: FileJobContext, kind: str, make_request: Callable[[int, str], BaseModel]
    ) -> None:
        self.context = context
        self.kind = kind
        self.log = logging.getLogger(self.logger)
        self.jobs = context.jobs
        self.options = transfer_options(context.settings.central_system)
        self.default_retries = 1
        self.default_retry_interval_s = 30
        self.notifier = StatusNotifier(
            context.send, context.registered, make_request, self._acknowledged
        )
        self._task: asyncio.Task[None] | None = None
        self._current: Job | None = None

    def _start_notifier(self) -> None:
        """Re-send the last status the central system may have missed, then notify on."""
        latest = self.jobs.unnotified(self.kind)
        if latest is not None and latest.status != "Idle":
            self.notifier.push(latest.id, latest.status)
        self.jobs.prune(self.kind, keep=20)
        self.context.spawn(self.notifier.run(), f"{self.label}-notifier")

    def _schedule(
        self,
        *,
        location: str,
        retries: int | None,
        retry_interval_s: int | None,
        detail: dict[str, Any],
        not_before_ms: int | None = None,
        now_ms: int | None = None,
        file_name: str | None = None,
        request_id: int | None = None,
    ) -> Job:
        """A new Scheduled job; absent retry settings are the charge point's defaults."""
        retries, interval = requested_retries(
            retries, retry_interval_s, self.default_retries, self.default_retry_interval_s
        )
        now = now_ms if now_ms is not None else self.context.clock.now_ms()
        return self.jobs.create(
            kind=self.kind,
            request_id=request_id,
            location=location,
            state="Scheduled",
            status="Idle",
            retries=retries,
            retry_interval_s=interval,
            not_before_ms=not_before_ms if not_before_ms is not None else now,
            now_ms=now,
            file_name=file_name,
            detail=detail,
        )

    def _acknowledged(self, job_id: int, status: str) -> None:
        self.jobs.update(job_id, self.context.clock.now_ms(), notified=status)

    def _location(self, job: Job) -> RemoteLocation:
        """The job's location, checked against SupportedFileTransferProtocols as set now."""
        return parse_location(job.location, self.context.transfer_protocols())

    async def _with_job_retries(
        self,
        job: Job,
        attempt: Callable[[], Awaitable[T]],
        what: str,
        on_failure: Callable[[int, TransferError], None] | None,
    ) -> T:
        """``attempt`` once, then up to the job's ``retries`` more, ``retry_interval_s`` apart."""
        return await with_retries(
            attempt,
            retries=job.retries,
            retry_interval_s=job.retry_interval_s,
            what=what,
            on_failure=on_failure,
        )
