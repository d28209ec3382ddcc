"""Core profile messages the central system initiates (OCPP 1.6 section 5)."""

from __future__ import annotations

from pydantic import Field

from chargestack.ocpp.messages.base import CiString50, CiString500, IdToken, OcppModel
from chargestack.ocpp.messages.datatypes import ChargingProfile, KeyValue
from chargestack.ocpp.messages.enums import (
    AvailabilityStatus,
    AvailabilityType,
    ClearCacheStatus,
    ConfigurationStatus,
    RemoteStartStopStatus,
    ResetStatus,
    ResetType,
    UnlockStatus,
)


class ChangeAvailabilityRequest(OcppModel):
    connector_id: int = Field(alias="connectorId")
    type: AvailabilityType = Field(alias="type")


class ChangeAvailabilityResponse(OcppModel):
    status: AvailabilityStatus = Field(alias="status")


class ChangeConfigurationRequest(OcppModel):
    key: CiString50 = Field(alias="key")
    value: CiString500 = Field(alias="value")


class ChangeConfigurationResponse(OcppModel):
    status: ConfigurationStatus = Field(alias="status")


class ClearCacheRequest(OcppModel):
    pass


class ClearCacheResponse(OcppModel):
    status: ClearCacheStatus = Field(alias="status")


class GetConfigurationRequest(OcppModel):
    key: list[CiString50] | None = Field(default=None, alias="key")


class GetConfigurationResponse(OcppModel):
    configuration_key: list[KeyValue] | None = Field(default=None, alias="configurationKey")
    unknown_key: list[CiString50] | None = Field(default=None, alias="unknownKey")


class RemoteStartTransactionRequest(OcppModel):
    id_tag: IdToken = Field(alias="idTag")
    connector_id: int | None = Field(default=None, alias="connectorId")
    # Errata 3.41: must be a TxProfile without transactionId; checked by the handler, which
    # answers Rejected rather than a CALLERROR.
    charging_profile: ChargingProfile | None = Field(default=None, alias="chargingProfile")


class RemoteStartTransactionResponse(OcppModel):
    status: RemoteStartStopStatus = Field(alias="status")


class RemoteStopTransactionRequest(OcppModel):
    transaction_id: int = Field(alias="transactionId")


class RemoteStopTransactionResponse(OcppModel):
    status: RemoteStartStopStatus = Field(alias="status")


class ResetRequest(OcppModel):
    type: ResetType = Field(alias="type")


class ResetResponse(OcppModel):
    status: ResetStatus = Field(alias="status")


class UnlockConnectorRequest(OcppModel):
    connector_id: int = Field(alias="connectorId")


class UnlockConnectorResponse(OcppModel):
    status: UnlockStatus = Field(alias="status")
