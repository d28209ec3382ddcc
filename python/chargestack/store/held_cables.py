"""Sockets whose cable stays locked for the driver of a DeAuthorized transaction (errata
3.5/3.17): the ``held_cables`` table of migration 008."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from chargestack.store.store import Store


@dataclass(frozen=True, slots=True)
class HeldCable:
    connector_id: int
    #: The idTag of the transaction; it, or a tag of its ``parent_id_tag``, frees the cable.
    id_tag: str
    parent_id_tag: str | None


class HeldCables:
    def __init__(self, store: Store) -> None:
        self._store = store

    def all(self) -> list[HeldCable]:
        rows = self._store.query(
            "SELECT connector_id, id_tag, parent_id_tag FROM held_cables ORDER BY connector_id"
        )
        return [_held(r) for r in rows]

    def get(self, connector_id: int) -> HeldCable | None:
        row = self._store.query_one(
            "SELECT connector_id, id_tag, parent_id_tag FROM held_cables WHERE connector_id = ?",
            (connector_id,),
        )
        return None if row is None else _held(row)

    def hold(self, cable: HeldCable) -> None:
        """Keep ``cable`` locked for its driver, replacing what its connector held before."""
        self._store.execute(
            "INSERT INTO held_cables (connector_id, id_tag, parent_id_tag) VALUES (?, ?, ?) "
            "ON CONFLICT (connector_id) DO UPDATE SET "
            "id_tag = excluded.id_tag, parent_id_tag = excluded.parent_id_tag",
            (cable.connector_id, cable.id_tag, cable.parent_id_tag),
        )

    def release(self, connector_id: int) -> bool:
        """The connector's cable is no longer held; False when it was not."""
        changed = self._store.execute(
            "DELETE FROM held_cables WHERE connector_id = ?", (connector_id,)
        )
        return changed > 0


def _held(row: sqlite3.Row) -> HeldCable:
    return HeldCable(int(row["connector_id"]), str(row["id_tag"]), row["parent_id_tag"])
