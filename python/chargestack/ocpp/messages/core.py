"""Core profile messages the charge point initiates (OCPP 1.6 section 4), plus DataTransfer.

DataTransfer (section 4.3 / 5.6) may be initiated by either side; it lives here once.
"""

from __future__ import annotations

from pydantic import Field

from chargestack.ocpp.messages.base import (
    CiString20,
    CiString25,
    CiString50,
    CiString255,
    DateTime,
    IdToken,
    OcppModel,
)
from chargestack.ocpp.messages.datatypes import IdTagInfo, MeterValue
from chargestack.ocpp.messages.enums import (
    ChargePointErrorCode,
    ChargePointStatus,
    DataTransferStatus,
    Reason,
    RegistrationStatus,
)


class AuthorizeRequest(OcppModel):
    id_tag: IdToken = Field(alias="idTag")


class AuthorizeResponse(OcppModel):
    id_tag_info: IdTagInfo = Field(alias="idTagInfo")


class BootNotificationRequest(OcppModel):
    charge_point_vendor: CiString20 = Field(alias="chargePointVendor")
    charge_point_model: CiString20 = Field(alias="chargePointModel")
    charge_point_serial_number: CiString25 | None = Field(
        default=None, alias="chargePointSerialNumber"
    )
    charge_box_serial_number: CiString25 | None = Field(default=None, alias="chargeBoxSerialNumber")
    firmware_version: CiString50 | None = Field(default=None, alias="firmwareVersion")
    iccid: CiString20 | None = Field(default=None, alias="iccid")
    imsi: CiString20 | None = Field(default=None, alias="imsi")
    meter_type: CiString25 | None = Field(default=None, alias="meterType")
    meter_serial_number: CiString25 | None = Field(default=None, alias="meterSerialNumber")


class BootNotificationResponse(OcppModel):
    status: RegistrationStatus = Field(alias="status")
    current_time: DateTime = Field(alias="currentTime")
    interval: int = Field(alias="interval")


class DataTransferRequest(OcppModel):
    vendor_id: CiString255 = Field(alias="vendorId")
    message_id: CiString50 | None = Field(default=None, alias="messageId")
    # Free text of unlimited length (section 4.3): vendors put JSON or base64 here.
    data: str | None = Field(default=None, alias="data")


class DataTransferResponse(OcppModel):
    status: DataTransferStatus = Field(alias="status")
    data: str | None = Field(default=None, alias="data")


class HeartbeatRequest(OcppModel):
    pass


class HeartbeatResponse(OcppModel):
    current_time: DateTime = Field(alias="currentTime")


class MeterValuesRequest(OcppModel):
    connector_id: int = Field(alias="connectorId")
    meter_value: list[MeterValue] = Field(alias="meterValue", min_length=1)
    # Errata 3.16: omitted for connector 0 and for samples taken outside a transaction.
    transaction_id: int | None = Field(default=None, alias="transactionId")


class MeterValuesResponse(OcppModel):
    pass


class StartTransactionRequest(OcppModel):
    connector_id: int = Field(alias="connectorId")
    id_tag: IdToken = Field(alias="idTag")
    # Integer Wh of the register, not re-based per transaction (errata 3.9).
    meter_start: int = Field(alias="meterStart")
    timestamp: DateTime = Field(alias="timestamp")
    reservation_id: int | None = Field(default=None, alias="reservationId")


class StartTransactionResponse(OcppModel):
    id_tag_info: IdTagInfo = Field(alias="idTagInfo")
    transaction_id: int = Field(alias="transactionId")


class StatusNotificationRequest(OcppModel):
    connector_id: int = Field(alias="connectorId")
    error_code: ChargePointErrorCode = Field(alias="errorCode")
    status: ChargePointStatus = Field(alias="status")
    info: CiString50 | None = Field(default=None, alias="info")
    timestamp: DateTime | None = Field(default=None, alias="timestamp")
    vendor_id: CiString255 | None = Field(default=None, alias="vendorId")
    vendor_error_code: CiString50 | None = Field(default=None, alias="vendorErrorCode")


class StatusNotificationResponse(OcppModel):
    pass


class StopTransactionRequest(OcppModel):
    transaction_id: int = Field(alias="transactionId")
    meter_stop: int = Field(alias="meterStop")
    timestamp: DateTime = Field(alias="timestamp")
    id_tag: IdToken | None = Field(default=None, alias="idTag")
    # Optional since the OCPP-J errata: absent means "Local".
    reason: Reason | None = Field(default=None, alias="reason")
    transaction_data: list[MeterValue] | None = Field(default=None, alias="transactionData")


class StopTransactionResponse(OcppModel):
    id_tag_info: IdTagInfo | None = Field(default=None, alias="idTagInfo")
