"""The life of a firmware job from download to confirmed boot, shared by UpdateFirmware
(OCPP 1.6 section 5.19) and SignedUpdateFirmware (security whitepaper use case L01).

:class:`FirmwareJobService` runs the persisted ``jobs`` rows of one kind, one at a time:
download with retries, then installation once no transaction runs (every connector
Unavailable meanwhile), through the A/B :class:`Installer`; a restart into the new slot is
preceded by the Installing notification, and the new firmware reports Installed once it has
registered, or restarts to roll back when it has not within the confirmation timeout.
Subclasses supply the OCPP side: the handler, the status of each state, the notification
and the steps between download and installation (the signature check).
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from chargestack.files.context import FileJobContext
from chargestack.files.errors import InstallationError, TransferError
from chargestack.files.file_jobs import FileJobService
from chargestack.files.firmware_lane import FirmwareLane
from chargestack.files.installer import Installer
from chargestack.files.installers import make_installer
from chargestack.files.slots import firmware_dir
from chargestack.files.transfer import (
    Progress,
    download,
)
from chargestack.store.jobs import Job

if TYPE_CHECKING:
    from pathlib import Path


#: The first wait, and the longest, before the confirmation of a trial is written again.
_CONFIRM_RETRY_S = 0.5
_CONFIRM_RETRY_MAX_S = 5.0


class InstallSite(Protocol):
    """The charger whose software a firmware job replaces (the station around it)."""

    #: The version BootNotification reports; an installation without restart changes it.
    firmware_version: str

    def take_out_of_service(self) -> None:
        """Every connector Unavailable: at once, or a charging one when its transaction ends."""
        ...

    def transactions_running(self) -> bool: ...

    def restore_service(self) -> None:
        """Every connector back to the availability the central system last set."""
        ...

    def message_timeout_s(self) -> float:
        """How long a CALL may wait for its answer."""
        ...

    def restart_into_firmware(self) -> None:
        """Stop the station to start the software the boot record names."""
        ...


class FirmwareJobService(FileJobService, ABC):
    """The shared job runner; see the module docstring."""

    label = "firmware"
    #: Downloaded images are named ``<image_prefix>-<job id>.img``.
    image_prefix = "job"
    #: The states before installation starts, in which a newer request replaces a job.
    replaceable_states: frozenset[str] = frozenset({"Scheduled", "Downloading", "Downloaded"})

    def __init__(
        self,
        context: FileJobContext,
        site: InstallSite,
        lane: FirmwareLane,
        kind: str,
        status_of: Mapping[str, str],
        make_request: Callable[[int, str], BaseModel],
    ) -> None:
        """``lane``: the station's one, shared by every firmware job service."""
        super().__init__(context, kind, make_request)
        self.site = site
        self.lane = lane
        lane.join(self)
        self.status_of = status_of
        self.max_image_bytes = 256 * 1024 * 1024
        self.confirm_timeout_s = context.settings.firmware.confirm_timeout_s
        self._installer: Installer | None = None
        self._wake = asyncio.Event()
        self._transaction_ended = asyncio.Event()
        self._confirming: int | None = None

    @property
    def installer(self) -> Installer:
        if self._installer is None:
            self._installer = self._make_installer()
        return self._installer

    def _make_installer(self) -> Installer:
        return make_installer(self.context.settings)

    # -- lifecycle: what the previous run left behind ----------------------------------------

    async def start(self) -> None:
        for job in self.jobs.open_jobs(self.kind):
            # "Installing": killed between the switch of the boot record and the next step.
            on_trial = job.state in ("Rebooting", "Installing")
            confirm_within = self._trial_timeout(job) if on_trial else None
            if confirm_within is not None:
                self._confirming = job.id
                self.context.spawn(self._confirm_deadline(confirm_within), f"{self.label}-confirm")
            elif on_trial:
                reason = self._failure_reason(job)
                self.log.error("%s job %d failed: %s", self.label, job.id, reason)
                self._set(job, "InstallationFailed", finished=True)
                self._not_installed(reason)
        self._start_notifier()
        self.context.spawn(self._worker(), f"{self.label}-jobs")

    @abstractmethod
    def _trial_timeout(self, job: Job) -> float | None:
        """The confirmation timeout when ``job`` (Rebooting) is the trial boot now running."""

    def _failure_reason(self, job: Job) -> str:
        return "interrupted by a restart"

    def _not_installed(self, reason: str) -> None:
        """A job ended InstallationFailed at start-up (rolled back or interrupted)."""

    def on_registered(self, reconnect: bool) -> None:
        if self._confirming is None or reconnect:
            return
        job_id = self._confirming
        self._confirming = None
        self.context.spawn(self._confirm(job_id), f"{self.label}-confirmed")

    async def _confirm(self, job_id: int) -> None:
        # Confirmed on disk before it is reported: a crash in between reports it again.
        retry_s = _CONFIRM_RETRY_S
        while True:
            try:
                await self.installer.confirm()
                break
            except OSError as exc:
                # A full disk: the trial stays unconfirmed (a restart now counts another
                # trial start) until the boot record can say it was kept.
                if retry_s == _CONFIRM_RETRY_S:
                    self.log.error("cannot confirm the new %s yet: %s", self.label, exc)
                await asyncio.sleep(retry_s)
                retry_s = min(_CONFIRM_RETRY_MAX_S, retry_s * 2)
        if retry_s != _CONFIRM_RETRY_S:
            self.log.warning("the new %s is confirmed", self.label)
        job = self.jobs.get(job_id)
        if job is not None:
            self._set(job, "Installed", finished=True)
            self._installed(self.site.firmware_version)

    def _installed(self, version: str) -> None:
        """The job ended Installed with ``version`` running (after a restart or without one)."""
        self.log.info("%s %s installed", self.label, version)

    async def _confirm_deadline(self, timeout_s: float) -> None:
        await asyncio.sleep(timeout_s)
        if self._confirming is not None:
            # A registration while the trial is abandoned must not confirm it.
            self._confirming = None
            reason = f"the new {self.label} did not register within {timeout_s}s"
            self.log.error("%s; restarting to roll back", reason)
            await self.installer.abandon_trial(reason)
            self.site.restart_into_firmware()

    # -- TransactionObserver: an installation waits for the last transaction to end ---------

    def transaction_started(self, tx: object) -> None:
        return None

    def transaction_ended(self, connector_id: int) -> None:
        self._transaction_ended.set()

    # -- a new request -----------------------------------------------------------------------

    def open_jobs(self) -> list[Job]:
        return self.jobs.open_jobs(self.kind)

    def replaceable(self, job: Job) -> bool:
        return job.state in self.replaceable_states

    def replace(self, job: Job, now_ms: int) -> None:
        """A newer request (of either kind: ``FirmwareLane``) replaces ``job``: it ends
        without a status of its own, and its run stops where it is."""
        self.log.info("%s job %d superseded by a new request", self.label, job.id)
        self.jobs.update(job.id, now_ms, state="Superseded", notified=job.status, finished=True)
        current = self._current
        if current is not None and current.id == job.id and self._task is not None:
            self._task.cancel()

    # -- the job runner ----------------------------------------------------------------------

    async def _worker(self) -> None:
        while True:
            open_jobs = [j for j in self.jobs.open_jobs(self.kind) if j.state != "Rebooting"]
            if not open_jobs:
                self._current = None
                self._wake.clear()
                await self._wake.wait()
                continue
            job = self._current = open_jobs[0]
            task = self._task = asyncio.ensure_future(self._run(job))
            try:
                # asyncio.wait: a superseded job's cancellation does not end the worker.
                await asyncio.wait({task})
            except asyncio.CancelledError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                raise
            if not task.cancelled() and task.exception() is not None:
                self.log.error("%s job %d crashed", self.label, job.id, exc_info=task.exception())
                latest = self.jobs.get(job.id)
                if latest is not None and not latest.finished:
                    self._set(latest, self._crash_state(latest), finished=True)
                    self._restore_availability()

    @abstractmethod
    async def _run(self, job: Job) -> None:
        """Take ``job`` from its present state as far as it goes in this run."""

    def _crash_state(self, job: Job) -> str:
        """The final state of a job whose runner raised."""
        return "InstallationFailed"

    def _image_path(self, job: Job) -> Path:
        folder = firmware_dir(self.context.settings.data_dir) / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{self.image_prefix}-{job.id}.img"

    async def _download(
        self,
        job: Job,
        max_bytes: int,
        progress: Progress | None = None,
        on_failure: Callable[[int, TransferError], None] | None = None,
    ) -> Job:
        dest = self._image_path(job)
        try:
            location = self._location(job)
            size = await self._with_job_retries(
                job,
                lambda: download(
                    location, dest, max_bytes=max_bytes, options=self.options, progress=progress
                ),
                f"{self.label} download {location.redacted()}",
                on_failure,
            )
        except TransferError as exc:
            self.log.error("%s download failed: %s", self.label, exc)
            dest.unlink(missing_ok=True)
            return self._set(job, "DownloadFailed", finished=True)
        return self._set(job, "Downloaded", bytes_done=size, bytes_total=size)

    async def _install(self, job: Job, confirm_timeout_s: float) -> None:
        await self._wait_until_idle()
        job = self._set(job, "Installing")
        image = self._image_path(job)
        try:
            result = await self.installer.install(image, job.id, confirm_timeout_s)
        except InstallationError as exc:
            self.log.error("%s installation failed: %s", self.label, exc)
            self._set(job, "InstallationFailed", finished=True)
            self._restore_availability()
            return
        finally:
            image.unlink(missing_ok=True)
        if not result.restart:
            self.site.firmware_version = result.version
            self._set(job, "Installed", finished=True)
            self._installed(result.version)
            self._restore_availability()
            return
        self._set(job, "Rebooting")
        # Installing must reach the central system before the restart, or the new
        # firmware would send it a second time.
        await self.notifier.drain(self.site.message_timeout_s())
        self.site.restart_into_firmware()

    async def _wait_until_idle(self) -> None:
        # Connectors go Unavailable at once (a charging one stays Charging until its
        # transaction ends, then Unavailable), so no new transaction starts meanwhile.
        self.site.take_out_of_service()
        while self.site.transactions_running():
            # Every end of a transaction (hardware event or remote stop) calls
            # transaction_ended; nothing can end one between the check and the wait.
            self._transaction_ended.clear()
            await self._transaction_ended.wait()
        # Installing ends in a restart: what the sessions journalled is on disk first.
        await self.context.durable()

    def _restore_availability(self) -> None:
        self.site.restore_service()

    # -- persistence and notification -------------------------------------------------------

    def _set(self, job: Job, state: str, **changes: Any) -> Job:
        status = self.status_of[state]
        updated = self.jobs.update(
            job.id, self.context.clock.now_ms(), state=state, status=status, **changes
        )
        if self._current is not None and self._current.id == job.id:
            self._current = updated
        if status != job.status and status != "Idle":
            self.notifier.push(job.id, status)
        return updated
