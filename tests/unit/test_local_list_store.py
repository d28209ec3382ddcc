"""The local authorization list and reservation accessors: atomic updates, versions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chargestack.store import Store
from chargestack.store.auth_cache import AuthEntry
from chargestack.store.local_list import ListTooLong, LocalList
from chargestack.store.reservations import Reservation, Reservations


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "station.db") as opened:
        yield opened


def entry(tag: str, status: str = "Accepted", parent: str | None = None) -> AuthEntry:
    return AuthEntry(tag, status, None, parent)


def test_new_list_has_version_zero_and_no_entries(store: Store) -> None:
    local = LocalList(store)
    assert local.version() == 0
    assert local.size() == 0
    assert local.get("A") is None


def test_full_update_replaces_every_entry(store: Store) -> None:
    local = LocalList(store)
    local.update(1, full=True, upserts=[entry("A"), entry("B")], removals=[], max_size=10)
    local.update(2, full=True, upserts=[entry("C", "Blocked", "P")], removals=[], max_size=10)
    assert local.version() == 2
    assert local.get("A") is None
    assert local.get("C") == AuthEntry("C", "Blocked", None, "P")


def test_differential_update_adds_changes_and_removes(store: Store) -> None:
    local = LocalList(store)
    local.update(1, full=True, upserts=[entry("A"), entry("B")], removals=[], max_size=10)
    local.update(
        2, full=False, upserts=[entry("B", "Blocked"), entry("C")], removals=["A"], max_size=10
    )
    assert local.version() == 2
    assert local.get("A") is None
    assert local.get("B") == entry("B", "Blocked")
    assert local.size() == 2


def test_update_beyond_the_limit_changes_nothing(store: Store) -> None:
    local = LocalList(store)
    local.update(1, full=True, upserts=[entry("A"), entry("B")], removals=[], max_size=2)
    with pytest.raises(ListTooLong):
        local.update(2, full=False, upserts=[entry("C")], removals=[], max_size=2)
    with pytest.raises(ListTooLong):
        local.update(
            3, full=True, upserts=[entry("X"), entry("Y"), entry("Z")], removals=[], max_size=2
        )
    assert local.version() == 1
    assert {local.get(t) is not None for t in ("A", "B")} == {True}
    assert local.get("C") is None and local.get("X") is None


def test_list_survives_reopening(tmp_path: Path) -> None:
    with Store.open(tmp_path / "station.db") as store:
        LocalList(store).update(7, full=True, upserts=[entry("A")], removals=[], max_size=5)
    with Store.open(tmp_path / "station.db") as store:
        assert LocalList(store).version() == 7
        assert LocalList(store).get("A") == entry("A")


def test_reservation_with_known_id_is_replaced(store: Store) -> None:
    table = Reservations(store)
    table.put(Reservation(1, 1, "A", None, 1_000))
    table.put(Reservation(1, 2, "B", "P", 2_000))
    assert table.all() == [Reservation(1, 2, "B", "P", 2_000)]
    assert table.delete(1)
    assert not table.delete(1)
    assert table.all() == []
