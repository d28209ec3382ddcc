"""OCTT Local Authorization List cases (TC_042, TC_043, TC_008), precedence and persistence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from central_system import CentralSystem, Payload
from chargestack.store.auth_cache import AuthEntry
from station_harness import RunningStation, running_station
from station_process import StationProcess, write_station_file

VALID = "VALIDTAG1"
VALID2 = "VALIDTAG2"
VALID3 = "VALIDTAG3"

# TC_008: the tag must be started from the list alone, never from the cache or Authorize.
LIST_ONLY = {"LocalPreAuthorize": True, "AuthorizationCacheEnabled": False}


def item(tag: str, status: str = "Accepted", **info: str) -> Payload:
    return {"idTag": tag, "idTagInfo": {"status": status, **info}}


async def send_list(
    rs: RunningStation, version: int, update_type: str, items: list[Payload] | None = None
) -> str:
    payload: Payload = {"listVersion": version, "updateType": update_type}
    if items is not None:
        payload["localAuthorizationList"] = items
    answer = await rs.call("SendLocalList", payload)
    return str(answer["status"])


async def list_version(rs: RunningStation) -> int:
    answer = await rs.call("GetLocalListVersion", {})
    return int(answer["listVersion"])


async def start_from_list(rs: RunningStation, tag: str) -> Payload:
    """Present ``tag`` and plug in; the StartTransaction, checked to need no Authorize."""
    cs = rs.cs
    mark = cs.mark()
    rs.present(tag)
    await rs.status(1, "Preparing", since=mark)
    rs.plug_in(1)
    start = await cs.wait_for("StartTransaction", since=mark)
    await rs.status(1, "Charging", since=mark)
    assert all(r.payload["idTag"] != tag for r in cs.received[mark:] if r.action == "Authorize")
    return start.payload


async def test_TC_042_1_get_local_list_version_disabled(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    config = {"LocalAuthListEnabled": False}
    async with running_station(central_system, tmp_path, configuration=config) as rs:
        assert await list_version(rs) == -1
        assert await send_list(rs, 1, "Full", [item(VALID)]) == "NotSupported"
        # Enabled again, nothing of the refused update was kept.
        answer = await rs.call(
            "ChangeConfiguration", {"key": "LocalAuthListEnabled", "value": "true"}
        )
        assert answer["status"] == "Accepted"
        assert await list_version(rs) == 0


async def test_TC_042_2_get_local_list_version_empty(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        assert await send_list(rs, 1, "Full") == "Accepted"
        assert await list_version(rs) == 0


async def test_TC_043_send_local_list_full_then_differential(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path, configuration=LIST_ONLY) as rs:
        assert await send_list(rs, 1, "Full", [item(VALID), item(VALID3)]) == "Accepted"
        assert await list_version(rs) == 1
        # Differential: add VALID2, remove VALID3 (no idTagInfo).
        update = [item(VALID2), {"idTag": VALID3}]
        assert await send_list(rs, 2, "Differential", update) == "Accepted"
        assert await list_version(rs) == 2
        start = await start_from_list(rs, VALID2)
        assert start["idTag"] == VALID2


async def test_TC_043_1_send_local_list_not_supported(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    profiles = ["Core", "Reservation", "RemoteTrigger"]
    async with running_station(central_system, tmp_path, feature_profiles=profiles) as rs:
        # The statuses the specification defines for this, not a CALLERROR.
        assert await send_list(rs, 1, "Full", [item(VALID)]) == "NotSupported"
        assert await list_version(rs) == -1
        supported = await rs.call("GetConfiguration", {"key": ["SupportedFeatureProfiles"]})
        assert "LocalAuthListManagement" not in supported["configurationKey"][0]["value"]


async def test_TC_043_2_send_local_list_version_mismatch(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        assert await send_list(rs, 2, "Full", [item(VALID)]) == "Accepted"
        assert await list_version(rs) == 2
        assert await send_list(rs, 5, "Differential", [item(VALID2)]) == "Accepted"
        assert await list_version(rs) == 5
        assert await send_list(rs, 4, "Differential", [item(VALID3)]) == "VersionMismatch"
        assert await list_version(rs) == 5
        assert rs.station.status()["localListSize"] == 2


async def test_TC_043_3_send_local_list_failed(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    config = {"SendLocalListMaxLength": 2, "LocalAuthListMaxLength": 3}
    async with running_station(central_system, tmp_path, configuration=config) as rs:
        assert await send_list(rs, 1, "Full", [item(VALID), item(VALID2)]) == "Accepted"
        too_many = [item(f"TAG{i}") for i in range(3)]
        assert await send_list(rs, 2, "Full", too_many) == "Failed"
        # Differential that would exceed LocalAuthListMaxLength: refused as a whole.
        beyond = [item(VALID3), item("TAG9")]
        assert await send_list(rs, 3, "Differential", beyond) == "Failed"
        # Errata 3.52: 0 and -1 are never list versions.
        assert await send_list(rs, 0, "Full", [item(VALID3)]) == "Failed"
        # Section 7.3: a Full update needs every idTagInfo.
        assert await send_list(rs, 4, "Full", [{"idTag": VALID3}]) == "Failed"
        assert await list_version(rs) == 1
        assert rs.station.status()["localListSize"] == 2


async def test_TC_008_1_start_with_id_in_local_list_local(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path, configuration=LIST_ONLY) as rs:
        assert await list_version(rs) == 0
        assert await send_list(rs, 1, "Full", [item(VALID)]) == "Accepted"
        start = await start_from_list(rs, VALID)
        assert start["idTag"] == VALID
        assert not central_system.messages("Authorize")


async def test_TC_008_2_start_with_id_in_local_list_remote(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {**LIST_ONLY, "AuthorizeRemoteTxRequests": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        assert await send_list(rs, 1, "Full", [item(VALID)]) == "Accepted"
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID})
        assert answer["status"] == "Accepted"
        start = await cs.wait_for("StartTransaction", since=mark)
        assert start.payload["idTag"] == VALID
        await rs.status(1, "Charging", since=mark)
        assert not cs.messages("Authorize")


async def test_list_entry_takes_precedence_over_cache(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {"LocalPreAuthorize": True, "AuthorizationCacheEnabled": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        station = rs.station
        station.store.auth_cache.put(AuthEntry(VALID, "Accepted", None, None), 0)
        assert await send_list(rs, 1, "Full", [item(VALID, "Blocked")]) == "Accepted"
        mark = cs.mark()
        rs.present(VALID)
        # Blocked in the list: not pre-authorized from the cache, the central system decides.
        await cs.wait_for("Authorize", lambda p: p["idTag"] == VALID, since=mark)


async def test_expired_list_entry_is_not_used(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    async with running_station(cs, tmp_path, configuration=LIST_ONLY) as rs:
        entries = [item(VALID, expiryDate=past)]
        assert await send_list(rs, 1, "Full", entries) == "Accepted"
        mark = cs.mark()
        rs.present(VALID)
        await cs.wait_for("Authorize", lambda p: p["idTag"] == VALID, since=mark)


async def test_local_list_survives_restart(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, configuration=LIST_ONLY) as rs:
        assert await send_list(rs, 3, "Full", [item(VALID), item(VALID2)]) == "Accepted"
    async with running_station(cs, tmp_path, configuration=LIST_ONLY) as rs:
        assert await list_version(rs) == 3
        start = await start_from_list(rs, VALID2)
        assert start["idTag"] == VALID2
        assert not cs.messages("Authorize")


async def test_local_list_survives_sigkill(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    cp = "CRASH-CP"
    station_file = tmp_path / "station.toml"
    write_station_file(station_file, cs.url, tmp_path / "data", {"MinimumStatusDuration": 0})
    sp = StationProcess(station_file)
    try:
        await sp.start()
        await cs.wait_for("BootNotification", timeout=30)
        full = {"listVersion": 7, "updateType": "Full", "localAuthorizationList": [item(VALID)]}
        assert (await cs.call(cp, "SendLocalList", full))["status"] == "Accepted"
        sp.kill()  # power loss right after the answer
        await sp.wait_exit()
        mark = cs.mark()
        await sp.start()
        await cs.wait_for("BootNotification", since=mark, timeout=30)
        assert (await cs.call(cp, "GetLocalListVersion", {}))["listVersion"] == 7
        diff = {"listVersion": 7, "updateType": "Differential", "localAuthorizationList": []}
        assert (await cs.call(cp, "SendLocalList", diff))["status"] == "VersionMismatch"
        assert await sp.terminate() == 0
    finally:
        await sp.close()


async def test_section_3_5_2_list_entries_match_an_id_tag_whatever_its_case(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """IdToken is a CiString20Type (section 7.28, 2.2: case insensitive): the list entry of
    VALIDTAG1 is the entry of validtag1, so it starts without Authorize (LocalPreAuthorize)."""
    async with running_station(central_system, tmp_path, configuration=LIST_ONLY) as rs:
        assert await send_list(rs, 1, "Full", [item(VALID)]) == "Accepted"
        start = await start_from_list(rs, VALID.lower())
        assert start["idTag"].casefold() == VALID.casefold()
        assert not central_system.messages("Authorize")


async def test_section_5_15_a_differential_update_edits_the_entry_whatever_the_case(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        assert await send_list(rs, 1, "Full", [item(VALID), item(VALID2)]) == "Accepted"
        update = [item(VALID.lower(), "Blocked"), {"idTag": VALID2.lower()}]
        assert await send_list(rs, 2, "Differential", update) == "Accepted"
        # One entry left (VALIDTAG1, now Blocked), not three.
        assert rs.station.status()["localListSize"] == 1
        entry = rs.blocks.core.authorization.local_entry(VALID)[0]
        assert entry is not None and entry.status == "Blocked"


async def test_section_3_5_2_a_start_transaction_answer_in_conflict_with_the_list_is_reported(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Section 3.5.2: the list says Accepted, StartTransaction.conf says Blocked: the charge
    point SHALL send a StatusNotification for connector 0 with errorCode LocalListConflict.
    The conflict lasts until the central system sends a list again."""
    cs = central_system
    cs.defaults.id_tags[VALID] = {"status": "Blocked"}
    async with running_station(cs, tmp_path, configuration=LIST_ONLY) as rs:
        assert await send_list(rs, 1, "Full", [item(VALID)]) == "Accepted"
        mark = cs.mark()
        await start_from_list(rs, VALID)
        await conflict_reported(rs, mark)
        mark = cs.mark()
        assert await send_list(rs, 2, "Full", [item(VALID, "Blocked")]) == "Accepted"
        resolved = await rs.status(0, "Available", since=mark)
        assert resolved["errorCode"] == "NoError"


