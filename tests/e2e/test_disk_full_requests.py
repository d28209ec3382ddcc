"""The central system's requests while the data directory's filesystem is full.

The store cannot write (``test_disk_full.py``: connector 0 says so), so an answer that would
confirm a stored change cannot be made true. A request whose effect must be stored is
refused at once with its own failure status and changes nothing; what a driver or safety
needs (RemoteStopTransaction, UnlockConnector) still works, its effect kept in memory and
written when space returns. No request waits for the disk: each is answered well within
the central system's timeout (``PROMPT_S``). When space returns the same request is
Accepted and survives a restart.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ocpp.exceptions import InternalError

from central_system import CentralSystem, Payload, now_iso
from certs import make_ca
from full_disk import fill_and_notice, fill_when_idle, storage_cleared, storage_reported
from security_support import pem, reference_hash_data
from small_filesystem import SmallFilesystem
from station_harness import RunningStation, running_station, start_local_session

TAG = "FULLREQ1"
LISTED = "LISTED01"
OTHER = "LISTED02"
# Far below the central system's own timeout (10 s): an answer that waited for the disk
# would never come while it is full.
PROMPT_S = 3.0


async def answer(rs: RunningStation, action: str, payload: Payload) -> Payload:
    return await asyncio.wait_for(rs.call(action, payload), PROMPT_S)


async def status_of(rs: RunningStation, action: str, payload: Payload) -> str:
    return str((await answer(rs, action, payload))["status"])


async def configured(rs: RunningStation, key: str) -> str:
    found = await answer(rs, "GetConfiguration", {"key": [key]})
    return str(found["configurationKey"][0]["value"])


def cp_max_profile(profile_id: int, limit_a: float) -> Payload:
    return {
        "connectorId": 0,
        "csChargingProfiles": {
            "chargingProfileId": profile_id,
            "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "startSchedule": now_iso(),
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit_a}],
            },
        },
    }


def full_list(version: int, tag: str) -> Payload:
    return {
        "listVersion": version,
        "updateType": "Full",
        "localAuthorizationList": [{"idTag": tag, "idTagInfo": {"status": "Accepted"}}],
    }


async def composite_limits(rs: RunningStation) -> list[float]:
    found = await answer(
        rs, "GetCompositeSchedule", {"connectorId": 0, "duration": 60, "chargingRateUnit": "A"}
    )
    return [float(p["limit"]) for p in found["chargingSchedule"]["chargingSchedulePeriod"]]


def storage_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "chargestack.ocpp.storage" and r.levelno == logging.WARNING
    ]


async def test_stored_changes_are_refused_at_once_and_accepted_once_space_returns(
    central_system: CentralSystem, disk: SmallFilesystem, caplog: pytest.LogCaptureFixture
) -> None:
    cs = central_system
    caplog.set_level(logging.INFO, logger="chargestack")
    async with running_station(cs, disk.path) as rs:
        assert await status_of(rs, "SendLocalList", full_list(1, LISTED)) == "Accepted"
        assert await status_of(rs, "SetChargingProfile", cp_max_profile(1, 100.0)) == "Accepted"
        limits = await composite_limits(rs)
        assert limits == [100.0]
        await fill_and_notice(rs, disk, TAG)

        change = {"key": "ConnectionTimeOut", "value": "45"}
        assert await status_of(rs, "ChangeConfiguration", change) == "Rejected"
        assert await status_of(rs, "SendLocalList", full_list(2, OTHER)) == "Failed"
        assert await status_of(rs, "SetChargingProfile", cp_max_profile(2, 50.0)) == "Rejected"
        # Nothing of them took effect.
        assert await configured(rs, "ConnectionTimeOut") == "30"
        assert (await answer(rs, "GetLocalListVersion", {}))["listVersion"] == 1
        assert await composite_limits(rs) == limits
        # Said once for the whole time the disk is full, not per request.
        warnings = storage_warnings(caplog)
        assert len(warnings) == 1 and "stor" in warnings[0].getMessage()

        mark = cs.mark()
        disk.free()
        await storage_cleared(rs, mark)
        assert await status_of(rs, "ChangeConfiguration", change) == "Accepted"
        mark = cs.mark()
        assert await status_of(rs, "Reset", {"type": "Soft"}) == "Accepted"
        await cs.wait_for("BootNotification", since=mark)
        assert rs.runner.restarts == 1
        assert await configured(rs, "ConnectionTimeOut") == "45"


async def test_every_request_that_must_be_stored_gets_its_failure_while_full(
    central_system: CentralSystem, disk: SmallFilesystem, tmp_path: Path
) -> None:
    cs = central_system
    root = make_ca(tmp_path, "Installed Root")
    other_root = make_ca(tmp_path, "Refused Root")
    expiry = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    reservation = {"connectorId": 2, "expiryDate": expiry, "idTag": TAG, "reservationId": 7}
    install = {"certificateType": "ManufacturerRootCertificate", "certificate": pem(root.cert)}
    async with running_station(cs, disk.path) as rs:
        assert await status_of(rs, "SetChargingProfile", cp_max_profile(1, 100.0)) == "Accepted"
        assert await status_of(rs, "ReserveNow", reservation) == "Accepted"
        assert await status_of(rs, "InstallCertificate", install) == "Accepted"
        await fill_and_notice(rs, disk, TAG)

        location = "http://127.0.0.1:9/file"
        refused = {
            "ChangeAvailability": ({"connectorId": 0, "type": "Inoperative"}, "Rejected"),
            "ClearCache": ({}, "Rejected"),
            "ClearChargingProfile": ({"id": 1}, "Unknown"),
            "CancelReservation": ({"reservationId": 7}, "Rejected"),
            # Section 5.13: the Charge Point reports itself Unavailable while it cannot
            # store (connector 0), and then ReserveNow answers Unavailable.
            "ReserveNow": ({**reservation, "reservationId": 8, "connectorId": 1}, "Unavailable"),
            "RemoteStartTransaction": ({"idTag": TAG, "connectorId": 2}, "Rejected"),
            "GetLog": (
                {"logType": "DiagnosticsLog", "requestId": 1, "log": {"remoteLocation": location}},
                "Rejected",
            ),
            "SignedUpdateFirmware": (
                {
                    "requestId": 2,
                    "firmware": {
                        "location": location,
                        "retrieveDateTime": now_iso(),
                        "signingCertificate": pem(root.cert),
                        "signature": "c2lnbmF0dXJl",
                    },
                },
                "Rejected",
            ),
            "InstallCertificate": (
                {
                    "certificateType": "ManufacturerRootCertificate",
                    "certificate": pem(other_root.cert),
                },
                "Failed",
            ),
            "DeleteCertificate": (
                {"certificateHashData": reference_hash_data(root.cert)},
                "Failed",
            ),
            "CertificateSigned": ({"certificateChain": pem(other_root.cert)}, "Rejected"),
        }
        for action, (payload, status) in refused.items():
            assert await status_of(rs, action, payload) == status, action
        # Section 5.9: no fileName, nothing will be uploaded.
        assert await answer(rs, "GetDiagnostics", {"location": location}) == {}
        # UpdateFirmware.conf has no status: the refusal is a CALLERROR that names the cause.
        with pytest.raises(InternalError, match="storage"):
            await answer(rs, "UpdateFirmware", {"location": location, "retrieveDate": now_iso()})
        # Requests that store nothing are answered as ever.
        trigger = {"requestedMessage": "Heartbeat"}
        assert await status_of(rs, "TriggerMessage", trigger) == "Accepted"
        assert await status_of(rs, "ExtendedTriggerMessage", trigger) == "Accepted"

        # Nothing changed: the profile, the reservation and the certificate are still there.
        assert await composite_limits(rs) == [100.0]
        assert rs.station.status()["reservations"] == 1
        installed = await answer(
            rs, "GetInstalledCertificateIds", {"certificateType": "ManufacturerRootCertificate"}
        )
        assert installed["certificateHashData"] == [reference_hash_data(root.cert)]
        assert not cs.messages("StartTransaction")
        assert not cs.messages("DiagnosticsStatusNotification")


async def test_unlock_and_remote_stop_work_while_full_and_their_stops_follow_when_space_returns(
    central_system: CentralSystem, disk: SmallFilesystem
) -> None:
    cs = central_system
    config = {"MeterValueSampleInterval": 1}
    async with running_station(cs, disk.path, fixed_cable=False, configuration=config) as rs:
        remote = await start_local_session(rs, 1, TAG)
        unlocked = await start_local_session(rs, 2, LISTED)
        await fill_when_idle(rs, disk)
        mark = cs.mark()
        # The registers kept every second are the first writes that fail.
        await storage_reported(rs, mark)

        stopping = {"transactionId": remote}
        assert await status_of(rs, "RemoteStopTransaction", stopping) == "Accepted"
        assert await status_of(rs, "UnlockConnector", {"connectorId": 2}) == "Unlocked"
        # Both stops completed in memory: the power is off and no transaction runs.
        power = rs.simulator.power
        await rs.wait(lambda: not any(c["enabled"] for c in power.snapshot()["connectors"]))
        assert [c["transactionId"] for c in rs.station.status()["connectors"]] == [None, None]
        assert not cs.messages("StopTransaction")

        mark = cs.mark()
        disk.free()
        await storage_cleared(rs, mark)
        first = await cs.wait_for("StopTransaction", lambda p: p["transactionId"] == remote)
        second = await cs.wait_for("StopTransaction", lambda p: p["transactionId"] == unlocked)
    assert first.payload["reason"] == "Remote"
    assert second.payload["reason"] == "UnlockCommand"


async def test_the_request_whose_write_first_meets_the_full_disk_gets_an_error_at_once(
    central_system: CentralSystem, disk: SmallFilesystem
) -> None:
    """A full disk shows itself only when written: the station cannot refuse the request
    whose own write finds it out, and cannot take back what it already applied, so it says
    that the storage failed instead of confirming (or waiting)."""
    cs = central_system
    async with running_station(cs, disk.path) as rs:
        await fill_when_idle(rs, disk)
        mark = cs.mark()
        with pytest.raises(InternalError, match="storage"):
            await answer(rs, "ChangeConfiguration", {"key": "ConnectionTimeOut", "value": "45"})
        await storage_reported(rs, mark)
        disk.free()
        await storage_cleared(rs, mark)


async def test_a_vendor_data_transfer_that_stores_is_refused_and_one_that_did_not_say_so_fails(
    central_system: CentralSystem, disk: SmallFilesystem
) -> None:
    cs = central_system
    async with running_station(cs, disk.path) as rs:
        store = rs.station.store

        async def remember(message_id: str | None, data: str | None) -> tuple[str, str | None]:
            store.meta.set(f"acme.{message_id}", data or "")
            return "Accepted", None

        async def echo(message_id: str | None, data: str | None) -> tuple[str, str | None]:
            return "Accepted", data

        transfer = rs.blocks.core.data_transfer
        transfer.register("Acme", "remember", remember, stores=True)
        transfer.register("Acme", "forgot", remember)
        transfer.register("Acme", "echo", echo)
        await fill_and_notice(rs, disk, TAG)

        def request(message_id: str) -> Payload:
            return {"vendorId": "Acme", "messageId": message_id, "data": "1"}

        assert await status_of(rs, "DataTransfer", request("remember")) == "Rejected"
        assert store.meta.get("acme.remember") is None
        # A handler that stores without saying so is not refused, but never confirmed.
        with pytest.raises(InternalError, match="storage"):
            await answer(rs, "DataTransfer", request("forgot"))
        assert await answer(rs, "DataTransfer", request("echo")) == {
            "status": "Accepted",
            "data": "1",
        }

        mark = cs.mark()
        disk.free()
        await storage_cleared(rs, mark)
        assert await status_of(rs, "DataTransfer", request("remember")) == "Accepted"
        assert store.meta.get("acme.remember") == "1"


async def test_a_reset_while_full_restarts_the_station_on_the_full_disk(
    central_system: CentralSystem, disk: SmallFilesystem
) -> None:
    """Reset is what an operator has left to recover a station: it works on a full disk.
    A restart keeps only what is on disk, as a power cut does: the session's SoftReset stop
    could not be, so the restarted station closes it from the journal (PowerLoss), once."""
    cs = central_system
    async with running_station(cs, disk.path) as rs:
        running = await start_local_session(rs, 2, LISTED)
        await fill_and_notice(rs, disk, TAG)
        mark = cs.mark()
        assert await status_of(rs, "Reset", {"type": "Soft"}) == "Accepted"
        await cs.wait_for("BootNotification", since=mark, timeout=30)
        assert rs.runner.restarts == 1
        await storage_reported(rs, mark)
        stop = await cs.wait_for("StopTransaction", lambda p: p["transactionId"] == running)
        assert stop.payload["reason"] == "PowerLoss"
        mark = cs.mark()
        disk.free()
        await storage_cleared(rs, mark)
    assert len(cs.messages("StopTransaction")) == 1
