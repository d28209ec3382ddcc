"""The venv installer: the software itself in A/B virtual environments (``installer = "venv"``).

Each slot is a virtual environment under the station's slots directory (``A`` and ``B``); the
installation the service was first started from is the *factory* slot and is never written.
Installing an image built by ``chargestack firmware build-image`` into the inactive slot:

1. verify the whole image (every file's sha256) and that it is for this controller
   (platform tag and CPython version);
2. create the slot's environment afresh and install the image's wheels into it with the
   image's own pip, offline (``--no-index``, no configuration, no cache);
3. check that the slot imports and reports the manifest's version;
4. sync the file system, then switch the boot record atomically to a trial of the slot.

A power cut during 1-3 leaves the record naming the running slot (the half-written one is
referenced by nothing and is replaced by the next installation); after 4 the next start boots
the trial (``chargestack.deploy.boot``), which must register within the confirmation timeout
and ``max_trial_boots`` starts, or the previous slot boots again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import shutil
import sys
from pathlib import Path, PurePosixPath

from chargestack import __version__
from chargestack.files.errors import InstallationError
from chargestack.files.external_command import run_command
from chargestack.files.image import Manifest, read_image
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

log = logging.getLogger("chargestack.firmware.venv")

#: The installation the service was started from before any update.
FACTORY = "factory"
WHEELS = "wheels/"
#: What a slot must import to count as installed; prints the version it reports.
_SELF_TEST = (
    "import chargestack, chargestack._core, chargestack.cli, chargestack.assembly.runner; "
    "print(chargestack.__version__)"
)


def this_environment() -> dict[str, str]:
    """The environment of the running interpreter, as the boot record stores a slot."""
    return {"prefix": sys.prefix, "python": sys.executable}


def running_in(environment: dict[str, str] | None) -> bool:
    return environment is not None and (
        Path(environment["prefix"]).resolve() == Path(sys.prefix).resolve()
    )


def child_environment() -> dict[str, str]:
    """The environment for pip and the slot's self-test: nothing of ours leaks in (a
    PYTHONPATH would shadow the slot's packages, a PIP_FIND_LINKS add other wheels)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def check_target(manifest: Manifest) -> list[str]:
    """The image's wheel file names, once it is known to be software for this controller."""
    machine = platform.machine()
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if manifest.platform is None or manifest.python is None:
        raise InstallationError(
            "image carries no software (no platform in its manifest); "
            "build one with `chargestack firmware build-image`"
        )
    if not manifest.platform.endswith(f"_{machine}") and manifest.platform != "any":
        raise InstallationError(f"image is for {manifest.platform}; this controller is {machine}")
    if manifest.python != running:
        raise InstallationError(f"image is for CPython {manifest.python}; this one is {running}")
    wheels = [PurePosixPath(n).name for n in manifest.files if n.startswith(WHEELS)]
    if not any(_is_dist(w, "chargestack", manifest.version) for w in wheels):
        raise InstallationError(f"image has no chargestack {manifest.version} wheel")
    if not any(_is_dist(w, "pip") for w in wheels):
        raise InstallationError("image has no pip wheel to install itself with")
    return wheels


def _is_dist(wheel: str, name: str, version: str | None = None) -> bool:
    parts = wheel.split("-")
    return (
        wheel.endswith(".whl")
        and len(parts) >= 5
        and parts[0].lower().replace(".", "_") == name
        and (version is None or parts[1] == version)
    )


