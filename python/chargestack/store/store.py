"""The single SQLite writer of a station.

One ``sqlite3`` connection per station, used only from the event-loop thread (sqlite3's own
same-thread check enforces it). Operations are sub-millisecond; ``synchronous=FULL`` makes every
commit survive power loss, which is what a charger needs for billing data (a WAL database with
``synchronous=NORMAL`` can lose the last commits on a power cut).

Opening never repairs or resets anything: a foreign, damaged or newer database raises
:class:`~chargestack.exceptions.StoreError` and the file is left as it was.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

from chargestack.exceptions import StoreError
from chargestack.store.auth_cache import AuthCache
from chargestack.store.availability import Availability
from chargestack.store.config_values import ConfigValues
from chargestack.store.journal import Journal, MeterRegisters
from chargestack.store.meta import Meta
from chargestack.store.migration_files import Migration, load_migrations
from chargestack.store.outbox import Outbox

#: ``PRAGMA application_id`` of every chargestack database: "CHST" in ASCII.
APPLICATION_ID = 0x43485354

Params = Sequence[Any] | Mapping[str, Any]


class Store:
    """The station's database: open with :meth:`open`, then use the typed accessors.

    ``config``, ``availability`` and ``meta`` are the accessors of migration 001; later
    accessors are built on :meth:`execute`, :meth:`query` and :meth:`transaction`.
    """

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        """Use :meth:`open`; this only wraps an already prepared connection."""
        self._conn: sqlite3.Connection | None = connection
        self._depth = 0
        self.path = path
        self.config = ConfigValues(self)
        self.availability = Availability(self)
        self.meta = Meta(self)
        self.outbox = Outbox(self)
        self.journal = Journal(self)
        self.meter_registers = MeterRegisters(self)
        self.auth_cache = AuthCache(self)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        migrations: Sequence[Migration] | None = None,
        lock_timeout: float = 2.0,
    ) -> Self:
        """Open (or create) the database at ``path`` and bring its schema up to date.

        The file is locked for this connection alone (``locking_mode=EXCLUSIVE``): a second
        station pointed at the same data directory fails here instead of interleaving writes.
        ``lock_timeout`` is how long to wait for another holder (e.g. a process still exiting).
        ``migrations`` defaults to the bundled ``store/migrations/NNN_*.sql`` files.
        """
        name = os.fspath(path)
        steps = load_migrations() if migrations is None else list(migrations)
        try:
            conn = sqlite3.connect(name, isolation_level=None, timeout=lock_timeout)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {name}: {exc}") from exc
        try:
            _prepare(conn, name, steps)
        except BaseException:
            conn.close()
            raise
        conn.row_factory = sqlite3.Row
        return cls(conn, name)

    @property
    def schema_version(self) -> int:
        """``PRAGMA user_version``: the number of the last migration applied."""
        row = self.query_one("PRAGMA user_version")
        assert row is not None
        return int(row[0])

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows changed.

        Outside :meth:`transaction` the statement commits (and is on disk) when this returns.
        """
        conn = self._connection()
        try:
            return conn.execute(sql, params).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"database statement failed: {exc}") from exc

    def execute_many(self, sql: str, rows: Sequence[Params]) -> int:
        """Run one statement per parameter row, atomically; returns the rows changed."""
        with self.transaction():
            conn = self._connection()
            try:
                return conn.executemany(sql, rows).rowcount
            except sqlite3.Error as exc:
                raise StoreError(f"database statement failed: {exc}") from exc

    def query(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """All rows of a query; columns by name or index."""
        conn = self._connection()
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"database query failed: {exc}") from exc

    def query_one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a query, or None."""
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes so they land together or not at all.

        Nested use becomes a savepoint, so an accessor may open one inside a caller's.
        Never ``await`` inside: the connection belongs to the event loop, not to one task.
        """
        conn = self._connection()
        depth = self._depth
        savepoint = f"sp{depth}"
        # IMMEDIATE takes the write lock up front: a conflict fails at BEGIN, not mid-way.
        self._run(conn, "BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        self._depth = depth + 1
        try:
            yield
        except BaseException:
            self._depth = depth
            if depth == 0:
                self._run(conn, "ROLLBACK")
            else:
                self._run(conn, f"ROLLBACK TO {savepoint}")
                self._run(conn, f"RELEASE {savepoint}")
            raise
        self._depth = depth
        if depth == 0:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(f"database commit failed: {exc}") from exc
        else:
            self._run(conn, f"RELEASE {savepoint}")

    def close(self) -> None:
        """Close the connection (idempotent); the lock on the file is released."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"database {self.path} is closed")
        return self._conn

    @staticmethod
    def _run(conn: sqlite3.Connection, sql: str) -> None:
        try:
            conn.execute(sql)
        except sqlite3.Error as exc:
            raise StoreError(f"database statement {sql!r} failed: {exc}") from exc


def _prepare(conn: sqlite3.Connection, path: str, migrations: list[Migration]) -> None:
    """Check identity, version, schema and integrity, then set pragmas and migrate."""
    try:
        # Before the first read, so the lock is exclusive from the start (one writer).
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        app_id = _pragma(conn, "application_id")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise StoreError(
                f"database {path} is in use by another connection (one station per data directory)"
            ) from exc
        raise StoreError(f"cannot read database {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is not an SQLite database or is corrupt ({exc}); it was left untouched"
        ) from exc
    try:
        _check_identity(conn, path, app_id, migrations)
        _check_integrity(conn, path)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal" and not (path == ":memory:" and mode == "memory"):
            raise StoreError(f"database {path}: cannot enable WAL journal (got {mode!r})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"database {path} is corrupt ({exc}); it was left untouched") from exc
    for migration in migrations[_pragma(conn, "user_version") :]:
        _apply(conn, path, migration)


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
