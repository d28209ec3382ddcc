"""The local authorization list (OCPP 1.6 sections 3.5.3 and 5.15) and its version.

Entries live in the ``local_list`` table of migration 003, the version in ``meta``. Every
update is one SQLite transaction: a request that fails part-way changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from chargestack.exceptions import ChargestackError
from chargestack.store.auth_cache import AuthEntry

if TYPE_CHECKING:
    from chargestack.store.store import Store

VERSION_KEY = "local_list_version"


class ListTooLong(ChargestackError):
    """The update would leave more entries than the list may hold; nothing was changed."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the local list would hold {size} entries, at most {limit} allowed")
        self.size = size
        self.limit = limit


class LocalList:
    def __init__(self, store: Store) -> None:
        self._store = store

    def version(self) -> int:
        """The listVersion of the last accepted update; 0 when none was ever installed."""
        raw = self._store.meta.get(VERSION_KEY)
        return 0 if raw is None else int(raw)

    def get(self, id_tag: str) -> AuthEntry | None:
        row = self._store.query_one(
            "SELECT id_tag, status, expiry_ms, parent_id_tag FROM local_list WHERE id_tag = ?",
            (id_tag,),
        )
        if row is None:
            return None
        return AuthEntry(row["id_tag"], row["status"], row["expiry_ms"], row["parent_id_tag"])

    def size(self) -> int:
        row = self._store.query_one("SELECT count(*) AS n FROM local_list")
        return 0 if row is None else int(row["n"])

    def update(
        self,
        version: int,
        *,
        full: bool,
        upserts: Iterable[AuthEntry],
        removals: Iterable[str],
        max_size: int,
    ) -> None:
        """Apply one SendLocalList: Full replaces every entry, Differential edits them.

        Raises :class:`ListTooLong` (after rolling everything back) when the result would hold
        more than ``max_size`` entries (LocalAuthListMaxLength).
        """
        store = self._store
        with store.transaction():
            if full:
                store.execute("DELETE FROM local_list")
            for entry in upserts:
                store.execute(
                    "INSERT INTO local_list (id_tag, status, expiry_ms, parent_id_tag) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (id_tag) DO UPDATE SET "
                    "status = excluded.status, expiry_ms = excluded.expiry_ms, "
                    "parent_id_tag = excluded.parent_id_tag",
                    (entry.id_tag, entry.status, entry.expiry_ms, entry.parent_id_tag),
                )
            for id_tag in removals:
                store.execute("DELETE FROM local_list WHERE id_tag = ?", (id_tag,))
            size = self.size()
            if size > max_size:
                raise ListTooLong(size, max_size)
            store.meta.set(VERSION_KEY, str(version))
