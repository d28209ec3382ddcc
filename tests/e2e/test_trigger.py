"""OCTT Remote Trigger cases (TC_054, TC_055) and the whitepaper's ExtendedTriggerMessage."""

from __future__ import annotations

from pathlib import Path

from central_system import CentralSystem, Payload, Received, now_iso
from station_harness import RunningStation, running_station, start_local_session

MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage"


async def trigger(
    rs: RunningStation,
    requested: str,
    connector_id: int | None = None,
    *,
    action: str = "TriggerMessage",
) -> str:
    payload: Payload = {"requestedMessage": requested}
    if connector_id is not None:
        payload["connectorId"] = connector_id
    answer = await rs.call(action, payload)
    return str(answer["status"])


async def triggered(rs: RunningStation, requested: str, action: str, **kw: int) -> Received:
    """Trigger ``requested`` and return the message that followed the Accepted answer."""
    mark = rs.cs.mark()
    assert await trigger(rs, requested, **kw) == "Accepted"
    return await rs.cs.wait_for(action, since=mark)


async def test_TC_054_trigger_message(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    config = {"MeterValuesSampledData": MEASURANDS}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        meter = await triggered(rs, "MeterValues", "MeterValues", connector_id=1)
        assert meter.payload["connectorId"] == 1
        assert "transactionId" not in meter.payload
        values = meter.payload["meterValue"][0]["sampledValue"]
        # Errata 3.46: every MeterValuesSampledData measurand, context Trigger.
        assert {v["measurand"] for v in values} == set(MEASURANDS.split(","))
        assert {v["context"] for v in values} == {"Trigger"}

        await triggered(rs, "Heartbeat", "Heartbeat")

        status = await triggered(rs, "StatusNotification", "StatusNotification", connector_id=1)
        assert status.payload["connectorId"] == 1
        assert status.payload["status"] == "Available"

        diagnostics = await triggered(
            rs, "DiagnosticsStatusNotification", "DiagnosticsStatusNotification"
        )
        assert diagnostics.payload["status"] == "Idle"
        firmware = await triggered(rs, "FirmwareStatusNotification", "FirmwareStatusNotification")
        assert firmware.payload["status"] == "Idle"


async def test_TC_055_trigger_message_rejected(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        assert await trigger(rs, "MeterValues", 3) == "Rejected"
        assert await trigger(rs, "StatusNotification", 3) == "Rejected"
        # Answered, and nothing followed it: a Heartbeat after both proves the order.
        await triggered(rs, "Heartbeat", "Heartbeat")
        assert not cs.messages("MeterValues")
        assert not [r for r in cs.received[mark:] if r.action == "StatusNotification"]


async def test_triggered_meter_values_carry_the_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        tx_id = await start_local_session(rs, 1)
        meter = await triggered(rs, "MeterValues", "MeterValues", connector_id=1)
        assert meter.payload["transactionId"] == tx_id
        assert meter.payload["meterValue"][0]["sampledValue"][0]["context"] == "Trigger"


async def test_trigger_status_notification_of_every_connector(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        assert await trigger(rs, "StatusNotification") == "Accepted"
        for cid in (0, 1, 2):
            await cs.wait_for(
                "StatusNotification", lambda p, c=cid: p["connectorId"] == c, since=mark
            )


async def test_trigger_boot_notification_rejected_after_accepted(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        # Errata 3.35/3.40: already Accepted on this connection.
        assert await trigger(rs, "BootNotification") == "Rejected"
        assert await trigger(rs, "BootNotification", action="ExtendedTriggerMessage") == "Rejected"
        assert len(cs.messages("BootNotification")) == 1
        # On a new connection the station resumes without booting; now a trigger is honoured.
        mark = cs.mark()
        await cs.disconnect(rs.cp_id)
        await cs.wait_until(lambda: cs.connect_count.get(rs.cp_id, 0) == 2)
        await rs.wait(lambda: rs.station.registration.accepted)
        boot = await triggered(rs, "BootNotification", "BootNotification")
        assert boot.payload["chargePointModel"] == "DC-190"
        assert len([r for r in cs.received[mark:] if r.action == "BootNotification"]) == 1


async def test_extended_trigger_message(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        assert await trigger(rs, "Heartbeat", action="ExtendedTriggerMessage") == "Accepted"
        await cs.wait_for("Heartbeat", since=mark)
        assert (
            await trigger(rs, "StatusNotification", 2, action="ExtendedTriggerMessage")
            == "Accepted"
        )
        await cs.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, since=mark)
        assert (
            await trigger(rs, "FirmwareStatusNotification", action="ExtendedTriggerMessage")
            == "Accepted"
        )
        signed = await cs.wait_for("SignedFirmwareStatusNotification", since=mark)
        assert signed.payload["status"] == "Idle"
        assert await trigger(rs, "MeterValues", 5, action="ExtendedTriggerMessage") == "Rejected"
        # No log upload in progress: Idle.
        assert (
            await trigger(rs, "LogStatusNotification", action="ExtendedTriggerMessage")
            == "Accepted"
        )
        log = await cs.wait_for("LogStatusNotification", since=mark)
        assert log.payload["status"] == "Idle"
        # The security extension (always installed) sends the signing request.
        assert (
            await trigger(rs, "SignChargePointCertificate", action="ExtendedTriggerMessage")
            == "Accepted"
        )
        await cs.wait_for("SignCertificate", since=mark)


async def test_section_4_2_pending_sends_what_a_trigger_asks_for(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Section 4.2: in Pending the charge point sends no request "unless it has been instructed
    by the Central System to do so with a TriggerMessage.req"; everything else waits for
    Accepted."""
    cs = central_system
    answers = iter(["Pending", "Accepted"])
    cs.responders["BootNotification"] = lambda _p: {
        "status": next(answers),
        "currentTime": now_iso(),
        "interval": 300,
    }
    async with running_station(cs, tmp_path, boot=False) as rs:
        await cs.wait_for("BootNotification")
        await rs.wait(lambda: rs.station.registration.status.value == "Pending")
        # A change of status while Pending is not reported of the station's own accord...
        rs.plug_in(2)
        await rs.wait(lambda: rs.station.status_of(2) == "Preparing")

        status = await triggered(rs, "StatusNotification", "StatusNotification", connector_id=1)
        assert status.payload["status"] == "Available"
        mark = cs.mark()
        assert (
            await trigger(rs, "StatusNotification", action="ExtendedTriggerMessage") == "Accepted"
        )
        for cid, expected in ((0, "Available"), (1, "Available"), (2, "Preparing")):
            await rs.status(cid, expected, since=mark)
        await triggered(rs, "Heartbeat", "Heartbeat")
        await triggered(rs, "MeterValues", "MeterValues", connector_id=1)
        await triggered(rs, "DiagnosticsStatusNotification", "DiagnosticsStatusNotification")
        await triggered(rs, "FirmwareStatusNotification", "FirmwareStatusNotification")
        mark = cs.mark()
        assert (
            await trigger(rs, "LogStatusNotification", action="ExtendedTriggerMessage")
            == "Accepted"
        )
        await cs.wait_for("LogStatusNotification", since=mark)
        # ...and what was triggered is all that went out: no StatusNotification of its own,
        # no second BootNotification, no Heartbeat of its own.
        own = [r.action for r in cs.received[1:]]
        assert own == [
            "StatusNotification",
            "StatusNotification",
            "StatusNotification",
            "StatusNotification",
            "Heartbeat",
            "MeterValues",
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
            "LogStatusNotification",
        ]
        # A BootNotification asked for while Pending is answered Accepted and registers.
        mark = cs.mark()
        assert await trigger(rs, "BootNotification") == "Accepted"
        await cs.wait_for("BootNotification", since=mark)
        await rs.wait(lambda: rs.station.registration.accepted)
        for cid, expected in ((0, "Available"), (1, "Available"), (2, "Preparing")):
            await rs.status(cid, expected, since=mark)


async def test_section_5_17_meter_values_of_every_connector_or_of_the_main_meter(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """connectorId absent: "for all allowed connectorId values", one MeterValues per connector
    with a meter. connectorId 0 is the main energy meter (section 4.7), which this charger
    does not have: Rejected, rather than other connectors' values sent under another id."""
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        assert await trigger(rs, "MeterValues") == "Accepted"
        await cs.wait_until(lambda: len(cs.messages("MeterValues")) == 2)
        meter_values = [r for r in cs.received[mark:] if r.action == "MeterValues"]
        assert sorted(r.payload["connectorId"] for r in meter_values) == [1, 2]
        for action in ("TriggerMessage", "ExtendedTriggerMessage"):
            assert await trigger(rs, "MeterValues", 0, action=action) == "Rejected"
        # Answered, and nothing followed: a Heartbeat after them proves the order.
        await triggered(rs, "Heartbeat", "Heartbeat")
        assert len(cs.messages("MeterValues")) == 2


async def test_section_5_17_a_connector_id_not_relevant_to_the_message_is_ignored(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """ "The requested message is leading: if the specified connectorId is not relevant to the
    message, it should be ignored. In such cases the requested message should still be
    sent." A Heartbeat or a diagnostics status is the station's, whatever connector (even one
    it does not have) the request names."""
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        for action in ("TriggerMessage", "ExtendedTriggerMessage"):
            for connector_id in (1, 3):
                mark = cs.mark()
                assert await trigger(rs, "Heartbeat", connector_id, action=action) == "Accepted"
                await cs.wait_for("Heartbeat", since=mark)
        status = await triggered(
            rs, "DiagnosticsStatusNotification", "DiagnosticsStatusNotification", connector_id=3
        )
        assert status.payload["status"] == "Idle"
