"""The durable queue of transaction-related CALLs (ARCHITECTURE.md: write before sending).

Offline growth is bounded by a documented policy: beyond ``max_meter_values`` queued
MeterValues, the oldest *intermediate* MeterValues of the same transaction are thinned
(every second one dropped). StartTransaction and StopTransaction are never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chargestack.store.store import Store


@dataclass(frozen=True, slots=True)
class QueuedCall:
    seq: int
    action: str
    payload: str
    tx_ref: int | None
    attempts: int
    created_ms: int
    message_id: str | None


class Outbox:
    def __init__(self, store: Store) -> None:
        self._store = store

    def push(
        self,
        action: str,
        payload: str,
        tx_ref: int | None,
        created_ms: int,
        message_id: str | None = None,
    ) -> int:
        self._store.execute(
            "INSERT INTO outbox (action, payload, tx_ref, created_ms, message_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (action, payload, tx_ref, created_ms, message_id),
        )
        row = self._store.query_one("SELECT last_insert_rowid() AS seq")
        assert row is not None
        return int(row["seq"])

    def oldest(self) -> QueuedCall | None:
        row = self._store.query_one(
            "SELECT seq, action, payload, tx_ref, attempts, created_ms, message_id FROM outbox "
            "ORDER BY seq LIMIT 1"
        )
        return None if row is None else _call(row)

    def all(self) -> list[QueuedCall]:
        rows = self._store.query(
            "SELECT seq, action, payload, tx_ref, attempts, created_ms, message_id FROM outbox "
            "ORDER BY seq"
        )
        return [_call(r) for r in rows]

    def assign_message_id(self, seq: int, message_id: str) -> None:
        self._store.execute("UPDATE outbox SET message_id = ? WHERE seq = ?", (message_id, seq))

    def delete(self, seq: int) -> None:
        self._store.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def count_attempt(self, seq: int) -> int:
        self._store.execute("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?", (seq,))
        row = self._store.query_one("SELECT attempts FROM outbox WHERE seq = ?", (seq,))
        return 0 if row is None else int(row["attempts"])

    def reset_attempts(self) -> None:
        """At a reconnect every kept message gets a fresh round of attempts."""
        self._store.execute("UPDATE outbox SET attempts = 0")

    def depth(self) -> int:
        row = self._store.query_one("SELECT count(*) AS n FROM outbox")
        return 0 if row is None else int(row["n"])

    def thin_meter_values(self, max_meter_values: int) -> int:
        """Drop every second intermediate MeterValues while more than the bound are queued."""
        dropped = 0
        while True:
            row = self._store.query_one(
                "SELECT count(*) AS n FROM outbox WHERE action = 'MeterValues'"
            )
            if row is None or int(row["n"]) <= max_meter_values:
                return dropped
            seqs = [
                int(r["seq"])
                for r in self._store.query(
                    "SELECT seq FROM outbox WHERE action = 'MeterValues' ORDER BY seq"
                )
            ]
            victims = seqs[1::2]
            if not victims:
                return dropped
            with self._store.transaction():
                self._store.execute_many(
                    "DELETE FROM outbox WHERE seq = ?", [(s,) for s in victims]
                )
            dropped += len(victims)


def _call(row: object) -> QueuedCall:
    r = row  # sqlite3.Row
    return QueuedCall(
        seq=int(r["seq"]),  # type: ignore[index]
        action=str(r["action"]),  # type: ignore[index]
        payload=str(r["payload"]),  # type: ignore[index]
        tx_ref=None if r["tx_ref"] is None else int(r["tx_ref"]),  # type: ignore[index]
        attempts=int(r["attempts"]),  # type: ignore[index]
        created_ms=int(r["created_ms"]),  # type: ignore[index]
        message_id=r["message_id"],  # type: ignore[index]
    )
