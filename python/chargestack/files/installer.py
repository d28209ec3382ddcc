"""Installing a downloaded firmware image: the interface, and the simulated A/B slot installer.

The update job hands a verified download to an :class:`Installer` once no transaction is
running; SignedUpdateFirmware (security whitepaper) uses the same interface after its
signature check. Three installers implement it (``[firmware] installer``):
``venv_installer`` (the software in A/B virtual environments), ``command_installer`` (an
OS-level updater) and :class:`SlotInstaller` here, which simulates a controller: it keeps
two slots of plain files in the data directory, writes the image to the inactive one,
switches the boot record atomically to a *trial* of it and asks for a restart, while the
code that runs stays the same. At the next start :meth:`SlotInstaller.on_boot` either keeps
the trial (the new version must now register with the central system: :meth:`confirm`) or,
when the slot is damaged or a previous trial boot never confirmed, rolls back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import orjson

from chargestack.durable_files import fsync_dir
from chargestack.files.errors import InstallationError
from chargestack.files.image import MANIFEST, Manifest, read_image, verify_tree
from chargestack.files.slots import (
    SlotRecord,
    Trial,
    firmware_dir,
    read_record,
    write_record,
    write_record_at_start,
)

log = logging.getLogger("chargestack.firmware.installer")


class BootOutcome(StrEnum):
    NORMAL = "Normal"  # no installation pending
    TRIAL = "Trial"  # running a new slot that still has to prove itself
    ROLLED_BACK = "RolledBack"  # the new slot failed; the previous one runs again


@dataclass(frozen=True, slots=True)
class InstallResult:
    version: str
    restart: bool  # True: the new firmware runs only after a restart


@dataclass(frozen=True, slots=True)
class BootReport:
    outcome: BootOutcome
    job_id: int | None = None
    reason: str | None = None


class Installer(Protocol):
    """What the firmware jobs need from an installer."""

    async def install(self, image: Path, job_id: int, confirm_timeout_s: float) -> InstallResult:
        """Install ``image``; raise InstallationError and leave the running firmware alone."""
        ...

    async def on_boot(self) -> BootReport:
        """Called once per start, before the station connects."""
        ...

    async def confirm(self) -> None:
        """The new firmware booted and registered: keep it."""
        ...

    async def abandon_trial(self, reason: str) -> None:
        """The new firmware did not register in time: the previous one boots next."""
        ...

    def trial(self) -> Trial | None:
        """The unconfirmed installation the station is running, if any."""
        ...

    def active_version(self) -> str | None:
        """The firmware version to report, when the installer knows better than the Station."""
        ...


class RecordedTrial:
    """The trial an installer keeps in the boot record of ``data_dir``."""

    data_dir: Path

    async def confirm(self) -> None:
        await asyncio.to_thread(confirm_trial, self.data_dir)

    async def abandon_trial(self, reason: str) -> None:
        await asyncio.to_thread(abandon_trial, self.data_dir, reason)

    def trial(self) -> Trial | None:
        record = read_record(self.data_dir)
        return None if record is None else record.trial


class SlotInstaller(RecordedTrial):
    """Simulated A/B slots of files under ``<data_dir>/firmware/slots``; see the module
    docstring."""

    def __init__(self, data_dir: Path, running_version: str, *, max_trial_boots: int = 1) -> None:
        self.data_dir = data_dir
        self.running_version = running_version
        self.max_trial_boots = max_trial_boots

    def _slot_dir(self, slot: str) -> Path:
        return firmware_dir(self.data_dir) / "slots" / slot

    def _record(self) -> SlotRecord:
        # Before the first installation the factory firmware is slot A.
        return read_record(self.data_dir) or SlotRecord(
            active="A", versions={"A": self.running_version}
        )

    async def install(self, image: Path, job_id: int, confirm_timeout_s: float) -> InstallResult:
        manifest, contents = await asyncio.to_thread(read_image, image)
        record = self._record()
        if record.trial is not None:
            raise InstallationError("an earlier installation is still being confirmed")
        target = record.inactive()
        await asyncio.to_thread(self._write_slot, target, manifest, contents)
        record.versions[target] = manifest.version
        record.trial = Trial(
            slot=target,
            previous=record.active,
            job_id=job_id,
            confirm_timeout_s=confirm_timeout_s,
        )
        record.active = target
        record.rolled_back = None
        await asyncio.to_thread(write_record, self.data_dir, record)  # the atomic switch
        log.info("firmware %s written to slot %s; restarting into it", manifest.version, target)
        return InstallResult(manifest.version, restart=True)

    def _write_slot(self, slot: str, manifest: Manifest, contents: dict[str, bytes]) -> None:
        final = self._slot_dir(slot)
        staging = final.with_name(f"{slot}.staging")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            for name, body in {
                MANIFEST: orjson.dumps(manifest.as_json()),
                **contents,
            }.items():
                path = staging / name
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("wb") as out:
                    out.write(body)
                    out.flush()
                    os.fsync(out.fileno())
            shutil.rmtree(final, ignore_errors=True)
            os.replace(staging, final)
            fsync_dir(final.parent)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise InstallationError(f"cannot write slot {slot}: {exc}") from exc

    async def on_boot(self) -> BootReport:
        return await asyncio.to_thread(self._on_boot)

    def _on_boot(self) -> BootReport:
        record = read_record(self.data_dir)
        if record is None or record.trial is None:
            return BootReport(BootOutcome.NORMAL)
        trial = record.trial
        trial.attempts += 1
        reason: str | None = None
        if trial.attempts > self.max_trial_boots:
            reason = f"slot {trial.slot} did not confirm within {self.max_trial_boots} boot(s)"
        else:
            try:
                verify_tree(self._slot_dir(trial.slot))
            except InstallationError as exc:
                reason = str(exc)
        if reason is None:
            write_record_at_start(self.data_dir, record, f"trial boot {trial.attempts}")
            log.info("trial boot %d of slot %s", trial.attempts, trial.slot)
            return BootReport(BootOutcome.TRIAL, trial.job_id)
        record.roll_back(reason)
        write_record_at_start(self.data_dir, record, "the rollback")
        log.error("firmware rollback to slot %s: %s", record.active, reason)
        return BootReport(BootOutcome.ROLLED_BACK, trial.job_id, reason)

    def active_version(self) -> str | None:
        record = read_record(self.data_dir)
        return None if record is None else record.versions.get(record.active)


def confirm_trial(data_dir: Path) -> None:
    """Keep the slot on trial (blocking: run it in a thread)."""
    record = read_record(data_dir)
    if record is None or record.trial is None:
        return
    log.info("slot %s confirmed (version %s)", record.active, record.versions.get(record.active))
    record.trial = None
    write_record(data_dir, record)


def abandon_trial(data_dir: Path, reason: str) -> None:
    """Switch back to the previous slot (blocking: run it in a thread)."""
    record = read_record(data_dir)
    if record is None or record.trial is None:
        return
    record.roll_back(reason)
    write_record(data_dir, record)
    log.error("firmware rollback to slot %s: %s", record.active, reason)


def rollback_report(record: SlotRecord) -> BootReport:
    """The last rollback the record names (its job ends InstallationFailed with the reason)."""
    if record.rolled_back is None:
        return BootReport(BootOutcome.NORMAL)
    job_id = record.rolled_back.get("job_id")
    known_job = job_id if isinstance(job_id, int) else None
    return BootReport(BootOutcome.ROLLED_BACK, known_job, str(record.rolled_back.get("reason")))
