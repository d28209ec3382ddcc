"""A socket's cable lock when a transaction ends (OCPP 1.6 section 4.10, errata 3.5/3.17).

"As part of the normal transaction termination, the Charge Point SHALL unlock the cable (if
not permanently attached)": a socket is unlocked by every stop that leaves its cable in, and
a lock that does not open is a ConnectorLockFailure, never a stop held back. A fixed cable
has no lock of the station's to open. A stop with reason DeAuthorized keeps the cable locked
until the same idTag, or one with the same parentIdTag, is presented, across a power loss
too. The EV-side cases (TC_005_x) are in test_core_sessions_more.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from central_system import CentralSystem
from chargestack.station.control_target import RunnerControlTarget
from station_harness import RunningStation, running_station, start_local_session

VALID = "VALIDTAG1"
OWNER = "OWNERTAG"  # refused by StartTransaction.conf
MATE = "MATETAG"  # of the owner's group
STRANGER = "STRANGERTAG"
PARENT = "PARENT-1"
#: The central system refuses OWNER only in StartTransaction.conf: a remote start sends no
#: Authorize (AuthorizeRemoteTxRequests false).
DEAUTHORIZING = {"AuthorizeRemoteTxRequests": False, "StopTransactionOnInvalidId": True}


async def stop_with_the_tag(rs: RunningStation, tx_id: int) -> None:
    rs.present(VALID)


async def stop_remotely(rs: RunningStation, tx_id: int) -> None:
    answer = await rs.call("RemoteStopTransaction", {"transactionId": tx_id})
    assert answer["status"] == "Accepted"


@pytest.mark.parametrize(
    ("stop", "reason"),
    [
        pytest.param(stop_with_the_tag, "Local", id="Local"),
        pytest.param(stop_remotely, "Remote", id="Remote"),
    ],
)
async def test_a_stopped_transaction_unlocks_the_socket(
    central_system: CentralSystem,
    tmp_path: Path,
    stop: Callable[[RunningStation, int], Awaitable[None]],
    reason: str,
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, fixed_cable=False) as rs:
        tx_id = await start_local_session(rs)
        socket = rs.simulator.connector(1)
        assert socket.is_locked()
        mark = cs.mark()
        await stop(rs, tx_id)
        stopped = await cs.wait_for("StopTransaction", since=mark)
        assert stopped.payload.get("reason", "Local") == reason
        # The cable is still in the socket, free to be taken out.
        await rs.status(1, "Finishing", since=mark)
        await rs.wait(lambda: not socket.is_locked())
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)


async def test_a_lock_that_does_not_open_at_the_stop_is_a_connector_lock_failure(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, fixed_cable=False) as rs:
        tx_id = await start_local_session(rs)
        socket = rs.simulator.connector(1)
        mark = cs.mark()
        rs.simulator.arm_lock_failure(1)  # the unlock at the stop fails
        rs.present(VALID)
        stopped = await cs.wait_for("StopTransaction", since=mark)
        assert (stopped.payload["transactionId"], stopped.payload.get("reason", "Local")) == (
            tx_id,
            "Local",
        )
        faulted = await rs.status(1, "Faulted", since=mark)
        assert faulted["errorCode"] == "ConnectorLockFailure"
        assert socket.is_locked()
        # The help desk opens it (section 5.18): the cable is still in, Finishing.
        opened = cs.mark()
        answer = await rs.call("UnlockConnector", {"connectorId": 1})
        assert answer["status"] == "Unlocked"
        finishing = await rs.status(1, "Finishing", since=opened)
        assert finishing["errorCode"] == "NoError"
        assert not socket.is_locked()
        rs.plug_out(1)
        await rs.status(1, "Available", since=opened)
        assert len(cs.messages("StopTransaction")) == 1


async def test_a_fixed_cable_has_no_lock_to_open_at_the_stop(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await start_local_session(rs)
        cable = rs.simulator.connector(1)
        # Armed, the next lock or unlock call fails and uses it up: none may come.
        cable.arm_lock_failure()
        mark = cs.mark()
        rs.present(VALID)
        await cs.wait_for("StopTransaction", since=mark)
        await rs.status(1, "Finishing", since=mark)
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)
        assert cable.lock_failure_armed()
        assert "Faulted" not in rs.statuses(1, mark)


def known_tags(cs: CentralSystem) -> None:
    cs.defaults.id_tags[OWNER] = {"status": "Invalid", "parentIdTag": PARENT}
    cs.defaults.id_tags[MATE] = {"status": "Accepted", "parentIdTag": PARENT}
    cs.defaults.id_tags[STRANGER] = {"status": "Accepted", "parentIdTag": "OTHER-PARENT"}


async def deauthorized_session(rs: RunningStation) -> None:
    """OWNER's remote start on connector 1, stopped DeAuthorized by StartTransaction.conf."""
    cs = rs.cs
    mark = cs.mark()
    rs.plug_in(1)
    await rs.status(1, "Preparing", since=mark)
    answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": OWNER})
    assert answer["status"] == "Accepted"
    stop = await cs.wait_for("StopTransaction", since=mark)
    assert stop.payload["reason"] == "DeAuthorized"
    await rs.status(1, "Finishing", since=mark)
    assert rs.simulator.connector(1).is_locked()


