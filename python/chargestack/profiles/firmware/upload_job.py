"""A log upload job, shared by GetDiagnostics (OCPP 1.6 sections 5.9 and 4.4) and GetLog
(security whitepaper use case N01): collect an archive, upload it with retries, notify.

:class:`UploadJobService` persists each request as a ``jobs`` row of its kind and runs it at
once: Uploading, then Uploaded or the failure status (UploadFailed, or UploadFailure for
GetLog) when the retries are spent, a newer request replaced it, or a restart interrupted
it, so the central system is never left waiting. Subclasses supply the handler, what the
archive holds and the notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chargestack.profiles.firmware.collector import filter_logs, state_dump, write_archive
from chargestack.profiles.firmware.errors import TransferError
from chargestack.profiles.firmware.locations import inside, parse_location
from chargestack.profiles.firmware.notifier import StatusNotifier
from chargestack.profiles.firmware.transfer import (
    requested_retries,
    transfer_options,
    upload,
    with_retries,
)
from chargestack.store.jobs import Job, Jobs

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from chargestack.profiles.firmware.logfiles import StationLogFiles
    from chargestack.station.station import Station


class UploadJobService(ABC):
    """The shared upload job; see the module docstring."""

    #: The logger's name; the log label and task name prefix; the outbox under the data dir.
    logger = "chargestack.uploads"
    label = "upload"
    outbox_name = "outbox"
    failed_status = "UploadFailed"

    def __init__(
        self, station: Station, kind: str, make_request: Callable[[int, str], BaseModel]
    ) -> None:
        self.station = station
        self.kind = kind
        self.log = logging.getLogger(self.logger)
        self.jobs = Jobs(station.store)
        self.options = transfer_options(station)
        self.default_retries = 1
        self.default_retry_interval_s = 30
        self.notifier = StatusNotifier(station, make_request, self._acknowledged)
        self._task: asyncio.Task[None] | None = None
        self._current: Job | None = None

    @property
    def outbox(self) -> Path:
        return self.station.settings.data_dir / self.outbox_name

    async def start(self) -> None:
        for job in self.jobs.open_jobs(self.kind):
            self.log.warning("%s upload %s interrupted by a restart", self.label, job.file_name)
            self._finish(job, self.failed_status)
        latest = self.jobs.unnotified(self.kind)
        if latest is not None and latest.status != "Idle":
            self.notifier.push(latest.id, latest.status)
        self.jobs.prune(self.kind, keep=20)
        self.station.spawn(self.notifier.run(), f"{self.label}-notifier")

    def _cancel_running(self) -> bool:
        """Cancel the upload in progress, if any (its job ends failed); True if there was one."""
        running = self._task is not None and not self._task.done()
        if running and self._task is not None:
            self._task.cancel()
        return running

    def _create(
        self,
        *,
        location: str,
        file_name: str,
        retries: int | None,
        retry_interval_s: int | None,
        detail: dict[str, Any],
        request_id: int | None = None,
    ) -> Job:
        retries, interval = requested_retries(
            retries, retry_interval_s, self.default_retries, self.default_retry_interval_s
        )
        now = self.station.clock.now_ms()
        self._current = self.jobs.create(
            kind=self.kind,
            request_id=request_id,
            location=location,
            state="Scheduled",
            status="Idle",
            retries=retries,
            retry_interval_s=interval,
            not_before_ms=now,
            now_ms=now,
            file_name=file_name,
            detail=detail,
        )
        return self._current

    def _begin(self, job: Job) -> None:
        self._task = self.station.spawn(self._run(job), f"{self.label}-upload")

    @abstractmethod
    async def _collect(self, job: Job, archive: Path) -> None:
        """Write the archive ``job`` asks for to ``archive``."""

    async def _run(self, job: Job) -> None:
        job = self._update(job, state="Uploading", status="Uploading")
        self.notifier.push(job.id, "Uploading")
        assert job.file_name is not None
        archive = inside(self.outbox, job.file_name)
        try:
            location = parse_location(
                job.location, set(self.station.config.get_csl("SupportedFileTransferProtocols"))
            )
            await self._collect(job, archive)

            def failed(attempt: int, exc: TransferError) -> None:
                self.log.warning("%s upload attempt %d failed: %s", self.label, attempt, exc)
                self._update(job, attempt=attempt)

            await with_retries(
                lambda: upload(location, archive, job.file_name or "", options=self.options),
                retries=job.retries,
                retry_interval_s=job.retry_interval_s,
                what=f"{self.label} upload to {location.redacted()}",
                on_failure=failed,
            )
        except TransferError as exc:
            self.log.error("%s upload failed: %s", self.label, exc)
            self._finish(job, self.failed_status)
            return
        except asyncio.CancelledError:
            # Replaced by a newer request or the station stops: the job ends failed.
            with contextlib.suppress(Exception):
                self._finish(job, self.failed_status, notify=False)
            raise
        finally:
            archive.unlink(missing_ok=True)
        self._finish(job, "Uploaded")

    # -- persistence and notification -------------------------------------------------------

    def _acknowledged(self, job_id: int, status: str) -> None:
        self.jobs.update(job_id, self.station.clock.now_ms(), notified=status)

    def _update(self, job: Job, **changes: Any) -> Job:
        updated = self.jobs.update(job.id, self.station.clock.now_ms(), **changes)
        if self._current is not None and self._current.id == job.id:
            self._current = updated
        return updated

    def _finish(self, job: Job, status: str, *, notify: bool = True) -> None:
        self._update(job, state=status, status=status, finished=True)
        if notify:
            self.notifier.push(job.id, status)


async def archive_station_logs(
    station: Station,
    files: StationLogFiles | None,
    archive: Path,
    start: datetime | None,
    stop: datetime | None,
    secrets: list[str],
) -> None:
    """The diagnostics archive: the log lines between ``start`` and ``stop`` plus the state."""
    if files is not None:
        files.flush()
    state = state_dump(station)
    logs = await asyncio.to_thread(
        filter_logs, files.files() if files is not None else [], start, stop, secrets
    )
    archive.parent.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(write_archive, archive, logs, state, secrets)
