"""Opening the database file: identity, version, schema and integrity checks, migrations.

Opening never repairs or resets anything: a foreign, damaged or newer database raises
:class:`~chargestack.exceptions.StoreError` with a one-line message and the file is left as
it was. ``chargestack db inspect`` runs the same checks read-only, so a technician sees the
message the station printed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from chargestack.exceptions import StoreError
from chargestack.store.migration_files import Migration

#: ``PRAGMA application_id`` of every chargestack database: "CHST" in ASCII.
APPLICATION_ID = 0x43485354


def open_store_file(
    path: str, migrations: list[Migration], lock_timeout: float
) -> tuple[sqlite3.Connection, bool]:
    """The file's connection, checked and migrated, and whether it was new (no schema).

    The connection holds the file exclusively (one writer: a second station pointed at the
    same data directory fails here) and may be handed to another thread.
    """
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, timeout=lock_timeout, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    try:
        fresh = _prepare(conn, path, migrations)
    except BaseException:
        conn.close()
        raise
    return conn, fresh


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


def _prepare(conn: sqlite3.Connection, path: str, migrations: list[Migration]) -> bool:
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
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal" and not (path == ":memory:" and mode == "memory"):
            raise StoreError(f"database {path}: cannot enable WAL journal (got {mode!r})")
        # Every commit on the file survives power loss; commits run on the store's writer
        # thread, never on the event loop (store.py).
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        version = _pragma(conn, "user_version")
    except sqlite3.DatabaseError as exc:
        raise StoreError(_corrupt(path, exc)) from exc
    for migration in migrations[version:]:
        _apply(conn, path, migration)
    return version == 0


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


def _apply(conn: sqlite3.Connection, path: str, migration: Migration) -> None:
    # executescript runs the whole file; BEGIN/COMMIT around it make file, application_id and
    # user_version one atomic step (both pragmas live in the transactional database header).
    script = (
        f"BEGIN IMMEDIATE;\n{migration.sql}\n;\n"
        f"PRAGMA application_id = {APPLICATION_ID};\n"
        f"PRAGMA user_version = {migration.version};\nCOMMIT;"
    )
    try:
        conn.executescript(script)
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StoreError(
            f"database {path}: schema migration {migration.name} failed and was rolled back: {exc}"
        ) from exc


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
