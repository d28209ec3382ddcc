"""Registration data of the station: last boot status, clock offset, and the like.

Plain key -> string pairs; each owner (boot, clock, ...) names and parses its own keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chargestack.store.store import Store


class Meta:
    """Key -> string store for registration data."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, key: str) -> str | None:
        """The value of ``key``, or None when never set."""
        row = self._store.query_one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    def get_all(self) -> dict[str, str]:
        """Every stored pair."""
        return {str(r["key"]): str(r["value"]) for r in self._store.query("SELECT * FROM meta")}

    def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``; durable when this returns."""
        self._store.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def delete(self, key: str) -> None:
        """Remove ``key`` (no error when absent)."""
        self._store.execute("DELETE FROM meta WHERE key = ?", (key,))
