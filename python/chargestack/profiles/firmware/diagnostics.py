"""GetDiagnostics (OCPP 1.6 sections 5.9 and 4.4): collect, upload, notify.

The response names the archive (``fileName``); the collection and the upload follow it:
DiagnosticsStatusNotification Uploading, then Uploaded or UploadFailed once the retries
(``retries``, ``retryInterval``) are spent. The job is persisted: a restart mid-upload ends
it with UploadFailed rather than leaving the central system waiting forever. A newer
GetDiagnostics replaces a running one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages.base import format_rfc3339, parse_rfc3339
from chargestack.ocpp.router import after, on
from chargestack.profiles.firmware.collector import (
    filter_logs,
    secrets_of,
    state_dump,
    write_archive,
)
from chargestack.profiles.firmware.errors import TransferError
from chargestack.profiles.firmware.locations import inside, parse_location, safe_file_name
from chargestack.profiles.firmware.logfiles import StationLogFiles
from chargestack.profiles.firmware.notifier import StatusNotifier
from chargestack.profiles.firmware.transfer import transfer_options, upload, with_retries
from chargestack.store.jobs import Job, Jobs

if TYPE_CHECKING:
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.diagnostics")

KIND = "diagnostics"


class DiagnosticsService:
    """``station.diagnostics``: the GetDiagnostics handler and its upload job."""

    def __init__(self, station: Station) -> None:
        self.station = station
        self.jobs = Jobs(station.store)
        self.log_files = StationLogFiles(
            station.settings.data_dir, station.settings.identity.charge_point_id
        )
        self.options = transfer_options(station)
        self.default_retries = 1
        self.default_retry_interval_s = 30
        self.notifier = StatusNotifier(
            station,
            lambda _job, status: m.DiagnosticsStatusNotificationRequest(
                status=m.DiagnosticsStatus(status)
            ),
            self._acknowledged,
        )
        self._task: asyncio.Task[None] | None = None
        self._current: Job | None = None
        station.diagnostics = self  # type: ignore[attr-defined]

    @property
    def outbox(self) -> Path:
        return self.station.settings.data_dir / "diagnostics"

    async def start(self) -> None:
        self.log_files.open()
        for job in self.jobs.open_jobs(KIND):
            log.warning("diagnostics upload %s interrupted by a restart", job.file_name)
            self._finish(job, "UploadFailed")
        latest = self.jobs.unnotified(KIND)
        if latest is not None and latest.status != "Idle":
            self.notifier.push(latest.id, latest.status)
        self.jobs.prune(KIND, keep=20)
        self.station.spawn(self.notifier.run(), "diagnostics-notifier")

    async def stop(self) -> None:
        self.log_files.close()

    @on("GetDiagnostics")
    async def get_diagnostics(self, request: m.GetDiagnosticsRequest) -> m.GetDiagnosticsResponse:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        now = self.station.clock.now()
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        cp_id = self.station.settings.identity.charge_point_id
        file_name = safe_file_name(f"diagnostics-{cp_id}-{stamp}.zip")
        for job in self.jobs.open_jobs(KIND):
            self._finish(job, "UploadFailed")
        self._current = self.jobs.create(
            kind=KIND,
            location=request.location,
            state="Scheduled",
            status="Idle",
            retries=request.retries if request.retries is not None else self.default_retries,
            retry_interval_s=(
                request.retry_interval
                if request.retry_interval is not None
                else self.default_retry_interval_s
            ),
            not_before_ms=self.station.clock.now_ms(),
            now_ms=self.station.clock.now_ms(),
            file_name=file_name,
            detail={
                "startTime": format_rfc3339(request.start_time) if request.start_time else None,
                "stopTime": format_rfc3339(request.stop_time) if request.stop_time else None,
            },
        )
        return m.GetDiagnosticsResponse(file_name=file_name)

    @after("GetDiagnostics")
    async def begin(self, request: m.GetDiagnosticsRequest) -> None:
        job = self._current
        if job is not None and not job.finished:
            self._task = self.station.spawn(self._run(job), "diagnostics-upload")

    async def send_status_notification(self) -> None:
        """TriggerMessage(DiagnosticsStatusNotification): Uploading while busy, else Idle."""
        busy = self._task is not None and not self._task.done()
        status = "Uploading" if busy else "Idle"
        await self.station.send(
            m.DiagnosticsStatusNotificationRequest(status=m.DiagnosticsStatus(status))
        )

    def describe_station(self) -> dict[str, Any]:
        job = self._current or self.jobs.latest(KIND)
        if job is None:
            return {"diagnostics": {"status": "Idle"}}
        return {
            "diagnostics": {
                "jobId": job.id,
                "status": job.status,
                "fileName": job.file_name,
                "attempt": job.attempt,
            }
        }

    async def _run(self, job: Job) -> None:
        job = self._update(job, state="Uploading", status="Uploading")
        self.notifier.push(job.id, "Uploading")
        assert job.file_name is not None
        archive = inside(self.outbox, job.file_name)
        try:
            location = parse_location(
                job.location, set(self.station.config.get_csl("SupportedFileTransferProtocols"))
            )
            start, stop = job.detail.get("startTime"), job.detail.get("stopTime")
            self.log_files.flush()
            secrets = secrets_of(self.station)
            state = state_dump(self.station)
            logs = await asyncio.to_thread(
                filter_logs,
                self.log_files.files(),
                parse_rfc3339(start) if start else None,
                parse_rfc3339(stop) if stop else None,
                secrets,
            )
            archive.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(write_archive, archive, logs, state, secrets)

            def failed(attempt: int, exc: TransferError) -> None:
                log.warning("diagnostics upload attempt %d failed: %s", attempt, exc)
                self._update(job, attempt=attempt)

            await with_retries(
                lambda: upload(location, archive, job.file_name or "", options=self.options),
                retries=job.retries,
                retry_interval_s=job.retry_interval_s,
                what=f"diagnostics upload to {location.redacted()}",
                on_failure=failed,
            )
        except TransferError as exc:
            log.error("diagnostics upload failed: %s", exc)
            self._finish(job, "UploadFailed")
            return
        except asyncio.CancelledError:
            # Replaced by a newer request or the station stops: the job ends failed.
            with contextlib.suppress(Exception):
                self._finish(job, "UploadFailed", notify=False)
            raise
        finally:
            archive.unlink(missing_ok=True)
        self._finish(job, "Uploaded")

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
