"""OCTT core cases of charging sessions, local and remote."""

from __future__ import annotations

from pathlib import Path

from central_system import CentralSystem
from station_harness import running_station, start_local_session

VALID = "VALIDTAG1"
VALID2 = "VALIDTAG2"
INVALID = "INVALIDTAG"


async def test_TC_003_regular_session_plug_in_first(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        rs.present(VALID)
        await cs.wait_for("Authorize", lambda p: p["idTag"] == VALID, since=mark)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert start.payload["connectorId"] == 1
        assert start.payload["idTag"] == VALID
        assert start.payload["timestamp"].endswith("Z") and "." in start.payload["timestamp"]
        await rs.status(1, "Charging", since=mark)


async def test_TC_004_1_identification_first(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        rs.present(VALID)
        authorize = await cs.wait_for("Authorize", since=mark)
        preparing = await cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == 1 and p["status"] == "Preparing",
            since=mark,
        )
        # The OCTT case's order: the Authorize.req, then the StatusNotification Preparing.
        assert cs.received.index(authorize) < cs.received.index(preparing)
        rs.plug_in(1)
        await cs.wait_for("StartTransaction", lambda p: p["connectorId"] == 1, since=mark)
        await rs.status(1, "Charging", since=mark)


async def test_TC_004_2_identification_first_connection_timeout(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, configuration={"ConnectionTimeOut": 1}) as rs:
        mark = cs.mark()
        rs.present(VALID)
        preparing = await rs.status(1, "Preparing", since=mark)
        available = await rs.status(1, "Available", since=cs.mark() - 1)
        assert available["timestamp"] > preparing["timestamp"]
        assert not cs.messages("StartTransaction")


async def test_TC_010_remote_start_cable_plugged_first(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID})
        assert answer["status"] == "Accepted"
        start = await cs.wait_for("StartTransaction", since=mark)
        assert start.payload["idTag"] == VALID
        await rs.status(1, "Charging", since=mark)


