"""Remote Trigger (OCPP 1.6 section 5.17) and the security whitepaper's ExtendedTriggerMessage.

The answer comes first and the requested message follows it (``@after``), as both
specifications ask, also while the registration is Pending (section 4.2). For MeterValues and
StatusNotification a connectorId the station does not have is Rejected, and so is MeterValues
of connector 0 (the main meter, which this charger does not have); the other messages ignore
the connectorId, which is not relevant to them. Errata 3.35/3.40:
once a BootNotification was Accepted on this connection, triggering another is Rejected.

The status notifications of other blocks' jobs (firmware, diagnostics, log upload, signed
firmware) and the certificate signing request come from the ``TriggerableMessages`` those
blocks registered; where none is registered nothing is in progress, so the idle status is
sent (and a certificate signing request is NotImplemented).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from pydantic import BaseModel

from chargestack.exceptions import ChargestackError
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import after, on
from chargestack.station.block import Block
from chargestack.station.extension_points import TriggerableMessages
from chargestack.station.ports import Send
from chargestack.station.registration import Registration, sending_triggered_message
from chargestack.station.status_reporter import StatusReporter

log = logging.getLogger("chargestack.trigger")

#: Sends a MeterValues of context Trigger for a connector (the Core profile's metering).
SendMeterValues = Callable[[int], Awaitable[None]]

# Whitepaper section 2.3 (ExtendedTriggerMessage): a requested message that only a block's
# own workflow can send, and the message it sends. Without that block: NotImplemented.
_WORKFLOW_ONLY = {"SignChargePointCertificate": "SignCertificate"}

# The requested messages a connectorId is relevant to (section 5.17); the others are the
# station's as a whole.
_PER_CONNECTOR = frozenset({"MeterValues", "StatusNotification"})

# What each requested status notification is when the block that owns it is absent or idle.
_IDLE: dict[str, Callable[[], BaseModel]] = {
    "DiagnosticsStatusNotification": lambda: m.DiagnosticsStatusNotificationRequest(
        status=m.DiagnosticsStatus("Idle")
    ),
    "FirmwareStatusNotification": lambda: m.FirmwareStatusNotificationRequest(
        status=m.FirmwareStatus("Idle")
    ),
    # Whitepaper: ExtendedTriggerMessage(FirmwareStatusNotification) asks for the
    # SignedFirmwareStatusNotification of the signed-firmware workflow.
    "SignedFirmwareStatusNotification": lambda: m.SignedFirmwareStatusNotificationRequest(
        status=m.SignedFirmwareStatus("Idle")
    ),
    # Whitepaper: Idle when no log upload is in progress.
    "LogStatusNotification": lambda: m.LogStatusNotificationRequest(
        status=m.UploadLogStatus("Idle")
    ),
}


class ExtendedTriggerService(Block):
    """The whitepaper's ExtendedTriggerMessage: part of the security extension, so answered
    by every charger, with or without the RemoteTrigger profile."""

    def __init__(
        self,
        *,
        connector_ids: Iterable[int],
        registration: Registration,
        status_reporter: StatusReporter,
        send: Send,
        send_meter_values: SendMeterValues,
        messages: TriggerableMessages,
        serial_number: str | None,
    ) -> None:
        self._connector_ids = tuple(connector_ids)
        self._registration = registration
        self._status_reporter = status_reporter
        self._send = send
        self._send_meter_values = send_meter_values
        self._messages = messages
        self._serial_number = serial_number
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
            await self._send_triggered(
                request.requested_message.value, request.connector_id, signed=True
            )

    # -- deciding --------------------------------------------------------------------------

    def _answer(self, request: BaseModel, requested: str, connector_id: int | None) -> str:
        status = self._status(requested, connector_id)
        log.info("trigger %s (connector %s): %s", requested, connector_id, status)
        if status == "Accepted":
            self._accepted[id(request)] = request
        return status

    def _status(self, requested: str, connector_id: int | None) -> str:
        # Section 5.17: "if the specified connectorId is not relevant to the message, it
        # should be ignored. In such cases the requested message should still be sent."
        relevant = requested in _PER_CONNECTOR
        if relevant and connector_id is not None and connector_id not in (0, *self._connector_ids):
            return "Rejected"  # TC_055
        if requested == "MeterValues" and connector_id == 0:
            # Section 4.7: connectorId 0 is the main energy meter; this charger meters its
            # connectors only, and other connectors' values are not connector 0's.
            return "Rejected"
        if requested == "BootNotification" and self._registration.accepted_on_this_connection:
            return "Rejected"
        workflow = _WORKFLOW_ONLY.get(requested)
        if workflow is not None and self._messages.sender(workflow) is None:
            return "NotImplemented"
        if requested == "SignChargePointCertificate" and not self._serial_number:
            # Whitepaper Ed.3: the certificate's CN is the charge point's serial number; a
            # station file without one cannot ask for a certificate anyone should issue.
            return "Rejected"
        return "Accepted"

    # -- sending ---------------------------------------------------------------------------

    async def _send_triggered(
        self, requested: str, connector_id: int | None, *, signed: bool
    ) -> None:
        with sending_triggered_message():
            try:
                await self._send_requested(requested, connector_id, signed=signed)
            except ChargestackError as exc:
                log.info("triggered %s not sent: %s", requested, exc)

    async def _send_requested(
        self, requested: str, connector_id: int | None, *, signed: bool
    ) -> None:
        if requested == "BootNotification":
            await self._registration.boot_once()
        elif requested == "Heartbeat":
            await self._registration.send_heartbeat()
        elif requested == "StatusNotification":
            targets = [connector_id] if connector_id is not None else [0, *self._connector_ids]
            for cid in targets:
                await self._status_reporter.send_now(cid)
        elif requested == "MeterValues":
            # Section 5.17: no connectorId is every connector that has a meter.
            for cid in [connector_id] if connector_id is not None else self._connector_ids:
                await self._send_meter_values(cid)
        elif requested == "FirmwareStatusNotification" and signed:
            await self._send_status("SignedFirmwareStatusNotification")
        elif requested in _WORKFLOW_ONLY:
            await self._send_status(_WORKFLOW_ONLY[requested])
        else:
            await self._send_status(requested)

    async def _send_status(self, action: str) -> None:
        """The owning block reports its job's status; with none, nothing is in progress."""
        send = self._messages.sender(action)
        if send is not None:
            await send()
            return
        idle = _IDLE.get(action)
        if idle is not None:
            await self._send(idle())


class TriggerService(ExtendedTriggerService):
    """The RemoteTrigger profile (OCPP 1.6 section 5.17) on top of ExtendedTriggerMessage."""

    @on(Action.TRIGGER_MESSAGE)
    async def trigger_message(self, request: m.TriggerMessageRequest) -> m.TriggerMessageResponse:
        status = self._answer(request, request.requested_message.value, request.connector_id)
        return m.TriggerMessageResponse(status=m.TriggerMessageStatus(status))

    @after(Action.TRIGGER_MESSAGE)
    async def trigger_message_follow_up(self, request: m.TriggerMessageRequest) -> None:
        if self._accepted.pop(id(request), None) is request:
            await self._send_triggered(
                request.requested_message.value, request.connector_id, signed=False
            )
