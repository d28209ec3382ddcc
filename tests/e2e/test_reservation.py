"""OCTT Reservation cases (TC_046-TC_053), reservations on connector 0, and persistence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ocpp.exceptions import NotSupportedError

from central_system import CentralSystem, Payload
from chargestack.station.control_target import RunnerControlTarget
from station_harness import (
    RunningStation,
    abandon_transaction,
    running_station,
    start_local_session,
)
from station_process import StationProcess, write_station_file

VALID = "VALIDTAG1"
VALID2 = "VALIDTAG2"
VALID3 = "VALIDTAG3"
PARENT = "PARENT-1"


def expiry(seconds: float = 3600) -> str:
    at = datetime.now(UTC) + timedelta(seconds=seconds)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def reserve(
    rs: RunningStation,
    connector_id: int,
    reservation_id: int,
    tag: str = VALID,
    *,
    seconds: float = 3600,
    parent: str | None = None,
) -> str:
    payload: dict[str, object] = {
        "connectorId": connector_id,
        "expiryDate": expiry(seconds),
        "idTag": tag,
        "reservationId": reservation_id,
    }
    if parent is not None:
        payload["parentIdTag"] = parent
    answer = await rs.call("ReserveNow", payload)
    return str(answer["status"])


async def start_reserved_session(rs: RunningStation, connector_id: int, tag: str) -> Payload:
    """Plug in (the connector stays Reserved), present the tag; the StartTransaction."""
    mark = rs.cs.mark()
    rs.plug_in(connector_id)
    rs.present(tag)
    return await charging(rs, connector_id, mark)


async def reserved(
    rs: RunningStation,
    connector_id: int,
    reservation_id: int,
    tag: str = VALID,
    *,
    parent: str | None = None,
) -> int:
    """Reserve (Accepted) and wait until the connector reports Reserved; the mark before."""
    mark = rs.cs.mark()
    assert await reserve(rs, connector_id, reservation_id, tag, parent=parent) == "Accepted"
    await rs.status(connector_id, "Reserved", since=mark)
    return mark


async def remote_start(rs: RunningStation, connector_id: int, tag: str) -> str:
    answer = await rs.call("RemoteStartTransaction", {"connectorId": connector_id, "idTag": tag})
    return str(answer["status"])


async def charging(rs: RunningStation, connector_id: int, since: int) -> Payload:
    """The StartTransaction of ``connector_id`` since the mark, once it reports Charging."""
    start = await rs.cs.wait_for(
        "StartTransaction", lambda p: p["connectorId"] == connector_id, since=since
    )
    await rs.status(connector_id, "Charging", since=since)
    return start.payload


async def faulted(rs: RunningStation, connector_id: int, error_code: str, info: str) -> None:
    mark = rs.cs.mark()
    rs.sim.raise_fault(connector_id, error_code, info)
    await rs.status(connector_id, "Faulted", since=mark)


async def make_unavailable(rs: RunningStation, connector_id: int) -> None:
    mark = rs.cs.mark()
    answer = await rs.call(
        "ChangeAvailability", {"connectorId": connector_id, "type": "Inoperative"}
    )
    assert answer["status"] == "Accepted"
    await rs.status(connector_id, "Unavailable", since=mark)


async def test_TC_046_1_reservation_local_start(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await make_unavailable(rs, 2)
        mark = await reserved(rs, 1, 11)
        # Another tag is authorized but must not take the reserved connector.
        rs.plug_in(1)
        rs.present(VALID2)
        await cs.wait_for("Authorize", lambda p: p["idTag"] == VALID2, since=mark)
        assert rs.station.status_of(1) == "Reserved"
        rs.present(VALID)
        start = await charging(rs, 1, mark)
        assert (start["idTag"], start["reservationId"]) == (VALID, 11)
        assert not [s for s in cs.messages("StartTransaction") if s.payload["idTag"] == VALID2]


async def test_TC_046_2_reservation_remote_start(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await make_unavailable(rs, 2)
        mark = await reserved(rs, 1, 12)
        rs.plug_in(1)
        assert await remote_start(rs, 1, VALID2) == "Rejected"
        assert await remote_start(rs, 1, VALID) == "Accepted"
        start = await charging(rs, 1, mark)
        assert (start["idTag"], start["reservationId"]) == (VALID, 12)


async def went_through_preparing(rs: RunningStation, since: int) -> None:
    await rs.status(1, "Charging", since=since)
    assert rs.statuses(1, since) == ["Reserved", "Preparing", "Charging"]


async def plugged_while_reserved(rs: RunningStation, connector_id: int) -> None:
    rs.plug_in(connector_id)
    await rs.wait(lambda: rs.station.connector(connector_id).facts.plugged)
    assert rs.station.status_of(connector_id) == "Reserved"


async def test_TC_046_2_reserved_then_preparing_then_charging(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    # Section 4.9: the transition table has Reserved -> Preparing and Preparing -> Charging,
    # no Reserved -> Charging, even when the cable was in before the remote start.
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = await reserved(rs, 1, 49)
        await plugged_while_reserved(rs, 1)
        assert await remote_start(rs, 1, VALID) == "Accepted"
        await went_through_preparing(rs, mark)


async def test_TC_046_1_reserved_then_preparing_then_charging_on_a_swipe(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = await reserved(rs, 1, 50)
        await plugged_while_reserved(rs, 1)
        rs.present(VALID)
        await went_through_preparing(rs, mark)


async def test_TC_053_2_reserved_then_preparing_then_charging_for_the_parent(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.defaults.id_tags[VALID2] = {"status": "Accepted", "parentIdTag": PARENT}
    async with running_station(cs, tmp_path) as rs:
        mark = await reserved(rs, 1, 51, VALID, parent=PARENT)
        await plugged_while_reserved(rs, 1)
        assert await remote_start(rs, 1, VALID2) == "Accepted"
        await went_through_preparing(rs, mark)


async def test_reservation_restored_after_a_power_loss_goes_through_preparing(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = await reserved(rs, 1, 52)
        await plugged_while_reserved(rs, 1)
        await RunnerControlTarget(rs.runner).power_cut()
        boot = await cs.wait_for("BootNotification", since=mark)
        after_boot = cs.received.index(boot)
        await rs.status(1, "Reserved", since=after_boot)
        assert rs.station.connector(1).facts.plugged  # the EV stayed through the power loss
        assert await remote_start(rs, 1, VALID) == "Accepted"
        await went_through_preparing(rs, after_boot)


async def test_TC_047_reservation_expires(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        assert await reserve(rs, 1, 13, seconds=1.0) == "Accepted"
        reserved = await rs.status(1, "Reserved", since=mark)
        available = await rs.status(1, "Available", since=mark)
        assert available["timestamp"] > reserved["timestamp"]
        mark = cs.mark()
        await start_local_session(rs, 1, VALID2)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert "reservationId" not in start.payload


async def test_TC_048_1_reserve_faulted_connector(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await faulted(rs, 1, "GroundFailure", "test fault")
        assert await reserve(rs, 1, 14) == "Faulted"


async def test_TC_048_1_faulted_connector_answers_faulted_before_the_expiry_check(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    # Section 5.13: a Faulted connector answers Faulted, whatever else is wrong with the
    # request; the connector's state is checked before the request's own conditions.
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await faulted(rs, 1, "GroundFailure", "test fault")
        assert await reserve(rs, 1, 43, seconds=-60) == "Faulted"


async def test_reserve_now_checks_the_connector_state_before_the_expiry(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    # The documented order (profiles/reservation/rules.py): connector known, then its state
    # (Faulted, Unavailable, Occupied), then the request's expiryDate.
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await make_unavailable(rs, 2)
        assert await reserve(rs, 2, 44, seconds=-60) == "Unavailable"
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        assert await reserve(rs, 1, 45, seconds=-60) == "Occupied"
        assert await reserve(rs, 3, 46, seconds=-60) == "Rejected"  # no such connector
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)
        assert await reserve(rs, 1, 47, seconds=-60) == "Rejected"  # already expired


async def test_TC_048_2_reserve_occupied_connector(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        assert await reserve(rs, 1, 15) == "Occupied"
        # A connector reserved under another reservationId is occupied too.
        assert await reserve(rs, 2, 16) == "Accepted"
        assert await reserve(rs, 2, 17, VALID2) == "Occupied"


async def test_TC_048_3_reserve_unavailable_connector(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        await make_unavailable(rs, 1)
        assert await reserve(rs, 1, 18) == "Unavailable"


async def test_TC_048_4_reservation_not_supported(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    profiles = ["Core", "LocalAuthListManagement", "RemoteTrigger"]
    async with running_station(central_system, tmp_path, feature_profiles=profiles) as rs:
        # ReservationStatus Rejected: "Charge Point is not configured to accept reservations".
        assert await reserve(rs, 1, 19) == "Rejected"
        assert rs.station.status_of(1) == "Available"
        # CancelReservation has no such status: the action itself is not supported.
        with pytest.raises(NotSupportedError):
            await rs.call("CancelReservation", {"reservationId": 19})


async def test_TC_050_4_reserve_charge_point_not_supported(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    profiles = ["Core", "LocalAuthListManagement", "RemoteTrigger"]
    async with running_station(central_system, tmp_path, feature_profiles=profiles) as rs:
        assert await reserve(rs, 0, 24) == "Rejected"
        got = await rs.call("GetConfiguration", {"key": ["ReserveConnectorZeroSupported"]})
        assert got["unknownKey"] == ["ReserveConnectorZeroSupported"]
        assert rs.station.status_of(0) == "Available"


async def test_TC_049_reservation_of_charge_point(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {"ReserveConnectorZeroSupported": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await make_unavailable(rs, 2)
        mark = cs.mark()
        assert await reserve(rs, 0, 20) == "Accepted"
        # Connector 1 is the only one left for the reserved tag.
        await rs.status(1, "Reserved", since=mark)
        rs.present(VALID)
        await rs.status(1, "Preparing", since=mark)
        rs.plug_in(1)
        start = await charging(rs, 1, mark)
        assert start["reservationId"] == 20


async def test_reserve_connector_zero_not_supported(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        assert await reserve(rs, 0, 21) == "Rejected"
        assert await reserve(rs, 3, 22) == "Rejected"  # no such connector
        assert await reserve(rs, 1, 23, seconds=-10) == "Rejected"  # already expired


async def test_TC_050_1_reserve_charge_point_faulted(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {"ReserveConnectorZeroSupported": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await faulted(rs, 0, "OtherError", "cabinet fault")
        assert await reserve(rs, 0, 24) == "Faulted"


async def test_TC_050_1_faulted_charge_point_answers_faulted_before_the_expiry_check(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {"ReserveConnectorZeroSupported": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await faulted(rs, 0, "OtherError", "cabinet fault")
        assert await reserve(rs, 0, 48, seconds=-60) == "Faulted"


async def test_TC_050_2_reserve_charge_point_occupied(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {"ReserveConnectorZeroSupported": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        rs.plug_in(2)
        await rs.status(1, "Preparing", since=mark)
        await rs.status(2, "Preparing", since=mark)
        assert await reserve(rs, 0, 25) == "Occupied"


async def test_TC_050_3_reserve_charge_point_unavailable(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    config = {"ReserveConnectorZeroSupported": True}
    async with running_station(central_system, tmp_path, configuration=config) as rs:
        await make_unavailable(rs, 0)
        assert await reserve(rs, 0, 26) == "Unavailable"


async def test_TC_051_cancel_reservation(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = await reserved(rs, 1, 27)
        answer = await rs.call("CancelReservation", {"reservationId": 27})
        assert answer["status"] == "Accepted"
        await rs.status(1, "Available", since=mark)
        mark = cs.mark()
        await start_local_session(rs, 1, VALID2)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert "reservationId" not in start.payload


async def test_TC_052_cancel_unknown_reservation(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await reserved(rs, 1, 28)
        answer = await rs.call("CancelReservation", {"reservationId": 29})
        assert answer["status"] == "Rejected"
        # The reservation is still there: the reserved tag's transaction uses it.
        start = await start_reserved_session(rs, 1, VALID)
        assert start["reservationId"] == 28


async def test_TC_053_1_reserved_connector_parent_id_local(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.defaults.id_tags[VALID2] = {"status": "Accepted", "parentIdTag": PARENT}
    async with running_station(cs, tmp_path) as rs:
        mark = await reserved(rs, 1, 30, VALID, parent=PARENT)
        rs.plug_in(1)
        rs.present(VALID2)
        start = await charging(rs, 1, mark)
        assert (start["idTag"], start["reservationId"]) == (VALID2, 30)


async def test_TC_053_2_reserved_connector_parent_id_remote(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.defaults.id_tags[VALID2] = {"status": "Accepted", "parentIdTag": PARENT}
    cs.defaults.id_tags[VALID3] = {"status": "Accepted", "parentIdTag": "OTHER-PARENT"}
    async with running_station(cs, tmp_path) as rs:
        mark = await reserved(rs, 1, 31, VALID, parent=PARENT)
        rs.plug_in(1)
        assert await remote_start(rs, 1, VALID3) == "Rejected"
        assert await remote_start(rs, 1, VALID2) == "Accepted"
        start = await charging(rs, 1, mark)
        assert (start["idTag"], start["reservationId"]) == (VALID2, 31)


async def test_reserve_now_with_known_id_replaces_it(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await reserved(rs, 1, 32)
        mark = cs.mark()
        assert await reserve(rs, 2, 32, VALID2) == "Accepted"
        await rs.status(1, "Available", since=mark)
        await rs.status(2, "Reserved", since=mark)
        start = await start_reserved_session(rs, 2, VALID2)
        assert start["reservationId"] == 32


async def test_connector_zero_reservation_keeps_one_connector_free(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {"ReserveConnectorZeroSupported": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        mark = cs.mark()
        assert await reserve(rs, 0, 33) == "Accepted"
        # Two free connectors: neither is held yet.
        assert rs.station.status_of(1) == "Available"
        assert rs.station.status_of(2) == "Available"
        await start_local_session(rs, 1, VALID2)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert "reservationId" not in start.payload
        # Connector 2 is now the last free one: it is kept for the reserved tag.
        await rs.status(2, "Reserved", since=mark)
        assert await remote_start(rs, 2, VALID3) == "Rejected"
        start = await start_reserved_session(rs, 2, VALID)
        assert start["reservationId"] == 33


async def test_connector_zero_reservation_follows_availability(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {"ReserveConnectorZeroSupported": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        assert await reserve(rs, 0, 36) == "Accepted"
        mark = cs.mark()
        await make_unavailable(rs, 2)
        await rs.status(1, "Reserved", since=mark)
        mark = cs.mark()
        answer = await rs.call("ChangeAvailability", {"connectorId": 2, "type": "Operative"})
        assert answer["status"] == "Accepted"
        await rs.status(1, "Available", since=mark)
        await rs.status(2, "Available", since=mark)


async def test_section_5_13_a_connector_made_unavailable_ends_its_reservation(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Section 5.13: a reservation SHALL be terminated when its connector is set to
    Unavailable; made Operative again, the connector is Available, not Reserved."""
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await reserved(rs, 1, 40)
        await make_unavailable(rs, 1)
        mark = cs.mark()
        answer = await rs.call("ChangeAvailability", {"connectorId": 1, "type": "Operative"})
        assert answer["status"] == "Accepted"
        assert await rs.next_status(1, since=mark) == "Available"
        answer = await rs.call("CancelReservation", {"reservationId": 40})
        assert answer["status"] == "Rejected"


