"""Composite datatypes shared by several payloads (OCPP 1.6 section 7, whitepaper section 3)."""

from __future__ import annotations

from pydantic import Field

from chargestack.ocpp.messages.base import (
    CiString40,
    CiString50,
    CiString128,
    CiString500,
    CiString512,
    CiString800,
    CiString5500,
    DateTime,
    IdToken,
    OcppModel,
    Tenths,
)
from chargestack.ocpp.messages.enums import (
    AuthorizationStatus,
    ChargingProfileKindType,
    ChargingProfilePurposeType,
    ChargingRateUnitType,
    Location,
    Measurand,
    Phase,
    ReadingContext,
    RecurrencyKindType,
    UnitOfMeasure,
    ValueFormat,
)
from chargestack.ocpp.messages.security_enums import HashAlgorithm


class IdTagInfo(OcppModel):
    status: AuthorizationStatus = Field(alias="status")
    expiry_date: DateTime | None = Field(default=None, alias="expiryDate")
    parent_id_tag: IdToken | None = Field(default=None, alias="parentIdTag")


class AuthorizationData(OcppModel):
    """One entry of SendLocalList; no ``idTagInfo`` in a Differential update removes the tag."""

    id_tag: IdToken = Field(alias="idTag")
    id_tag_info: IdTagInfo | None = Field(default=None, alias="idTagInfo")


class SampledValue(OcppModel):
    # Section 7.43: the value is a string even for numbers (it may carry signed data).
    value: str = Field(alias="value")
    context: ReadingContext | None = Field(default=None, alias="context")
    format: ValueFormat | None = Field(default=None, alias="format")
    measurand: Measurand | None = Field(default=None, alias="measurand")
    phase: Phase | None = Field(default=None, alias="phase")
    location: Location | None = Field(default=None, alias="location")
    unit: UnitOfMeasure | None = Field(default=None, alias="unit")


class MeterValue(OcppModel):
    timestamp: DateTime = Field(alias="timestamp")
    # Section 7.32 gives sampledValue cardinality 1..*; the installed MeterValues schema says
    # minItems 1 too, the StopTransaction one does not. One type, the specification's rule.
    sampled_value: list[SampledValue] = Field(alias="sampledValue", min_length=1)


class ChargingSchedulePeriod(OcppModel):
    start_period: int = Field(alias="startPeriod")
    limit: Tenths = Field(alias="limit")
    number_phases: int | None = Field(default=None, alias="numberPhases")


class ChargingSchedule(OcppModel):
    charging_rate_unit: ChargingRateUnitType = Field(alias="chargingRateUnit")
    charging_schedule_period: list[ChargingSchedulePeriod] = Field(alias="chargingSchedulePeriod")
    duration: int | None = Field(default=None, alias="duration")
    start_schedule: DateTime | None = Field(default=None, alias="startSchedule")
    min_charging_rate: Tenths | None = Field(default=None, alias="minChargingRate")


class ChargingProfile(OcppModel):
    charging_profile_id: int = Field(alias="chargingProfileId")
    stack_level: int = Field(alias="stackLevel")
    charging_profile_purpose: ChargingProfilePurposeType = Field(alias="chargingProfilePurpose")
    charging_profile_kind: ChargingProfileKindType = Field(alias="chargingProfileKind")
    charging_schedule: ChargingSchedule = Field(alias="chargingSchedule")
    transaction_id: int | None = Field(default=None, alias="transactionId")
    recurrency_kind: RecurrencyKindType | None = Field(default=None, alias="recurrencyKind")
    valid_from: DateTime | None = Field(default=None, alias="validFrom")
    valid_to: DateTime | None = Field(default=None, alias="validTo")


class KeyValue(OcppModel):
    """One entry of GetConfiguration.conf ``configurationKey``."""

    key: CiString50 = Field(alias="key")
    readonly: bool = Field(alias="readonly")
    value: CiString500 | None = Field(default=None, alias="value")


class CertificateHashData(OcppModel):
    hash_algorithm: HashAlgorithm = Field(alias="hashAlgorithm")
    issuer_name_hash: CiString128 = Field(alias="issuerNameHash")
    issuer_key_hash: CiString128 = Field(alias="issuerKeyHash")
    serial_number: CiString40 = Field(alias="serialNumber")


class LogParameters(OcppModel):
    remote_location: CiString512 = Field(alias="remoteLocation")
    oldest_timestamp: DateTime | None = Field(default=None, alias="oldestTimestamp")
    latest_timestamp: DateTime | None = Field(default=None, alias="latestTimestamp")


class FirmwareType(OcppModel):
    """The ``firmware`` of SignedUpdateFirmware."""

    location: CiString512 = Field(alias="location")
    retrieve_date_time: DateTime = Field(alias="retrieveDateTime")
    signing_certificate: CiString5500 = Field(alias="signingCertificate")
    signature: CiString800 = Field(alias="signature")
    install_date_time: DateTime | None = Field(default=None, alias="installDateTime")
