"""The A/B slot record in the data directory: which slot boots, and a pending trial.

The record (``firmware/boot.json``) is what a bootloader would read, so it lives in a file
rather than the database, and every change replaces it atomically (write a temporary file,
fsync, rename, fsync the directory): after a power cut it names either the old or the new
slot, never a mixture. The Station reads :func:`active_firmware_version` at construction.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson

from chargestack.durable_files import replace_file

log = logging.getLogger("chargestack.firmware.slots")

SLOT_NAMES = ("A", "B")


@dataclass
class Trial:
    """A switch not yet confirmed: the new slot must boot and connect to be kept."""

    slot: str
    previous: str
    job_id: int
    attempts: int = 0
    confirm_timeout_s: float = 300.0


@dataclass
class SlotRecord:
    active: str
    versions: dict[str, str] = field(default_factory=dict)
    trial: Trial | None = None
    # The last trial that was rolled back: job id and why, for the job's final status.
    rolled_back: dict[str, object] | None = None
    # Installed software (venv installer): slot -> {"prefix": environment, "python": path}.
    environments: dict[str, dict[str, str]] = field(default_factory=dict)

    def inactive(self) -> str:
        # The factory installation (venv installer) is never written: A comes after it.
        return SLOT_NAMES[1] if self.active == SLOT_NAMES[0] else SLOT_NAMES[0]

    def roll_back(self, reason: str) -> None:
        """The trial failed: the previous slot boots again."""
        assert self.trial is not None
        self.rolled_back = {"job_id": self.trial.job_id, "reason": reason}
        self.active = self.trial.previous
        self.trial = None


def firmware_dir(data_dir: Path) -> Path:
    return data_dir / "firmware"


def _record_path(data_dir: Path) -> Path:
    return firmware_dir(data_dir) / "boot.json"


def write_record_at_start(data_dir: Path, record: SlotRecord, what: str) -> None:
    """Write the record as a start decided it (``what``: a trial start counted, a rollback);
    on a full or failing disk the decision holds for this start only and is logged: a
    charger must start, and the next start decides again from the record on disk."""
    try:
        write_record(data_dir, record)
    except OSError as exc:
        log.error("cannot write the boot record (%s): %s holds for this start only", exc, what)


def read_record(data_dir: Path) -> SlotRecord | None:
    """The slot record, or None before the first installation (factory firmware)."""
    try:
        raw = orjson.loads(_record_path(data_dir).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    trial = raw.get("trial")
    return SlotRecord(
        active=str(raw["active"]),
        versions={str(k): str(v) for k, v in raw.get("versions", {}).items()},
        trial=Trial(**trial) if isinstance(trial, dict) else None,
        rolled_back=raw.get("rolled_back"),
        environments={
            str(k): {str(a): str(b) for a, b in v.items()}
            for k, v in raw.get("environments", {}).items()
        },
    )


def write_record(data_dir: Path, record: SlotRecord) -> None:
    path = _record_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, orjson.dumps(asdict(record)))


def active_firmware_version(data_dir: Path) -> str | None:
    """The version of the slot that boots, or None when still on the factory firmware."""
    record = read_record(data_dir)
    if record is None:
        return None
    return record.versions.get(record.active)
