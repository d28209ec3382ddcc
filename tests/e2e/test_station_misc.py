"""Station-wide properties: several stations per process, MinimumStatusDuration, write-only keys."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from ocpp.exceptions import InternalError, NotSupportedError

from central_system import CentralSystem, Payload, now_iso
from station_harness import running_station, start_local_session


async def test_several_stations_in_one_process(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with contextlib.AsyncExitStack() as stack:
        stations = [
            await stack.enter_async_context(
                running_station(cs, tmp_path / f"s{i}", cp_id=f"CP-{i}")
            )
            for i in range(3)
        ]
        for rs in stations:
            await start_local_session(rs, tag=f"TAG-{rs.cp_id}")
        starts = cs.messages("StartTransaction")
        assert {r.cp_id for r in starts} == {"CP-0", "CP-1", "CP-2"}
        # Each has its own store and configuration: a change on one touches no other.
        await stations[0].call(
            "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "5"}
        )
        other = await stations[1].call("GetConfiguration", {"key": ["MeterValueSampleInterval"]})
        assert other["configurationKey"][0]["value"] == "0"


async def test_minimum_status_duration_suppresses_short_statuses(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, configuration={"MinimumStatusDuration": 1}) as rs:
        await rs.status(1, "Available")
        mark = cs.mark()
        rs.plug_in(1)
        rs.plug_out(1)  # Preparing lasted far less than a second
        rs.plug_in(2)
        await rs.status(2, "Preparing", since=mark)
        assert rs.statuses(1, mark) == []


async def test_section_4_9_every_status_is_reported_when_minimum_status_duration_is_0(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Errata 3.19 / section 9.1.20: with MinimumStatusDuration 0 every status a connector
    enters is reported, in order, however short it lasted."""
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        # The central system is slow to answer the first Preparing: whatever happens
        # meanwhile must still be reported afterwards, not just the newest state.
        answer_held = asyncio.Event()

        async def slow_first_preparing(payload: Payload) -> Payload:
            if payload["status"] == "Preparing" and not answer_held.is_set():
                await answer_held.wait()
            return {}

        cs.responders["StatusNotification"] = slow_first_preparing
        mark = cs.mark()
        try:
            rs.present("VALIDTAG1")  # one reader, two connectors: both are Preparing
            await rs.status(1, "Preparing", since=mark)
            rs.plug_in(1)  # connector 1 starts charging, connector 2 is Available again
            await rs.wait(
                lambda: (
                    rs.station.status_of(1) == "Charging" and rs.station.status_of(2) == "Available"
                )
            )
        finally:
            answer_held.set()
        await rs.status(2, "Available", since=mark)
        await rs.status(1, "Charging", since=mark)
        assert rs.reported_statuses(mark) == [
            (1, "Preparing"),
            (2, "Preparing"),
            (1, "Charging"),
            (2, "Available"),
        ]


async def test_a_status_the_central_system_refuses_does_not_hold_up_the_next(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        refused: list[Payload] = []

        def refuse_preparing(payload: Payload) -> Payload:
            if payload["status"] == "Preparing":
                refused.append(payload)
                raise InternalError(description="status store unavailable")
            return {}

        cs.responders["StatusNotification"] = refuse_preparing
        mark = cs.mark()
        rs.plug_in(1)
        await rs.wait(lambda: bool(refused))
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)
        assert [r.payload["status"] for r in cs.messages("StatusNotification")[-2:]] == [
            "Preparing",
            "Available",
        ]
        # Refused once, not sent again.
        assert len(refused) == 1
        assert [e[2] for e in cs.errors_sent] == ["InternalError"]
        cs.errors_sent.clear()


async def test_authorization_key_is_write_only(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        answer = await rs.call(
            "ChangeConfiguration",
            {"key": "AuthorizationKey", "value": "00112233445566778899aabbccddeeff"},
        )
        assert answer["status"] in ("Accepted", "RebootRequired")
        got = await rs.call("GetConfiguration", {"key": ["AuthorizationKey"]})
        entries = got.get("configurationKey", [])
        assert all("value" not in e for e in entries)


async def test_pending_boot_rejects_remote_start_and_sends_nothing(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    from central_system import now_iso

    cs = central_system
    cs.responders["BootNotification"] = lambda _p: {
        "status": "Pending",
        "currentTime": now_iso(),
        "interval": 60,
    }
    async with running_station(cs, tmp_path, boot=False) as rs:
        await cs.wait_for("BootNotification")
        rs.plug_in(1)
        rs.present("VALIDTAG1")
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": "VALIDTAG1"})
        assert answer["status"] == "Rejected"
        # Our own CALLs before Accepted: only BootNotification.
        assert {r.action for r in cs.received} == {"BootNotification"}


async def test_a_charger_with_core_only_answers_as_the_specification_says(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Statuses where the response defines one for "not supported", NotSupported otherwise."""
    async with running_station(central_system, tmp_path, feature_profiles=["Core"]) as rs:
        profile = {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.0}],
            },
        }
        answer = await rs.call(
            "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": profile}
        )
        assert answer["status"] == "NotSupported"
        answer = await rs.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        assert answer["status"] == "NotImplemented"
        # ExtendedTriggerMessage belongs to the security extension, which every charger has.
        mark = central_system.mark()
        answer = await rs.call("ExtendedTriggerMessage", {"requestedMessage": "Heartbeat"})
        assert answer["status"] == "Accepted"
        await central_system.wait_for("Heartbeat", since=mark)
        assert (await rs.call("GetLocalListVersion", {}))["listVersion"] == -1
        for action, payload in [
            ("ClearChargingProfile", {}),
            ("GetCompositeSchedule", {"connectorId": 1, "duration": 60}),
            ("CancelReservation", {"reservationId": 1}),
            ("GetDiagnostics", {"location": "ftp://127.0.0.1/diag"}),
            ("UpdateFirmware", {"location": "http://127.0.0.1/fw", "retrieveDate": now_iso()}),
        ]:
            with pytest.raises(NotSupportedError):
                await rs.call(action, payload)
        got = await rs.call("GetConfiguration", {"key": ["SupportedFeatureProfiles"]})
        assert got["configurationKey"][0]["value"] == "Core"