async def test_section_5_11_a_charger_without_smart_charging_ignores_a_remote_start_profile(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Section 5.11: "If a Charge Point without support for Smart Charging receives a
    RemoteStartTransaction.req with a Charging Profile, this parameter SHOULD be ignored":
    the transaction starts as it would without one."""
    cs = central_system
    profile = {
        "chargingProfileId": 7,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
        },
    }
    async with running_station(cs, tmp_path, feature_profiles=["Core"]) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        request = {"connectorId": 1, "idTag": VALID, "chargingProfile": profile}
        answer = await rs.call("RemoteStartTransaction", request)
        assert answer["status"] == "Accepted"
        start = await cs.wait_for("StartTransaction", since=mark)
        assert start.payload["idTag"] == VALID
        await rs.status(1, "Charging", since=mark)


async def test_TC_011_1_remote_start_first(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(
        cs, tmp_path, configuration={"AuthorizeRemoteTxRequests": True}
    ) as rs:
        mark = cs.mark()
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID})
        assert answer["status"] == "Accepted"
        authorize = await cs.wait_for("Authorize", since=mark)
        preparing = await cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == 1 and p["status"] == "Preparing",
            since=mark,
        )
        # The OCTT case's order: the Authorize.req, then the StatusNotification Preparing.
        assert cs.received.index(authorize) < cs.received.index(preparing)
        rs.plug_in(1)
        await cs.wait_for("StartTransaction", since=mark)
        await rs.status(1, "Charging", since=mark)


async def test_TC_011_2_remote_start_time_out(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, configuration={"ConnectionTimeOut": 1}) as rs:
        mark = cs.mark()
        await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID})
        await rs.status(1, "Preparing", since=mark)
        await rs.status(1, "Available", since=cs.mark())
        assert not cs.messages("StartTransaction")


async def test_TC_012_remote_stop(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        tx_id = await start_local_session(rs)
        mark = cs.mark()
        answer = await rs.call("RemoteStopTransaction", {"transactionId": tx_id})
        assert answer["status"] == "Accepted"
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["reason"] == "Remote"
        assert stop.payload["transactionId"] == tx_id
        await rs.status(1, "Finishing", since=mark)


async def test_TC_023_4_authorize_invalid_local(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.defaults.id_tags[INVALID] = {"status": "Invalid"}
    async with running_station(cs, tmp_path, configuration={"LocalPreAuthorize": True}) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        rs.present(INVALID)
        await cs.wait_for("Authorize", lambda p: p["idTag"] == INVALID, since=mark)
        await rs.wait(lambda: rs.blocks.core.authorization_wait.waiting is None)
        assert not cs.messages("StartTransaction")


async def test_TC_023_5_authorize_invalid_remote(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.defaults.id_tags[INVALID] = {"status": "Invalid"}
    async with running_station(
        cs, tmp_path, configuration={"AuthorizeRemoteTxRequests": True}
    ) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": INVALID})
        assert answer["status"] == "Accepted"
        await cs.wait_for("Authorize", lambda p: p["idTag"] == INVALID, since=mark)
        assert not cs.messages("StartTransaction")


async def test_TC_026_remote_start_rejected_on_busy_connector(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(
        central_system, tmp_path, configuration={"LocalPreAuthorize": False}
    ) as rs:
        await start_local_session(rs)
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID2})
        assert answer["status"] == "Rejected"


async def test_TC_027_remote_start_connector_zero(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 0, "idTag": VALID})
        assert answer["status"] == "Rejected"


async def test_TC_028_remote_stop_unknown_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        answer = await rs.call("RemoteStopTransaction", {"transactionId": 424242})
        assert answer["status"] == "Rejected"


async def test_TC_068_stop_with_the_starting_tag(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    # One connector: with a free second connector a new tag would rightly start a session there.
    async with running_station(cs, tmp_path, connectors=1) as rs:
        await start_local_session(rs)
        mark = cs.mark()
        rs.present(VALID2)  # another tag without a parent must not stop it
        rs.present(VALID)
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["idTag"] == VALID
        assert stop.payload.get("reason", "Local") == "Local"
        assert len(cs.messages("StopTransaction")) == 1
        assert not [r for r in cs.received[mark:] if r.action == "Authorize"]
        await rs.status(1, "Finishing", since=mark)


async def test_TC_069_stop_with_a_tag_of_the_same_parent(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.defaults.id_tags[VALID] = {"status": "Accepted", "parentIdTag": "PARENT"}
    cs.defaults.id_tags[VALID2] = {"status": "Accepted", "parentIdTag": "PARENT"}
    async with running_station(cs, tmp_path) as rs:
        await start_local_session(rs)
        mark = cs.mark()
        rs.present(VALID2)
        await cs.wait_for("Authorize", lambda p: p["idTag"] == VALID2, since=mark)
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["idTag"] == VALID2
        await rs.status(1, "Finishing", since=mark)


async def test_TC_061_1_clear_authorization_cache(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {"AuthorizationCacheEnabled": True, "LocalPreAuthorize": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        mark = cs.mark()
        rs.present(VALID)
        await cs.wait_for("Authorize", since=mark)
        await rs.status(1, "Preparing", since=mark)
        rs.present(VALID)  # second swipe cancels
        await rs.status(1, "Available", since=mark)
        answer = await rs.call("ClearCache", {})
        assert answer["status"] == "Accepted"
        mark = cs.mark()
        rs.present(VALID)
        await cs.wait_for("Authorize", since=mark)


async def test_TC_007_1_start_from_cached_id(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    config = {"AuthorizationCacheEnabled": True, "LocalPreAuthorize": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await start_local_session(rs)
        rs.present(VALID)
        await cs.wait_for("StopTransaction")
        mark = cs.mark()
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)
        mark = cs.mark()
        rs.plug_in(1)
        rs.present(VALID)
        await cs.wait_for("StartTransaction", since=mark)
        assert not [r for r in cs.received[mark:] if r.action == "Authorize"]


async def test_TC_007_1_a_cached_id_matches_whatever_its_case(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """IdToken is a CiString20Type (sections 2.2, 7.28): the cache entry the Authorize of
    VALIDTAG1 left serves validtag1 too (LocalPreAuthorize: no second Authorize)."""
    cs = central_system
    config = {"AuthorizationCacheEnabled": True, "LocalPreAuthorize": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        mark = cs.mark()
        rs.present(VALID)
        await cs.wait_for("Authorize", since=mark)
        await rs.status(1, "Preparing", since=mark)
        rs.present(VALID)  # second swipe cancels
        await rs.status(1, "Available", since=mark)
        mark = cs.mark()
        rs.plug_in(1)
        rs.present(VALID.lower())
        await cs.wait_for("StartTransaction", since=mark)
        assert not [r for r in cs.received[mark:] if r.action == "Authorize"]


async def test_section_3_5_1_a_full_cache_makes_room_by_dropping_not_valid_entries_first(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Section 3.5.1: a full cache SHALL remove NOT-valid entries first, then the oldest
    valid ones. VALIDTAG1 (oldest, valid) outlives INVALIDTAG (newer, Invalid)."""
    cs = central_system
    cs.defaults.id_tags[INVALID] = {"status": "Invalid"}
    config = {"AuthorizationCacheEnabled": True, "LocalPreAuthorize": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        cache = rs.station.store.auth_cache
        cache.capacity = 2
        for tag in (VALID, INVALID, VALID2):
            mark = cs.mark()
            rs.present(tag)
            await cs.wait_for("Authorize", lambda p, t=tag: p["idTag"] == t, since=mark)
            if tag == INVALID:
                await rs.wait(lambda: cache.size() == 2)
                continue
            await rs.status(1, "Preparing", since=mark)
            rs.present(tag)  # second swipe cancels
            await rs.status(1, "Available", since=mark)
        mark = cs.mark()
        rs.plug_in(1)
        rs.present(VALID)
        await cs.wait_for("StartTransaction", since=mark)
        assert not [r for r in cs.received[mark:] if r.action == "Authorize"]
