"""A socket's cable lock when a transaction ends (OCPP 1.6 section 4.10).

"As part of the normal transaction termination, the Charge Point SHALL unlock the cable (if
not permanently attached)": a socket is unlocked by every stop that leaves its cable in, and
a lock that does not open is a ConnectorLockFailure, never a stop held back. A fixed cable
has no lock of the station's to open. The EV-side cases (TC_005_x) are in
test_core_sessions_more.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from central_system import CentralSystem
from station_harness import RunningStation, running_station, start_local_session

VALID = "VALIDTAG1"


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
