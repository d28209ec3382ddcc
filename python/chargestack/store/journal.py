"""The transaction journal: every transaction from its start to its last answer."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chargestack.store.store import Store


@dataclass(slots=True)
class JournalEntry:
    ref: int
    connector_id: int
    id_tag: str
    parent_id_tag: str | None
    reservation_id: int | None
    start_ms: int
    meter_start_wh: int
    transaction_id: int | None
    last_meter_wh: int
    last_meter_ms: int
    state: str
    stop_ms: int | None
    meter_stop_wh: int | None
    stop_reason: str | None
    stop_id_tag: str | None
    id_tag_status: str | None


_COLUMNS = (
    "ref, connector_id, id_tag, parent_id_tag, reservation_id, start_ms, meter_start_wh, "
    "transaction_id, last_meter_wh, last_meter_ms, state, stop_ms, meter_stop_wh, stop_reason, "
    "stop_id_tag, id_tag_status"
)


#: Stopped transactions kept after delivery, for a technician's look (db inspect, logs).
KEPT_TRANSACTIONS = 100


class Journal:
    def __init__(self, store: Store) -> None:
        self._store = store

    def open(
        self,
        connector_id: int,
        id_tag: str,
        parent_id_tag: str | None,
        reservation_id: int | None,
        start_ms: int,
        meter_start_wh: int,
    ) -> int:
        self._store.execute(
            "INSERT INTO transactions (connector_id, id_tag, parent_id_tag, reservation_id, start_ms, "
            "meter_start_wh, last_meter_wh, last_meter_ms, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running')",
            (
                connector_id,
                id_tag,
                parent_id_tag,
                reservation_id,
                start_ms,
                meter_start_wh,
                meter_start_wh,
                start_ms,
            ),
        )
        row = self._store.query_one("SELECT last_insert_rowid() AS ref")
        assert row is not None
        # Issue 17: a session's start, its transactionId and its end are checkpoints, so the
        # database file knows every session even if its WAL is lost.
        self._store.request_checkpoint()
        return int(row["ref"])

    def get(self, ref: int) -> JournalEntry | None:
        row = self._store.query_one(f"SELECT {_COLUMNS} FROM transactions WHERE ref = ?", (ref,))
        return None if row is None else _entry(row)

    def running(self) -> list[JournalEntry]:
        rows = self._store.query(
            f"SELECT {_COLUMNS} FROM transactions WHERE state = 'running' ORDER BY ref"
        )
        return [_entry(r) for r in rows]

    def by_transaction_id(self, transaction_id: int) -> JournalEntry | None:
        row = self._store.query_one(
            f"SELECT {_COLUMNS} FROM transactions WHERE transaction_id = ? ORDER BY ref DESC LIMIT 1",
            (transaction_id,),
        )
        return None if row is None else _entry(row)

    def set_transaction_id(
        self,
        ref: int,
        transaction_id: int,
        id_tag_status: str,
        parent_id_tag: str | None = None,
    ) -> None:
        """The StartTransaction.conf: its id, the tag's status and (when given) its parent."""
        self._store.execute(
            "UPDATE transactions SET transaction_id = ?, id_tag_status = ?, "
            "parent_id_tag = COALESCE(?, parent_id_tag) WHERE ref = ?",
            (transaction_id, id_tag_status, parent_id_tag, ref),
        )
        self._store.request_checkpoint()

    def record_meter(self, ref: int, energy_wh: int, at_ms: int) -> None:
        self._store.execute(
            "UPDATE transactions SET last_meter_wh = ?, last_meter_ms = ? WHERE ref = ? AND state = 'running'",
            (energy_wh, at_ms, ref),
        )

    def close(
        self, ref: int, stop_ms: int, meter_stop_wh: int, reason: str, stop_id_tag: str | None
    ) -> None:
        self._store.execute(
            "UPDATE transactions SET state = 'stopped', stop_ms = ?, meter_stop_wh = ?, last_meter_wh = ?, "
            "stop_reason = ?, stop_id_tag = ? WHERE ref = ?",
            (stop_ms, meter_stop_wh, meter_stop_wh, reason, stop_id_tag, ref),
        )
        self.prune(KEPT_TRANSACTIONS)
        self._store.request_checkpoint()

    def prune(self, keep: int) -> int:
        """Forget stopped transactions beyond the newest ``keep`` whose messages have all
        been delivered; returns how many. The journal is for delivery, not a history, and
        the station holds its store in memory (store.py): it must not grow without bound."""
        return self._store.execute(
            "DELETE FROM transactions WHERE state = 'stopped' "
            "AND ref NOT IN (SELECT tx_ref FROM outbox WHERE tx_ref IS NOT NULL) "
            "AND ref NOT IN (SELECT ref FROM transactions ORDER BY ref DESC LIMIT ?)",
            (keep,),
        )

    def add_meter_value(self, ref: int, value_json: str) -> None:
        self._store.execute(
            "INSERT INTO transaction_meter_values (tx_ref, value) VALUES (?, ?)", (ref, value_json)
        )

    def meter_values(self, ref: int) -> list[str]:
        rows = self._store.query(
            "SELECT value FROM transaction_meter_values WHERE tx_ref = ? ORDER BY id", (ref,)
        )
        return [str(r["value"]) for r in rows]


def _entry(row: sqlite3.Row) -> JournalEntry:
    return JournalEntry(**{k: row[k] for k in row.keys()})  # noqa: SIM118


class MeterRegisters:
    """The last energy register of each connector, monotonic across restarts."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, connector_id: int) -> float:
        row = self._store.query_one(
            "SELECT energy_wh FROM meter_registers WHERE connector_id = ?", (connector_id,)
        )
        return 0.0 if row is None else float(row["energy_wh"])

    def set(self, connector_id: int, energy_wh: float) -> None:
        self._store.execute(
            "INSERT INTO meter_registers (connector_id, energy_wh) VALUES (?, ?) "
            "ON CONFLICT (connector_id) DO UPDATE SET energy_wh = excluded.energy_wh",
            (connector_id, energy_wh),
        )
