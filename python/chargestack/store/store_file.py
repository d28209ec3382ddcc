"""Opening the database file: identity, version, schema and integrity checks, migrations.

Opening never repairs or resets anything: a foreign, damaged or newer database raises
:class:`~chargestack.exceptions.StoreError` with a one-line message and the file is left as
it was. ``chargestack db inspect`` runs the same checks read-only, so a technician sees the
message the station printed.

A full (or failing) disk does not keep an existing store from opening: the migrations it
cannot write are returned as pending, for the store to apply to its working copy and owe to
the file (``disk_writer.py``). A new store on a full disk has nothing to start from: that is
refused, naming the data directory.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chargestack.exceptions import StoreError
from chargestack.store.migration_files import Migration

#: ``PRAGMA application_id`` of every chargestack database: "CHST" in ASCII.
APPLICATION_ID = 0x43485354

# SQLite's primary result codes for "the disk refused it" (extended codes keep them in the
# low byte).
_SQLITE_IOERR = 10
_SQLITE_FULL = 13


@dataclass(frozen=True, slots=True)
class OpenedFile:
    """The file's connection; whether it was new (no schema); the migrations the disk could
    not take (``failure`` says why), in order."""

    conn: sqlite3.Connection
    fresh: bool
    pending: list[Migration]
    failure: sqlite3.Error | None = None


def open_store_file(path: str, migrations: list[Migration], lock_timeout: float) -> OpenedFile:
    """The file's connection, checked and migrated as far as the disk allows.

    The connection holds the file exclusively (one writer: a second station pointed at the
    same data directory fails here) and may be handed to another thread.
    """
    new = not os.path.exists(path)
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, timeout=lock_timeout, check_same_thread=False
        )
    except sqlite3.Error as exc:
        if new and _full(Path(path).parent):
            # SQLite says only "unable to open database file".
            raise StoreError(_no_room(path, exc)) from exc
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    try:
        return _prepare(conn, path, migrations)
    except BaseException:
        conn.close()
        raise


def is_disk_failure(exc: sqlite3.Error) -> bool:
    """The disk refused a write (full, or an I/O error), not the statement."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_SQLITE_IOERR, _SQLITE_FULL)


