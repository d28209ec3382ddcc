"""The durable queue, the journal, the authorization cache and the held cables, on a real
SQLite file."""

from __future__ import annotations

from pathlib import Path

from chargestack.store import Store
from chargestack.store.auth_cache import AuthEntry
from chargestack.store.held_cables import HeldCable, HeldCables


def test_auth_cache_evicts_least_recently_used(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.auth_cache.capacity = 3
        for i in range(3):
            store.auth_cache.put(AuthEntry(f"T{i}", "Accepted", None, None), now_ms=i)
        assert store.auth_cache.get("T0", now_ms=10) is not None  # T0 is now the most recent
        store.auth_cache.put(AuthEntry("T3", "Accepted", None, None), now_ms=11)
        assert store.auth_cache.size() == 3
        assert store.auth_cache.get("T1", now_ms=12) is None
        assert store.auth_cache.get("T0", now_ms=12) is not None


def test_outbox_is_fifo_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store.open(path) as store:
        ref = store.journal.open(1, "TAG", None, None, 1000, 10)
        first = store.outbox.push("StartTransaction", "{}", ref, 1000)
        store.outbox.push("StopTransaction", "{}", ref, 2000)
        store.outbox.assign_message_id(first, "mid-1")
    with Store.open(path) as store:
        oldest = store.outbox.oldest()
        assert oldest is not None
        assert (oldest.action, oldest.message_id) == ("StartTransaction", "mid-1")
        store.outbox.delete(oldest.seq)
        nxt = store.outbox.oldest()
        assert nxt is not None
        assert nxt.action == "StopTransaction"


def test_thinning_drops_only_meter_values(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.outbox.push("StartTransaction", "{}", None, 0)
        for i in range(10):
            store.outbox.push("MeterValues", "{}", None, i)
        store.outbox.push("StopTransaction", "{}", None, 99)
        dropped = store.outbox.thin_meter_values(4)
        actions = [c.action for c in store.outbox.all()]
        assert dropped >= 6
        assert actions[0] == "StartTransaction"
        assert actions[-1] == "StopTransaction"
        assert actions.count("MeterValues") <= 4


def test_journal_running_until_closed(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        ref = store.journal.open(2, "TAG", "PARENT", 7, 1000, 500)
        store.journal.record_meter(ref, 650, 2000)
        (running,) = store.journal.running()
        assert (running.last_meter_wh, running.reservation_id) == (650, 7)
        store.journal.close(ref, 3000, 700, "Local", "TAG")
        assert store.journal.running() == []
        entry = store.journal.get(ref)
        assert entry is not None
        assert (entry.meter_stop_wh, entry.stop_reason) == (700, "Local")


def test_the_journal_forgets_delivered_sessions_beyond_the_newest_hundred(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        undelivered = store.journal.open(1, "OLD", None, None, 0, 0)
        store.journal.add_meter_value(undelivered, "{}")
        store.outbox.push("StopTransaction", "{}", undelivered, 1)
        store.journal.close(undelivered, 1, 0, "Local", None)
        refs = []
        for i in range(120):
            ref = store.journal.open(1, f"T{i}", None, None, i, 0)
            store.journal.add_meter_value(ref, "{}")
            store.journal.close(ref, i + 1, 1, "Local", None)
            refs.append(ref)
        running = store.journal.open(2, "NOW", None, None, 200, 0)
        kept = {r["ref"] for r in store.query("SELECT ref FROM transactions")}
        assert undelivered in kept  # its StopTransaction still waits in the queue
        assert running in kept
        assert set(refs[-100:]) <= kept
        assert not set(refs[:20]) & kept
        orphans = store.query(
            "SELECT count(*) AS n FROM transaction_meter_values "
            "WHERE tx_ref NOT IN (SELECT ref FROM transactions)"
        )
        assert orphans[0]["n"] == 0


def test_a_held_cable_survives_reopen_until_released(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store.open(path) as store:
        held = HeldCables(store)
        held.hold(HeldCable(1, "OLD", None))
        held.hold(HeldCable(1, "OWNER", "PARENT"))  # the connector's latest stop replaces it
        held.hold(HeldCable(2, "OTHER", None))
    with Store.open(path) as store:
        held = HeldCables(store)
        assert held.all() == [HeldCable(1, "OWNER", "PARENT"), HeldCable(2, "OTHER", None)]
        assert held.release(1) is True
        assert held.release(1) is False
        assert held.get(1) is None
        assert held.get(2) == HeldCable(2, "OTHER", None)
