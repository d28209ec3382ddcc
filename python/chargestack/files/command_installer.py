"""The command installer: an OS-level updater does the work (``installer = "command"``).

Controllers that update their whole system image (RAUC, SWUpdate, Mender) have an updater
with its own A/B slots and boot counter. The station hands it the downloaded image and
follows the same trial as the venv installer: ``install`` (the image path substituted for
``{image}``) must exit 0; the station then restarts (``reboot`` when configured, else the
process restart of ``[firmware] restart``); once the new software has registered it runs
``mark_good``; when it does not register within the confirmation timeout or within
``max_trial_boots`` starts it runs ``mark_bad`` and restarts, and the updater's bootloader
falls back. The trial (job, starts, timeout) is kept in the boot record of the data
directory, under the slot name ``system``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from chargestack import __version__
from chargestack.files.errors import InstallationError
from chargestack.files.external_command import run_command
from chargestack.files.installer import (
    BootOutcome,
    BootReport,
    InstallResult,
    RecordedTrial,
    rollback_report,
)
from chargestack.files.slots import (
    SlotRecord,
    Trial,
    read_record,
    write_record,
    write_record_at_start,
)
from chargestack.settings import CommandInstallerSettings

log = logging.getLogger("chargestack.firmware.command")

SYSTEM = "system"


def substitute(argv: list[str], image: Path | None) -> list[str]:
    return [a.replace("{image}", str(image)) if image is not None else a for a in argv]


async def run_updater(argv: list[str], what: str, timeout_s: float) -> None:
    """Run one updater command; InstallationError with its output when it fails."""
    await run_command(argv, f"{what} command", timeout_s, merge_stderr=True)
    log.info("%s command done: %s", what, " ".join(argv))


class CommandInstaller(RecordedTrial):
    """See the module docstring; ``confirm`` and ``abandon_trial`` also run the updater."""

    def __init__(
        self, data_dir: Path, commands: CommandInstallerSettings, *, max_trial_boots: int
    ) -> None:
        self.data_dir = data_dir
        self.commands = commands
        self.max_trial_boots = max_trial_boots
        self._told_good = False

    async def _command(self, argv: list[str], what: str, image: Path | None = None) -> None:
        if argv:
            await run_updater(substitute(argv, image), what, self.commands.timeout_s)

    async def install(self, image: Path, job_id: int, confirm_timeout_s: float) -> InstallResult:
        record = await asyncio.to_thread(read_record, self.data_dir)
        if record is not None and record.trial is not None:
            raise InstallationError("an earlier installation is still being confirmed")
        await self._command(self.commands.install, "install", image)
        trial = Trial(SYSTEM, SYSTEM, job_id, confirm_timeout_s=confirm_timeout_s)
        await asyncio.to_thread(write_record, self.data_dir, SlotRecord(SYSTEM, trial=trial))
        # The updater knows the new version; the running code reports it after the restart.
        return InstallResult(version=__version__, restart=True)

    async def on_boot(self) -> BootReport:
        record = await asyncio.to_thread(read_record, self.data_dir)
        if record is None:
            return BootReport(BootOutcome.NORMAL)
        if record.trial is None:
            return rollback_report(record)
        trial = record.trial
        trial.attempts += 1
        if trial.attempts <= self.max_trial_boots:
            what = f"trial start {trial.attempts}"
            await asyncio.to_thread(write_record_at_start, self.data_dir, record, what)
            return BootReport(BootOutcome.TRIAL, trial.job_id)
        reason = f"the new system did not register within {self.max_trial_boots} start(s)"
        await self._give_up(record, reason)
        return BootReport(BootOutcome.ROLLED_BACK, trial.job_id, reason)

    async def confirm(self) -> None:
        record = await asyncio.to_thread(read_record, self.data_dir)
        if record is None or record.trial is None:
            return
        if not self._told_good:
            try:
                await self._command(self.commands.mark_good, "mark-good")
            except InstallationError as exc:
                # The updater keeps its own boot counter: it falls back on its own if this
                # failed.
                log.error("%s", exc)
            # Once: a confirmation retried on a full disk retries only the record.
            self._told_good = True
        record.trial = None
        await asyncio.to_thread(write_record, self.data_dir, record)

    async def abandon_trial(self, reason: str) -> None:
        record = await asyncio.to_thread(read_record, self.data_dir)
        if record is not None and record.trial is not None:
            await self._give_up(record, reason)

    async def _give_up(self, record: SlotRecord, reason: str) -> None:
        log.error("new system abandoned: %s", reason)
        try:
            await self._command(self.commands.mark_bad, "mark-bad")
        except InstallationError as exc:
            log.error("%s", exc)
        record.roll_back(reason)
        # The updater falls back on its own: the record only keeps our account of it.
        await asyncio.to_thread(write_record_at_start, self.data_dir, record, "the rollback")

    def active_version(self) -> str | None:
        return __version__