async def test_section_5_13_a_faulted_connector_ends_its_reservation(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await reserved(rs, 1, 41)
        await faulted(rs, 1, "GroundFailure", "test fault")
        mark = cs.mark()
        rs.sim.clear_fault(1)
        assert await rs.next_status(1, since=mark) == "Available"
        # Another tag may charge there now, without the ended reservation.
        start = await start_reserved_session(rs, 1, VALID2)
        assert "reservationId" not in start


async def test_section_5_13_a_charge_point_made_unavailable_ends_every_reservation(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {"ReserveConnectorZeroSupported": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await reserved(rs, 1, 42)
        assert await reserve(rs, 0, 43, VALID2) == "Accepted"
        await make_unavailable(rs, 0)
        mark = cs.mark()
        answer = await rs.call("ChangeAvailability", {"connectorId": 0, "type": "Operative"})
        assert answer["status"] == "Accepted"
        assert await rs.next_status(1, since=mark) == "Available"
        for reservation_id in (42, 43):
            answer = await rs.call("CancelReservation", {"reservationId": reservation_id})
            assert answer["status"] == "Rejected"


async def test_section_5_13_a_charge_point_unavailable_after_a_scheduled_change_ends_reservations(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """ChangeAvailability(0, Inoperative) is Scheduled while a transaction runs (section 5.2);
    when it takes effect at the transaction's end, the connector-0 reservation ends too."""
    cs = central_system
    config = {"ReserveConnectorZeroSupported": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        assert await reserve(rs, 0, 44, VALID2) == "Accepted"
        tx_id = await start_local_session(rs, 1, VALID)
        answer = await rs.call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
        assert answer["status"] == "Scheduled"
        mark = cs.mark()
        # A remote stop: no hardware event comes with the end of the transaction.
        answer = await rs.call("RemoteStopTransaction", {"transactionId": tx_id})
        assert answer["status"] == "Accepted"
        await cs.wait_for("StopTransaction", since=mark)
        await rs.status(0, "Unavailable", since=mark)
        mark = cs.mark()
        answer = await rs.call("ChangeAvailability", {"connectorId": 0, "type": "Operative"})
        assert answer["status"] == "Accepted"
        assert await rs.next_status(2, since=mark) == "Available"
        answer = await rs.call("CancelReservation", {"reservationId": 44})
        assert answer["status"] == "Rejected"


async def test_section_5_13_a_scheduled_unavailability_applied_at_restart_ends_reservations(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """A power cut finishes the transaction a Scheduled ChangeAvailability(0, Inoperative)
    waited for: the charge point starts Unavailable, and its reservation is over."""
    cs = central_system
    config = {"ReserveConnectorZeroSupported": True}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        assert await reserve(rs, 0, 45, VALID2) == "Accepted"
        await start_local_session(rs, 1, VALID)
        answer = await rs.call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
        assert answer["status"] == "Scheduled"
        abandon_transaction(rs)  # power cut
    mark = cs.mark()
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await rs.status(0, "Unavailable", since=mark)
        answer = await rs.call("ChangeAvailability", {"connectorId": 0, "type": "Operative"})
        assert answer["status"] == "Accepted"
        answer = await rs.call("CancelReservation", {"reservationId": 45})
        assert answer["status"] == "Rejected"


async def test_reservation_survives_restart(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        assert await reserve(rs, 1, 34) == "Accepted"
        assert await reserve(rs, 2, 35, VALID2, seconds=1.0) == "Accepted"
        await rs.status(1, "Reserved", since=mark)
        await rs.status(2, "Reserved", since=mark)
    mark = cs.mark()
    async with running_station(cs, tmp_path) as rs:
        # Reported at boot as still Reserved; the short one ends at its expiry, stopped or not.
        await rs.status(1, "Reserved", since=mark)
        await rs.status(2, "Available", since=mark)
        assert await remote_start(rs, 1, VALID2) == "Rejected"
        start = await start_reserved_session(rs, 1, VALID)
        assert start["reservationId"] == 34


async def test_reservation_survives_sigkill(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    cp = "CRASH-CP"
    station_file = tmp_path / "station.toml"
    write_station_file(station_file, cs.url, tmp_path / "data", {"MinimumStatusDuration": 0})
    sp = StationProcess(station_file)
    try:
        await sp.start()
        await cs.wait_for("BootNotification", timeout=30)
        await cs.wait_for("StatusNotification", lambda p: p["connectorId"] == 2)
        payload = {"connectorId": 1, "expiryDate": expiry(), "idTag": VALID, "reservationId": 40}
        assert (await cs.call(cp, "ReserveNow", payload))["status"] == "Accepted"
        await cs.wait_for(
            "StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Reserved"
        )
        sp.kill()  # power loss right after the answer: nothing else gets to run
        await sp.wait_exit()
        mark = cs.mark()
        await sp.start()
        await cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == 1 and p["status"] == "Reserved",
            since=mark,
            timeout=30,
        )
        remote = {"connectorId": 1, "idTag": VALID2}
        assert (await cs.call(cp, "RemoteStartTransaction", remote))["status"] == "Rejected"
        cancel = await cs.call(cp, "CancelReservation", {"reservationId": 40})
        assert cancel["status"] == "Accepted"
        assert await sp.terminate() == 0
    finally:
        await sp.close()
