"""The authorization cache (OCPP 1.6 section 3.5.1): bounded; NOT-valid entries are evicted
first, then the least recently used valid ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chargestack.store.store import Store


@dataclass(frozen=True, slots=True)
class AuthEntry:
    id_tag: str
    status: str
    expiry_ms: int | None
    parent_id_tag: str | None


class AuthCache:
    def __init__(self, store: Store, capacity: int = 10_000) -> None:
        self._store = store
        self.capacity = capacity

    def get(self, id_tag: str, now_ms: int) -> AuthEntry | None:
        row = self._store.query_one(
            "SELECT id_tag, status, expiry_ms, parent_id_tag FROM auth_cache WHERE id_tag = ?",
            (id_tag,),
        )
        if row is None:
            return None
        self._store.execute(
            "UPDATE auth_cache SET last_used_ms = ? WHERE id_tag = ?", (now_ms, id_tag)
        )
        return AuthEntry(row["id_tag"], row["status"], row["expiry_ms"], row["parent_id_tag"])

    def put(self, entry: AuthEntry, now_ms: int) -> None:
        with self._store.transaction():
            self._store.execute(
                "INSERT INTO auth_cache (id_tag, status, expiry_ms, parent_id_tag, last_used_ms) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id_tag) DO UPDATE SET status = excluded.status, "
                "expiry_ms = excluded.expiry_ms, parent_id_tag = excluded.parent_id_tag, "
                "last_used_ms = excluded.last_used_ms",
                (entry.id_tag, entry.status, entry.expiry_ms, entry.parent_id_tag, now_ms),
            )
            # Section 3.5.1: a full cache drops NOT-valid entries (an Accepted one past its
            # expiry is Expired) first, then the least recently used valid ones; the entry
            # just received always stays.
            self._store.execute(
                "DELETE FROM auth_cache WHERE id_tag IN (SELECT id_tag FROM auth_cache "
                "ORDER BY id_tag = ? DESC, status IN ('Accepted', 'ConcurrentTx') "
                "AND (expiry_ms IS NULL OR expiry_ms > ?) DESC, last_used_ms DESC "
                "LIMIT -1 OFFSET ?)",
                (entry.id_tag, now_ms, self.capacity),
            )

    def clear(self) -> None:
        self._store.execute("DELETE FROM auth_cache")

    def size(self) -> int:
        row = self._store.query_one("SELECT count(*) AS n FROM auth_cache")
        return 0 if row is None else int(row["n"])
