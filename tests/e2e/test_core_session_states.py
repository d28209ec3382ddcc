"""Connector states around a session (OCPP 1.6 section 4.9): a new session from Finishing,
the connector a remote start claims, and an EV that comes back to a suspended transaction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from central_system import CentralSystem, Payload
from station_harness import RunningStation, running_station, start_local_session

VALID = "VALIDTAG1"
VALID2 = "VALIDTAG2"


async def finishing_after_a_session(rs: RunningStation) -> None:
    """A session on connector 1 stopped by its own tag; the cable stays in: Finishing."""
    await start_local_session(rs, 1, VALID)
    mark = rs.cs.mark()
    rs.present(VALID)
    await rs.cs.wait_for("StopTransaction", since=mark)
    await rs.status(1, "Finishing", since=mark)


async def test_section_4_9_F2_the_tag_presented_again_restarts_through_preparing(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await finishing_after_a_session(rs)
        mark = cs.mark()
        rs.present(VALID)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert (start.payload["connectorId"], start.payload["idTag"]) == (1, VALID)
        await rs.status(1, "Charging", since=mark)
        # F2 then B3: there is no Finishing -> Charging in the state table.
        assert rs.statuses(1, mark) == ["Preparing", "Charging"]
        assert rs.statuses(2, mark) == []


async def test_section_4_9_F2_a_remote_start_restarts_through_preparing(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await finishing_after_a_session(rs)
        mark = cs.mark()
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID2})
        assert answer["status"] == "Accepted"
        start = await cs.wait_for("StartTransaction", since=mark)
        assert (start.payload["connectorId"], start.payload["idTag"]) == (1, VALID2)
        await rs.status(1, "Charging", since=mark)
        assert rs.statuses(1, mark) == ["Preparing", "Charging"]


async def test_errata_3_20_another_drivers_tag_does_not_take_a_finishing_cable(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await finishing_after_a_session(rs)
        mark = cs.mark()
        rs.present(VALID2)
        # The tag waits for a plug on the free connector; the cable left in is not its.
        await rs.status(2, "Preparing", since=mark)
        rs.plug_in(2)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert (start.payload["connectorId"], start.payload["idTag"]) == (2, VALID2)
        assert rs.statuses(1, mark) == []


# -- RemoteStartTransaction claims its connector when it is Accepted ------------------------

#: The central system leaves Authorize unanswered: the station's authorization of a remote
#: start (AuthorizeRemoteTxRequests) is in flight until MessageTimeout.
AUTHORIZING = {"AuthorizeRemoteTxRequests": True, "MessageTimeout": 2}


async def remote_start_authorizing(rs: RunningStation, connector_id: int, tag: str) -> None:
    rs.cs.silent_actions.add("Authorize")
    mark = rs.cs.mark()
    answer = await rs.call("RemoteStartTransaction", {"connectorId": connector_id, "idTag": tag})
    assert answer["status"] == "Accepted"
    await rs.cs.wait_for("Authorize", lambda p: p["idTag"] == tag, since=mark)


async def test_a_second_remote_start_for_a_claimed_connector_is_rejected(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, configuration=AUTHORIZING) as rs:
        await remote_start_authorizing(rs, 1, VALID)
        # Claimed at the decision, though Preparing is reported only after the Authorize
        # (TC_011_1's order) and that answer hangs here.
        assert rs.station.status_of(1) == "Available"
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID2})
        assert answer["status"] == "Rejected"
        # Without a connectorId the station chooses one that is free, then none is left.
        answer = await rs.call("RemoteStartTransaction", {"idTag": VALID2})
        assert answer["status"] == "Accepted"
        answer = await rs.call("RemoteStartTransaction", {"idTag": "VALIDTAG3"})
        assert answer["status"] == "Rejected"


async def test_a_tag_swiped_while_a_remote_start_is_authorized_goes_elsewhere(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    # VALID2 is on the local list, so it is authorized at once while Authorize hangs.
    config = {**AUTHORIZING, "LocalPreAuthorize": True}
    local_list: Payload = {
        "listVersion": 1,
        "updateType": "Full",
        "localAuthorizationList": [{"idTag": VALID2, "idTagInfo": {"status": "Accepted"}}],
    }
    async with running_station(cs, tmp_path, configuration=config) as rs:
        assert (await rs.call("SendLocalList", local_list))["status"] == "Accepted"
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        await remote_start_authorizing(rs, 1, VALID)
        wait = rs.blocks.core.authorization_wait
        rs.present(VALID2)
        await rs.wait(lambda: wait.waiting is not None or rs.station.status_of(1) == "Charging")
        assert rs.station.status_of(1) == "Preparing"
        assert wait.waiting is not None and wait.waiting.id_tag == VALID2
        rs.plug_in(2)
        start = await cs.wait_for("StartTransaction", since=mark, timeout=15)
        assert (start.payload["connectorId"], start.payload["idTag"]) == (2, VALID2)
        assert all(r.payload["connectorId"] == 2 for r in cs.messages("StartTransaction"))


# -- StopTransactionOnEVSideDisconnect false: the EV comes back --------------------------


def power_w(rs: RunningStation, connector_id: int) -> float:
    """What the connector's meter reads now."""
    entry = next(c for c in rs.station.status()["connectors"] if c["connectorId"] == connector_id)
    return float(entry["powerW"])


@pytest.mark.parametrize(
    ("fixed_cable", "unplug"),
    [
        pytest.param(True, RunningStation.plug_out, id="fixed-cable"),
        pytest.param(False, RunningStation.ev_unplug, id="socket"),
    ],
)
async def test_section_4_10_a_replugged_ev_charges_again_in_the_same_transaction(
    central_system: CentralSystem,
    tmp_path: Path,
    fixed_cable: bool,
    unplug: Callable[[RunningStation, int], None],
) -> None:
    """The cable leaves the EV: a fixed cable with the simulator's plug-out, a socket's with
    its EV-side unplug (the cable stays in the station, locked); then an EV is connected
    to it again."""
    cs = central_system
    config = {"StopTransactionOnEVSideDisconnect": False}
    async with running_station(cs, tmp_path, fixed_cable=fixed_cable, configuration=config) as rs:
        tx_id = await start_local_session(rs)
        await rs.wait(lambda: power_w(rs, 1) > 1000)
        mark = cs.mark()
        unplug(rs, 1)
        suspended = await rs.status(1, "SuspendedEV", since=mark)
        # Section 4.9: NoError, and the reason of the suspension in info.
        assert (suspended["errorCode"], suspended.get("info")) == (
            "NoError",
            "EV side disconnected",
        )
        await rs.wait(lambda: power_w(rs, 1) == 0.0)
        mark = cs.mark()
        rs.plug_in(1)
        charging = await rs.status(1, "Charging", since=mark)
        assert "info" not in charging
        # "If the EV is reconnected, energy transfer is allowed again."
        await rs.wait(lambda: power_w(rs, 1) > 1000)
        answer = await rs.call("RemoteStopTransaction", {"transactionId": tx_id})
        assert answer["status"] == "Accepted"
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert (stop.payload["transactionId"], stop.payload["reason"]) == (tx_id, "Remote")
        assert len(cs.messages("StartTransaction")) == 1
        assert len(cs.messages("StopTransaction")) == 1
