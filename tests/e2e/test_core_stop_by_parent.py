"""A different idTag during a transaction (OCPP 1.6 sections 3.5, 4.1, 4.10; TC_068, TC_069).

The transaction's parentIdTag is whatever the central system said last about its idTag:
Authorize.conf and also StartTransaction.conf. A different tag presented at the reader is
authorized (local list, cache or Authorize.req as configured) and stops the transaction when
its parentIdTag is the transaction's (reason Local); otherwise the transaction runs on.
"""

from __future__ import annotations

from pathlib import Path

from central_system import CentralSystem
from station_harness import RunningStation, go_offline, go_online, running_station

VALID = "VALIDTAG1"
VALID2 = "VALIDTAG2"
PARENT = "PARENT-1"


def one_group(cs: CentralSystem) -> None:
    """Both tags belong to PARENT, in every IdTagInfo the central system gives."""
    cs.defaults.id_tags[VALID] = {"status": "Accepted", "parentIdTag": PARENT}
    cs.defaults.id_tags[VALID2] = {"status": "Accepted", "parentIdTag": PARENT}


async def answered_by_central_system(rs: RunningStation, connector_id: int = 1) -> None:
    """Wait until the station has the StartTransaction.conf of the connector's transaction."""

    def known() -> bool:
        tx = rs.blocks.core.running.active_on(connector_id)
        return tx is not None and tx.transaction_id is not None

    await rs.wait(known)


async def stopped_by_the_second_tag(rs: RunningStation, mark: int) -> None:
    rs.present(VALID2)
    await rs.cs.wait_for("Authorize", lambda p: p["idTag"] == VALID2, since=mark)
    stop = await rs.cs.wait_for("StopTransaction", since=mark)
    assert stop.payload["idTag"] == VALID2
    assert stop.payload.get("reason", "Local") == "Local"
    await rs.status(1, "Finishing", since=mark)


async def test_TC_069_parent_given_by_start_transaction_conf(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    # A remote start (AuthorizeRemoteTxRequests false) sends no Authorize: the parent
    # arrives only with StartTransaction.conf.
    cs = central_system
    one_group(cs)
    async with running_station(cs, tmp_path, connectors=1) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID})
        assert answer["status"] == "Accepted"
        await rs.status(1, "Charging", since=mark)
        await answered_by_central_system(rs)
        assert not [r for r in cs.received[mark:] if r.action == "Authorize"]
        await stopped_by_the_second_tag(rs, cs.mark())


async def test_TC_069_after_an_offline_start(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    one_group(cs)
    config = {"LocalAuthorizeOffline": True, "AllowOfflineTxForUnknownId": True}
    async with running_station(cs, tmp_path, connectors=1, configuration=config) as rs:
        await go_offline(rs)
        rs.plug_in(1)
        rs.present(VALID)  # unknown offline: started without any parent
        await rs.wait(lambda: rs.blocks.core.running.active_on(1) is not None)
        mark = cs.mark()
        await go_online(rs)
        await cs.wait_for("StartTransaction", since=mark)
        await answered_by_central_system(rs)
        await stopped_by_the_second_tag(rs, cs.mark())


async def test_TC_069_after_an_unanswered_authorize(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    one_group(cs)
    # No answer within MessageTimeout: offline rules (section 3.5), so the transaction
    # starts without a parent and learns it from StartTransaction.conf.
    cs.silent_actions.add("Authorize")
    config = {"AllowOfflineTxForUnknownId": True, "MessageTimeout": 1}
    async with running_station(cs, tmp_path, connectors=1, configuration=config) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        rs.present(VALID)
        await cs.wait_for("Authorize", since=mark)
        cs.silent_actions.discard("Authorize")
        await cs.wait_for("StartTransaction", since=mark)
        await rs.status(1, "Charging", since=mark)
        await answered_by_central_system(rs)
        await stopped_by_the_second_tag(rs, cs.mark())


async def test_TC_068_a_tag_of_another_group_leaves_the_transaction_running(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.defaults.id_tags[VALID] = {"status": "Accepted", "parentIdTag": PARENT}
    cs.defaults.id_tags[VALID2] = {"status": "Accepted", "parentIdTag": "OTHER-PARENT"}
    async with running_station(cs, tmp_path, connectors=1) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        rs.present(VALID)
        await rs.status(1, "Charging", since=mark)
        await answered_by_central_system(rs)
        mark = cs.mark()
        rs.present(VALID2)
        await cs.wait_for("Authorize", lambda p: p["idTag"] == VALID2, since=mark)
        # The starting tag still stops it: only then was nothing stopped by the other one.
        rs.present(VALID)
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["idTag"] == VALID
        assert len(cs.messages("StopTransaction")) == 1
        assert len([r for r in cs.received[mark:] if r.action == "Authorize"]) == 1
