"""Smart Charging profile messages (OCPP 1.6 sections 5.5, 5.7, 5.16)."""

from __future__ import annotations

from pydantic import Field

from chargestack.ocpp.messages.base import DateTime, OcppModel
from chargestack.ocpp.messages.datatypes import ChargingProfile, ChargingSchedule
from chargestack.ocpp.messages.enums import (
    ChargingProfilePurposeType,
    ChargingProfileStatus,
    ChargingRateUnitType,
    ClearChargingProfileStatus,
    GetCompositeScheduleStatus,
)


class ClearChargingProfileRequest(OcppModel):
    """Errata 3.25/3.26: no field clears all; several fields combine with AND; ``id`` wins."""

    id: int | None = Field(default=None, alias="id")
    connector_id: int | None = Field(default=None, alias="connectorId")
    charging_profile_purpose: ChargingProfilePurposeType | None = Field(
        default=None, alias="chargingProfilePurpose"
    )
    stack_level: int | None = Field(default=None, alias="stackLevel")


class ClearChargingProfileResponse(OcppModel):
    status: ClearChargingProfileStatus = Field(alias="status")


class GetCompositeScheduleRequest(OcppModel):
    connector_id: int = Field(alias="connectorId")
    duration: int = Field(alias="duration")
    charging_rate_unit: ChargingRateUnitType | None = Field(default=None, alias="chargingRateUnit")


class GetCompositeScheduleResponse(OcppModel):
    status: GetCompositeScheduleStatus = Field(alias="status")
    connector_id: int | None = Field(default=None, alias="connectorId")
    schedule_start: DateTime | None = Field(default=None, alias="scheduleStart")
    charging_schedule: ChargingSchedule | None = Field(default=None, alias="chargingSchedule")


class SetChargingProfileRequest(OcppModel):
    connector_id: int = Field(alias="connectorId")
    cs_charging_profiles: ChargingProfile = Field(alias="csChargingProfiles")


class SetChargingProfileResponse(OcppModel):
    status: ChargingProfileStatus = Field(alias="status")
