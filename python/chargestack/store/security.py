"""The security log and the installed root certificates (migration 007)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chargestack.store.store import Store

#: Rows kept in the security log; the oldest go first (the whitepaper asks for a log, not an
#: unbounded one, and a charger's flash is small).
MAX_SECURITY_LOG_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class SecurityLogEntry:
    id: int
    at_ms: int
    type: str
    tech_info: str | None
    critical: bool


@dataclass(frozen=True, slots=True)
class StoredCertificate:
    fingerprint: str
    certificate_type: str
    pem: str
    installed_ms: int


class SecurityLog:
    """Append-only record of security events, read back by time range for GetLog."""

    def __init__(self, store: Store, max_rows: int = MAX_SECURITY_LOG_ROWS) -> None:
        self._store = store
        self._max_rows = max_rows

    def append(self, at_ms: int, type_: str, tech_info: str | None, critical: bool) -> int:
        with self._store.transaction():
            self._store.execute(
                "INSERT INTO security_log (at_ms, type, tech_info, critical) VALUES (?, ?, ?, ?)",
                (at_ms, type_, tech_info, int(critical)),
            )
            row = self._store.query_one("SELECT last_insert_rowid() AS id")
            assert row is not None
            new_id = int(row["id"])
            self._store.execute(
                "DELETE FROM security_log WHERE id <= ?", (new_id - self._max_rows,)
            )
        return new_id

    def entries(
        self, since_ms: int | None = None, until_ms: int | None = None
    ) -> list[SecurityLogEntry]:
        """Entries with ``since_ms <= at_ms <= until_ms`` (either bound optional), oldest first."""
        rows = self._store.query(
            "SELECT id, at_ms, type, tech_info, critical FROM security_log "
            "WHERE (? IS NULL OR at_ms >= ?) AND (? IS NULL OR at_ms <= ?) ORDER BY id",
            (since_ms, since_ms, until_ms, until_ms),
        )
        return [
            SecurityLogEntry(
                int(r["id"]), int(r["at_ms"]), str(r["type"]), r["tech_info"], bool(r["critical"])
            )
            for r in rows
        ]

    def clear(self) -> int:
        return self._store.execute("DELETE FROM security_log")


class Certificates:
    """Installed root certificates, keyed by the SHA-256 fingerprint of their DER."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, fingerprint: str, certificate_type: str, pem: str, now_ms: int) -> None:
        self._store.execute(
            "INSERT OR REPLACE INTO certificates (fingerprint, certificate_type, pem, "
            "installed_ms) VALUES (?, ?, ?, ?)",
            (fingerprint, certificate_type, pem, now_ms),
        )

    def remove(self, fingerprint: str) -> bool:
        return (
            self._store.execute("DELETE FROM certificates WHERE fingerprint = ?", (fingerprint,))
            > 0
        )

    def all(self, certificate_type: str | None = None) -> list[StoredCertificate]:
        rows = self._store.query(
            "SELECT fingerprint, certificate_type, pem, installed_ms FROM certificates "
            "WHERE ? IS NULL OR certificate_type = ? ORDER BY installed_ms, fingerprint",
            (certificate_type, certificate_type),
        )
        return [
            StoredCertificate(
                str(r["fingerprint"]),
                str(r["certificate_type"]),
                str(r["pem"]),
                int(r["installed_ms"]),
            )
            for r in rows
        ]

    def count(self) -> int:
        row = self._store.query_one("SELECT count(*) AS n FROM certificates")
        assert row is not None
        return int(row["n"])
