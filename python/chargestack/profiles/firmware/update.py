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

import asyncio
import contextlib
import logging
import ssl
from typing import TYPE_CHECKING, Any

from chargestack.ocpp import messages as m
from chargestack.ocpp.router import after, on
from chargestack.profiles.firmware.errors import InstallationError, TransferError
from chargestack.profiles.firmware.installer import BootOutcome, Installer, SlotInstaller
from chargestack.profiles.firmware.locations import parse_location
from chargestack.profiles.firmware.notifier import StatusNotifier
from chargestack.profiles.firmware.slots import firmware_dir
from chargestack.profiles.firmware.transfer import TransferOptions, download, with_retries
from chargestack.station.clock import to_ms
from chargestack.station.waiting import wait_event
from chargestack.store.jobs import Job, Jobs

if TYPE_CHECKING:
    from pathlib import Path

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
# Before Installing a newer request replaces the job; from Installing on it must finish.
_REPLACEABLE = frozenset({"Scheduled", "Downloading", "Downloaded"})


def transfer_options(station: Station) -> TransferOptions:
    """Trust for HTTPS: the system store plus the central system's CA file, if any."""
    ca_file = station.settings.central_system.ca_file
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    return TransferOptions(ssl_context=context)


class FirmwareService:
    """``station.firmware``: the UpdateFirmware handler and its job runner."""

    def __init__(self, station: Station, installer: Installer | None = None) -> None:
        self.station = station
        self.jobs = Jobs(station.store)
        self.installer: Installer = installer or SlotInstaller(
            station.settings.data_dir, station.firmware_version
        )
        self.max_image_bytes = 256 * 1024 * 1024
        self.confirm_timeout_s = 300.0
        self.default_retries = 1
        self.default_retry_interval_s = 30
        self.idle_poll_s = 0.5
        self.options = transfer_options(station)
        self.progress: tuple[int, int | None] = (0, None)
        self.notifier = StatusNotifier(
            station,
            lambda _job, status: m.FirmwareStatusNotificationRequest(
                status=m.FirmwareStatus(status)
            ),
            self._acknowledged,
        )
        self._wake = asyncio.Event()
        self._hardware_changed = asyncio.Event()
        self._job_task: asyncio.Task[None] | None = None
        self._current: Job | None = None
        self._confirming: int | None = None
        station.firmware = self  # type: ignore[attr-defined]

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        boot = self.installer.on_boot()
        self.station.firmware_version = (
            self.installer.active_version() or self.station.firmware_version
        )
        for job in self.jobs.open_jobs(KIND):
            if (
                job.state == "Rebooting"
                and boot.outcome is BootOutcome.TRIAL
                and boot.job_id == job.id
            ):
                self._confirming = job.id
                trial = self.installer.trial()
                timeout = trial.confirm_timeout_s if trial else self.confirm_timeout_s
                self.station.spawn(self._confirm_deadline(timeout), "firmware-confirm")
            elif job.state in ("Rebooting", "Installing"):
                why = boot.reason if boot.job_id == job.id else "interrupted by a restart"
                log.error("firmware job %d failed: %s", job.id, why)
                self._set(job, "InstallationFailed", finished=True)
        latest = self.jobs.unnotified(KIND)
        if latest is not None and latest.status != "Idle":
            self.notifier.push(latest.id, latest.status)
        self.jobs.prune(KIND, keep=20)
        self.station.spawn(self.notifier.run(), "firmware-notifier")
        self.station.spawn(self._worker(), "firmware-jobs")

    def on_registered(self, reconnect: bool) -> None:
        if self._confirming is None or reconnect:
            return
        job = self.jobs.get(self._confirming)
        self._confirming = None
        self.installer.confirm()
        if job is not None:
            log.info("firmware %s booted and registered", self.station.firmware_version)
            self._set(job, "Installed", finished=True)

    async def _confirm_deadline(self, timeout_s: float) -> None:
        await asyncio.sleep(timeout_s)
        if self._confirming is not None:
            from chargestack.station.station import StopKind

            log.error(
                "new firmware did not register within %ss; restarting to roll back", timeout_s
            )
            self.station.request_stop(StopKind.SOFT_RESET)

    # -- OCPP --------------------------------------------------------------------------------

    @on("UpdateFirmware")
    async def update_firmware(self, request: m.UpdateFirmwareRequest) -> m.UpdateFirmwareResponse:
        now = self.station.clock.now_ms()
        current = self._current
        if current is not None and self._job_task is not None and current.state in _REPLACEABLE:
            self._job_task.cancel()
        for job in self.jobs.open_jobs(KIND):
            if job.state in _REPLACEABLE:
                log.info("firmware job %d superseded by a new UpdateFirmware", job.id)
                self.jobs.update(
                    job.id, now, state="Superseded", notified=job.status, finished=True
                )
        self.jobs.create(
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
            not_before_ms=to_ms(request.retrieve_date),
            now_ms=now,
            detail={"maxBytes": self.max_image_bytes, "confirmTimeoutS": self.confirm_timeout_s},
        )
        return m.UpdateFirmwareResponse()

    @after("UpdateFirmware")
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
                "location": _redacted(job.location),
                "attempt": job.attempt,
                "bytesDone": done,
                "bytesTotal": total,
            }
        }

    # -- the job runner ----------------------------------------------------------------------

    async def _worker(self) -> None:
        while True:
            open_jobs = [j for j in self.jobs.open_jobs(KIND) if j.state != "Rebooting"]
            if not open_jobs:
                self._current = None
                self._wake.clear()
                await self._wake.wait()
                continue
            job = open_jobs[0]
            self._current = job
            task = asyncio.ensure_future(self._run(job))
            self._job_task = task
            try:
                await asyncio.wait({task})
            except asyncio.CancelledError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                raise
            if not task.cancelled() and task.exception() is not None:
                log.error("firmware job %d crashed", job.id, exc_info=task.exception())
                latest = self.jobs.get(job.id)
                if latest is not None and not latest.finished:
                    failed = (
                        "DownloadFailed" if latest.state in _REPLACEABLE else "InstallationFailed"
                    )
                    self._set(latest, failed, finished=True)
                    self._restore_availability()

    async def _run(self, job: Job) -> None:
        if job.state == "Scheduled":
            delay = (job.not_before_ms - self.station.clock.now_ms()) / 1000
            if delay > 0:
                await asyncio.sleep(delay)
            job = self._set(job, "Downloading")
        if job.state == "Downloading":
            job = await self._download(job)
        if job.state == "Downloaded":
            await self._install(job)

    def _image_path(self, job: Job) -> Path:
        folder = firmware_dir(self.station.settings.data_dir) / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"job-{job.id}.img"

    async def _download(self, job: Job) -> Job:
        dest = self._image_path(job)
        max_bytes = int(job.detail.get("maxBytes", self.max_image_bytes))

        def progress(done: int, total: int | None) -> None:
            self.progress = (done, total)

        def failed(attempt: int, exc: TransferError) -> None:
            log.warning("firmware download attempt %d failed: %s", attempt, exc)
            self.jobs.update(job.id, self.station.clock.now_ms(), attempt=job.attempt + attempt)

        try:
            location = parse_location(
                job.location, set(self.station.config.get_csl("SupportedFileTransferProtocols"))
            )
            size = await with_retries(
                lambda: download(
                    location, dest, max_bytes=max_bytes, options=self.options, progress=progress
                ),
                retries=job.retries,
                retry_interval_s=job.retry_interval_s,
                what=f"firmware download {location.redacted()}",
                on_failure=failed,
            )
        except TransferError as exc:
            log.error("firmware download failed: %s", exc)
            dest.unlink(missing_ok=True)
            return self._set(job, "DownloadFailed", finished=True)
        return self._set(job, "Downloaded", bytes_done=size, bytes_total=size)

    async def _install(self, job: Job) -> None:
        await self._wait_until_idle()
        job = self._set(job, "Installing")
        image = self._image_path(job)
        timeout = float(job.detail.get("confirmTimeoutS", self.confirm_timeout_s))
        try:
            result = await self.installer.install(image, job.id, timeout)
        except InstallationError as exc:
            log.error("firmware installation failed: %s", exc)
            self._set(job, "InstallationFailed", finished=True)
            self._restore_availability()
            return
        finally:
            image.unlink(missing_ok=True)
        if not result.restart:
            self.station.firmware_version = result.version
            self._set(job, "Installed", finished=True)
            self._restore_availability()
            return
        from chargestack.station.station import StopKind

        self._set(job, "Rebooting")
        # Installing must reach the central system before the restart, or the new
        # firmware would send it a second time.
        await self.notifier.drain(self.station.message_timeout_s())
        self.station.request_stop(StopKind.SOFT_RESET)

    async def _wait_until_idle(self) -> None:
        # Connectors go Unavailable at once (a charging one stays Charging until its
        # transaction ends, then Unavailable), so no new transaction starts meanwhile.
        for connector in self.station.connectors.values():
            connector.facts.operative = False
        self.station.refresh_all()
        transactions = getattr(self.station, "transactions", None)
        while transactions is not None and transactions.active:
            # A transaction ends on a hardware event (unplug, tag, fault) or a remote stop,
            # which raises no event here: wake on the former, re-check for the latter.
            self._hardware_changed.clear()
            await wait_event(self._hardware_changed, self.idle_poll_s)

    async def on_hardware_event(self, event: object) -> None:
        self._hardware_changed.set()

    def _restore_availability(self) -> None:
        availability = self.station.store.availability
        for cid, connector in self.station.connectors.items():
            connector.facts.operative = availability.get(cid) == "Operative"
        self.station.refresh_all()

    # -- persistence and notification -------------------------------------------------------

    def _set(self, job: Job, state: str, **changes: Any) -> Job:
        status = STATUS_OF[state]
        updated = self.jobs.update(
            job.id, self.station.clock.now_ms(), state=state, status=status, **changes
        )
        if self._current is not None and self._current.id == job.id:
            self._current = updated
        if status != job.status and status != "Idle":
            self.notifier.push(job.id, status)
        return updated

    def _acknowledged(self, job_id: int, status: str) -> None:
        self.jobs.update(job_id, self.station.clock.now_ms(), notified=status)


def _redacted(url: str) -> str:
    try:
        return parse_location(url, {"FTP", "HTTP", "HTTPS"}).redacted()
    except TransferError:
        return url.split("@", 1)[-1] if "@" in url else url
