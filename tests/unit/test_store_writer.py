"""The store's working copy and its writer thread (issue 17, item 2).

The event loop writes to an in-memory copy; the writer thread replays each commit onto the
file. What reaches the file must be exactly what the loop committed, in order, and nothing
it rolled back; what :meth:`Store.durable` reports must be in the file even if the process
dies at once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chargestack.exceptions import StoreError
from chargestack.store import Store
from small_filesystem import small_filesystem


def _dump(conn: sqlite3.Connection) -> list[str]:
    return list(conn.iterdump())


def _rolled_back(store: Store, key: str) -> None:
    with store.transaction():
        store.meta.set(key, "rolled back")
        raise RuntimeError(key)


def _every_kind_of_write(store: Store) -> None:
    store.meta.set("a", "1")
    store.meta.set("a", "2")  # upsert
    store.config.set("HeartbeatInterval", "60")
    store.config.delete("HeartbeatInterval")
    store.execute("DELETE FROM meta WHERE key = 'nothing'")  # changes nothing
    with store.transaction():
        ref = store.journal.open(1, "TAG", None, None, 1_000, 10)
        store.journal.add_meter_value(ref, '{"v": 1}')
        store.journal.add_meter_value(ref, '{"v": 2}')
        with pytest.raises(RuntimeError):
            _rolled_back(store, "savepoint")
        store.journal.record_meter(ref, 20, 2_000)
    with pytest.raises(RuntimeError):
        _rolled_back(store, "outer")
    store.execute_many(
        "INSERT INTO auth_cache (id_tag, status, expiry_ms, last_used_ms) VALUES (?, ?, ?, ?)",
        [("T1", "Accepted", None, 1), ("T2", "Blocked", None, 2)],
    )
    store.outbox.push("StartTransaction", "{}", ref, 3_000)
    store.outbox.delete(store.outbox.push("MeterValues", "{}", ref, 4_000))
    with pytest.raises(StoreError):
        store.execute("INSERT INTO meta (key, value) VALUES ('a', NULL)")
    store.execute("DELETE FROM outbox")
    store.execute("DELETE FROM transactions WHERE ref = ?", (ref,))  # cascades to meter values


def test_the_file_holds_exactly_what_the_event_loop_committed(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        _every_kind_of_write(store)
        working_copy = _dump(store._connection())
        assert store.meta.get("savepoint") is None and store.meta.get("outer") is None
    raw = sqlite3.connect(path)
    try:
        assert _dump(raw) == working_copy
    finally:
        raw.close()


def test_a_reopened_store_continues_where_the_file_left_off(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        first = store.outbox.push("StartTransaction", "{}", None, 1)
    with Store.open(path) as store:
        second = store.outbox.push("StopTransaction", "{}", None, 2)
        assert second == first + 1  # AUTOINCREMENT state came along with the copy
        assert [c.action for c in store.outbox.all()] == ["StartTransaction", "StopTransaction"]


async def test_durable_reports_a_commit_once_the_writer_has_it_on_disk(tmp_path: Path) -> None:
    with Store.open(tmp_path / "station.db") as store:
        assert store.written == 0
        await store.durable()  # nothing written: returns at once
        store.meta.set("k", "v")
        with store.transaction():
            store.meta.set("k2", "v2")
            store.meta.set("k3", "v3")
        assert store.written == 2  # one transaction, one commit
        await asyncio.wait_for(store.durable(), 10)
        assert store.durable_through == 2
        assert store.describe()["commitsNotOnDisk"] == 0


def test_what_durable_reported_survives_an_abrupt_exit(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    script = textwrap.dedent(
        f"""
        import asyncio, os
        from chargestack.store import Store

        async def main():
            store = Store.open({str(path)!r})
            for i in range(50):
                store.meta.set(f"key{{i}}", str(i))
            await store.durable()
            os._exit(0)  # no close, no flush: the process is simply gone

        asyncio.run(main())
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert (tmp_path / "station.db-wal").exists()
    with Store.open(path) as store:
        assert store.lost_state is None  # an unclean stop with its WAL is no loss
        assert len([k for k in store.meta.get_all() if k.startswith("key")]) == 50


def _cpu_ticks(native_id: int) -> int:
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks


async def test_the_writer_checkpoints_periodically_and_idles_between(tmp_path: Path) -> None:
    with Store.open(tmp_path / "station.db", checkpoint_interval_s=0.05) as store:
        writer = store._writer._thread
        assert writer.native_id is not None
        store.meta.set("k", "v")
        for _ in range(500):
            if store.describe()["checkpoints"] >= 1:
                break
            await asyncio.sleep(0.01)
        assert store.describe()["checkpoints"] >= 1  # written, so checkpointed in its period
        checkpoints = store.describe()["checkpoints"]
        ticks = _cpu_ticks(writer.native_id)
        await asyncio.sleep(0.5)  # ten idle periods
        # Nothing written: no checkpoint, and the thread slept (a spinning one burns ~50 ticks).
        assert store.describe()["checkpoints"] == checkpoints
        assert _cpu_ticks(writer.native_id) - ticks <= 5


async def test_writable_and_watch_writes_follow_a_disk_that_runs_full(tmp_path: Path) -> None:
    """Issue 17 item 1: the store says when it cannot journal, once each way."""
    with small_filesystem(tmp_path / "fs", size_mib=4) as disk:
        store = Store.open(disk.path / "station.db")
        try:
            changes: list[str | None] = []
            store.watch_writes(changes.append)
            store.meta.set("before", "1")
            assert await store.writable()
            disk.fill()
            store.meta.set("during", "x" * 20_000)  # needs pages the disk no longer has
            assert not await store.writable()
            assert store.write_failure == "database or disk is full"
            store.meta.set("more", "1")
            assert not await store.writable()  # known at once while it fails
            disk.free()
            await store.durable()
            assert await store.writable()
            assert store.write_failure is None
            # Announced on the event loop, each before the wait it ended returned.
            assert changes == ["database or disk is full", None]
        finally:
            store.close()
        raw = sqlite3.connect(disk.path / "station.db")
        try:
            keys = {row[0] for row in raw.execute("SELECT key FROM meta")}
        finally:
            raw.close()
    assert {"before", "during", "more"} <= keys