async def refused_to_a_stranger(rs: RunningStation) -> None:
    """Another driver's tag takes the free connector 2, never the held cable."""
    cs = rs.cs
    mark = cs.mark()
    rs.present(STRANGER)
    await rs.status(2, "Preparing", since=mark)
    assert rs.simulator.connector(1).is_locked()
    assert rs.statuses(1, mark) == []
    assert not [r for r in cs.received[mark:] if r.action == "StartTransaction"]


async def freed_by(rs: RunningStation, id_tag: str) -> None:
    """``id_tag`` unlocks the held cable and starts nothing; the cable can go."""
    cs = rs.cs
    mark = cs.mark()
    starts = len(cs.messages("StartTransaction"))
    rs.present(id_tag)
    await rs.wait(lambda: not rs.simulator.connector(1).is_locked())
    rs.plug_out(1)
    await rs.status(1, "Available", since=mark)
    assert len(cs.messages("StartTransaction")) == starts
    assert "Preparing" not in rs.statuses(1, mark)


async def test_a_deauthorized_cable_stays_locked_until_its_tag_is_presented(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    known_tags(cs)
    async with running_station(cs, tmp_path, fixed_cable=False, configuration=DEAUTHORIZING) as rs:
        await deauthorized_session(rs)
        await refused_to_a_stranger(rs)
        mark = cs.mark()
        await freed_by(rs, OWNER.lower())  # CiString20Type: the case does not matter
        # Presented, not authorized: the central system has refused this tag already.
        assert not [r for r in cs.received[mark:] if r.action == "Authorize"]


async def test_a_deauthorized_cable_is_freed_by_a_tag_of_the_same_parent(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    known_tags(cs)
    async with running_station(cs, tmp_path, fixed_cable=False, configuration=DEAUTHORIZING) as rs:
        await deauthorized_session(rs)
        mark = cs.mark()
        await freed_by(rs, MATE)
        await cs.wait_for("Authorize", lambda p: p["idTag"] == MATE, since=mark)


async def test_a_deauthorized_cable_stays_locked_through_a_power_loss(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    known_tags(cs)
    async with running_station(cs, tmp_path, fixed_cable=False, configuration=DEAUTHORIZING) as rs:
        await deauthorized_session(rs)
        mark = cs.mark()
        await RunnerControlTarget(rs.runner).power_cut()
        boot = cs.received.index(await cs.wait_for("BootNotification", since=mark))
        # The EV is still there; the cable is still its driver's.
        await rs.status(1, "Finishing", since=boot)
        assert rs.runner.restarts == 1
        assert rs.simulator.connector(1).is_locked()
        await refused_to_a_stranger(rs)
        await freed_by(rs, OWNER)


async def test_the_central_system_still_unlocks_a_deauthorized_cable(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    known_tags(cs)
    async with running_station(cs, tmp_path, fixed_cable=False, configuration=DEAUTHORIZING) as rs:
        await deauthorized_session(rs)
        answer = await rs.call("UnlockConnector", {"connectorId": 1})
        assert answer["status"] == "Unlocked"
        assert not rs.simulator.connector(1).is_locked()
        mark = cs.mark()
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)


async def test_section_4_10_a_cable_kept_locked_after_an_ev_side_disconnect_waits_for_its_tag(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Section 4.10: "With UnlockConnectorOnEVSideDisconnect set to false, the Connector SHALL
    remain locked at the Charge Point until the user presents the identifier". The transaction
    stopped (EVDisconnected); the driver's tag opens the lock and starts nothing (there is no
    EV at the cable), another driver's tag does not take the cable."""
    cs = central_system
    known_tags(cs)
    config = {"StopTransactionOnEVSideDisconnect": True, "UnlockConnectorOnEVSideDisconnect": False}
    async with running_station(cs, tmp_path, fixed_cable=False, configuration=config) as rs:
        await start_local_session(rs, 1, VALID)
        mark = cs.mark()
        rs.ev_unplug(1)
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["reason"] == "EVDisconnected"
        await rs.status(1, "Finishing", since=mark)
        assert rs.simulator.connector(1).is_locked()
        await refused_to_a_stranger(rs)
        await freed_by(rs, VALID)
