"""The security log and certificate accessors of migration 007."""

from __future__ import annotations

from pathlib import Path

from chargestack.store import Store
from chargestack.store.security import Certificates, SecurityLog


def test_security_log_is_bounded_and_filtered_by_time(tmp_path: Path) -> None:
    with Store.open(tmp_path / "station.db") as store:
        log = SecurityLog(store, max_rows=3)
        for at in range(5):
            log.append(1000 + at, f"Event{at}", None, critical=at % 2 == 0)
        assert [e.type for e in log.entries()] == ["Event2", "Event3", "Event4"]
        assert [e.type for e in log.entries(1003, 1003)] == ["Event3"]
        assert [e.critical for e in log.entries()] == [True, False, True]
        assert log.clear() == 3
        assert log.entries() == []


def test_certificates_by_use_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    with Store.open(path) as store:
        rows = Certificates(store)
        rows.add("aa", "ManufacturerRootCertificate", "PEM-A", 1)
        rows.add("bb", "CentralSystemRootCertificate", "PEM-B", 2)
        rows.add("aa", "ManufacturerRootCertificate", "PEM-A", 3)  # replaced, not doubled
    with Store.open(path) as store:
        rows = Certificates(store)
        assert rows.count() == 2
        assert [r.pem for r in rows.all("CentralSystemRootCertificate")] == ["PEM-B"]
        assert rows.remove("aa") and not rows.remove("aa")
        assert rows.count() == 1