def apply_migrations(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
    """Apply ``migrations`` in order, each in its own transaction; raises the sqlite3 error
    of the one that failed (rolled back)."""
    for migration in migrations:
        _apply_script(conn, migration)


def check_readable(conn: sqlite3.Connection, path: str, migrations: list[Migration]) -> None:
    """The station's checks on a read-only connection; raises the station's StoreError."""
    app_id = _first_read(conn, path)
    try:
        _check_identity(conn, path, app_id, migrations)
        _check_integrity(conn, path)
    except sqlite3.DatabaseError as exc:
        raise StoreError(_corrupt(path, exc)) from exc


def _corrupt(path: str, exc: sqlite3.DatabaseError) -> str:
    return f"database {path} is corrupt ({exc}); it was left untouched"


def _first_read(conn: sqlite3.Connection, path: str) -> int:
    try:
        return _pragma(conn, "application_id")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise StoreError(
                f"database {path} is in use by another connection (one station per data "
                "directory; while the station runs, ask it: chargestack status)"
            ) from exc
        raise StoreError(f"cannot read database {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is not an SQLite database or is corrupt ({exc}); it was left untouched"
        ) from exc


def _prepare(conn: sqlite3.Connection, path: str, migrations: list[Migration]) -> OpenedFile:
    """Check identity, version, schema and integrity, then set pragmas and migrate."""
    try:
        # Before the first read, so the lock is exclusive from the start (one writer).
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read database {path}: {exc}") from exc
    app_id = _first_read(conn, path)
    try:
        _check_identity(conn, path, app_id, migrations)
        _check_integrity(conn, path)
        version = _pragma(conn, "user_version")
        mode = _journal_mode_wal(conn, path, fresh=version == 0)
        if mode != "wal" and not (path == ":memory:" and mode == "memory"):
            raise StoreError(f"database {path}: cannot enable WAL journal (got {mode!r})")
        # Every commit on the file survives power loss; commits run on the store's writer
        # thread, never on the event loop (store.py).
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise StoreError(_corrupt(path, exc)) from exc
    for index in range(version, len(migrations)):
        migration = migrations[index]
        try:
            _apply_script(conn, migration)
        except sqlite3.Error as exc:
            if not is_disk_failure(exc):
                raise StoreError(
                    f"database {path}: schema migration {migration.name} failed and was "
                    f"rolled back: {exc}"
                ) from exc
            if version == 0:
                raise StoreError(_no_room(path, exc)) from exc
            return OpenedFile(conn, False, migrations[index:], exc)
    return OpenedFile(conn, version == 0, [])


def _journal_mode_wal(conn: sqlite3.Connection, path: str, *, fresh: bool) -> str:
    try:
        return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
    except sqlite3.OperationalError as exc:
        # Switching a new file to WAL writes its header: the first write a full disk refuses.
        if fresh and is_disk_failure(exc):
            raise StoreError(_no_room(path, exc)) from exc
        raise


def _full(directory: Path) -> bool:
    """No block or no inode left where the new file would go."""
    try:
        space = os.statvfs(directory)
    except OSError:
        return False
    return space.f_bavail == 0 or space.f_favail == 0


def _no_room(path: str, exc: sqlite3.Error) -> str:
    return (
        f"data directory {Path(path).parent} has no room for a new store ({exc}); "
        "free space there or choose another data_dir"
    )


def _check_identity(
    conn: sqlite3.Connection, path: str, app_id: int, migrations: list[Migration]
) -> None:
    version = _pragma(conn, "user_version")
    objects = _schema_objects(conn)
    if app_id != APPLICATION_ID:
        if app_id == 0 and version == 0 and not objects:
            return  # a new, empty file
        owner = f"application_id 0x{app_id:08x}" if app_id else "no application_id"
        raise StoreError(
            f"database {path} does not belong to chargestack ({owner}, expected "
            f"0x{APPLICATION_ID:08x}; tables: {', '.join(sorted(objects)) or 'none'}); "
            "it was left untouched"
        )
    if version > len(migrations):
        raise StoreError(
            f"database {path} has schema version {version}, newer than this chargestack "
            f"(knows up to {len(migrations)}); upgrade chargestack or use another data directory"
        )
    expected = _expected_objects(migrations[:version])
    unknown, missing = objects - expected, expected - objects
    if unknown or missing:
        raise StoreError(
            f"database {path} does not match schema version {version}: "
            f"unknown objects {sorted(unknown)}, missing objects {sorted(missing)}"
        )


def _check_integrity(conn: sqlite3.Connection, path: str) -> None:
    problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise StoreError(f"database {path} failed its integrity check: {'; '.join(problems[:5])}")
    dangling = conn.execute("PRAGMA foreign_key_check").fetchall()
    if dangling:
        raise StoreError(f"database {path} has {len(dangling)} rows with broken foreign keys")


def _apply_script(conn: sqlite3.Connection, migration: Migration) -> None:
    # executescript runs the whole file; BEGIN/COMMIT around it make file, application_id and
    # user_version one atomic step (both pragmas live in the transactional database header).
    script = (
        f"BEGIN IMMEDIATE;\n{migration.sql}\n;\n"
        f"PRAGMA application_id = {APPLICATION_ID};\n"
        f"PRAGMA user_version = {migration.version};\nCOMMIT;"
    )
    try:
        conn.executescript(script)
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _expected_objects(migrations: Sequence[Migration]) -> set[str]:
    scratch = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for migration in migrations:
            scratch.executescript(migration.sql)
        return _schema_objects(scratch)
    finally:
        scratch.close()


def _schema_objects(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    return {str(row[0]) for row in rows}


def _pragma(conn: sqlite3.Connection, name: str) -> int:
    return int(conn.execute(f"PRAGMA {name}").fetchone()[0])
