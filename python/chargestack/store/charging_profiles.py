"""Installed charging profiles (migration 004): the durable copy the station re-applies.

A profile is stored as the row ``chargestack._core.ChargingProfile.to_json`` writes (the
OCPP field names, date-times in ms, ``connectorId``) and read back by the same parser, so
what survives a restart is exactly what was computed on before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chargestack._core import ChargingProfile
    from chargestack.store.store import Store


class ChargingProfiles:
    def __init__(self, store: Store) -> None:
        self._store = store

    def all(self) -> list[str]:
        """Every stored row, by chargingProfileId."""
        rows = self._store.query("SELECT body FROM charging_profiles ORDER BY charging_profile_id")
        return [str(row["body"]) for row in rows]

    def install(self, profile: ChargingProfile, replaces: Iterable[int], now_ms: int) -> None:
        """Store ``profile`` and drop the ones it replaces, atomically (never in part)."""
        with self._store.transaction():
            self.delete(replaces)
            self._store.execute(
                "INSERT OR REPLACE INTO charging_profiles (charging_profile_id, connector_id, "
                "purpose, stack_level, body, installed_ms) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    profile.id,
                    profile.connector_id,
                    profile.purpose,
                    profile.stack_level,
                    profile.to_json(),
                    now_ms,
                ),
            )

    def delete(self, profile_ids: Iterable[int]) -> int:
        ids = [(i,) for i in profile_ids]
        if not ids:
            return 0
        return self._store.execute_many(
            "DELETE FROM charging_profiles WHERE charging_profile_id = ?", ids
        )

    def delete_tx_profiles(self, connector_id: int | None = None) -> int:
        """TxProfiles end with their transaction; None: every connector (after a restart)."""
        if connector_id is None:
            return self._store.execute("DELETE FROM charging_profiles WHERE purpose = 'TxProfile'")
        return self._store.execute(
            "DELETE FROM charging_profiles WHERE purpose = 'TxProfile' AND connector_id = ?",
            (connector_id,),
        )
