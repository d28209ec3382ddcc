"""Messages of the OCPP 1.6 security whitepaper (edition 3): ordinary OCPP-J CALLs."""

from __future__ import annotations

from pydantic import Field

from chargestack.ocpp.messages.base import (
    CiString50,
    CiString255,
    CiString5500,
    CiString10000,
    DateTime,
    OcppModel,
)
from chargestack.ocpp.messages.datatypes import CertificateHashData, FirmwareType, LogParameters
from chargestack.ocpp.messages.enums import TriggerMessageStatus
from chargestack.ocpp.messages.security_enums import (
    CertificateSignedStatus,
    CertificateUse,
    DeleteCertificateStatus,
    ExtendedMessageTrigger,
    GenericStatus,
    GetInstalledCertificateStatus,
    InstallCertificateStatus,
    LogStatus,
    LogType,
    SignedFirmwareStatus,
    SignedUpdateFirmwareStatus,
    UploadLogStatus,
)


class CertificateSignedRequest(OcppModel):
    certificate_chain: CiString10000 = Field(alias="certificateChain")


class CertificateSignedResponse(OcppModel):
    status: CertificateSignedStatus = Field(alias="status")


class DeleteCertificateRequest(OcppModel):
    certificate_hash_data: CertificateHashData = Field(alias="certificateHashData")


class DeleteCertificateResponse(OcppModel):
    status: DeleteCertificateStatus = Field(alias="status")


class ExtendedTriggerMessageRequest(OcppModel):
    requested_message: ExtendedMessageTrigger = Field(alias="requestedMessage")
    connector_id: int | None = Field(default=None, alias="connectorId")


class ExtendedTriggerMessageResponse(OcppModel):
    status: TriggerMessageStatus = Field(alias="status")


class GetInstalledCertificateIdsRequest(OcppModel):
    certificate_type: CertificateUse = Field(alias="certificateType")


class GetInstalledCertificateIdsResponse(OcppModel):
    status: GetInstalledCertificateStatus = Field(alias="status")
    # minItems 1: with nothing installed the answer is NotFound without this field.
    certificate_hash_data: list[CertificateHashData] | None = Field(
        default=None, alias="certificateHashData", min_length=1
    )


class GetLogRequest(OcppModel):
    log: LogParameters = Field(alias="log")
    log_type: LogType = Field(alias="logType")
    request_id: int = Field(alias="requestId")
    retries: int | None = Field(default=None, alias="retries")
    retry_interval: int | None = Field(default=None, alias="retryInterval")


class GetLogResponse(OcppModel):
    status: LogStatus = Field(alias="status")
    filename: CiString255 | None = Field(default=None, alias="filename")


class InstallCertificateRequest(OcppModel):
    certificate_type: CertificateUse = Field(alias="certificateType")
    certificate: CiString5500 = Field(alias="certificate")


class InstallCertificateResponse(OcppModel):
    status: InstallCertificateStatus = Field(alias="status")


class LogStatusNotificationRequest(OcppModel):
    status: UploadLogStatus = Field(alias="status")
    request_id: int | None = Field(default=None, alias="requestId")


class LogStatusNotificationResponse(OcppModel):
    pass


class SecurityEventNotificationRequest(OcppModel):
    # A free CiString50: the whitepaper's event list is open (vendors add their own).
    type: CiString50 = Field(alias="type")
    timestamp: DateTime = Field(alias="timestamp")
    tech_info: CiString255 | None = Field(default=None, alias="techInfo")


class SecurityEventNotificationResponse(OcppModel):
    pass


class SignCertificateRequest(OcppModel):
    csr: CiString5500 = Field(alias="csr")


class SignCertificateResponse(OcppModel):
    status: GenericStatus = Field(alias="status")


class SignedFirmwareStatusNotificationRequest(OcppModel):
    status: SignedFirmwareStatus = Field(alias="status")
    request_id: int | None = Field(default=None, alias="requestId")


class SignedFirmwareStatusNotificationResponse(OcppModel):
    pass


class SignedUpdateFirmwareRequest(OcppModel):
    request_id: int = Field(alias="requestId")
    firmware: FirmwareType = Field(alias="firmware")
    retries: int | None = Field(default=None, alias="retries")
    retry_interval: int | None = Field(default=None, alias="retryInterval")


class SignedUpdateFirmwareResponse(OcppModel):
    status: SignedUpdateFirmwareStatus = Field(alias="status")
