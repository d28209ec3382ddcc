"""The station's database: an in-memory working copy on the event loop, a writer thread on disk.

The event loop feeds the power stage's supervisor watchdog, so it must never wait for flash
(an fsync on cheap eMMC under load takes 200 ms to seconds). The store is split in two:

- **The working copy** is an in-memory SQLite database, a byte-exact copy of the file made at
  :meth:`Store.open`. Every accessor reads and writes it synchronously on the event loop;
  commits cost microseconds and never touch the disk, so no call site has to await.
- **The file** (WAL, ``synchronous=FULL``) belongs to one writer thread (``disk_writer.py``).
  Each commit of the working copy is handed to it as a numbered batch of the statements and
  parameters that made it; the thread applies the batches in commit order, grouping what is
  queued into one file transaction, and checkpoints the WAL.

**The durability argument.** (1) Batches reach the writer in the order the working copy
committed them, each whole or not at all (a rolled-back transaction or savepoint drops its
statements). (2) The file starts equal to the working copy and every statement is replayed
with the same SQL and parameters on the same state; statements use nothing outside the
database (no clock, no randomness), so after batch *n* the file equals the working copy after
commit *n* (the writer compares each statement's row count and logs ERROR on a difference).
(3) A batch is on disk when the file transaction holding it has committed (``FULL``: the WAL
is fsynced), and after a crash the file holds a prefix of the batches: a state the station
really had. (4) What must be on disk before the station acts on it awaits :meth:`durable`:
the durable sender before it sends a journalled CALL (so a message is journalled, with its
unique id, before it is sent: the journal's promise is unchanged), the RPC session before it
answers a central-system CALL whose handler wrote (an Accepted ChangeConfiguration survives a
power cut), and a stop (Reset, firmware switch, shutdown) through :meth:`aclose`, which
writes everything queued before the station goes down. Energy delivery is not held for the
disk: at worst the first second of a session whose start never reached the disk goes
unbilled, and then the central system never heard of that session either.

**When the store cannot journal** (issue 17 item 1: the flash is full, or fails). A commit
to the working copy is memory and succeeds; what fails is the writer thread's replay onto the
file. So the store *cannot journal* from the first replay that fails until one succeeds: the
commits wait in order in memory (retried with a capped backoff) and nothing waiting in
:meth:`durable` is released, so a transaction message is still never sent before it is on
disk. Everything keeps working in memory meanwhile (a running session samples, a stop
completes), and when space returns the waiting commits reach the file in order and their
messages are sent, each once. The station hears the change both ways through
:meth:`watch_writes` (it refuses new transactions and reports the storage on connector 0),
and a transaction about to start asks :meth:`writable`: every commit so far on disk, or
the first failure, whichever comes first (a full disk shows itself only when written). The
RPC session refuses at once the central system's requests that must be stored, and answers
none of them later than the first failure (``ocpp/storage_answers.py``). A
commit the working copy itself refuses (a bug, or memory exhausted) raises ``StoreError``
to its caller, as any failed statement does.

The file's integrity and lineage are checked when it is opened (``store_file.py``,
``marker.py``); opening never repairs or resets anything.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from chargestack.exceptions import StoreError
from chargestack.store.auth_cache import AuthCache
from chargestack.store.availability import Availability
from chargestack.store.config_values import ConfigValues
from chargestack.store.disk_writer import Batch, DiskWriter, OwedWrite, Statement
from chargestack.store.journal import Journal, MeterRegisters
from chargestack.store.marker import (
    MarkerState,
    finding,
    now_text,
    read_marker,
    wal_path,
    write_marker,
)
from chargestack.store.meta import Meta
from chargestack.store.migration_files import Migration, load_migrations
from chargestack.store.outbox import Outbox
from chargestack.store.store_file import (
    APPLICATION_ID,
    apply_migrations,
    is_disk_failure,
    open_store_file,
)

__all__ = ["APPLICATION_ID", "Params", "Store"]

log = logging.getLogger("chargestack.store")

Params = Sequence[Any] | Mapping[str, Any]

# Statements that change nothing when they report no changed rows (anything else, such as
# DDL, is replayed whatever its count says).
_ROW_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SELECT", "WITH")


class Store:
    """The station's database: open with :meth:`open`, then use the typed accessors.

    ``lost_state`` says why the store is younger than its data directory (``marker.py``), or
    is None; the station logs it and reports it over OCPP.
    """

    def __init__(
        self,
        memory: sqlite3.Connection,
        writer: DiskWriter,
        path: str,
        *,
        lost_state: str | None = None,
        close_timeout_s: float = 30.0,
    ) -> None:
        """Use :meth:`open`; this only wraps the prepared working copy and writer."""
        self._conn: sqlite3.Connection | None = memory
        self._writer = writer
        self._depth = 0
        self._pending: list[Statement] = []
        self._checkpoint_after_commit = False
        self._written = 0
        self._close_timeout_s = close_timeout_s
        self.path = path
        self.lost_state = lost_state
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
        checkpoint_interval_s: float = 60.0,
    ) -> Self:
        """Open (or create) the database at ``path``, bring its schema up to date, check its
        lineage and load the working copy. Blocking: the station runs it in a thread.

        The file is locked for this store alone (``locking_mode=EXCLUSIVE``): a second
        station pointed at the same data directory fails here instead of interleaving writes.
        ``lock_timeout`` is how long to wait for another holder (e.g. a process still exiting).
        ``migrations`` defaults to the bundled ``store/migrations/NNN_*.sql`` files.
        """
        name = os.fspath(path)
        database = Path(name)
        steps = load_migrations() if migrations is None else list(migrations)
        # Before SQLite opens the file: opening creates a missing WAL.
        wal_existed = wal_path(database).exists()
        marker = read_marker(database)
        opened = open_store_file(name, steps, lock_timeout)
        file_conn = opened.conn
        try:
            _checkpoint(file_conn, name)
            memory = _working_copy(file_conn, name, opened.pending)
            lost = finding(database, marker, fresh=opened.fresh, wal_existed=wal_existed)
            if lost is not None:
                log.error("the store is younger than its data directory: %s", lost)
            # After a loss the new store starts a new lineage; the finding is said once.
            created = marker.created if marker is not None and lost is None else now_text()
            running = MarkerState(created, running=True)
            owed = _write_or_owe(lambda: write_marker(database, running))
        except sqlite3.Error as exc:
            file_conn.close()
            raise StoreError(f"database {name}: cannot load it: {exc}") from exc
        except BaseException:
            file_conn.close()
            raise
        if opened.pending:
            assert opened.failure is not None
            log.warning(
                "%s: %d schema migrations wait for the disk; the working copy has them",
                name,
                len(opened.pending),
            )
            # One owed write each: a retry starts at the first one not yet on disk.
            owed.extend(
                OwedWrite(partial(apply_migrations, file_conn, [step]), opened.failure)
                for step in opened.pending
            )
        writer = DiskWriter(
            file_conn,
            name,
            checkpoint_interval_s=checkpoint_interval_s,
            before_close=lambda: write_marker(database, MarkerState(created, running=False)),
            owed=owed,
        )
        writer.start()
        return cls(memory, writer, name, lost_state=lost)

    @property
    def schema_version(self) -> int:
        """``PRAGMA user_version``: the number of the last migration applied."""
        row = self.query_one("PRAGMA user_version")
        assert row is not None
        return int(row[0])

    # -- reads and writes (event loop) -----------------------------------------------------

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows changed.

        Outside :meth:`transaction` the statement commits when this returns; it is on disk
        once :meth:`durable` says so.
        """
        conn = self._connection()
        before = conn.total_changes
        try:
            changed = conn.execute(sql, params).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"database statement failed: {exc}") from exc
        self._record(Statement(sql, _owned(params), changed), conn.total_changes - before)
        return changed

    def execute_many(self, sql: str, rows: Sequence[Params]) -> int:
        """Run one statement per parameter row, atomically; returns the rows changed."""
        with self.transaction():
            conn = self._connection()
            owned = [_owned(r) for r in rows]
            before = conn.total_changes
            try:
                changed = conn.executemany(sql, owned).rowcount
            except sqlite3.Error as exc:
                raise StoreError(f"database statement failed: {exc}") from exc
            self._record(Statement(sql, owned, changed, many=True), conn.total_changes - before)
            return changed

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
        """Group writes so they land together or not at all, here and on disk.

        Nested use becomes a savepoint, so an accessor may open one inside a caller's.
        Never ``await`` inside: the working copy belongs to the event loop, not to one task.
        """
        conn = self._connection()
        depth = self._depth
        mark = len(self._pending)
        savepoint = f"sp{depth}"
        self._run(conn, "BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        self._depth = depth + 1
        try:
            yield
        except BaseException:
            self._depth = depth
            del self._pending[mark:]
            if depth == 0:
                self._checkpoint_after_commit = False
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
                self._pending.clear()
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StoreError(f"database commit failed: {exc}") from exc
            statements, self._pending = self._pending, []
            if statements:
                self._submit(statements)
            if self._checkpoint_after_commit:
                self._checkpoint_after_commit = False
                self._writer.request_checkpoint()
        else:
            self._run(conn, f"RELEASE {savepoint}")

    # -- durability ------------------------------------------------------------------------

    @property
    def written(self) -> int:
        """The number of the last commit of the working copy (0: none since opening)."""
        return self._written

    @property
    def last_write_commit(self) -> int:
        """The number of the commit that holds the last write: the open transaction's (it
        commits later) or, outside one, the last commit."""
        return self._written + 1 if self._depth > 0 else self._written

    @property
    def durable_through(self) -> int:
        """The number of the last commit that is on disk."""
        return self._writer.durable

    @property
    def write_failure(self) -> str | None:
        """Why the file cannot take the commits, while it cannot; None while it can."""
        return self._writer.failing

    def watch_writes(self, listener: Callable[[str | None], None]) -> str | None:
        """Call ``listener`` on this event loop with the failure when the store starts
        failing to write, and with None when it writes again (once per change). Returns the
        failure now (the store may fail from its opening: a restart on a full disk)."""
        loop = asyncio.get_running_loop()

        def from_writer(failure: str | None) -> None:
            loop.call_soon_threadsafe(listener, failure)

        return self._writer.watch(from_writer)

    async def writable(self) -> bool:
        """True once every commit so far is on disk; False as soon as a write fails (at
        once while the store cannot journal)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()

        def resolve(ok: bool) -> None:
            if not answer.done():
                answer.set_result(ok)

        def from_writer(ok: bool) -> None:
            loop.call_soon_threadsafe(resolve, ok)

        known = self._writer.when_settled(self._written, from_writer)
        if known is not None:
            return known
        return await answer

    def describe(self) -> dict[str, Any]:
        """The store's part of ``/status``: how far the disk lags, checkpoints, failures."""
        return {
            "commitsNotOnDisk": self._written - self._writer.durable,
            "checkpoints": self._writer.checkpoints,
            "writeFailure": self._writer.failing,
        }

    async def durable(self, upto: int | None = None) -> None:
        """Return once commit ``upto`` (default: the last one so far) is on disk."""
        target = self._written if upto is None else upto
        if target <= 0:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def resolve() -> None:
            if not done.done():
                done.set_result(None)

        def from_writer() -> None:
            loop.call_soon_threadsafe(resolve)

        if self._writer.when_durable(target, from_writer):
            await done

    def request_checkpoint(self) -> None:
        """Move the WAL into the database file soon (off the event loop); inside a
        transaction, once it has committed."""
        if self._depth > 0:
            self._checkpoint_after_commit = True
        else:
            self._writer.request_checkpoint()

    # -- closing ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Write everything queued, checkpoint and close, without blocking the event loop."""
        if self._conn is None:
            return
        await asyncio.to_thread(self._stop_writer)
        self._close_memory()

    def close(self) -> None:
        """Like :meth:`aclose`, blocking (idempotent); the lock on the file is released."""
        if self._conn is None:
            return
        self._stop_writer()
        self._close_memory()

    def _stop_writer(self) -> None:
        left = self._writer.stop(self._close_timeout_s)
        if left:
            log.error("%s: closed with %d commits not written to disk", self.path, left)

    def _close_memory(self) -> None:
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

    # -- internals -------------------------------------------------------------------------

    def _record(self, statement: Statement, changes: int) -> None:
        if changes == 0 and statement.sql.lstrip().upper().startswith(_ROW_STATEMENTS):
            return  # changed nothing: nothing to replay
        if self._depth > 0:
            self._pending.append(statement)
        else:
            self._submit([statement])

    def _submit(self, statements: list[Statement]) -> None:
        self._written += 1
        self._writer.submit(Batch(self._written, statements))

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


def _checkpoint(file_conn: sqlite3.Connection, name: str) -> None:
    """The schema (and, after a crash, what the WAL held) into the database file; on a full
    disk it stays in the WAL, which SQLite reads just as well, until the writer's next
    checkpoint."""
    try:
        file_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        if not is_disk_failure(exc):
            raise
        log.warning("%s: cannot checkpoint the WAL at opening: %s", name, exc)


def _working_copy(
    file_conn: sqlite3.Connection, name: str, pending: Sequence[Migration]
) -> sqlite3.Connection:
    memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        file_conn.backup(memory)
        try:
            apply_migrations(memory, pending)
        except sqlite3.Error as exc:
            raise StoreError(
                f"database {name}: a schema migration failed and was rolled back: {exc}"
            ) from exc
        memory.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        memory.close()
        raise
    memory.row_factory = sqlite3.Row
    return memory


def _write_or_owe(write: Callable[[], None]) -> list[OwedWrite]:
    """Write now; on a full (or failing) disk the store opens anyway, owing the write
    (``disk_writer.py``): a charger restarted on a full disk must come up."""
    try:
        write()
    except OSError as exc:
        return [OwedWrite(write, exc)]
    return []


def _owned(params: Params) -> Params:
    """A copy the caller cannot change before the writer thread replays it."""
    if isinstance(params, Mapping):
        return dict(params)
    return tuple(params)
