"""Persisted connector availability (OCPP 1.6 section 5.2, ChangeAvailability).

Connector 0 stands for the whole charge point. A connector without a row is Operative. An
Inoperative connector stays Unavailable across reboots and power loss (OCTT TC_013). A change
requested while a transaction runs is answered Scheduled and kept here until the transaction
ends, so it is not lost if the station restarts in between.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from chargestack.store.store import Store

AvailabilityType = Literal["Operative", "Inoperative"]


@dataclass(frozen=True, slots=True)
class ConnectorAvailability:
    """The persisted availability of one connector."""

    connector_id: int
    state: AvailabilityType
    scheduled: AvailabilityType | None


class Availability:
    """Per-connector Operative/Inoperative state plus one pending scheduled change."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, connector_id: int) -> AvailabilityType:
        """The current state; Operative when never changed."""
        record = self._record(connector_id)
        return "Operative" if record is None else record.state

    def scheduled(self, connector_id: int) -> AvailabilityType | None:
        """The change waiting for the running transaction to end, if any."""
        record = self._record(connector_id)
        return None if record is None else record.scheduled

    def all(self) -> dict[int, ConnectorAvailability]:
        """Every connector that has a row, by id."""
        rows = self._store.query("SELECT connector_id, state, scheduled FROM availability")
        return {int(r["connector_id"]): _from_row(int(r["connector_id"]), r) for r in rows}

    def set(self, connector_id: int, state: AvailabilityType) -> None:
        """Make ``state`` current now; a pending scheduled change is dropped (superseded)."""
        self._store.execute(
            "INSERT INTO availability (connector_id, state, scheduled) VALUES (?, ?, NULL) "
            "ON CONFLICT (connector_id) DO UPDATE SET state = excluded.state, scheduled = NULL",
            (connector_id, state),
        )

    def schedule(self, connector_id: int, state: AvailabilityType) -> None:
        """Remember ``state`` to apply when the transaction on this connector ends."""
        self._store.execute(
            "INSERT INTO availability (connector_id, state, scheduled) "
            "VALUES (?, 'Operative', ?) "
            "ON CONFLICT (connector_id) DO UPDATE SET scheduled = excluded.scheduled",
            (connector_id, state),
        )

    def clear_scheduled(self, connector_id: int) -> None:
        """Drop a pending scheduled change without applying it."""
        self._store.execute(
            "UPDATE availability SET scheduled = NULL WHERE connector_id = ?", (connector_id,)
        )

    def apply_scheduled(self, connector_id: int) -> AvailabilityType | None:
        """Make the scheduled change current, atomically; returns it (None if none pending)."""
        with self._store.transaction():
            pending = self.scheduled(connector_id)
            if pending is not None:
                self.set(connector_id, pending)
        return pending

    def _record(self, connector_id: int) -> ConnectorAvailability | None:
        row = self._store.query_one(
            "SELECT state, scheduled FROM availability WHERE connector_id = ?", (connector_id,)
        )
        return None if row is None else _from_row(connector_id, row)


def _from_row(connector_id: int, row: sqlite3.Row) -> ConnectorAvailability:
    scheduled = row["scheduled"]
    return ConnectorAvailability(
        connector_id=connector_id,
        state=_state(str(row["state"])),
        scheduled=None if scheduled is None else _state(str(scheduled)),
    )


def _state(value: str) -> AvailabilityType:
    # The table's CHECK constraint guarantees one of the two; this narrows the type.
    return "Inoperative" if value == "Inoperative" else "Operative"
