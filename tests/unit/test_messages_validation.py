"""Payload validation: OCPP-J 1.6 section 4.2.3 error codes, date-times, tenths, wire names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from chargestack.exceptions import (
    FormationViolationError,
    NotImplementedOcppError,
    OccurenceConstraintViolationError,
    OcppError,
    PropertyConstraintViolationError,
    TypeConstraintViolationError,
)
from chargestack.ocpp.messages import (
    AuthorizationStatus,
    ChargingProfile,
    ChargingProfileKindType,
    ChargingProfilePurposeType,
    ChargingRateUnitType,
    ChargingSchedule,
    ChargingSchedulePeriod,
    HeartbeatRequest,
    HeartbeatResponse,
    IdTagInfo,
    SetChargingProfileRequest,
    StartTransactionRequest,
    dump_payload,
    parse_request,
    parse_response,
    parse_rfc3339,
)

START = '"connectorId": 1, "idTag": "04E91C5A", "meterStart": 1200'
NOW = '"timestamp": "2026-11-24T01:52:21.123Z"'


@pytest.mark.parametrize(
    ("payload", "error", "field"),
    [
        ("not json", FormationViolationError, "$"),
        ("[]", FormationViolationError, "$"),
        ('"{}"', FormationViolationError, "$"),
        (f'{{{START}, {NOW}, "vendorField": 1}}', FormationViolationError, "vendorField"),
        # Attribute names are not wire names.
        (
            f'{{{START}, "time_stamp": "2026-11-24T01:52:21Z"}}',
            FormationViolationError,
            "time_stamp",
        ),
        (f"{{{START}}}", OccurenceConstraintViolationError, "timestamp"),
        (f'{{{START}, "timestamp": 1767225600}}', TypeConstraintViolationError, "timestamp"),
        (
            f'{{{START}, {NOW}, "reservationId": null}}',
            TypeConstraintViolationError,
            "reservationId",
        ),
        (
            f'{{{START}, {NOW}, "reservationId": 1.5}}',
            TypeConstraintViolationError,
            "reservationId",
        ),
        (
            f'{{{START}, {NOW}, "reservationId": 1.0}}',
            TypeConstraintViolationError,
            "reservationId",
        ),
        (
            f'{{{START}, {NOW}, "reservationId": "1"}}',
            TypeConstraintViolationError,
            "reservationId",
        ),
        (f'{{{START}, "timestamp": "2026-11-24"}}', PropertyConstraintViolationError, "timestamp"),
    ],
)
def test_start_transaction_errors_carry_the_spec_code_and_path(
    payload: str, error: type[OcppError], field: str
) -> None:
    with pytest.raises(error) as caught:
        parse_request("StartTransaction", payload)
    assert caught.value.details == {"field": field}
    assert caught.value.description.startswith(f"{field}: ")


def test_nested_paths_name_every_level() -> None:
    payload = (
        '{"connectorId": 1, "meterValue": [{"timestamp": "2026-11-24T01:52:21Z",'
        ' "sampledValue": [{"value": "1", "unit": "kWh"}, {"value": "2", "unit": "Hertz"}]}]}'
    )
    with pytest.raises(PropertyConstraintViolationError) as caught:
        parse_request("MeterValues", payload)
    assert caught.value.details == {"field": "meterValue[0].sampledValue[1].unit"}


def test_enum_outside_its_values_is_a_property_violation() -> None:
    # Errata 3.24: an unknown chargingRateUnit is a PropertyConstraintViolation.
    with pytest.raises(PropertyConstraintViolationError):
        parse_request(
            "GetCompositeSchedule", '{"connectorId": 1, "duration": 60, "chargingRateUnit": "kW"}'
        )
    with pytest.raises(TypeConstraintViolationError):
        parse_request(
            "GetCompositeSchedule", '{"connectorId": 1, "duration": 60, "chargingRateUnit": 1}'
        )


def test_too_long_cistring_is_a_property_violation() -> None:
    parse_request("Authorize", '{"idTag": "' + "x" * 20 + '"}')
    with pytest.raises(PropertyConstraintViolationError):
        parse_request("Authorize", '{"idTag": "' + "x" * 21 + '"}')


def test_structure_is_reported_before_values() -> None:
    with pytest.raises(FormationViolationError):
        parse_request("Authorize", '{"idTag": "' + "x" * 21 + '", "extra": true}')


def test_empty_array_where_one_item_is_required_is_an_occurrence_violation() -> None:
    with pytest.raises(OccurenceConstraintViolationError):
        parse_request("MeterValues", '{"connectorId": 1, "meterValue": []}')


def test_unknown_action_is_not_implemented() -> None:
    with pytest.raises(NotImplementedOcppError):
        parse_request("bootNotification", "{}")


def test_bytes_payloads_are_accepted_and_bad_utf8_is_a_formation_violation() -> None:
    assert parse_request("Heartbeat", b"{}") == HeartbeatRequest()
    with pytest.raises(FormationViolationError):
        parse_request("Authorize", b'{"idTag": "\xff"}')


def test_uri_needs_a_scheme() -> None:
    parse_request(
        "UpdateFirmware",
        '{"location": "ftp://u:p@host/fw.bin", "retrieveDate": "2026-11-24T01:52:21Z"}',
    )
    with pytest.raises(PropertyConstraintViolationError):
        parse_request(
            "UpdateFirmware", '{"location": "host/fw.bin", "retrieveDate": "2026-11-24T01:52:21Z"}'
        )


# -- date-times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24T01:52:21Z", datetime(2026, 11, 24, 1, 52, 21, tzinfo=UTC)),
        ("2026-11-24t01:52:21z", datetime(2026, 11, 24, 1, 52, 21, tzinfo=UTC)),
        ("2024-02-29T00:00:00+00:00", datetime(2024, 2, 29, tzinfo=UTC)),
        (
            "2026-11-24T02:52:21.1234567+01:00",
            datetime(2026, 11, 24, 2, 52, 21, 123456, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_incoming_date_times_accept_rfc3339(text: str, expected: datetime) -> None:
    parsed = parse_rfc3339(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "2025-02-29T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "2026-06-30T23:59:60Z",
        "2026-11-24T01:52:21",
        "2026-11-24 01:52:21Z",
        "2026-11-24T01:52:21+01",
        "2026-11-24T01:52:21Z\n",
        "\uff12\uff10\uff12\uff16-11-24T01:52:21Z",  # fullwidth digits
    ],
)
def test_incoming_date_times_reject_everything_else(text: str) -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_rfc3339(text)


def test_outgoing_date_times_are_utc_with_milliseconds() -> None:
    local = datetime(2026, 11, 24, 2, 52, 21, 123999, tzinfo=timezone(timedelta(hours=1)))
    assert dump_payload(HeartbeatResponse(current_time=local)) == (
        '{"currentTime":"2026-11-24T01:52:21.123Z"}'
    )
    whole = datetime(2026, 1, 1, tzinfo=UTC)
    assert dump_payload(HeartbeatResponse(current_time=whole)) == (
        '{"currentTime":"2026-01-01T00:00:00.000Z"}'
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError):
        HeartbeatResponse(current_time=datetime(2026, 1, 1))


# -- tenths (multipleOf 0.1) ---------------------------------------------------------------------


def _profile_payload(limit: str) -> str:
    return (
        '{"connectorId": 1, "csChargingProfiles": {"chargingProfileId": 1, "stackLevel": 0,'
        ' "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",'
        ' "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod":'
        f' [{{"startPeriod": 0, "limit": {limit}}}]}}}}}}'
    )


def test_limits_are_exact_tenths() -> None:
    request = parse_request("SetChargingProfile", _profile_payload("21.4"))
    assert isinstance(request, SetChargingProfileRequest)
    period = request.cs_charging_profiles.charging_schedule.charging_schedule_period[0]
    # A binary float would make this 21.399999...; the spec means the decimal 21.4.
    assert period.limit == Decimal("21.4")
    assert parse_request("SetChargingProfile", _profile_payload("32")) is not None
    with pytest.raises(PropertyConstraintViolationError):
        parse_request("SetChargingProfile", _profile_payload("21.45"))
    with pytest.raises(TypeConstraintViolationError):
        parse_request("SetChargingProfile", _profile_payload('"21.4"'))


def test_limits_are_sent_as_json_numbers() -> None:
    profile = ChargingProfile(
        charging_profile_id=3,
        stack_level=1,
        charging_profile_purpose=ChargingProfilePurposeType.TX_PROFILE,
        charging_profile_kind=ChargingProfileKindType.ABSOLUTE,
        charging_schedule=ChargingSchedule(
            charging_rate_unit=ChargingRateUnitType.W,
            charging_schedule_period=[
                ChargingSchedulePeriod(start_period=0, limit=Decimal("11000.5"), number_phases=3)
            ],
        ),
    )
    text = dump_payload(SetChargingProfileRequest(connector_id=0, cs_charging_profiles=profile))
    assert '"limit":11000.5' in text
    assert parse_request("SetChargingProfile", text) == SetChargingProfileRequest(
        connector_id=0, cs_charging_profiles=profile
    )


# -- Python construction ----------------------------------------------------------------------


def test_python_callers_use_attribute_names_and_none_for_absent() -> None:
    info = IdTagInfo(status=AuthorizationStatus.ACCEPTED, expiry_date=None, parent_id_tag=None)
    assert dump_payload(info) == '{"status":"Accepted"}'
    start = StartTransactionRequest(
        connector_id=1, id_tag="04E91C5A", meter_start=0, timestamp=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert parse_response("Authorize", '{"idTagInfo": {"status": "Accepted"}}') is not None
    assert dump_payload(start) == (
        '{"connectorId":1,"idTag":"04E91C5A","meterStart":0,"timestamp":"2026-01-01T00:00:00.000Z"}'
    )


def test_python_construction_is_strict() -> None:
    with pytest.raises(ValidationError):
        StartTransactionRequest(
            connector_id=True, id_tag="A", meter_start=0, timestamp=datetime(2026, 1, 1, tzinfo=UTC)
        )
    with pytest.raises(ValidationError):
        IdTagInfo(status="Accepted")  # type: ignore[arg-type]
