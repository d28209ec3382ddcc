"""Reservations (OCPP 1.6 section 5.13): what ReserveNow promised, kept across restarts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from chargestack.store.store import Store


@dataclass(frozen=True, slots=True)
class Reservation:
    reservation_id: int
    connector_id: int  # 0: the whole charge point
    id_tag: str
    parent_id_tag: str | None
    expiry_ms: int


class Reservations:
    """The ``reservations`` table of migration 005."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def all(self) -> list[Reservation]:
        rows = self._store.query(
            "SELECT reservation_id, connector_id, id_tag, parent_id_tag, expiry_ms "
            "FROM reservations ORDER BY expiry_ms, reservation_id"
        )
        return [_reservation(r) for r in rows]

    def put(self, reservation: Reservation) -> None:
        """Store ``reservation``, replacing the one with its id (section 5.13: a ReserveNow
        with a known reservationId replaces that reservation), atomically."""
        with self._store.transaction():
            self._store.execute(
                "DELETE FROM reservations WHERE reservation_id = ?", (reservation.reservation_id,)
            )
            self._store.execute(
                "INSERT INTO reservations "
                "(reservation_id, connector_id, id_tag, parent_id_tag, expiry_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    reservation.reservation_id,
                    reservation.connector_id,
                    reservation.id_tag,
                    reservation.parent_id_tag,
                    reservation.expiry_ms,
                ),
            )

    def delete(self, reservation_id: int) -> bool:
        """Remove one reservation; False when there was none with that id."""
        changed = self._store.execute(
            "DELETE FROM reservations WHERE reservation_id = ?", (reservation_id,)
        )
        return changed > 0


def _reservation(row: sqlite3.Row) -> Reservation:
    return Reservation(
        int(row["reservation_id"]),
        int(row["connector_id"]),
        str(row["id_tag"]),
        row["parent_id_tag"],
        int(row["expiry_ms"]),
    )
