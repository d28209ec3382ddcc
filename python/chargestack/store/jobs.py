"""Firmware and diagnostics jobs (migration 006): the persisted state of each transfer.

Every change of a job is committed before the station acts on it (write before acting), so
after a restart :meth:`Jobs.open_jobs` lists exactly the jobs that still have work to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    import sqlite3

    from chargestack.store.store import Store


@dataclass(frozen=True, slots=True)
class Job:
    """One row of ``jobs``; ``detail`` holds what only one kind of job needs."""

    id: int
    kind: str
    request_id: int | None
    location: str
    state: str
    status: str
    notified: str | None
    retries: int
    retry_interval_s: int
    attempt: int
    not_before_ms: int
    file_name: str | None
    bytes_done: int
    bytes_total: int | None
    detail: dict[str, Any] = field(default_factory=dict)
    finished: bool = False


_COLUMNS = (
    "id, kind, request_id, location, state, status, notified, retries, retry_interval_s, "
    "attempt, not_before_ms, file_name, bytes_done, bytes_total, detail, finished"
)
_UPDATABLE = frozenset(
    {
        "state",
        "status",
        "notified",
        "attempt",
        "not_before_ms",
        "file_name",
        "bytes_done",
        "bytes_total",
        "finished",
    }
)


class Jobs:
    def __init__(self, store: Store) -> None:
        self._store = store

    def create(
        self,
        *,
        kind: str,
        location: str,
        state: str,
        status: str,
        retries: int,
        retry_interval_s: int,
        not_before_ms: int,
        now_ms: int,
        file_name: str | None = None,
        request_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Job:
        """Insert a new job and return it."""
        with self._store.transaction():
            self._store.execute(
                "INSERT INTO jobs (kind, request_id, location, state, status, retries, "
                "retry_interval_s, not_before_ms, file_name, detail, created_ms, updated_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    request_id,
                    location,
                    state,
                    status,
                    retries,
                    retry_interval_s,
                    not_before_ms,
                    file_name,
                    orjson.dumps(detail or {}).decode(),
                    now_ms,
                    now_ms,
                ),
            )
            row = self._store.query_one("SELECT last_insert_rowid() AS id")
            assert row is not None
            job = self.get(int(row["id"]))
        assert job is not None
        return job

    def get(self, job_id: int) -> Job | None:
        row = self._store.query_one(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return None if row is None else _job(row)

    def update(self, job_id: int, now_ms: int, **changes: Any) -> Job:
        """Change some columns of a job (committed on return); returns the new row."""
        unknown = set(changes) - _UPDATABLE - {"detail"}
        if unknown:
            raise ValueError(f"not updatable job columns: {sorted(unknown)}")
        values = dict(changes)
        if "detail" in values:
            values["detail"] = orjson.dumps(values["detail"]).decode()
        if "finished" in values:
            values["finished"] = int(bool(values["finished"]))
        assignments = ", ".join(f"{name} = ?" for name in values)
        self._store.execute(
            f"UPDATE jobs SET {assignments}, updated_ms = ? WHERE id = ?",
            (*values.values(), now_ms, job_id),
        )
        job = self.get(job_id)
        if job is None:
            raise KeyError(job_id)
        return job

    def open_jobs(self, kind: str) -> list[Job]:
        """Jobs of ``kind`` not finished yet, oldest first."""
        rows = self._store.query(
            f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? AND finished = 0 ORDER BY id", (kind,)
        )
        return [_job(r) for r in rows]

    def unnotified(self, kind: str) -> Job | None:
        """The newest job of ``kind`` whose last status the central system has not seen."""
        row = self._store.query_one(
            f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? AND (notified IS NULL OR "
            "notified != status) ORDER BY id DESC LIMIT 1",
            (kind,),
        )
        return None if row is None else _job(row)

    def latest(self, kind: str) -> Job | None:
        row = self._store.query_one(
            f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? ORDER BY id DESC LIMIT 1", (kind,)
        )
        return None if row is None else _job(row)

    def prune(self, kind: str, keep: int) -> int:
        """Delete all but the newest ``keep`` finished jobs of ``kind``."""
        return self._store.execute(
            "DELETE FROM jobs WHERE kind = ? AND finished = 1 AND id NOT IN "
            "(SELECT id FROM jobs WHERE kind = ? ORDER BY id DESC LIMIT ?)",
            (kind, kind, keep),
        )


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=int(row["id"]),
        kind=row["kind"],
        request_id=row["request_id"],
        location=row["location"],
        state=row["state"],
        status=row["status"],
        notified=row["notified"],
        retries=int(row["retries"]),
        retry_interval_s=int(row["retry_interval_s"]),
        attempt=int(row["attempt"]),
        not_before_ms=int(row["not_before_ms"]),
        file_name=row["file_name"],
        bytes_done=int(row["bytes_done"]),
        bytes_total=row["bytes_total"],
        detail=orjson.loads(row["detail"]),
        finished=bool(row["finished"]),
    )