async def conflict_reported(rs: RunningStation, since: int) -> None:
    conflict = await rs.cs.wait_for(
        "StatusNotification",
        lambda p: p["connectorId"] == 0 and p["errorCode"] == "LocalListConflict",
        since=since,
    )
    assert conflict.payload["status"] == "Available"


def conflicts(rs: RunningStation, since: int) -> list[Payload]:
    return [
        r.payload
        for r in rs.cs.received[since:]
        if r.action == "StatusNotification" and r.payload["errorCode"] == "LocalListConflict"
    ]


async def test_section_3_5_2_a_conflict_ends_when_the_local_list_is_disabled(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """With LocalAuthListEnabled false no answer can contradict the list: the conflict is
    cleared at once (connector 0 reports NoError) and not raised again while disabled."""
    cs = central_system
    cs.defaults.id_tags[VALID] = {"status": "Blocked"}
    async with running_station(cs, tmp_path, configuration=LIST_ONLY) as rs:
        assert await send_list(rs, 1, "Full", [item(VALID)]) == "Accepted"
        mark = cs.mark()
        await start_from_list(rs, VALID)
        await conflict_reported(rs, mark)
        mark = cs.mark()
        change = {"key": "LocalAuthListEnabled", "value": "false"}
        assert (await rs.call("ChangeConfiguration", change))["status"] == "Accepted"
        resolved = await rs.status(0, "Available", since=mark)
        assert resolved["errorCode"] == "NoError"
        mark = cs.mark()
        # Blocked for VALIDTAG1 again; the next tag's Authorize shows that answer was handled.
        rs.present(VALID)
        rs.present(VALID2)
        await cs.wait_for("Authorize", lambda p: p["idTag"] == VALID2, since=mark)
        assert [r.payload["idTag"] for r in cs.messages("Authorize")[-2:]] == [VALID, VALID2]
        assert not conflicts(rs, mark)


async def test_section_5_10_an_empty_list_has_version_0_for_a_differential_update_too(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Section 5.10: version 0 SHALL indicate an empty list, so a Differential update is
    measured against 0 (section 7.47), not against the version the list had when full."""
    async with running_station(central_system, tmp_path) as rs:
        assert await send_list(rs, 3, "Full", []) == "Accepted"
        assert await list_version(rs) == 0
        assert await send_list(rs, 2, "Differential", [item(VALID)]) == "Accepted"
        assert await list_version(rs) == 2
