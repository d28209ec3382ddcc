"""A central system's answers slightly off the schema (chargestack/ocpp/lenient_reading.py).

Each leniency is taken as its rule says and logged once; an answer still not understood is a
failed attempt (test_transaction_message_retries.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from central_system import CentralSystem, Payload, now_iso
from station_harness import running_station, start_local_session

VALID = "VALIDTAG1"


async def test_properties_the_schema_lacks_are_ignored_and_logged_once(
    central_system: CentralSystem, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cs = central_system
    ids = iter([41, 42])

    def with_vendor_fields(_payload: Payload) -> Payload:
        return {
            "transactionId": next(ids),
            "idTagInfo": {"status": "Accepted", "groupName": "fleet"},
            "tariff": "AC-1",
        }

    cs.raw_answers["StartTransaction"] = with_vendor_fields
    caplog.set_level(logging.WARNING, logger="chargestack.ocpp.lenient_reading")
    async with running_station(cs, tmp_path) as rs:
        for connector_id, tx_id in [(1, 41), (2, 42)]:
            # A tag of its own each: the first driver's tag would restart on its own cable.
            tag = f"VALIDTAG{connector_id}"
            await start_local_session(rs, connector_id=connector_id, tag=tag)
            mark = cs.mark()
            rs.present(tag)
            stop = await cs.wait_for("StopTransaction", since=mark)
            assert stop.payload["transactionId"] == tx_id
        assert len(cs.messages("StartTransaction")) == 2, "each answer taken at once"
    told = [r.getMessage() for r in caplog.records if "ignored-property" in r.getMessage()]
    assert len(told) == 1, told
    assert "StartTransaction" in told[0]


async def test_an_unknown_authorization_status_reads_as_invalid(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.raw_answers["StartTransaction"] = lambda _p: {
        "transactionId": 7,
        "idTagInfo": {"status": "Suspended"},
    }
    config = {"StopTransactionOnInvalidId": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        rs.present(VALID)
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["transactionId"] == 7
        assert stop.payload["reason"] == "DeAuthorized"


async def test_a_null_for_an_optional_property_reads_as_absent(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.raw_answers["StopTransaction"] = lambda _p: {"idTagInfo": None}
    async with running_station(cs, tmp_path) as rs:
        await start_local_session(rs)
        rs.present(VALID)
        await cs.wait_for("StopTransaction")
        await rs.wait(lambda: rs.station.store.outbox.depth() == 0)
        assert len(cs.messages("StopTransaction")) == 1, "answered: not sent again"


async def test_a_date_time_without_offset_reads_as_utc(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    ahead = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    # OCPP 1.6 section 3.14 strongly recommends UTC; without an offset ISO 8601 says nothing.
    cs.raw_answers["Heartbeat"] = lambda _p: {"currentTime": ahead.strftime("%Y-%m-%dT%H:%M:%S")}
    async with running_station(cs, tmp_path) as rs:
        await rs.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        await rs.wait(lambda: abs((rs.station.clock.now() - ahead).total_seconds()) < 5)


async def test_an_integer_written_with_a_zero_fraction_reads_as_the_integer(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.raw_answers["BootNotification"] = lambda _p: {
        "status": "Accepted",
        "currentTime": now_iso(),
        "interval": 60.0,
    }
    async with running_station(cs, tmp_path) as rs:
        got = await rs.call("GetConfiguration", {"key": ["HeartbeatInterval"]})
        assert got["configurationKey"][0]["value"] == "60"
