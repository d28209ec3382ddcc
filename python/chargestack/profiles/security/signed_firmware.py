"""SignedUpdateFirmware (whitepaper Ed.3 use case L01): a persisted job from download to boot.

States (the ``jobs`` row, kind ``signed_firmware``; the SignedFirmwareStatusNotification
status, always with the requestId, in brackets)::

    Scheduled -> Downloading -> Downloaded -> SignatureVerified -> [InstallScheduled] ->
                 (Downloading)  (Downloaded)  (SignatureVerified)   (InstallScheduled)
    Installing -> Rebooting -> Installed
    (Installing)  (Installing)
                      \\-> DownloadFailed  \\-> InvalidSignature       \\-> InstallationFailed

InstallScheduled: an installDateTime in the future is waited for (L01.FR.16).

A signing certificate that does not lead to an installed ManufacturerRootCertificate is
refused in the answer (InvalidCertificate); a signature that does not match the image ends
the job with InvalidSignature and nothing is installed. Both are security events. The image
goes to the installer (``files``: the A/B slots UpdateFirmware uses too); Installed is reported by the new
firmware once it has registered, followed by the FirmwareUpdated security event.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from chargestack.files.errors import TransferError
from chargestack.files.firmware_lane import FirmwareLane, Room
from chargestack.files.install_flow import FirmwareJobService, InstallSite
from chargestack.files.installer import Installer
from chargestack.files.locations import parse_location
from chargestack.files.slots import Trial
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Refuse, after, on
from chargestack.profiles.security.certificate_store import MANUFACTURER_ROOT, CertificateStore
from chargestack.profiles.security.events import SecurityEvent, SecurityEvents
from chargestack.profiles.security.firmware_signature import (
    check_signing_certificate,
    image_digest,
    signature_valid,
)
from chargestack.profiles.security.x509_checks import CertificateError, parse_pem_chain
from chargestack.station.block import Block
from chargestack.station.clock import to_ms
from chargestack.station.file_job_host import file_job_context
from chargestack.store.jobs import Job

if TYPE_CHECKING:
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.security.firmware")

KIND = "signed_firmware"
STATUS_OF = {
    "Scheduled": "Idle",
    "Downloading": "Downloading",
    "Downloaded": "Downloaded",
    "SignatureVerified": "SignatureVerified",
    "InstallScheduled": "InstallScheduled",
    "Installing": "Installing",
    "Rebooting": "Installing",
    "Installed": "Installed",
    "DownloadFailed": "DownloadFailed",
    "InvalidSignature": "InvalidSignature",
    "InstallationFailed": "InstallationFailed",
}


class SignedFirmwareService(FirmwareJobService, Block):
    logger = "chargestack.security.firmware"
    label = "signed firmware"
    image_prefix = "signed"
    replaceable_states = frozenset(
        {"Scheduled", "Downloading", "Downloaded", "SignatureVerified", "InstallScheduled"}
    )

    def __init__(
        self,
        station: Station,
        certificates: CertificateStore,
        events: SecurityEvents,
        *,
        site: InstallSite,
        lane: FirmwareLane,
        installer: Installer | None,
        reads_boot_record: bool,
    ) -> None:
        """``installer``: the one UpdateFirmware uses (the two kinds of job share the A/B
        slots, ``site``, the connectors an installation takes out of service, and ``lane``,
        which of their jobs may run); ``reads_boot_record``: no UpdateFirmware service
        reads it at this start."""
        super().__init__(
            file_job_context(station),
            site,
            lane,
            KIND,
            STATUS_OF,
            self._notification,
        )
        self.station = station
        self.certificates = certificates
        self.events = events
        self._shared_installer = installer
        self._reads_boot_record = reads_boot_record
        self._trial: Trial | None = None

    def _make_installer(self) -> Installer:
        return self._shared_installer or super()._make_installer()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._reads_boot_record:
            await self.installer.on_boot()
            self.station.firmware_version = (
                self.installer.active_version() or self.station.firmware_version
            )
        self._trial = self.installer.trial()
        await super().start()

    def _trial_timeout(self, job: Job) -> float | None:
        trial = self._trial
        return trial.confirm_timeout_s if trial is not None and trial.job_id == job.id else None

    def _failure_reason(self, job: Job) -> str:
        return "rolled back or interrupted"

    def _not_installed(self, reason: str) -> None:
        # The whitepaper has no rollback event; the restart into the previous firmware is one.
        self.events.raise_event(SecurityEvent.RESET_OR_REBOOT, f"firmware not installed: {reason}")

    def _installed(self, version: str) -> None:
        super()._installed(version)
        self.events.raise_event(SecurityEvent.FIRMWARE_UPDATED, f"firmware {version}")

    # -- OCPP ------------------------------------------------------------------------------

    @on(
        Action.SIGNED_UPDATE_FIRMWARE,
        without_storage=Refuse(
            m.SignedUpdateFirmwareResponse(status=m.SignedUpdateFirmwareStatus("Rejected"))
        ),
    )
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
        room = self.lane.make_room(now)
        if room is Room.REFUSED:
            # A firmware job (of either kind) is installing: it must finish (L01.FR.27).
            log.info("SignedUpdateFirmware rejected: a firmware installation is in progress")
            return m.SignedUpdateFirmwareResponse(status=m.SignedUpdateFirmwareStatus("Rejected"))
        self._schedule(
            request_id=request.request_id,
            location=firmware.location,
            not_before_ms=to_ms(firmware.retrieve_date_time),
            retries=request.retries,
            retry_interval_s=request.retry_interval,
            now_ms=now,
            detail={
                "signingCertificate": firmware.signing_certificate,
                "signature": firmware.signature,
                "installAtMs": to_ms(firmware.install_date_time)
                if firmware.install_date_time
                else None,
            },
        )
        # L01.FR.24/26: an ongoing update (UpdateFirmware's too) was cancelled for this one.
        status = "AcceptedCanceled" if room is Room.REPLACED else "Accepted"
        return m.SignedUpdateFirmwareResponse(status=m.SignedUpdateFirmwareStatus(status))

    @after(Action.SIGNED_UPDATE_FIRMWARE)
    async def wake(self, request: m.SignedUpdateFirmwareRequest) -> None:
        self._wake.set()

    async def send_status_notification(self) -> None:
        """The running job's status (with its requestId); without one, the status last sent
        unless it was Installed (whitepaper L01.FR.28, L01.FR.29: an InvalidSignature or a
        DownloadFailed is repeated), else Idle."""
        job = self._current
        if self._confirming is not None:
            job = self.jobs.get(self._confirming)
        if job is not None and not job.finished and job.state != "Scheduled":
            await self.station.send(self._notification(job.id, STATUS_OF[job.state]))
            return
        # The finished job's own status: it is what was sent last, or is being sent, in order
        # (``notified`` only follows once the central system has answered).
        last = self.jobs.latest(KIND)
        if last is not None and last.finished and last.status not in ("Idle", "Installed"):
            await self.station.send(self._notification(last.id, last.status))
            return
        await self.station.send(
            m.SignedFirmwareStatusNotificationRequest(status=m.SignedFirmwareStatus("Idle"))
        )

    def _notification(self, job_id: int, status: str) -> m.SignedFirmwareStatusNotificationRequest:
        job = self.jobs.get(job_id)
        return m.SignedFirmwareStatusNotificationRequest(
            status=m.SignedFirmwareStatus(status), request_id=job.request_id if job else None
        )

    # -- the job ---------------------------------------------------------------------------

    async def _run(self, job: Job) -> None:
        if job.state == "Scheduled":
            await self.station.clock.reach_ms(job.not_before_ms)
            job = self._set(job, "Downloading")
        if job.state == "Downloading":
            job = await self._download(job, self.max_image_bytes)
        if job.state == "Downloaded":
            job = await self._verify(job)
        if job.state in ("SignatureVerified", "InstallScheduled"):
            install_at = job.detail.get("installAtMs")
            if isinstance(install_at, int) and self.station.clock.now_ms() < install_at:
                # Whitepaper L01.FR.16: a future installDateTime is announced, then kept.
                job = self._set(job, "InstallScheduled")
                await self.station.clock.reach_ms(install_at)
            await self._install(job, self.confirm_timeout_s)

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
