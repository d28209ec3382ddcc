"""Remote Trigger (OCPP 1.6 section 5.17) and the security whitepaper's ExtendedTriggerMessage.

The answer comes first and the requested message follows it (``@after``), as both
specifications ask, also while the registration is Pending (section 4.2). A connectorId the
station does not have is Rejected. Errata 3.35/3.40:
once a BootNotification was Accepted on this connection, triggering another is Rejected.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chargestack.exceptions import ChargestackError
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import after, on
from chargestack.profiles.core.meter_sampling import meter_value, sampled_values
from chargestack.station.registration import sending_triggered_message

if TYPE_CHECKING:
    from chargestack.profiles.core.transactions import TransactionService
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.trigger")

# Whitepaper section 2.3 (ExtendedTriggerMessage): these need the security extension's own
# workflows; without them the request is answered NotImplemented.
_SECURITY_ONLY = frozenset({"SignChargePointCertificate"})


class ExtendedTriggerService:
    """The whitepaper's ExtendedTriggerMessage: part of the security extension, so answered
    by every charger, with or without the RemoteTrigger profile."""

    def __init__(self, station: Station) -> None:
        self.station = station
        # Requests answered Accepted whose message is still to be sent, by id(); the object is
        # kept so a later request reusing the id cannot be mistaken for it.
        self._accepted: dict[int, BaseModel] = {}

    # -- OCPP ------------------------------------------------------------------------------

    @on(Action.EXTENDED_TRIGGER_MESSAGE)
    async def extended_trigger_message(
        self, request: m.ExtendedTriggerMessageRequest
    ) -> m.ExtendedTriggerMessageResponse:
        status = self._answer(request, request.requested_message.value, request.connector_id)
        return m.ExtendedTriggerMessageResponse(status=m.TriggerMessageStatus(status))

    @after(Action.EXTENDED_TRIGGER_MESSAGE)
    async def extended_trigger_message_follow_up(
        self, request: m.ExtendedTriggerMessageRequest
    ) -> None:
        if self._accepted.pop(id(request), None) is request:
            await self._send(request.requested_message.value, request.connector_id, signed=True)

    # -- deciding --------------------------------------------------------------------------

    def _answer(self, request: BaseModel, requested: str, connector_id: int | None) -> str:
        status = self._status(requested, connector_id)
        log.info("trigger %s (connector %s): %s", requested, connector_id, status)
        if status == "Accepted":
            self._accepted[id(request)] = request
        return status

    def _status(self, requested: str, connector_id: int | None) -> str:
        if connector_id is not None and connector_id not in (0, *self.station.connectors):
            return "Rejected"  # TC_055
        if (
            requested == "BootNotification"
            and self.station.registration.accepted_on_this_connection
        ):
            return "Rejected"
        if requested in _SECURITY_ONLY and self._security() is None:
            return "NotImplemented"
        if (
            requested == "SignChargePointCertificate"
            and not self.station.settings.identity.charge_point_serial_number
        ):
            # Whitepaper Ed.3: the certificate's CN is the charge point's serial number; a
            # station file without one cannot ask for a certificate anyone should issue.
            return "Rejected"
        return "Accepted"

    # -- sending ---------------------------------------------------------------------------

    async def _send(self, requested: str, connector_id: int | None, *, signed: bool) -> None:
        with sending_triggered_message():
            await self._send_requested(requested, connector_id, signed=signed)

    async def _send_requested(
        self, requested: str, connector_id: int | None, *, signed: bool
    ) -> None:
        station = self.station
        try:
            if requested == "BootNotification":
                await station.registration.boot_once()
            elif requested == "Heartbeat":
                await station.registration.send_heartbeat()
            elif requested == "StatusNotification":
                targets = [connector_id] if connector_id is not None else [0, *station.connectors]
                for cid in targets:
                    await station.status_reporter.send_now(cid)
            elif requested == "MeterValues":
                targets = [connector_id] if connector_id else list(station.connectors)
                for cid in targets:
                    await self._meter_values(cid)
            elif requested == "DiagnosticsStatusNotification":
                await self._delegate(
                    getattr(station, "diagnostics", None),
                    "send_status_notification",
                    m.DiagnosticsStatusNotificationRequest(status=m.DiagnosticsStatus("Idle")),
                )
            elif requested == "FirmwareStatusNotification":
                await self._firmware_status(signed=signed)
            elif requested in ("LogStatusNotification", "SignChargePointCertificate"):
                security = self._security()
                if security is not None:
                    await security.trigger(requested, connector_id)
                else:
                    # Whitepaper: Idle when no log upload is in progress.
                    idle = m.LogStatusNotificationRequest(status=m.UploadLogStatus("Idle"))
                    await station.send(idle)
        except ChargestackError as exc:
            log.info("triggered %s not sent: %s", requested, exc)

    async def _meter_values(self, cid: int) -> None:
        """Errata 3.46: every MeterValuesSampledData measurand, context Trigger; a running
        transaction's sample carries its transactionId (errata 3.16)."""
        station = self.station
        measurands = list(station.config.get_csl("MeterValuesSampledData"))
        measurands = measurands or ["Energy.Active.Import.Register"]
        transactions: TransactionService = station.transactions  # type: ignore[attr-defined]
        tx = transactions.active_on(cid)
        if tx is not None:
            transactions.send_transaction_sample(tx, "Trigger", measurands)
            return
        reading = station.hardware.meter.read(cid)
        values = sampled_values(
            reading, transactions.registers.register_wh(cid), measurands, "Trigger"
        )
        request = m.MeterValuesRequest(
            connector_id=cid, meter_value=[meter_value(station.clock.now(), values)]
        )
        await station.send(request)

    async def _firmware_status(self, *, signed: bool) -> None:
        firmware = getattr(self.station, "firmware", None)
        if signed:
            # Whitepaper: ExtendedTriggerMessage(FirmwareStatusNotification) asks for the
            # SignedFirmwareStatusNotification of the signed-firmware workflow.
            idle: BaseModel = m.SignedFirmwareStatusNotificationRequest(
                status=m.SignedFirmwareStatus("Idle")
            )
            security = self._security()
            signed_firmware = getattr(security, "signed_firmware", None) if security else None
            await self._delegate(signed_firmware, "send_status_notification", idle)
        else:
            idle = m.FirmwareStatusNotificationRequest(status=m.FirmwareStatus("Idle"))
            await self._delegate(firmware, "send_status_notification", idle)

    async def _delegate(self, owner: Any, method: str, idle: BaseModel) -> None:
        """The owning service reports its job's status; with none, nothing is in progress."""
        send = getattr(owner, method, None) if owner is not None else None
        if send is not None:
            await send()
        else:
            await self.station.send(idle)

    def _security(self) -> Any:
        security = getattr(self.station, "security", None)
        return security if hasattr(security, "trigger") else None


class TriggerService(ExtendedTriggerService):
    """The RemoteTrigger profile (OCPP 1.6 section 5.17) on top of ExtendedTriggerMessage."""

    @on(Action.TRIGGER_MESSAGE)
    async def trigger_message(self, request: m.TriggerMessageRequest) -> m.TriggerMessageResponse:
        status = self._answer(request, request.requested_message.value, request.connector_id)
        return m.TriggerMessageResponse(status=m.TriggerMessageStatus(status))

    @after(Action.TRIGGER_MESSAGE)
    async def trigger_message_follow_up(self, request: m.TriggerMessageRequest) -> None:
        if self._accepted.pop(id(request), None) is request:
            await self._send(request.requested_message.value, request.connector_id, signed=False)