class VenvSlotInstaller(RecordedTrial):
    """A/B virtual environments; see the module docstring."""

    def __init__(self, data_dir: Path, slots_dir: Path, *, step_timeout_s: float = 900.0) -> None:
        self.data_dir = data_dir
        self.slots_dir = slots_dir
        self.step_timeout_s = step_timeout_s

    def _record(self) -> SlotRecord:
        return read_record(self.data_dir) or SlotRecord(
            active=FACTORY,
            versions={FACTORY: __version__},
            environments={FACTORY: this_environment()},
        )

    async def install(self, image: Path, job_id: int, confirm_timeout_s: float) -> InstallResult:
        manifest, contents = await asyncio.to_thread(read_image, image)
        wheels = check_target(manifest)
        record = await asyncio.to_thread(self._record)
        if record.trial is not None:
            raise InstallationError("an earlier installation is still being confirmed")
        slot = record.inactive()
        environment = await self._build_slot(slot, manifest, contents, wheels)
        record.environments[slot] = environment
        record.versions[slot] = manifest.version
        record.trial = Trial(
            slot=slot, previous=record.active, job_id=job_id, confirm_timeout_s=confirm_timeout_s
        )
        record.active = slot
        record.rolled_back = None
        await asyncio.to_thread(_switch, self.data_dir, record)
        log.info("chargestack %s installed in slot %s; restarting into it", manifest.version, slot)
        return InstallResult(manifest.version, restart=True)

    async def _build_slot(
        self, slot: str, manifest: Manifest, contents: dict[str, bytes], wheels: list[str]
    ) -> dict[str, str]:
        prefix = self.slots_dir / slot
        wheel_dir = self.slots_dir / f"{slot}.wheels"
        await asyncio.to_thread(_prepare, prefix, wheel_dir, contents)
        python = prefix / "bin" / "python"
        pip = wheel_dir / next(w for w in wheels if _is_dist(w, "pip")) / "pip"
        try:
            venv = [sys.executable, "-m", "venv", "--without-pip", str(prefix)]
            await self._run("create the environment", *venv)
            offline = ["--no-index", "--no-cache-dir", "--disable-pip-version-check", "--no-input"]
            requirements = [f"chargestack=={manifest.version}", "pip"]
            log.info("slot %s: installing %d wheels", slot, len(wheels))
            await self._run(
                "pip install",
                str(python),
                str(pip),
                "install",
                *offline,
                "--find-links",
                str(wheel_dir),
                *requirements,
            )
            reported = await self._run("self-test", str(python), "-I", "-c", _SELF_TEST)
        finally:
            await asyncio.to_thread(shutil.rmtree, wheel_dir, True)
        if reported.strip() != manifest.version:
            raise InstallationError(
                f"slot {slot} reports version {reported.strip()!r}, the image {manifest.version!r}"
            )
        return {"prefix": str(prefix), "python": str(python)}

    async def _run(self, what: str, *argv: str) -> str:
        return await run_command(argv, what, self.step_timeout_s, env=child_environment())

    async def on_boot(self) -> BootReport:
        return await asyncio.to_thread(self._on_boot)

    def _on_boot(self) -> BootReport:
        # The boot step (chargestack.deploy.boot) counted this start and chose the slot.
        record = read_record(self.data_dir)
        if record is None:
            return BootReport(BootOutcome.NORMAL)
        trial = record.trial
        if trial is not None:
            if running_in(record.environments.get(trial.slot)):
                return BootReport(BootOutcome.TRIAL, trial.job_id)
            # Started without the boot step (in-process): the trial slot never ran.
            record.roll_back(f"slot {trial.slot} was not started")
            write_record_at_start(self.data_dir, record, "the rollback")
        return rollback_report(record)

    def active_version(self) -> str | None:
        # BootNotification reports the code that runs, whatever the record says.
        return __version__


def _prepare(prefix: Path, wheel_dir: Path, contents: dict[str, bytes]) -> None:
    for stale in (prefix, wheel_dir):
        shutil.rmtree(stale, ignore_errors=True)
    wheel_dir.mkdir(parents=True)
    for name, body in contents.items():
        if name.startswith(WHEELS):
            (wheel_dir / PurePosixPath(name).name).write_bytes(body)


def _switch(data_dir: Path, record: SlotRecord) -> None:
    # The slot's files reach the disk before the record names it (pip does not fsync).
    os.sync()
    write_record(data_dir, record)
