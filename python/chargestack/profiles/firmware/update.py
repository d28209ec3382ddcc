"""UpdateFirmware (OCPP 1.6 sections 5.19 and 4.5): a persisted job from download to boot.

States of a job (the ``jobs`` row, committed at every step; the OCPP status in brackets)::

    Scheduled -> Downloading -> Downloaded -> Installing -> Rebooting -> Installed
    (Idle)       (Downloading)  (Downloaded)  (Installing)  (Installing)  (Installed)
                      \\-> DownloadFailed           \\-> InstallationFailed (also rollback)

Each status is notified once per request. A restart during Scheduled/Downloading/Downloaded
resumes the job (the partial file stays: the next attempt continues it); a restart during
Installing fails it cleanly, since the boot record still names the old slot. Installation
waits until no transaction runs; meanwhile every connector is Unavailable. Installed is
reported only by the new firmware, once its BootNotification has been accepted.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from chargestack.files.errors import TransferError
from chargestack.files.firmware_lane import FirmwareLane, Room
from chargestack.files.install_flow import FirmwareJobService, InstallSite
from chargestack.files.installer import BootOutcome, BootReport, Installer
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Refuse, after, on
from chargestack.redaction import redact_url
from chargestack.station.block import Block
from chargestack.station.clock import to_ms
from chargestack.station.file_job_host import file_job_context
from chargestack.store.jobs import Job

if TYPE_CHECKING:
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.firmware")

KIND = "firmware"
STATUS_OF = {
    "Scheduled": "Idle",
    "Downloading": "Downloading",
    "Downloaded": "Downloaded",
    "Installing": "Installing",
    "Rebooting": "Installing",
    "Installed": "Installed",
    "DownloadFailed": "DownloadFailed",
    "InstallationFailed": "InstallationFailed",
}
FINAL = frozenset({"Installed", "DownloadFailed", "InstallationFailed", "Superseded"})


class FirmwareService(FirmwareJobService, Block):
    """The UpdateFirmware handler and its job runner (a ``TransactionObserver``: installing
    waits for the transactions to end)."""

    def __init__(
        self,
        station: Station,
        site: InstallSite,
        lane: FirmwareLane,
        installer: Installer | None = None,
    ) -> None:
        """``site``: the station's connectors as the installation takes them out of service;
        ``lane``: which firmware job may run (both shared with the signed firmware job)."""
        super().__init__(
            file_job_context(station),
            site,
            lane,
            KIND,
            STATUS_OF,
            lambda _job, status: m.FirmwareStatusNotificationRequest(
                status=m.FirmwareStatus(status)
            ),
        )
        self._installer = installer
        self.progress: tuple[int, int | None] = (0, None)
        self._boot = BootReport(BootOutcome.NORMAL)
        self.station = station

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._boot = await self.installer.on_boot()
        self.station.firmware_version = (
            self.installer.active_version() or self.station.firmware_version
        )
        await super().start()

    def _trial_timeout(self, job: Job) -> float | None:
        if self._boot.outcome is not BootOutcome.TRIAL or self._boot.job_id != job.id:
            return None
        trial = self.installer.trial()
        return trial.confirm_timeout_s if trial else self.confirm_timeout_s

    def _failure_reason(self, job: Job) -> str:
        if self._boot.job_id == job.id and self._boot.reason is not None:
            return self._boot.reason
        return super()._failure_reason(job)

    # -- OCPP --------------------------------------------------------------------------------

    @on(Action.UPDATE_FIRMWARE, without_storage=Refuse())
    async def update_firmware(self, request: m.UpdateFirmwareRequest) -> m.UpdateFirmwareResponse:
        now = self.station.clock.now_ms()
        if self.lane.make_room(now) is Room.REFUSED:
            # A firmware job (of either kind) is installing: a second installation must not
            # start meanwhile. UpdateFirmware.conf has no status (section 6.46), so the
            # request cannot be refused in the answer; it is dropped, and the central
            # system learns the outcome from the running job's status notifications.
            log.warning("UpdateFirmware dropped: a firmware installation is in progress")
            return m.UpdateFirmwareResponse()
        self._schedule(
            location=request.location,
            not_before_ms=to_ms(request.retrieve_date),
            retries=request.retries,
            retry_interval_s=request.retry_interval,
            now_ms=now,
            detail={"maxBytes": self.max_image_bytes, "confirmTimeoutS": self.confirm_timeout_s},
        )
        return m.UpdateFirmwareResponse()

    @after(Action.UPDATE_FIRMWARE)
    async def wake(self, request: m.UpdateFirmwareRequest) -> None:
        self._wake.set()

    async def send_status_notification(self) -> None:
        """TriggerMessage(FirmwareStatusNotification): the running job's status, else Idle."""
        status = "Idle"
        if self._confirming is not None:
            status = "Installing"
        elif self._current is not None and self._current.state not in FINAL:
            status = STATUS_OF.get(self._current.state, "Idle")
        await self.station.send(
            m.FirmwareStatusNotificationRequest(status=m.FirmwareStatus(status))
        )

    def describe_station(self) -> dict[str, Any]:
        job = self._current or self.jobs.latest(KIND)
        if job is None:
            return {"firmware": {"version": self.station.firmware_version, "status": "Idle"}}
        done, total = (
            self.progress if self._current is not None else (job.bytes_done, job.bytes_total)
        )
        return {
            "firmware": {
                "version": self.station.firmware_version,
                "jobId": job.id,
                "state": job.state,
                "status": job.status,
                "location": redact_url(job.location),
                "attempt": job.attempt,
                "bytesDone": done,
                "bytesTotal": total,
            }
        }

    # -- the job -----------------------------------------------------------------------------

    def _crash_state(self, job: Job) -> str:
        return "DownloadFailed" if self.replaceable(job) else "InstallationFailed"

    async def _run(self, job: Job) -> None:
        if job.state == "Scheduled":
            await self.station.clock.reach_ms(job.not_before_ms)
            job = self._set(job, "Downloading")
        if job.state == "Downloading":
            job = await self._download(
                job,
                int(job.detail.get("maxBytes", self.max_image_bytes)),
                progress=self._progress,
                on_failure=functools.partial(self._attempt_failed, job),
            )
        if job.state == "Downloaded":
            timeout = float(job.detail.get("confirmTimeoutS", self.confirm_timeout_s))
            await self._install(job, timeout)

    def _progress(self, done: int, total: int | None) -> None:
        self.progress = (done, total)

    def _attempt_failed(self, job: Job, attempt: int, exc: TransferError) -> None:
        log.warning("firmware download attempt %d failed: %s", attempt, exc)
        self.jobs.update(job.id, self.station.clock.now_ms(), attempt=job.attempt + attempt)
