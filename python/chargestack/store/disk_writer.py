"""The thread that owns the database file: it replays the event loop's commits onto it.

The event loop commits to its in-memory copy (``store.py``) and hands each commit over as a
*batch*: the statements and parameters that made it, numbered in commit order. This thread
applies queued batches in order, as many as are waiting in one file transaction (one fsync
for all of them: ``synchronous=FULL``), and then reports them durable. It also checkpoints
the WAL into the database file: when asked (the end of a charging transaction), every
``checkpoint_interval_s`` while something was written, and when it stops.

Every fsync, commit and checkpoint runs here, never on the event loop, so slow flash delays
the durability of what was written, not the loop that feeds the power stage's watchdog.

A batch that cannot be applied (disk full, I/O error) stays at the head of the queue and is
retried with a capped backoff; the failure and the recovery are logged once each and told to
the state listeners (the store passes them on to the event loop), and whoever waits to know
whether the store can write (:meth:`DiskWriter.when_settled`) hears it at the first failure.

A store opened on a full disk (a station restarted while its flash is full) may fail writes
of its own: the marker file (``marker.py``) and the schema migrations of a new version. They
are *owed*: the writer starts in the failing state and retries them like a batch, in order and
before any batch (the marker says "running" before the WAL holds anything new; the batches
were made on the migrated working copy); the store writes again once they have landed.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("chargestack.store.writer")

_RETRY_INITIAL_S = 0.1
_RETRY_MAX_S = 5.0


@dataclass(frozen=True, slots=True)
class Statement:
    """One write as the event loop ran it: ``many`` is executemany with ``params`` as rows."""

    sql: str
    params: Any
    changes: int
    many: bool = False


@dataclass(frozen=True, slots=True)
class OwedWrite:
    """A write of the data directory that failed while the store opened: ``write`` retries
    it (blocking, on the writer thread); ``failure`` is why it failed."""

    write: Callable[[], None]
    failure: OSError | sqlite3.Error


@dataclass(frozen=True, slots=True)
class Batch:
    """One commit of the event loop: applied to the file all together or not at all."""

    seq: int
    statements: Sequence[Statement]


class DiskWriter:
    """Owns ``conn`` (the checked, migrated file connection) from :meth:`start` on."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: str,
        *,
        checkpoint_interval_s: float = 60.0,
        before_close: Callable[[], None] | None = None,
        owed: Sequence[OwedWrite] = (),
    ) -> None:
        self._conn = conn
        self._before_close = before_close
        # Written in order before any batch; the writer thread's alone once started.
        self._owed = deque(owed)
        self._path = path
        self._checkpoint_interval_s = checkpoint_interval_s
        self._cond = threading.Condition()
        self._queue: deque[Batch] = deque()
        self._durable = 0
        self._callbacks: list[tuple[int, Callable[[], None]]] = []
        self._settle_waiters: list[tuple[int, Callable[[bool], None]]] = []
        #: Called on this thread with the failure when writes start failing, None when they
        #: succeed again: once per change, never per attempt.
        self.state_listeners: list[Callable[[str | None], None]] = []
        self._checkpoint_wanted = False
        self._dirty_since_checkpoint = False
        self._stopping = False
        self._failing: str | None = None
        self._checkpoints = 0
        self._thread = threading.Thread(target=self._run, name=f"store-writer {path}", daemon=True)
        if owed:
            # Failing from the start: whoever watches the store hears it before its first write.
            self._failing = str(owed[0].failure)
            _log_failure(path, owed[0].failure, 0)

    # -- the event loop's side -------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def submit(self, batch: Batch) -> None:
        with self._cond:
            self._queue.append(batch)
            self._cond.notify()

    def request_checkpoint(self) -> None:
        """Checkpoint the WAL into the database file once the queued batches are applied."""
        with self._cond:
            self._checkpoint_wanted = True
            self._cond.notify()

    @property
    def durable(self) -> int:
        """The number of the last batch on disk."""
        with self._cond:
            return self._durable

    @property
    def checkpoints(self) -> int:
        """How many checkpoints completed since the store was opened."""
        with self._cond:
            return self._checkpoints

    @property
    def failing(self) -> str | None:
        """Why the last attempt to write failed, while writes fail; None when they succeed."""
        with self._cond:
            return self._failing

    def when_durable(self, seq: int, callback: Callable[[], None]) -> bool:
        """Call ``callback`` (on this thread) once batch ``seq`` is on disk; False when it
        already is (then nothing is called)."""
        with self._cond:
            if self._durable >= seq:
                return False
            self._callbacks.append((seq, callback))
            return True

    def watch(self, listener: Callable[[str | None], None]) -> str | None:
        """Add a state listener; returns the failure now (None: the store writes), so the
        caller misses no change between asking and listening."""
        with self._cond:
            self.state_listeners.append(listener)
            return self._failing

    def when_settled(self, seq: int, callback: Callable[[bool], None]) -> bool | None:
        """Whether the file can take what was committed: ``callback(True)`` (on this thread)
        once batch ``seq`` is on disk, ``callback(False)`` at the first failed write before
        that. Returns the answer instead, calling nothing, when it is known now (False
        while writes fail, even with every commit on disk: an owed write is not)."""
        with self._cond:
            if self._failing is not None:
                return False
            if self._durable >= seq:
                return True
            self._settle_waiters.append((seq, callback))
            return None

    def stop(self, timeout_s: float) -> int:
        """Apply what is queued, checkpoint, close the file; the batches left unwritten."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout_s)
        with self._cond:
            left = len(self._queue)
            if self._thread.is_alive():
                log.error(
                    "%s: store writer still busy after %.0f s; %d commits not on disk",
                    self._path,
                    timeout_s,
                    left,
                )
            return left

    # -- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._serve()
        except Exception:
            log.exception("%s: the store writer failed", self._path)
        finally:
            self._close()

    def _serve(self) -> None:
        next_checkpoint = time.monotonic() + self._checkpoint_interval_s
        retry_s = _RETRY_INITIAL_S
        while True:
            with self._cond:
                while not (self._queue or self._checkpoint_wanted or self._stopping or self._owed):
                    wait = next_checkpoint - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                batches = list(self._queue)
                stopping = self._stopping
            if not self._pay_owed() or (batches and not self._apply(batches)):
                if stopping and retry_s >= _RETRY_MAX_S:
                    return  # the file cannot be written; stop() reports what was lost
                with self._cond:
                    self._cond.wait(retry_s)
                retry_s = min(_RETRY_MAX_S, retry_s * 2)
                continue
            retry_s = _RETRY_INITIAL_S
            due = False
            if time.monotonic() >= next_checkpoint:
                # A new period either way: an idle store must not wake again at once.
                due = self._dirty_since_checkpoint
                next_checkpoint = time.monotonic() + self._checkpoint_interval_s
            with self._cond:
                wanted, self._checkpoint_wanted = self._checkpoint_wanted, False
                done = self._stopping and not self._queue
            if wanted or due or done:
                self._checkpoint()
                next_checkpoint = time.monotonic() + self._checkpoint_interval_s
            if done:
                if self._before_close is not None:
                    # Everything is on disk: a clean stop, whatever happens next.
                    try:
                        self._before_close()
                    except OSError as exc:
                        log.warning("%s: the last write before closing failed: %s", self._path, exc)
                return

    def _pay_owed(self) -> bool:
        """Write what the opening owes, in order; True when nothing is owed (any more)."""
        if not self._owed:
            return True
        while self._owed:
            try:
                self._owed[0].write()
            except (OSError, sqlite3.Error) as exc:
                self._failed(exc)
                return False
            self._owed.popleft()
        with self._cond:
            idle = not self._queue
        if idle:
            # No batch will prove the disk writable again: the owed writes did.
            self._recovered()
        return True

    def _apply(self, batches: list[Batch]) -> bool:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for batch in batches:
                for statement in batch.statements:
                    self._replay(statement)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._failed(exc)
            return False
        with self._cond:
            for _ in batches:
                self._queue.popleft()
            self._durable = batches[-1].seq
            ready = [cb for seq, cb in self._callbacks if seq <= self._durable]
            self._callbacks = [(s, cb) for s, cb in self._callbacks if s > self._durable]
            settled = [cb for seq, cb in self._settle_waiters if seq <= self._durable]
            self._settle_waiters = [(s, cb) for s, cb in self._settle_waiters if s > self._durable]
            self._dirty_since_checkpoint = True
        self._recovered()
        for callback in ready:
            callback()
        for settle in settled:
            settle(True)
        return True

    def _replay(self, statement: Statement) -> None:
        if statement.many:
            changed = self._conn.executemany(statement.sql, statement.params).rowcount
        else:
            changed = self._conn.execute(statement.sql, statement.params).rowcount
        if changed != statement.changes:
            # Same SQL on the same state must change the same rows; if not, the copies have
            # diverged (a statement that is not deterministic), which the file must not hide.
            log.error(
                "%s: replay changed %d rows where the event loop changed %d: %s",
                self._path,
                changed,
                statement.changes,
                statement.sql,
            )

    def _recovered(self) -> None:
        with self._cond:
            recovered, self._failing = self._failing, None
        if recovered is not None:
            log.warning("%s: store writes succeed again", self._path)
            self._tell(None)

    def _failed(self, exc: sqlite3.Error | OSError) -> None:
        reason = str(exc)
        with self._cond:
            first, self._failing = self._failing is None, reason
            queued = len(self._queue)
            settled = [cb for _, cb in self._settle_waiters]
            self._settle_waiters = []
        if first:
            _log_failure(self._path, exc, queued)
            self._tell(reason)
        for settle in settled:
            settle(False)

    def _tell(self, failure: str | None) -> None:
        for listener in list(self.state_listeners):
            try:
                listener(failure)
            except Exception:
                log.exception("%s: a store state listener failed", self._path)

    def _checkpoint(self) -> None:
        try:
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            log.warning("%s: checkpoint failed: %s", self._path, exc)
            return
        if busy:
            log.warning("%s: checkpoint could not complete", self._path)
            return
        self._dirty_since_checkpoint = False
        with self._cond:
            self._checkpoints += 1

    def _close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error as exc:
            log.warning("%s: closing the file failed: %s", self._path, exc)


def _log_failure(path: str, exc: sqlite3.Error | OSError, queued: int) -> None:
    log.error(
        "%s: cannot write the store (%s: %s); %d commits wait and are retried",
        path,
        type(exc).__name__,
        exc,
        queued,
    )
