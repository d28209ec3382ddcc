"""GetLog (whitepaper Ed.3 use case N01): upload the diagnostics or the security log.

GetLog is answered with the file name; the upload follows with LogStatusNotification
(carrying the requestId) Uploading, then Uploaded or UploadFailure. A newer GetLog cancels a
running upload and is answered AcceptedCanceled. The job is persisted in the firmware
profile's ``jobs`` table (kind ``log``): a restart mid-upload ends it with UploadFailure.
The transfer, the log collection and the secret masking are those of GetDiagnostics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zipfile
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages.base import format_rfc3339, parse_rfc3339
from chargestack.ocpp.router import after, on
from chargestack.profiles.firmware.collector import (
    filter_logs,
    redact,
    secrets_of,
    state_dump,
    write_archive,
)
from chargestack.profiles.firmware.errors import TransferError
from chargestack.profiles.firmware.locations import inside, parse_location, safe_file_name
from chargestack.profiles.firmware.logfiles import StationLogFiles
from chargestack.profiles.firmware.notifier import StatusNotifier
from chargestack.profiles.firmware.transfer import transfer_options, upload, with_retries
from chargestack.station.clock import from_ms, to_ms
from chargestack.store.jobs import Job, Jobs
from chargestack.store.security import SecurityLog

if TYPE_CHECKING:
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.security.logs")

KIND = "log"


class LogUploadService:
    def __init__(self, station: Station, security_log: SecurityLog) -> None:
        self.station = station
        self.security_log = security_log
        self.jobs = Jobs(station.store)
        self.options = transfer_options(station)
        self.default_retries = 1
        self.default_retry_interval_s = 30
        self.notifier = StatusNotifier(station, self._notification, self._acknowledged)
        self._own_log_files: StationLogFiles | None = None
        self._task: asyncio.Task[None] | None = None
        self._current: Job | None = None

    @property
    def outbox(self) -> Path:
        return self.station.settings.data_dir / "logs-outbox"

    async def start(self) -> None:
        if getattr(self.station, "diagnostics", None) is None:
            # Without the FirmwareManagement profile nobody writes the station's log files.
            self._own_log_files = StationLogFiles(
                self.station.settings.data_dir, self.station.settings.identity.charge_point_id
            )
            self._own_log_files.open()
        for job in self.jobs.open_jobs(KIND):
            log.warning("log upload %s interrupted by a restart", job.file_name)
            self._finish(job, "UploadFailure")
        latest = self.jobs.unnotified(KIND)
        if latest is not None and latest.status != "Idle":
            self.notifier.push(latest.id, latest.status)
        self.jobs.prune(KIND, keep=20)
        self.station.spawn(self.notifier.run(), "log-notifier")

    async def stop(self) -> None:
        if self._own_log_files is not None:
            self._own_log_files.close()

    def _log_files(self) -> StationLogFiles | None:
        diagnostics = getattr(self.station, "diagnostics", None)
        files: StationLogFiles | None = getattr(diagnostics, "log_files", self._own_log_files)
        return files

    # -- OCPP ------------------------------------------------------------------------------

    @on("GetLog")
    async def get_log(self, request: m.GetLogRequest) -> m.GetLogResponse:
        try:
            parse_location(
                request.log.remote_location,
                set(self.station.config.get_csl("SupportedFileTransferProtocols")),
            )
        except TransferError as exc:
            log.info("GetLog refused: %s", exc)
            return m.GetLogResponse(status=m.LogStatus("Rejected"))
        canceled = self._task is not None and not self._task.done()
        if canceled and self._task is not None:
            self._task.cancel()
        for job in self.jobs.open_jobs(KIND):
            self._finish(job, "UploadFailure", notify=False)
        now = self.station.clock.now()
        kind = "security" if request.log_type.value == "SecurityLog" else "diagnostics"
        cp_id = self.station.settings.identity.charge_point_id
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        file_name = safe_file_name(f"{kind}-log-{cp_id}-{stamp}-{request.request_id}.zip")
        oldest, latest = request.log.oldest_timestamp, request.log.latest_timestamp
        self._current = self.jobs.create(
            kind=KIND,
            request_id=request.request_id,
            location=request.log.remote_location,
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
                "logType": request.log_type.value,
                "oldest": format_rfc3339(oldest) if oldest else None,
                "latest": format_rfc3339(latest) if latest else None,
            },
        )
        status = "AcceptedCanceled" if canceled else "Accepted"
        return m.GetLogResponse(status=m.LogStatus(status), filename=file_name)

    @after("GetLog")
    async def begin(self, request: m.GetLogRequest) -> None:
        job = self._current
        if job is not None and not job.finished and job.state == "Scheduled":
            self._task = self.station.spawn(self._run(job), "log-upload")

    async def send_status_notification(self) -> None:
        """ExtendedTriggerMessage(LogStatusNotification): Uploading while busy, else Idle."""
        job = self._current
        if self._task is not None and not self._task.done() and job is not None:
            request = m.LogStatusNotificationRequest(
                status=m.UploadLogStatus("Uploading"), request_id=job.request_id
            )
        else:
            request = m.LogStatusNotificationRequest(status=m.UploadLogStatus("Idle"))
        await self.station.send(request)

    # -- the upload ------------------------------------------------------------------------

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
                log.warning("log upload attempt %d failed: %s", attempt, exc)
                self._update(job, attempt=attempt)

            await with_retries(
                lambda: upload(location, archive, job.file_name or "", options=self.options),
                retries=job.retries,
                retry_interval_s=job.retry_interval_s,
                what=f"log upload to {location.redacted()}",
                on_failure=failed,
            )
        except TransferError as exc:
            log.error("log upload failed: %s", exc)
            self._finish(job, "UploadFailure")
            return
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                self._finish(job, "UploadFailure", notify=False)
            raise
        finally:
            archive.unlink(missing_ok=True)
        self._finish(job, "Uploaded")

    async def _collect(self, job: Job, archive: Path) -> None:
        oldest, latest = job.detail.get("oldest"), job.detail.get("latest")
        start = parse_rfc3339(oldest) if oldest else None
        stop = parse_rfc3339(latest) if latest else None
        secrets = secrets_of(self.station)
        archive.parent.mkdir(parents=True, exist_ok=True)
        if job.detail.get("logType") == "SecurityLog":
            entries = self.security_log.entries(
                to_ms(start) if start else None, to_ms(stop) if stop else None
            )
            lines = "".join(
                f"{format_rfc3339(from_ms(e.at_ms))} {e.type}"
                f"{' critical' if e.critical else ''}{f': {e.tech_info}' if e.tech_info else ''}\n"
                for e in entries
            )
            await asyncio.to_thread(_write_security_log, archive, redact(lines, secrets))
            return
        files = self._log_files()
        if files is not None:
            files.flush()
        logs = await asyncio.to_thread(
            filter_logs, files.files() if files is not None else [], start, stop, secrets
        )
        await asyncio.to_thread(write_archive, archive, logs, state_dump(self.station), secrets)

    # -- persistence and notification -------------------------------------------------------

    def _notification(self, job_id: int, status: str) -> m.LogStatusNotificationRequest:
        job = self.jobs.get(job_id)
        return m.LogStatusNotificationRequest(
            status=m.UploadLogStatus(status), request_id=job.request_id if job else None
        )

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


def _write_security_log(dest: Path, text: str) -> None:
    tmp = dest.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("security.log", text)
    tmp.replace(dest)
