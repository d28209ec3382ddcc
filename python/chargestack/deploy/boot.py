"""The boot step of ``chargestack run`` with the venv installer: start the slot the boot record
names, count the starts of a trial, roll a failing trial back.

It runs before the station (and before the event loop): it reads the boot record; a trial
slot's start is counted, and one that has already had ``max_trial_boots`` starts without
registering (it crashed, hung until the watchdog killed it, or failed to import) is given up
for the previous slot. When the slot to run is not the interpreter running, the process
replaces itself with that slot's interpreter (``os.execve``: same PID, same arguments,
``-I`` so nothing from the environment shadows the slot's packages). The started process
learns from ``CHARGESTACK_BOOT_COUNTED`` that its start was counted already.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from chargestack.files.slots import SlotRecord, read_record, write_record_at_start
from chargestack.files.venv_installer import FACTORY, running_in

log = logging.getLogger("chargestack.deploy.boot")

COUNTED = "CHARGESTACK_BOOT_COUNTED"


def boot_active_slot(data_dir: Path, max_trial_boots: int) -> None:
    """Continue in this process when it runs the active slot; otherwise exec into it."""
    counted = os.environ.pop(COUNTED, None)
    record = read_record(data_dir)
    if record is None:
        return  # never updated: the factory installation runs
    changed = False
    if record.trial is not None and counted != record.active:
        _count_start(record, max_trial_boots)
        changed = True
    if record.trial is not None and not _bootable(record, record.active):
        record.roll_back(f"slot {record.active} has no interpreter")
        changed = True
    if changed:
        write_record_at_start(data_dir, record, f"slot {record.active} to boot")
    environment = record.environments.get(record.active)
    if environment is None or running_in(environment):
        return
    if not _bootable(record, record.active):
        log.error("slot %s has no interpreter; staying on %s", record.active, sys.prefix)
        return
    exec_slot(record.active, environment["python"])


def _count_start(record: SlotRecord, max_trial_boots: int) -> None:
    trial = record.trial
    assert trial is not None
    if trial.attempts >= max_trial_boots:
        reason = f"slot {trial.slot} did not register within {trial.attempts} start(s)"
        log.error("firmware rollback to slot %s: %s", trial.previous, reason)
        record.roll_back(reason)
    else:
        trial.attempts += 1
        log.info("start %d of slot %s on trial", trial.attempts, trial.slot)


def _bootable(record: SlotRecord, slot: str) -> bool:
    environment = record.environments.get(slot)
    return environment is not None and os.access(environment["python"], os.X_OK)


def exec_slot(slot: str, python: str) -> None:
    """Replace this process with ``python -m chargestack.cli`` and the same arguments."""
    isolate = [] if slot == FACTORY else ["-I"]
    argv = [python, *isolate, "-m", "chargestack.cli", *sys.argv[1:]]
    log.warning("starting slot %s: %s", slot, python)
    exec_process(argv, {**os.environ, COUNTED: slot})


def exec_process(argv: list[str], environ: dict[str, str]) -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, environ)
