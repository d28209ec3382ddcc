"""A store opened on a full disk: a charger restarted while its flash is full must come up.

Every write the opening makes (the marker file, the WAL checkpoint after a crash, the schema
migrations of a new version) degrades instead of aborting: the store opens failing, its
working copy whole, and writes what it owes, in order, once space returns. A data directory
with no store yet has nothing to start from: that one is refused in one line that names it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from chargestack.exceptions import StoreError
from chargestack.store import Store
from chargestack.store.marker import read_marker
from chargestack.store.migration_files import load_migrations
from small_filesystem import SmallFilesystem, small_filesystem


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallFilesystem]:
    with small_filesystem(tmp_path / "data", size_mib=4) as fs:
        yield fs


def file_rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    raw = sqlite3.connect(path)
    try:
        return list(raw.execute(sql))
    finally:
        raw.close()


async def recovers(store: Store, disk: SmallFilesystem) -> list[str | None]:
    """Free the disk; the store's changes of state until it writes again."""
    changes: list[str | None] = []
    done = asyncio.Event()

    def heard(failure: str | None) -> None:
        changes.append(failure)
        done.set()

    assert store.watch_writes(heard) is not None
    disk.free()
    await asyncio.wait_for(done.wait(), 10)
    await asyncio.wait_for(store.durable(), 10)
    return changes


async def test_a_store_opens_failing_and_writes_its_marker_when_space_returns(
    disk: SmallFilesystem,
) -> None:
    path = disk.path / "station.db"
    with Store.open(path) as store:
        store.meta.set("before", "1")
    disk.fill()
    store = Store.open(path)
    try:
        assert store.write_failure is not None and "No space left" in store.write_failure
        assert not await store.writable()
        # The marker still says what the clean stop left: not running.
        marker = read_marker(path)
        assert marker is not None and not marker.running
        assert store.meta.get("before") == "1"
        store.meta.set("while_full", "2")
        assert await recovers(store, disk) == [None]
        assert await store.writable()
        marker = read_marker(path)
        assert marker is not None and marker.running
    finally:
        store.close()
    assert ("while_full", "2") in file_rows(path, "SELECT key, value FROM meta")


async def test_a_crashed_store_whose_wal_cannot_be_checkpointed_opens_with_it(
    disk: SmallFilesystem,
) -> None:
    path = disk.path / "station.db"
    script = textwrap.dedent(
        f"""
        import asyncio, os
        from chargestack.store import Store

        async def main():
            store = Store.open({str(path)!r})
            for i in range(200):
                store.meta.set(f"key{{i}}", "x" * 1000)  # pages the database file lacks
            await store.durable()
            os._exit(0)

        asyncio.run(main())
        """
    )
    crashed = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
    assert await asyncio.wait_for(crashed.wait(), 60) == 0
    disk.fill()
    store = Store.open(path)
    try:
        assert store.lost_state is None
        assert len([k for k in store.meta.get_all() if k.startswith("key")]) == 200
        assert not await store.writable()
        await recovers(store, disk)
    finally:
        store.close()
    assert len(file_rows(path, "SELECT key FROM meta WHERE key LIKE 'key%'")) == 200


async def test_the_migrations_of_a_new_version_wait_for_space_in_the_working_copy(
    disk: SmallFilesystem,
) -> None:
    path = disk.path / "station.db"
    migrations = load_migrations()
    with Store.open(path, migrations=migrations[:-1]) as older:
        older.meta.set("from", "the previous version")
    disk.fill()
    store = Store.open(path, migrations=migrations)
    try:
        assert store.schema_version == len(migrations)
        assert store.meta.get("from") == "the previous version"
        assert store.write_failure is not None
        store.meta.set("after", "the upgrade")
        await recovers(store, disk)
    finally:
        store.close()
    assert file_rows(path, "PRAGMA user_version") == [(len(migrations),)]
    assert ("after", "the upgrade") in file_rows(path, "SELECT key, value FROM meta")


def test_a_new_store_on_a_full_disk_is_refused_naming_the_data_directory(
    disk: SmallFilesystem,
) -> None:
    disk.fill()
    with pytest.raises(StoreError) as refused:
        Store.open(disk.path / "station.db")
    message = str(refused.value)
    assert message.startswith(f"data directory {disk.path} has no room for a new store")
    assert "\n" not in message
