"""OCTT core cases of availability, reset and unlock (TC_013-TC_018, TC_030, TC_031, TC_034)."""

from __future__ import annotations

from pathlib import Path

from central_system import CentralSystem
from station_harness import abandon_transaction, running_station, start_local_session


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
