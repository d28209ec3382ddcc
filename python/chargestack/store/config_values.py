"""Persistence of OCPP configuration values changed by the central system.

Values are stored in their wire form (OCPP 1.6 section 9: every value is a string); typing and
validation belong to :mod:`chargestack.station.configuration`, which is the only writer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chargestack.store.store import Store


class ConfigValues:
    """Key -> wire value of the configuration keys that were changed at runtime."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get_all(self) -> dict[str, str]:
        """Every stored value by canonical key name."""
        rows = self._store.query("SELECT key, value FROM config")
        return {str(row["key"]): str(row["value"]) for row in rows}

    def get(self, key: str) -> str | None:
        """The stored value of ``key``, or None when it was never changed."""
        row = self._store.query_one("SELECT value FROM config WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    def set(self, key: str, value: str) -> None:
        """Store ``value`` for ``key``; durable when this returns."""
        self._store.execute(
            "INSERT INTO config (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def delete(self, key: str) -> None:
        """Forget the stored value, so the station file's value or the default applies again."""
        self._store.execute("DELETE FROM config WHERE key = ?", (key,))
