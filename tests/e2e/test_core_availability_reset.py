"""OCTT core cases of availability, reset and unlock (TC_013-TC_018, TC_030, TC_031, TC_034)."""

from __future__ import annotations

from pathlib import Path

from central_system import CentralSystem
from station_harness import (
    RunningStation,
    abandon_transaction,
    running_station,
    start_local_session,
)


async def test_TC_013_hard_reset_keeps_unavailable(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        answer = await rs.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
        assert answer["status"] == "Accepted"
        await rs.status(1, "Unavailable")
        mark = cs.mark()
        assert (await rs.call("Reset", {"type": "Hard"}))["status"] == "Accepted"
        await cs.wait_for("BootNotification", since=mark)
        await rs.status(1, "Unavailable", since=mark)
        await rs.status(2, "Available", since=mark)
        mark = cs.mark()
        answer = await rs.call("ChangeAvailability", {"connectorId": 1, "type": "Operative"})
        assert answer["status"] == "Accepted"
        await rs.status(1, "Available", since=mark)


async def test_TC_014_soft_reset_without_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        assert (await rs.call("Reset", {"type": "Soft"}))["status"] == "Accepted"
        await cs.wait_for("BootNotification", since=mark)
        await rs.status(1, "Available", since=mark)
        assert rs.runner.restarts == 1


async def test_TC_015_hard_reset_with_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        tx_id = await start_local_session(rs)
        mark = cs.mark()
        assert (await rs.call("Reset", {"type": "Hard"}))["status"] == "Accepted"
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["reason"] == "HardReset"
        assert stop.payload["transactionId"] == tx_id
        await cs.wait_for("BootNotification", since=mark)
        assert len(cs.messages("StopTransaction")) == 1


async def test_TC_016_soft_reset_with_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await start_local_session(rs)
        mark = cs.mark()
        assert (await rs.call("Reset", {"type": "Soft"}))["status"] == "Accepted"
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["reason"] == "SoftReset"
        await rs.status(1, "Finishing", since=mark)


async def test_TC_017_2_unlock_without_session_fixed_cable(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        answer = await rs.call("UnlockConnector", {"connectorId": 1})
        assert answer["status"] == "NotSupported"


async def test_TC_017_1_unlock_without_session_socket(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path, fixed_cable=False) as rs:
        answer = await rs.call("UnlockConnector", {"connectorId": 1})
        assert answer["status"] == "Unlocked"


async def test_TC_018_1_unlock_with_session_socket(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, fixed_cable=False) as rs:
        await start_local_session(rs)
        mark = cs.mark()
        answer = await rs.call("UnlockConnector", {"connectorId": 1})
        assert answer["status"] == "Unlocked"
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["reason"] == "UnlockCommand"
        await rs.status(1, "Finishing", since=mark)
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)


async def test_TC_018_2_unlock_with_session_fixed_cable(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        await start_local_session(rs)
        answer = await rs.call("UnlockConnector", {"connectorId": 1})
        assert answer["status"] == "NotSupported"


async def test_TC_030_unlock_failure(central_system: CentralSystem, tmp_path: Path) -> None:
    async with running_station(central_system, tmp_path, fixed_cable=False) as rs:
        rs.sim.arm_lock_failure(1)
        answer = await rs.call("UnlockConnector", {"connectorId": 1})
        assert answer["status"] == "UnlockFailed"


async def test_TC_031_unlock_unknown_connector(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        answer = await rs.call("UnlockConnector", {"connectorId": 9})
        assert answer["status"] == "NotSupported"


async def test_TC_034_station_unavailable_survives_power_cycle(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        answer = await rs.call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
        assert answer["status"] == "Accepted"
        for cid in (0, 1, 2):
            await rs.status(cid, "Unavailable")
    mark = cs.mark()
    async with running_station(cs, tmp_path) as rs:
        for cid in (0, 1, 2):
            await rs.status(cid, "Unavailable", since=mark)


async def test_change_availability_scheduled_during_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await start_local_session(rs)
        answer = await rs.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
        assert answer["status"] == "Scheduled"
        mark = cs.mark()
        rs.present("VALIDTAG1")
        await cs.wait_for("StopTransaction", since=mark)
        rs.plug_out(1)
        await rs.status(1, "Unavailable", since=mark)


async def test_section_5_2_a_scheduled_change_takes_effect_when_a_power_loss_ends_the_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Scheduled means "after the transaction has finished" (section 5.2); a power cut
    finishes it (closed with PowerLoss at the restart), so the connector comes back
    Unavailable, as the central system was told it would be."""
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await start_local_session(rs)
        answer = await rs.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
        assert answer["status"] == "Scheduled"
        abandon_transaction(rs)  # power cut
    mark = cs.mark()
    async with running_station(cs, tmp_path) as rs:
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["reason"] == "PowerLoss"
        assert await rs.next_status(1, since=mark) == "Unavailable"
        await rs.status(2, "Available", since=mark)


async def test_TC_041_fault_behaviour(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, connectors=1) as rs:
        mark = cs.mark()
        rs.sim.raise_fault(1, "GroundFailure", "test fault")
        faulted = await rs.status(1, "Faulted", since=mark)
        assert faulted["errorCode"] == "GroundFailure"
        rs.plug_in(1)
        rs.present("VALIDTAG1")
        rs.sim.clear_fault(1)
        # Hardware events are handled in order: once the cleared fault is reported, the
        # tag presented while faulted has been handled too, and it started nothing.
        await rs.status(1, "Preparing", since=mark)
        assert not cs.messages("StartTransaction")
        assert not cs.messages("Authorize")


async def out_of_service_and_back(rs: RunningStation, connector_id: int) -> None:
    """ChangeAvailability Inoperative, then Operative: the connector's first status after is
    Available, whatever start had been authorized on it before."""
    mark = rs.cs.mark()
    answer = await rs.call(
        "ChangeAvailability", {"connectorId": connector_id, "type": "Inoperative"}
    )
    assert answer["status"] == "Accepted"
    await rs.status(max(connector_id, 1), "Unavailable", since=mark)
    mark = rs.cs.mark()
    answer = await rs.call("ChangeAvailability", {"connectorId": connector_id, "type": "Operative"})
    assert answer["status"] == "Accepted"
    assert await rs.next_status(max(connector_id, 1), since=mark) == "Available"


async def only_a_new_authorization_starts(rs: RunningStation) -> None:
    """Plugged in, connector 1 waits (Preparing) for a new tag, and that tag's transaction
    starts: the start authorized before it left service is gone."""
    mark = rs.cs.mark()
    rs.plug_in(1)
    await rs.status(1, "Preparing", since=mark)
    rs.present("VALIDTAG2")
    start = await rs.cs.wait_for("StartTransaction", since=mark)
    assert start.payload["idTag"] == "VALIDTAG2"
    assert [s.payload["idTag"] for s in rs.cs.messages("StartTransaction")] == ["VALIDTAG2"]


async def test_section_5_2_an_accepted_remote_start_ends_when_its_connector_is_made_inoperative(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """A RemoteStartTransaction waiting for the EV (ConnectionTimeOut) is given up when the
    central system takes its connector out of service: made Operative again, the connector
    is Available and the EV plugged in later does not start the old request."""
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": "VALIDTAG1"})
        assert answer["status"] == "Accepted"
        await rs.status(1, "Preparing", since=mark)
        await out_of_service_and_back(rs, 1)
        await only_a_new_authorization_starts(rs)


async def test_section_5_2_an_authorized_tag_waiting_for_the_plug_ends_when_the_charge_point_is_made_inoperative(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """The same for a tag presented and authorized before any plug (section 4.1), when the
    whole charge point (connector 0) is taken out of service."""
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        rs.present("VALIDTAG1")
        await cs.wait_for("Authorize", since=mark)
        await rs.status(1, "Preparing", since=mark)
        await out_of_service_and_back(rs, 0)
        await only_a_new_authorization_starts(rs)


async def test_an_accepted_remote_start_ends_when_its_connector_faults(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": "VALIDTAG1"})
        assert answer["status"] == "Accepted"
        await rs.status(1, "Preparing", since=mark)
        rs.sim.raise_fault(1, "GroundFailure", "test fault")
        await rs.status(1, "Faulted", since=mark)
        mark = cs.mark()
        rs.sim.clear_fault(1)
        assert await rs.next_status(1, since=mark) == "Available"
        await only_a_new_authorization_starts(rs)
