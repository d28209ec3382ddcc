"""A data directory whose filesystem runs full (issue 17, item 1).

The station's data directory is a real tmpfs of a few MiB (``small_filesystem.py``) that the
test fills to the last byte and frees again. What must hold: no task dies and no connector
shows a state the hardware contradicts; a stop completes in memory and reaches the central
system, once, with its real reason and time when space returns; while the store cannot
journal, the station starts no transaction and says so on connector 0 (Unavailable,
InternalError, naming the storage), and says so once, not per attempt; the log file on the
same filesystem never raises.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from central_system import CentralSystem
from full_disk import fill_when_idle, storage_cleared, storage_reported
from small_filesystem import SmallFilesystem
from station_harness import running_station, start_local_session

TAG = "FULLTAG1"
OTHER_TAG = "FULLTAG2"


def store_log(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "chargestack.store.writer" and text in r.getMessage()
    ]


def parse_time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def test_full_before_a_session_refuses_the_start_and_says_so(
    central_system: CentralSystem,
    disk: SmallFilesystem,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cs = central_system
    caplog.set_level(logging.INFO, logger="chargestack")
    async with running_station(cs, disk.path) as rs:
        await fill_when_idle(rs, disk)
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        # Authorize is answered Accepted; remembering the tag is the first write that fails.
        rs.present(TAG)
        await cs.wait_for("Authorize", since=mark)
        report = (await storage_reported(rs, mark)).payload
        assert report["status"] == "Unavailable"
        assert "stor" in (report.get("info") or "").lower()
        assert "Stor" in (report.get("vendorErrorCode") or "")
        # No transaction it could not journal; the connector says it takes none.
        await rs.status(1, "Unavailable", since=mark)
        assert rs.station.status_of(1) == "Unavailable"
        answer = await rs.call("RemoteStartTransaction", {"idTag": OTHER_TAG, "connectorId": 2})
        assert answer["status"] == "Rejected"
        expiry = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        reserve = {"connectorId": 2, "expiryDate": expiry, "idTag": OTHER_TAG, "reservationId": 7}
        assert (await rs.call("ReserveNow", reserve))["status"] == "Unavailable"
        assert not cs.messages("StartTransaction")
        assert not rs.simulator.power.snapshot()["connectors"][0]["enabled"]

        mark = cs.mark()
        disk.free()
        await storage_cleared(rs, mark)
        await rs.status(1, "Preparing", since=mark)
        # Writable again: the same tag starts a session, which is journalled and sent.
        rs.present(TAG)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert start.payload["idTag"] == TAG
        await rs.status(1, "Charging", since=mark)
    # One line for the failure and one for the recovery, not one per retry.
    assert len(store_log(caplog, "cannot write the store")) == 1
    assert len(store_log(caplog, "succeed again")) == 1


async def test_full_during_a_session_keeps_sampling_and_delivers_the_plug_out_stop_once(
    central_system: CentralSystem,
    disk: SmallFilesystem,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    cs = central_system
    caplog.set_level(logging.INFO, logger="chargestack")
    config = {
        "MeterValueSampleInterval": 1,
        "StopTxnSampledData": "Energy.Active.Import.Register",
    }
    async with running_station(cs, disk.path, configuration=config) as rs:
        tx_id = await start_local_session(rs, 1, TAG)
        await cs.wait_for("MeterValues", lambda p: p.get("transactionId") == tx_id)
        await fill_when_idle(rs, disk)
        mark = cs.mark()
        # The register kept every second is the first write that fails.
        report = (await storage_reported(rs, mark)).payload
        assert report["status"] == "Unavailable"
        await rs.status(2, "Unavailable", since=mark)
        assert rs.station.status_of(1) == "Charging"
        # Sampling goes on: the samples wait in the working copy for the disk.
        outbox = rs.station.store.outbox
        queued = outbox.depth()
        await rs.wait(lambda: outbox.depth() >= queued + 3)

        rs.plug_out(1)
        await rs.wait(lambda: rs.station.status_of(1) != "Charging")
        unplugged_at = rs.station.clock.now()
        # The stop completed in memory: the connector follows the hardware.
        assert rs.station.status_of(1) == "Unavailable"
        assert rs.station.status()["connectors"][0]["transactionId"] is None
        await rs.wait(lambda: not rs.simulator.power.snapshot()["connectors"][0]["enabled"])
        assert not cs.messages("StopTransaction")
        waiting = outbox.depth()

        mark = cs.mark()
        disk.free()
        await storage_cleared(rs, mark)
        stop = await cs.wait_for("StopTransaction", since=mark)
        await rs.wait(lambda: outbox.depth() == 0)
        await rs.status(1, "Available", since=mark)
        await rs.status(2, "Available", since=mark)
    assert stop.payload["reason"] == "EVDisconnected"
    assert abs((parse_time(stop.payload["timestamp"]) - unplugged_at).total_seconds()) < 1
    samples = [r for r in cs.messages("MeterValues") if r.payload.get("transactionId") == tx_id]
    delivered_late = [r for r in cs.received[mark:] if r.action == "MeterValues" and r in samples]
    # Everything queued was delivered, each message once.
    assert len(delivered_late) + 1 == waiting
    assert len({r.unique_id for r in samples}) == len(samples)
    stamps = [r.payload["meterValue"][0]["timestamp"] for r in samples]
    assert len(set(stamps)) == len(stamps)
    registers = [
        float(v["value"])
        for r in samples
        for v in r.payload["meterValue"][0]["sampledValue"]
        if v.get("measurand", "Energy.Active.Import.Register") == "Energy.Active.Import.Register"
    ]
    assert stop.payload["meterStop"] >= max(registers)
    assert len(store_log(caplog, "cannot write the store")) == 1
    assert len(store_log(caplog, "succeed again")) == 1
    # The station's log file lives on the same filesystem: it never raised.
    assert "Logging error" not in capfd.readouterr().err
