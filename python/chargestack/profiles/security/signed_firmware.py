"""SignedUpdateFirmware (whitepaper Ed.3 use case L01): a persisted job from download to boot.

States (the ``jobs`` row, kind ``signed_firmware``; the SignedFirmwareStatusNotification
status, always with the requestId, in brackets)::

    Scheduled -> Downloading -> Downloaded -> SignatureVerified -> Installing -> Rebooting
                 (Downloading)  (Downloaded)  (SignatureVerified)   (Installing)   -> Installed
                      \\-> DownloadFailed  \\-> InvalidSignature       \\-> InstallationFailed

A signing certificate that does not lead to an installed ManufacturerRootCertificate is
refused in the answer (InvalidCertificate); a signature that does not match the image ends
the job with InvalidSignature and nothing is installed. Both are security events. The image
goes to the firmware profile's installer (A/B slots); Installed is reported by the new
firmware once it has registered, followed by the FirmwareUpdated security event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chargestack.ocpp import messages as m
from chargestack.ocpp.router import after, on
from chargestack.profiles.firmware.errors import InstallationError, TransferError
from chargestack.profiles.firmware.installer import Installer, SlotInstaller
from chargestack.profiles.firmware.locations import parse_location
from chargestack.profiles.firmware.notifier import StatusNotifier
from chargestack.profiles.firmware.slots import firmware_dir
from chargestack.profiles.firmware.transfer import download, with_retries
from chargestack.profiles.firmware.update import transfer_options
from chargestack.profiles.security.certificate_store import MANUFACTURER_ROOT, CertificateStore
from chargestack.profiles.security.events import SecurityEvent, SecurityEvents
from chargestack.profiles.security.firmware_signature import (
    check_signing_certificate,
    image_digest,
    signature_valid,
)
from chargestack.profiles.security.x509_checks import CertificateError, parse_pem_chain
from chargestack.station.clock import to_ms
from chargestack.station.waiting import wait_event
from chargestack.store.jobs import Job, Jobs

if TYPE_CHECKING:
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.security.firmware")

KIND = "signed_firmware"
STATUS_OF = {
    "Scheduled": "Idle",
    "Downloading": "Downloading",
    "Downloaded": "Downloaded",
    "SignatureVerified": "SignatureVerified",
    "Installing": "Installing",
    "Rebooting": "Installing",
    "Installed": "Installed",
    "DownloadFailed": "DownloadFailed",
    "InvalidSignature": "InvalidSignature",
    "InstallationFailed": "InstallationFailed",
}
_REPLACEABLE = frozenset({"Scheduled", "Downloading", "Downloaded", "SignatureVerified"})


class SignedFirmwareService:
    def __init__(
        self, station: Station, certificates: CertificateStore, events: SecurityEvents
    ) -> None:
        self.station = station
        self.certificates = certificates
        self.events = events
        self.jobs = Jobs(station.store)
        self.options = transfer_options(station)
        self.max_image_bytes = 256 * 1024 * 1024
        self.confirm_timeout_s = 300.0
        self.default_retries = 1
        self.default_retry_interval_s = 30
        self.idle_poll_s = 0.5
        self.notifier = StatusNotifier(station, self._notification, self._acknowledged)
        self._installer: Installer | None = None
        self._wake = asyncio.Event()
        self._hardware_changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._current: Job | None = None
        self._confirming: int | None = None

    @property
    def installer(self) -> Installer:
        if self._installer is None:
            firmware = getattr(self.station, "firmware", None)
            shared: Installer | None = getattr(firmware, "installer", None)
            self._installer = shared or SlotInstaller(
                self.station.settings.data_dir, self.station.firmware_version
            )
        return self._installer

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if getattr(self.station, "firmware", None) is None:
            # Without FirmwareManagement nobody else reads the boot record at this start.
            self.installer.on_boot()
            self.station.firmware_version = (
                self.installer.active_version() or self.station.firmware_version
            )
        trial = self.installer.trial()
        for job in self.jobs.open_jobs(KIND):
            if job.state == "Rebooting" and trial is not None and trial.job_id == job.id:
                self._confirming = job.id
                self.station.spawn(self._confirm_deadline(trial.confirm_timeout_s), "signed-fw")
            elif job.state in ("Rebooting", "Installing"):
                log.error("signed firmware job %d failed: rolled back or interrupted", job.id)
                self._set(job, "InstallationFailed", finished=True)
        latest = self.jobs.unnotified(KIND)
        if latest is not None and latest.status != "Idle":
            self.notifier.push(latest.id, latest.status)
        self.jobs.prune(KIND, keep=20)
        self.station.spawn(self.notifier.run(), "signed-firmware-notifier")
        self.station.spawn(self._worker(), "signed-firmware-jobs")

    def on_registered(self, reconnect: bool) -> None:
        if self._confirming is None or reconnect:
            return
        job = self.jobs.get(self._confirming)
        self._confirming = None
        self.installer.confirm()
        if job is not None:
            self._set(job, "Installed", finished=True)
            self.events.raise_event(
                SecurityEvent.FIRMWARE_UPDATED, f"firmware {self.station.firmware_version}"
            )

    async def _confirm_deadline(self, timeout_s: float) -> None:
        await asyncio.sleep(timeout_s)
        if self._confirming is not None:
            from chargestack.station.station import StopKind

            log.error("signed firmware did not register within %ss; rolling back", timeout_s)
            self.station.request_stop(StopKind.SOFT_RESET)

    async def on_hardware_event(self, event: object) -> None:
        self._hardware_changed.set()

    # -- OCPP ------------------------------------------------------------------------------

    @on("SignedUpdateFirmware")
    async def signed_update_firmware(
        self, request: m.SignedUpdateFirmwareRequest
    ) -> m.SignedUpdateFirmwareResponse:
        firmware = request.firmware
        try:
            check_signing_certificate(
                firmware.signing_certificate,
                self.certificates.roots(MANUFACTURER_ROOT),
                self.station.clock.now(),
            )
            parse_location(
                firmware.location,
                set(self.station.config.get_csl("SupportedFileTransferProtocols")),
            )
        except CertificateError as exc:
            log.warning("SignedUpdateFirmware: signing certificate refused: %s", exc)
            self.events.raise_event(SecurityEvent.INVALID_FIRMWARE_SIGNING_CERTIFICATE, str(exc))
            return m.SignedUpdateFirmwareResponse(
                status=m.SignedUpdateFirmwareStatus("InvalidCertificate")
            )
        except TransferError as exc:
            log.info("SignedUpdateFirmware refused: %s", exc)
            return m.SignedUpdateFirmwareResponse(status=m.SignedUpdateFirmwareStatus("Rejected"))
        now = self.station.clock.now_ms()
        canceled = False
        for job in self.jobs.open_jobs(KIND):
            if job.state not in _REPLACEABLE:
                # From Installing on a job must finish (whitepaper L01: Rejected).
                return m.SignedUpdateFirmwareResponse(
                    status=m.SignedUpdateFirmwareStatus("Rejected")
                )
            canceled = True
            self.jobs.update(job.id, now, state="Superseded", notified=job.status, finished=True)
        if canceled and self._task is not None:
            self._task.cancel()
        self.jobs.create(
            kind=KIND,
            request_id=request.request_id,
            location=firmware.location,
            state="Scheduled",
            status="Idle",
            retries=request.retries if request.retries is not None else self.default_retries,
            retry_interval_s=(
                request.retry_interval
                if request.retry_interval is not None
                else self.default_retry_interval_s
            ),
            not_before_ms=to_ms(firmware.retrieve_date_time),
            now_ms=now,
            detail={
                "signingCertificate": firmware.signing_certificate,
                "signature": firmware.signature,
                "installAtMs": to_ms(firmware.install_date_time)
                if firmware.install_date_time
                else None,
            },
        )
        status = "AcceptedCanceled" if canceled else "Accepted"
        return m.SignedUpdateFirmwareResponse(status=m.SignedUpdateFirmwareStatus(status))

    @after("SignedUpdateFirmware")
    async def wake(self, request: m.SignedUpdateFirmwareRequest) -> None:
        self._wake.set()

    # -- the job runner --------------------------------------------------------------------

    async def _worker(self) -> None:
        while True:
            jobs = [j for j in self.jobs.open_jobs(KIND) if j.state != "Rebooting"]
            if not jobs:
                self._current = None
                self._wake.clear()
                await self._wake.wait()
                continue
            self._current = jobs[0]
            task = self._task = asyncio.ensure_future(self._run(jobs[0]))
            try:
                # asyncio.wait: a superseded job's cancellation does not end the worker.
                await asyncio.wait({task})
            except asyncio.CancelledError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                raise
            if not task.cancelled() and task.exception() is not None:
                log.error("signed firmware job crashed", exc_info=task.exception())
                latest = self.jobs.get(jobs[0].id)
                if latest is not None and not latest.finished:
                    self._set(latest, "InstallationFailed", finished=True)
                    self._restore_availability()

    async def _run(self, job: Job) -> None:
        if job.state == "Scheduled":
            await _sleep_until(self.station.clock.now_ms(), job.not_before_ms)
            job = self._set(job, "Downloading")
        if job.state == "Downloading":
            job = await self._download(job)
        if job.state == "Downloaded":
            job = await self._verify(job)
        if job.state == "SignatureVerified":
            install_at = job.detail.get("installAtMs")
            if isinstance(install_at, int):
                await _sleep_until(self.station.clock.now_ms(), install_at)
            await self._install(job)

    def _image_path(self, job: Job) -> Path:
        folder = firmware_dir(self.station.settings.data_dir) / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"signed-{job.id}.img"

    async def _download(self, job: Job) -> Job:
        dest = self._image_path(job)
        try:
            location = parse_location(
                job.location, set(self.station.config.get_csl("SupportedFileTransferProtocols"))
            )
            size = await with_retries(
                lambda: download(
                    location, dest, max_bytes=self.max_image_bytes, options=self.options
                ),
                retries=job.retries,
                retry_interval_s=job.retry_interval_s,
                what=f"signed firmware download {location.redacted()}",
            )
        except TransferError as exc:
            log.error("signed firmware download failed: %s", exc)
            dest.unlink(missing_ok=True)
            return self._set(job, "DownloadFailed", finished=True)
        return self._set(job, "Downloaded", bytes_done=size, bytes_total=size)

    async def _verify(self, job: Job) -> Job:
        image = self._image_path(job)
        certificate = parse_pem_chain(str(job.detail["signingCertificate"]))[0]
        digest = await asyncio.to_thread(image_digest, image)
        if signature_valid(certificate, str(job.detail["signature"]), digest):
            return self._set(job, "SignatureVerified")
        log.error("signed firmware job %d: the signature does not match the image", job.id)
        image.unlink(missing_ok=True)
        self.events.raise_event(
            SecurityEvent.INVALID_FIRMWARE_SIGNATURE, f"requestId {job.request_id}"
        )
        return self._set(job, "InvalidSignature", finished=True)

    async def _install(self, job: Job) -> None:
        await self._wait_until_idle()
        job = self._set(job, "Installing")
        image = self._image_path(job)
        try:
            result = await self.installer.install(image, job.id, self.confirm_timeout_s)
        except InstallationError as exc:
            log.error("signed firmware installation failed: %s", exc)
            self._set(job, "InstallationFailed", finished=True)
            self._restore_availability()
            return
        finally:
            image.unlink(missing_ok=True)
        if not result.restart:
            self.station.firmware_version = result.version
            self._set(job, "Installed", finished=True)
            self.events.raise_event(SecurityEvent.FIRMWARE_UPDATED, f"firmware {result.version}")
            self._restore_availability()
            return
        from chargestack.station.station import StopKind

        self._set(job, "Rebooting")
        await self.notifier.drain(self.station.message_timeout_s())
        self.station.request_stop(StopKind.SOFT_RESET)

    async def _wait_until_idle(self) -> None:
        # As UpdateFirmware: connectors go Unavailable, installation waits for the last
        # transaction to end (woken by hardware events, re-checked for remote stops).
        for connector in self.station.connectors.values():
            connector.facts.operative = False
        self.station.refresh_all()
        transactions = getattr(self.station, "transactions", None)
        while transactions is not None and transactions.active:
            self._hardware_changed.clear()
            await wait_event(self._hardware_changed, self.idle_poll_s)

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

    def _notification(self, job_id: int, status: str) -> m.SignedFirmwareStatusNotificationRequest:
        job = self.jobs.get(job_id)
        return m.SignedFirmwareStatusNotificationRequest(
            status=m.SignedFirmwareStatus(status), request_id=job.request_id if job else None
        )

    def _acknowledged(self, job_id: int, status: str) -> None:
        self.jobs.update(job_id, self.station.clock.now_ms(), notified=status)

    async def send_status_notification(self) -> None:
        """The running job's status (with its requestId), else Idle."""
        job = self._current
        if self._confirming is not None:
            job = self.jobs.get(self._confirming)
        if job is not None and not job.finished and job.state != "Scheduled":
            await self.station.send(self._notification(job.id, STATUS_OF[job.state]))
            return
        await self.station.send(
            m.SignedFirmwareStatusNotificationRequest(status=m.SignedFirmwareStatus("Idle"))
        )


async def _sleep_until(now_ms: int, at_ms: int) -> None:
    if at_ms > now_ms:
        await asyncio.sleep((at_ms - now_ms) / 1000)
