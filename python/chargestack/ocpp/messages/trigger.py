"""Remote Trigger profile messages (OCPP 1.6 section 5.17)."""

from __future__ import annotations

from pydantic import Field

from chargestack.ocpp.messages.base import OcppModel
from chargestack.ocpp.messages.enums import MessageTrigger, TriggerMessageStatus


class TriggerMessageRequest(OcppModel):
    requested_message: MessageTrigger = Field(alias="requestedMessage")
    connector_id: int | None = Field(default=None, alias="connectorId")


class TriggerMessageResponse(OcppModel):
    status: TriggerMessageStatus = Field(alias="status")
