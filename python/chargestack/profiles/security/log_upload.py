"""GetLog (whitepaper Ed.3 use case N01): upload the diagnostics or the security log.

GetLog is answered with the file name; the upload follows with LogStatusNotification
(carrying the requestId) Uploading, then Uploaded or UploadFailure. A newer GetLog cancels a
running upload and is answered AcceptedCanceled. The job is persisted in the store's ``jobs``
table (kind ``log``): a restart mid-upload ends it with UploadFailure. The job itself
(collect, upload with retries, notify) is GetDiagnostics' too: ``files.upload_job``.
"""

from __future__ import annotations

import asyncio
import logging
import zipfile
from datetime import UTC
from typing import TYPE_CHECKING

from chargestack.files.errors import TransferError
from chargestack.files.locations import parse_location, safe_file_name
from chargestack.files.logfiles import StationLogFiles
from chargestack.files.upload_job import UploadJobService
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.messages.base import format_rfc3339, parse_rfc3339
from chargestack.ocpp.router import Refuse, after, on
from chargestack.redaction import redact
from chargestack.station.block import Block
from chargestack.station.clock import from_ms, to_ms
from chargestack.station.file_job_host import archive_sources, file_job_context

if TYPE_CHECKING:
    from pathlib import Path

    from chargestack.station.station import Station
    from chargestack.store.jobs import Job
    from chargestack.store.security import SecurityLog

log = logging.getLogger("chargestack.security.logs")

KIND = "log"


class LogUploadService(UploadJobService, Block):
    logger = "chargestack.security.logs"
    label = "log"
    outbox_name = "logs-outbox"
    failed_status = "UploadFailure"

    def __init__(
        self,
        station: Station,
        security_log: SecurityLog,
        station_log_files: StationLogFiles | None,
    ) -> None:
        """``station_log_files``: the station's logs when GetDiagnostics keeps them (the
        FirmwareManagement profile); without it this service keeps them itself."""
        super().__init__(
            file_job_context(station), archive_sources(station), KIND, self._notification
        )
        self.station = station
        self.security_log = security_log
        self._shared_log_files = station_log_files
        self._own_log_files: StationLogFiles | None = None

    async def start(self) -> None:
        if self._shared_log_files is None:
            # Without the FirmwareManagement profile nobody writes the station's log files.
            self._own_log_files = StationLogFiles(
                self.station.settings.data_dir, self.station.settings.identity.charge_point_id
            )
            self._own_log_files.open()
        await super().start()

    async def stop(self) -> None:
        if self._own_log_files is not None:
            self._own_log_files.close()

    def _log_files(self) -> StationLogFiles | None:
        return self._shared_log_files or self._own_log_files

    # -- OCPP ------------------------------------------------------------------------------

    @on(Action.GET_LOG, without_storage=Refuse(m.GetLogResponse(status=m.LogStatus("Rejected"))))
    async def get_log(self, request: m.GetLogRequest) -> m.GetLogResponse:
        try:
            parse_location(
                request.log.remote_location,
                set(self.station.config.get_csl("SupportedFileTransferProtocols")),
            )
        except TransferError as exc:
            log.info("GetLog refused: %s", exc)
            return m.GetLogResponse(status=m.LogStatus("Rejected"))
        canceled = self._cancel_running()
        for job in self.jobs.open_jobs(KIND):
            self._finish(job, "UploadFailure", notify=False)
        now = self.station.clock.now()
        kind = "security" if request.log_type.value == "SecurityLog" else "diagnostics"
        cp_id = self.station.settings.identity.charge_point_id
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        file_name = safe_file_name(f"{kind}-log-{cp_id}-{stamp}-{request.request_id}.zip")
        oldest, latest = request.log.oldest_timestamp, request.log.latest_timestamp
        self._current = self._schedule(
            request_id=request.request_id,
            location=request.log.remote_location,
            file_name=file_name,
            retries=request.retries,
            retry_interval_s=request.retry_interval,
            detail={
                "logType": request.log_type.value,
                "oldest": format_rfc3339(oldest) if oldest else None,
                "latest": format_rfc3339(latest) if latest else None,
            },
        )
        status = "AcceptedCanceled" if canceled else "Accepted"
        return m.GetLogResponse(status=m.LogStatus(status), filename=file_name)

    @after(Action.GET_LOG)
    async def begin(self, request: m.GetLogRequest) -> None:
        job = self._current
        if job is not None and not job.finished and job.state == "Scheduled":
            self._begin(job)

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

    def _notification(self, job_id: int, status: str) -> m.LogStatusNotificationRequest:
        job = self.jobs.get(job_id)
        return m.LogStatusNotificationRequest(
            status=m.UploadLogStatus(status), request_id=job.request_id if job else None
        )

    # -- the archive -----------------------------------------------------------------------

    async def _collect(self, job: Job, archive: Path) -> None:
        oldest, latest = job.detail.get("oldest"), job.detail.get("latest")
        start = parse_rfc3339(oldest) if oldest else None
        stop = parse_rfc3339(latest) if latest else None
        if job.detail.get("logType") != "SecurityLog":
            await self._archive_station_logs(self._log_files(), archive, start, stop)
            return
        entries = self.security_log.entries(
            to_ms(start) if start else None, to_ms(stop) if stop else None
        )
        lines = "".join(
            f"{format_rfc3339(from_ms(e.at_ms))} {e.type}"
            f"{' critical' if e.critical else ''}{f': {e.tech_info}' if e.tech_info else ''}\n"
            for e in entries
        )
        archive.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(_write_security_log, archive, redact(lines, self.sources.secrets()))


def _write_security_log(dest: Path, text: str) -> None:
    tmp = dest.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("security.log", text)
    tmp.replace(dest)
