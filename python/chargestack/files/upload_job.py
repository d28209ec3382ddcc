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
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chargestack.files.collector import ArchiveSources, filter_logs, state_dump, write_archive
from chargestack.files.context import FileJobContext
from chargestack.files.errors import TransferError
from chargestack.files.file_jobs import FileJobService
from chargestack.files.locations import inside
from chargestack.files.transfer import (
    upload,
)
from chargestack.store.jobs import Job

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from chargestack.files.logfiles import StationLogFiles


class UploadJobService(FileJobService, ABC):
    """The shared upload job; see the module docstring."""

    label = "upload"
    #: The folder under the data directory where archives wait for their upload.
    outbox_name = "outbox"
    failed_status = "UploadFailed"

    def __init__(
        self,
        context: FileJobContext,
        sources: ArchiveSources,
        kind: str,
        make_request: Callable[[int, str], BaseModel],
    ) -> None:
        super().__init__(context, kind, make_request)
        self.sources = sources

    @property
    def outbox(self) -> Path:
        return self.context.settings.data_dir / self.outbox_name

    async def start(self) -> None:
        for job in self.jobs.open_jobs(self.kind):
            self.log.warning("%s upload %s interrupted by a restart", self.label, job.file_name)
            self._finish(job, self.failed_status)
        self._start_notifier()

    def _cancel_running(self) -> bool:
        """Cancel the upload in progress, if any (its job ends failed); True if there was one."""
        running = self._task is not None and not self._task.done()
        if running and self._task is not None:
            self._task.cancel()
        return running

    def _begin(self, job: Job) -> None:
        self._task = self.context.spawn(self._run(job), f"{self.label}-upload")

    @abstractmethod
    async def _collect(self, job: Job, archive: Path) -> None:
        """Write the archive ``job`` asks for to ``archive``."""

    async def _run(self, job: Job) -> None:
        job = self._update(job, state="Uploading", status="Uploading")
        self.notifier.push(job.id, "Uploading")
        assert job.file_name is not None
        archive = inside(self.outbox, job.file_name)
        try:
            location = self._location(job)
            await self._collect(job, archive)

            def failed(attempt: int, exc: TransferError) -> None:
                self.log.warning("%s upload attempt %d failed: %s", self.label, attempt, exc)
                self._update(job, attempt=attempt)

            await self._with_job_retries(
                job,
                lambda: upload(location, archive, job.file_name or "", options=self.options),
                f"{self.label} upload to {location.redacted()}",
                failed,
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

    def _update(self, job: Job, **changes: Any) -> Job:
        updated = self.jobs.update(job.id, self.context.clock.now_ms(), **changes)
        if self._current is not None and self._current.id == job.id:
            self._current = updated
        return updated

    def _finish(self, job: Job, status: str, *, notify: bool = True) -> None:
        self._update(job, state=status, status=status, finished=True)
        if notify:
            self.notifier.push(job.id, status)

    async def _archive_station_logs(
        self,
        files: StationLogFiles | None,
        archive: Path,
        start: datetime | None,
        stop: datetime | None,
    ) -> None:
        """The diagnostics archive: the log lines between ``start`` and ``stop`` plus the
        state of the station."""
        if files is not None:
            files.flush()
        secrets = self.sources.secrets()
        state = state_dump(self.context.settings, self.context.clock, self.sources)
        logs = await asyncio.to_thread(
            filter_logs, files.files() if files is not None else [], start, stop, secrets
        )
        archive.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(write_archive, archive, logs, state, secrets)
