"""Firmware Management profile messages (OCPP 1.6 sections 4.4, 4.5, 5.9, 5.19)."""

from __future__ import annotations

from pydantic import Field

from chargestack.ocpp.messages.base import CiString255, DateTime, OcppModel, Uri
from chargestack.ocpp.messages.enums import DiagnosticsStatus, FirmwareStatus


class DiagnosticsStatusNotificationRequest(OcppModel):
    status: DiagnosticsStatus = Field(alias="status")


class DiagnosticsStatusNotificationResponse(OcppModel):
    pass


class FirmwareStatusNotificationRequest(OcppModel):
    status: FirmwareStatus = Field(alias="status")


class FirmwareStatusNotificationResponse(OcppModel):
    pass


class GetDiagnosticsRequest(OcppModel):
    location: Uri = Field(alias="location")
    retries: int | None = Field(default=None, alias="retries")
    retry_interval: int | None = Field(default=None, alias="retryInterval")
    start_time: DateTime | None = Field(default=None, alias="startTime")
    stop_time: DateTime | None = Field(default=None, alias="stopTime")


class GetDiagnosticsResponse(OcppModel):
    # Absent when there is no diagnostics information to upload (section 6.30).
    file_name: CiString255 | None = Field(default=None, alias="fileName")


class UpdateFirmwareRequest(OcppModel):
    location: Uri = Field(alias="location")
    retrieve_date: DateTime = Field(alias="retrieveDate")
    retries: int | None = Field(default=None, alias="retries")
    retry_interval: int | None = Field(default=None, alias="retryInterval")


class UpdateFirmwareResponse(OcppModel):
    pass
