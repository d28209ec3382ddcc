"""GetDiagnostics (OCPP 1.6 sections 5.9 and 4.4): collect, upload, notify.

The response names the archive (``fileName``); the collection and the upload follow it:
DiagnosticsStatusNotification Uploading, then Uploaded or UploadFailed once the retries
(``retries``, ``retryInterval``) are spent. The job is persisted: a restart mid-upload ends
it with UploadFailed rather than leaving the central system waiting forever. A newer
GetDiagnostics replaces a running one.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

from chargestack.files.locations import safe_file_name
from chargestack.files.logfiles import StationLogFiles
from chargestack.files.upload_job import UploadJobService
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.messages.base import format_rfc3339, parse_rfc3339
from chargestack.ocpp.router import Refuse, after, on
from chargestack.station.block import Block
from chargestack.station.file_job_host import archive_sources, file_job_context

if TYPE_CHECKING:
    from pathlib import Path

    from chargestack.station.station import Station
    from chargestack.store.jobs import Job

KIND = "diagnostics"


class DiagnosticsService(UploadJobService, Block):
    """The GetDiagnostics handler and its upload job; ``log_files`` are the station's own
    logs (GetLog uploads them too)."""

    logger = "chargestack.diagnostics"
    label = "diagnostics"
    outbox_name = "diagnostics"
    failed_status = "UploadFailed"

    def __init__(self, station: Station) -> None:
        super().__init__(
            file_job_context(station),
            archive_sources(station),
            KIND,
            lambda _job, status: m.DiagnosticsStatusNotificationRequest(
                status=m.DiagnosticsStatus(status)
            ),
        )
        self.log_files = StationLogFiles(
            station.settings.data_dir, station.settings.identity.charge_point_id
        )
        self.station = station

    async def start(self) -> None:
        self.log_files.open()
        await super().start()

    async def stop(self) -> None:
        self.log_files.close()

    @on(Action.GET_DIAGNOSTICS, without_storage=Refuse(m.GetDiagnosticsResponse()))
    async def get_diagnostics(self, request: m.GetDiagnosticsRequest) -> m.GetDiagnosticsResponse:
        self._cancel_running()
        now = self.station.clock.now()
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        cp_id = self.station.settings.identity.charge_point_id
        file_name = safe_file_name(f"diagnostics-{cp_id}-{stamp}.zip")
        for job in self.jobs.open_jobs(KIND):
            self._finish(job, "UploadFailed")
        self._current = self._schedule(
            location=request.location,
            file_name=file_name,
            retries=request.retries,
            retry_interval_s=request.retry_interval,
            detail={
                "startTime": format_rfc3339(request.start_time) if request.start_time else None,
                "stopTime": format_rfc3339(request.stop_time) if request.stop_time else None,
            },
        )
        return m.GetDiagnosticsResponse(file_name=file_name)

    @after(Action.GET_DIAGNOSTICS)
    async def begin(self, request: m.GetDiagnosticsRequest) -> None:
        job = self._current
        if job is not None and not job.finished:
            self._begin(job)

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

    async def _collect(self, job: Job, archive: Path) -> None:
        start, stop = job.detail.get("startTime"), job.detail.get("stopTime")
        await self._archive_station_logs(
            self.log_files,
            archive,
            parse_rfc3339(start) if start else None,
            parse_rfc3339(stop) if stop else None,
        )
