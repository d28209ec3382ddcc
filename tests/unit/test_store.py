"""The station's SQLite store: open, migrate, refuse foreign or damaged files, accessors."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from chargestack.exceptions import StoreError
from chargestack.store import APPLICATION_ID, Store, load_migrations


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "station.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as opened:
        yield opened


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _write_migrations(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


# --- opening a new database --------------------------------------------------------------


def test_fresh_database_gets_schema_identity_and_durable_pragmas(db_path: Path) -> None:
    with Store.open(db_path) as store:
        assert store.schema_version == len(load_migrations()) >= 1
        assert store.query_one("PRAGMA application_id")[0] == APPLICATION_ID  # type: ignore[index]
        assert store.query_one("PRAGMA foreign_keys")[0] == 1  # type: ignore[index]
        tables = {
            r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type='table'")
        }
        assert {"meta", "config", "availability"} <= tables
    # The file itself: WAL, the same identity and schema.
    raw = _raw(db_path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert raw.execute("PRAGMA user_version").fetchone()[0] == len(load_migrations())
    finally:
        raw.close()


def test_reopen_keeps_data_and_does_not_migrate_again(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.meta.set("boot_status", "Accepted")
        store.config.set("HeartbeatInterval", "120")
        store.availability.set(2, "Inoperative")
        version = store.schema_version
    with Store.open(db_path) as store:
        assert store.schema_version == version
        assert store.meta.get("boot_status") == "Accepted"
        assert store.config.get_all() == {"HeartbeatInterval": "120"}
        assert store.availability.get(2) == "Inoperative"


def test_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open database"):
        Store.open(tmp_path / "absent" / "station.db")


def test_second_writer_on_the_same_file_is_refused(store: Store, db_path: Path) -> None:
    with pytest.raises(StoreError, match="in use by another connection"):
        Store.open(db_path, lock_timeout=0)
    store.close()
    Store.open(db_path, lock_timeout=0).close()


# --- refusing foreign, damaged and newer files --------------------------------------------


def test_foreign_application_id_is_refused_and_left_untouched(db_path: Path) -> None:
    raw = _raw(db_path)
    raw.execute("PRAGMA application_id = 1234")
    raw.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    raw.close()
    before = db_path.read_bytes()
    with pytest.raises(
        StoreError, match=r"does not belong to chargestack \(application_id 0x000004d2"
    ):
        Store.open(db_path)
    assert db_path.read_bytes() == before
    assert not Path(f"{db_path}-wal").exists()


def test_sqlite_file_of_another_program_is_refused(db_path: Path) -> None:
    raw = _raw(db_path)
    raw.execute("CREATE TABLE songs (title TEXT)")
    raw.close()
    with pytest.raises(StoreError, match=r"no application_id.*tables: songs"):
        Store.open(db_path)


def test_unknown_table_in_our_database_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    raw = _raw(db_path)
    raw.execute("CREATE TABLE intruder (x)")
    raw.close()
    with pytest.raises(StoreError, match=r"unknown objects \['intruder'\]"):
        Store.open(db_path)


def test_random_bytes_are_a_store_error_not_a_crash(db_path: Path) -> None:
    payload = os.urandom(8192)
    db_path.write_bytes(payload)
    with pytest.raises(StoreError, match="not an SQLite database or is corrupt"):
        Store.open(db_path)
    assert db_path.read_bytes() == payload


def test_damaged_pages_fail_the_open(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.execute_many(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [(f"k{i}", "v" * 200) for i in range(200)],
        )
    data = bytearray(db_path.read_bytes())
    page = 4096
    # Scribble over the second page onwards (the first holds the header and schema root).
    data[page : page * 3] = os.urandom(page * 2)
    db_path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"integrity check|corrupt"):
        Store.open(db_path)


def test_newer_schema_version_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    raw = _raw(db_path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(StoreError, match=r"schema version 99, newer than this chargestack"):
        Store.open(db_path)


# --- migrations ---------------------------------------------------------------------------


def test_migrations_are_discovered_by_number_and_applied_in_order(
    tmp_path: Path, db_path: Path
) -> None:
    base = {"001_base.sql": "CREATE TABLE a (x INTEGER);"}
    first = load_migrations(_write_migrations(tmp_path / "v1", base))
    with Store.open(db_path, migrations=first) as store:
        store.execute("INSERT INTO a VALUES (1)")
    later = {
        **base,
        "003_third.sql": "INSERT INTO b SELECT x + 10 FROM a;",
        "002_second.sql": "CREATE TABLE b (y INTEGER);",
        "README.txt": "not a migration",
    }
    steps = load_migrations(_write_migrations(tmp_path / "v3", later))
    assert [m.version for m in steps] == [1, 2, 3]
    with Store.open(db_path, migrations=steps) as store:
        assert store.schema_version == 3
        assert [r[0] for r in store.query("SELECT y FROM b")] == [11]


def test_failed_migration_rolls_back_completely(tmp_path: Path, db_path: Path) -> None:
    files = {
        "001_base.sql": "CREATE TABLE a (x INTEGER);",
        "002_broken.sql": "CREATE TABLE b (y INTEGER);\nINSERT INTO nowhere VALUES (1);",
    }
    steps = load_migrations(_write_migrations(tmp_path / "m", files))
    with pytest.raises(StoreError, match=r"002_broken.sql failed and was rolled back"):
        Store.open(db_path, migrations=steps)
    with Store.open(db_path, migrations=steps[:1]) as store:
        assert store.schema_version == 1
        assert store.query("SELECT name FROM sqlite_master WHERE name = 'b'") == []


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"002_b.sql": "SELECT 1;"}, r"expected 001, found 002_b.sql"),
        ({"001_a.sql": "SELECT 1;", "003_c.sql": "SELECT 1;"}, r"expected 002, found 003_c.sql"),
        (
            {"001_a.sql": "SELECT 1;", "001_b.sql": "SELECT 1;"},
            r"two schema migrations share number 001",
        ),
        ({"001_a.sql": "BEGIN;\nSELECT 1;\nCOMMIT;"}, r"contains a transaction statement"),
    ],
)
def test_broken_migration_sets_are_refused(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        load_migrations(_write_migrations(tmp_path / "m", files))


# --- transactions -------------------------------------------------------------------------


def _write_then_fail(store: Store, key: str, value: str) -> None:
    with store.transaction():
        store.meta.set(key, value)
        raise RuntimeError("abort")


def test_transaction_commits_together_or_not_at_all(store: Store) -> None:
    with store.transaction():
        store.meta.set("a", "1")
        store.meta.set("b", "2")
    with pytest.raises(RuntimeError, match="abort"):
        _write_then_fail(store, "a", "changed")
    assert store.meta.get_all() == {"a": "1", "b": "2"}


def test_nested_transaction_rolls_back_only_its_part(store: Store) -> None:
    with store.transaction():
        store.meta.set("outer", "kept")
        with pytest.raises(RuntimeError, match="abort"):
            _write_then_fail(store, "inner", "dropped")
    assert store.meta.get_all() == {"outer": "kept"}


def test_sql_errors_and_use_after_close_are_store_errors(store: Store) -> None:
    with pytest.raises(StoreError, match="statement failed"):
        store.execute("INSERT INTO nowhere VALUES (1)")
    with pytest.raises(StoreError, match="query failed"):
        store.query("SELECT * FROM nowhere")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="is closed"):
        store.meta.get("a")


# --- accessors ----------------------------------------------------------------------------


def test_config_values_set_overwrite_delete(store: Store) -> None:
    assert store.config.get("HeartbeatInterval") is None
    store.config.set("HeartbeatInterval", "60")
    store.config.set("HeartbeatInterval", "90")
    assert store.config.get("HeartbeatInterval") == "90"
    store.config.delete("HeartbeatInterval")
    assert store.config.get_all() == {}


def test_meta_set_get_delete(store: Store) -> None:
    assert store.meta.get("clock_offset") is None
    store.meta.set("clock_offset", "-0.25")
    assert store.meta.get("clock_offset") == "-0.25"
    store.meta.delete("clock_offset")
    store.meta.delete("clock_offset")
    assert store.meta.get_all() == {}


def test_availability_defaults_to_operative(store: Store) -> None:
    assert store.availability.get(0) == "Operative"
    assert store.availability.scheduled(0) is None
    assert store.availability.apply_scheduled(1) is None
    assert store.availability.all() == {}


def test_scheduled_change_waits_then_applies(store: Store) -> None:
    store.availability.schedule(1, "Inoperative")
    assert store.availability.get(1) == "Operative"
    assert store.availability.scheduled(1) == "Inoperative"
    assert store.availability.apply_scheduled(1) == "Inoperative"
    assert store.availability.get(1) == "Inoperative"
    assert store.availability.scheduled(1) is None


def test_direct_change_supersedes_a_scheduled_one(store: Store) -> None:
    store.availability.set(0, "Inoperative")
    store.availability.schedule(0, "Operative")
    assert store.availability.get(0) == "Inoperative"
    store.availability.set(0, "Inoperative")
    assert store.availability.scheduled(0) is None
    store.availability.schedule(3, "Inoperative")
    store.availability.clear_scheduled(3)
    assert store.availability.apply_scheduled(3) is None


def test_availability_survives_reopen(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.availability.set(1, "Inoperative")
        store.availability.schedule(2, "Inoperative")
    with Store.open(db_path) as store:
        records = store.availability.all()
    assert records[1].state == "Inoperative"
    assert records[2].state == "Operative"
    assert records[2].scheduled == "Inoperative"


def test_availability_rejects_bad_rows(store: Store) -> None:
    with pytest.raises(StoreError):
        store.availability.set(-1, "Inoperative")
    with pytest.raises(StoreError):
        store.availability.set(1, "Broken")  # type: ignore[arg-type]
