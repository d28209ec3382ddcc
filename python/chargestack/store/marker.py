"""The store's marker file: what the data directory remembers about its store, outside SQLite.

A store can lose state without SQLite noticing: delete ``station.db-wal`` after a crash and
SQLite opens the database file as it was at the last checkpoint; delete (or move aside) the
database and SQLite creates an empty one. Either way the station would start on old or empty
state (open transactions, configuration set over OCPP, local list, reservations, energy
registers) without a word. The marker ``<database>.marker`` (JSON) is written when the
store's schema is first created and on every start and clean stop:

- ``created``: when this data directory's store was created;
- ``running``: true from the start until a clean stop.

At the next start (before SQLite touches the files) the store is *younger than its data
directory* when:

- the marker exists but the database had no schema: it was deleted or replaced by an
  empty file;
- the marker says ``running`` (the station did not stop cleanly, so SQLite left its WAL
  behind) and the WAL file is gone: everything since the last checkpoint is lost.

The finding is returned to the station, which logs it at ERROR and reports it over OCPP, and
the store starts (a charger must keep working); the marker is then rewritten for the new
store, so the finding is reported once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from chargestack.durable_files import replace_file


@dataclass(frozen=True, slots=True)
class MarkerState:
    created: str
    running: bool


def marker_path(database: Path) -> Path:
    return database.with_name(database.name + ".marker")


def wal_path(database: Path) -> Path:
    return database.with_name(database.name + "-wal")


def read_marker(database: Path) -> MarkerState | None:
    """The marker, None when there is none; an unreadable one counts as present."""
    path = marker_path(database)
    try:
        raw = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError):
        return MarkerState(created="unknown (the marker is unreadable)", running=True)
    if not isinstance(raw, dict):
        return MarkerState(created="unknown (the marker is unreadable)", running=True)
    return MarkerState(created=str(raw.get("created", "unknown")), running=bool(raw.get("running")))


def write_marker(database: Path, state: MarkerState) -> None:
    """Replace the marker atomically and durably (temporary file, fsync, rename, fsync dir)."""
    replace_file(
        marker_path(database),
        orjson.dumps({"created": state.created, "running": state.running}),
    )


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def finding(
    database: Path, marker: MarkerState | None, *, fresh: bool, wal_existed: bool
) -> str | None:
    """Why the store is younger than its data directory, or None when it is not."""
    if marker is None:
        return None
    if fresh:
        return (
            f"{database} was created empty at this start, but this data directory's store "
            f"dates from {marker.created}: its transactions, configuration, local list, "
            "reservations and energy registers are gone"
        )
    if marker.running and not wal_existed:
        return (
            f"{wal_path(database).name} is missing after an unclean stop: what {database.name} "
            "held since its last checkpoint (transactions, configuration, registers) is lost"
        )
    return None
