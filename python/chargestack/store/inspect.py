"""A read-only look into a station's database, for `chargestack db inspect`.

Opens the file read-only (never migrates or repairs); a running station holds the file
exclusively, in which case the caller is told to ask the station's control API instead.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from chargestack.exceptions import StoreError
from chargestack.store.migration_files import load_migrations
from chargestack.store.store_file import check_readable


def _count(conn: sqlite3.Connection, sql: str) -> int:
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # the table comes with a migration this database has not had


def inspect_database(path: Path) -> dict[str, Any]:
    """What a stopped station's database holds; StoreError with the station's own one-line
    message when the file is foreign, newer, damaged or in use."""
    if not path.exists():
        raise StoreError(f"no database at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from None
    try:
        check_readable(conn, str(path), load_migrations())
        return _summary(conn, path)
    finally:
        conn.close()


def _summary(conn: sqlite3.Connection, path: Path) -> dict[str, Any]:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    try:
        open_tx = [
            {
                "ref": r[0],
                "connectorId": r[1],
                "idTag": r[2],
                "transactionId": r[3],
                "meterStartWh": r[4],
            }
            for r in conn.execute(
                "SELECT ref, connector_id, id_tag, transaction_id, meter_start_wh FROM transactions "
                "WHERE state = 'running' ORDER BY ref"
            )
        ]
    except sqlite3.OperationalError:
        open_tx = []
    return {
        "database": str(path),
        "schemaVersion": version,
        "queueDepth": _count(conn, "SELECT count(*) FROM outbox"),
        "queuedByAction": dict(
            conn.execute("SELECT action, count(*) FROM outbox GROUP BY action").fetchall()
        )
        if _count(conn, "SELECT count(*) FROM outbox")
        else {},
        "openTransactions": open_tx,
        "chargingProfiles": _count(conn, "SELECT count(*) FROM charging_profiles"),
        "reservations": _count(conn, "SELECT count(*) FROM reservations"),
        "authCacheEntries": _count(conn, "SELECT count(*) FROM auth_cache"),
        "localListEntries": _count(conn, "SELECT count(*) FROM local_list"),
    }
