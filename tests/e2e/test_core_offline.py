"""OCTT core cases of offline operation and meter values (TC_036-TC_039, TC_070, TC_071)."""

from __future__ import annotations

import itertools
from datetime import datetime
from pathlib import Path

from central_system import CentralSystem
from station_harness import go_offline, go_online, running_station, start_local_session

VALID = "VALIDTAG1"


def _ts(payload: dict[str, object]) -> datetime:
    mv = payload["meterValue"]
    assert isinstance(mv, list)
    return datetime.fromisoformat(str(mv[0]["timestamp"]).replace("Z", "+00:00"))


async def test_TC_036_connection_loss_during_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, configuration={"MeterValueSampleInterval": 1}) as rs:
        tx_id = await start_local_session(rs)
        await go_offline(rs)
        await rs.wait(lambda: rs.station.store.outbox.depth() >= 3)
        mark = cs.mark()
        await go_online(rs)
        await cs.wait_until(
            lambda: len([r for r in cs.received[mark:] if r.action == "MeterValues"]) >= 3
        )
        replayed = [r.payload for r in cs.received[mark:] if r.action == "MeterValues"]
        stamps = [_ts(p) for p in replayed]
        assert stamps == sorted(stamps), "queued meter values must arrive oldest first"
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)]
        assert all(0.5 <= g <= 2.0 for g in gaps[:3]), gaps
        assert all(p["transactionId"] == tx_id for p in replayed)


async def test_TC_037_1_offline_start_valid_id_tag(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {"LocalAuthorizeOffline": True, "AllowOfflineTxForUnknownId": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await go_offline(rs)
        rs.plug_in(1)
        rs.present(VALID)
        await rs.wait(lambda: rs.blocks.core.running.active_on(1) is not None)
        mark = cs.mark()
        await go_online(rs)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert start.payload["idTag"] == VALID
        await rs.status(1, "Charging", since=mark)


async def test_TC_037_2_offline_start_invalid_id_keeps_suspended(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.defaults.id_tags["BADTAG"] = {"status": "Invalid"}
    config = {
        "LocalAuthorizeOffline": True,
        "AllowOfflineTxForUnknownId": True,
        "StopTransactionOnInvalidId": False,
        "MaxEnergyOnInvalidId": 0,
    }
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await go_offline(rs)
        rs.plug_in(1)
        rs.present("BADTAG")
        await rs.wait(lambda: rs.blocks.core.running.active_on(1) is not None)
        mark = cs.mark()
        await go_online(rs)
        await cs.wait_for("StartTransaction", since=mark)
        await rs.status(1, "SuspendedEVSE", since=mark)
        assert not cs.messages("StopTransaction")


async def test_TC_037_3_offline_start_invalid_id_stops(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.defaults.id_tags["BADTAG"] = {"status": "Invalid"}
    config = {
        "LocalAuthorizeOffline": True,
        "AllowOfflineTxForUnknownId": True,
        "StopTransactionOnInvalidId": True,
    }
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await go_offline(rs)
        rs.plug_in(1)
        rs.present("BADTAG")
        await rs.wait(lambda: rs.blocks.core.running.active_on(1) is not None)
        mark = cs.mark()
        await go_online(rs)
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["reason"] == "DeAuthorized"
        await rs.status(1, "Finishing", since=mark)


async def test_TC_038_offline_stop_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        tx_id = await start_local_session(rs)
        await go_offline(rs)
        rs.present(VALID)
        await rs.wait(lambda: rs.blocks.core.running.active_on(1) is None)
        mark = cs.mark()
        await go_online(rs)
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["transactionId"] == tx_id
        assert stop.payload.get("reason", "Local") == "Local"
        await rs.status(1, "Finishing", since=mark)


async def test_TC_039_offline_transaction(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    config = {"LocalAuthorizeOffline": True, "AllowOfflineTxForUnknownId": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await go_offline(rs)
        rs.plug_in(1)
        rs.present(VALID)
        await rs.wait(lambda: rs.blocks.core.running.active_on(1) is not None)
        rs.present(VALID)
        await rs.wait(lambda: rs.blocks.core.running.active_on(1) is None)
        rs.plug_out(1)
        mark = cs.mark()
        await go_online(rs)
        stop = await cs.wait_for("StopTransaction", since=mark)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert cs.received.index(start) < cs.received.index(stop)
        assert stop.payload["transactionId"] == await cs.wait_for_transaction_id(start)
        assert stop.payload["meterStop"] >= start.payload["meterStart"]


async def test_TC_070_sampled_meter_values(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    measurands = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage"
    config = {"MeterValueSampleInterval": 1, "MeterValuesSampledData": measurands}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        tx_id = await start_local_session(rs)
        first = await cs.wait_for("MeterValues", lambda p: p.get("transactionId") == tx_id)
        second = await cs.wait_for("MeterValues", since=cs.received.index(first) + 1)
        for sample in (first, second):
            values = sample.payload["meterValue"][0]["sampledValue"]
            assert {v["measurand"] for v in values} == set(measurands.split(","))
            assert {v["context"] for v in values} == {"Sample.Periodic"}
        assert 0.5 <= (_ts(second.payload) - _ts(first.payload)).total_seconds() <= 2.0


async def test_TC_071_clock_aligned_meter_values(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {
        "ClockAlignedDataInterval": 2,
        "MeterValuesAlignedData": "Energy.Active.Import.Register,Voltage",
    }
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await start_local_session(rs)
        first = await cs.wait_for(
            "MeterValues",
            lambda p: p["meterValue"][0]["sampledValue"][0]["context"] == "Sample.Clock",
        )
        stamp = _ts(first.payload)
        since_midnight = stamp.hour * 3600 + stamp.minute * 60 + stamp.second
        assert since_midnight % 2 == 0
        assert stamp.microsecond == 0
        assert {v["measurand"] for v in first.payload["meterValue"][0]["sampledValue"]} == {
            "Energy.Active.Import.Register",
            "Voltage",
        }


async def test_section_4_9_after_being_offline_each_connector_reports_its_current_status(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Section 4.9, reconnecting after an offline period: the current status of a connector
    whose status changed (rule 1), no historical changes (rule 3), in the order they happened
    (rule 4). A fault that came and went offline is not reported (rule 2 leaves it a MAY)."""
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await go_offline(rs)
        status_of = rs.station.status_of
        rs.plug_in(1)
        await rs.wait(lambda: status_of(1) == "Preparing")
        rs.plug_out(1)  # back to what the central system last heard
        await rs.wait(lambda: status_of(1) == "Available")
        rs.plug_in(2)
        await rs.wait(lambda: status_of(2) == "Preparing")
        rs.sim.raise_fault(2, "GroundFailure")
        await rs.wait(lambda: status_of(2) == "Faulted")
        rs.sim.clear_fault(2)
        await rs.wait(lambda: status_of(2) == "Preparing")
        mark = cs.mark()
        await go_online(rs)
        await rs.status(2, "Preparing", since=mark)
        rs.plug_in(1)  # a change online, reported after what was queued
        await rs.status(1, "Preparing", since=mark)
        assert rs.reported_statuses(mark) == [(2, "Preparing"), (1, "Preparing")]
