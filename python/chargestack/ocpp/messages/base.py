"""The base model and the primitive wire types shared by every OCPP 1.6 payload.

Each type here mirrors one construct of the official JSON schemas (draft-04): ``CiStringN`` is
``{"type": "string", "maxLength": N}``, :data:`DateTime` is ``"format": "date-time"``,
:data:`Tenths` is ``{"type": "number", "multipleOf": 0.1}``. The models are hand-written;
the schemas shipped in the PyPI ``ocpp`` package are only the test oracle.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
)
from pydantic_core import PydanticCustomError


class OcppModel(BaseModel):
    """Base of every payload and datatype: exact wire names, nothing extra, no coercion.

    Attributes are snake_case; each carries its wire name as alias. Serialise with
    :func:`chargestack.ocpp.messages.dump_payload` (``by_alias=True, exclude_none=True``).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, strict=True, frozen=True)
    # A JSON null is refused for every field, optional ones included (the schemas type no
    # field as "null"), by validation.validate_payload: one scan of the payload instead of a
    # Python validator call per field. Python callers may pass None for "absent".


CiString20 = Annotated[str, StringConstraints(max_length=20)]
CiString25 = Annotated[str, StringConstraints(max_length=25)]
CiString40 = Annotated[str, StringConstraints(max_length=40)]
CiString50 = Annotated[str, StringConstraints(max_length=50)]
CiString128 = Annotated[str, StringConstraints(max_length=128)]
CiString255 = Annotated[str, StringConstraints(max_length=255)]
CiString500 = Annotated[str, StringConstraints(max_length=500)]
CiString512 = Annotated[str, StringConstraints(max_length=512)]
CiString800 = Annotated[str, StringConstraints(max_length=800)]
CiString5500 = Annotated[str, StringConstraints(max_length=5500)]
CiString10000 = Annotated[str, StringConstraints(max_length=10000)]
IdToken = CiString20
"""OCPP 1.6 section 7.28: an idTag is a CiString20."""

# RFC 3339 section 5.6 date-time, the grammar jsonschema's "date-time" checker applies
# (rfc3339-validator, after upper-casing): ASCII digits only, "T" and "Z" in either case,
# any number of fraction digits, no leap second, offsets up to 23:59. One difference: that
# checker's regex ends in "$", which lets a trailing newline through; fullmatch does not.
_RFC3339 = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[01][0-9]|2[0-3]):(?P<minute>[0-5][0-9]):(?P<second>[0-5][0-9])"
    r"(?:\.(?P<fraction>[0-9]+))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<off_hour>[01][0-9]|2[0-3]):(?P<off_minute>[0-5][0-9]))"
)


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 date-time into an aware datetime; raise ``ValueError`` otherwise."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    parts = match.groupdict()
    if parts["utc"] is not None:
        tz = UTC
    else:
        offset = timedelta(hours=int(parts["off_hour"]), minutes=int(parts["off_minute"]))
        tz = timezone(-offset if parts["sign"] == "-" else offset)
    # Python keeps microseconds; further fraction digits are dropped, not rounded, so that
    # parsing never moves an instant across a second boundary.
    micro = int((parts["fraction"] or "0")[:6].ljust(6, "0"))
    try:
        # datetime() rejects year 0 and day 31 of a 30-day month, as RFC 3339 does.
        return datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"]),
            micro,
            tzinfo=tz,
        )
    except ValueError:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}") from None


def format_rfc3339(value: datetime) -> str:
    """The outgoing wire form: UTC with milliseconds, ``2026-11-24T01:52:21.123Z``."""
    utc = value if value.tzinfo is UTC else value.astimezone(UTC)
    # isoformat (C) ends in "+00:00" for UTC; the station always sends "Z".
    return utc.isoformat(timespec="milliseconds")[:-6] + "Z"


def _validate_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise PydanticCustomError("timezone_aware", "a naive datetime has no instant")
        return value
    if isinstance(value, str):
        try:
            return parse_rfc3339(value)
        except ValueError:
            raise PydanticCustomError(
                "rfc3339_datetime", "not an RFC 3339 date-time: {value}", {"value": value}
            ) from None
    raise PydanticCustomError("datetime_type", "a date-time must be a string")


DateTime = Annotated[
    datetime,
    PlainValidator(_validate_datetime),
    PlainSerializer(format_rfc3339, return_type=str, when_used="json"),
]
"""An aware datetime; accepts any RFC 3339 date-time, sends UTC with milliseconds."""

# RFC 3986 section 3: a URI starts with a scheme and contains no whitespace or control
# characters. This is a necessary condition only; the transfer code parses the rest.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20\x7f]*")


def _validate_uri(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    if _URI.fullmatch(value) is None:
        raise PydanticCustomError("uri", "not an absolute URI: {value}", {"value": value})
    return value


Uri = Annotated[str, PlainValidator(_validate_uri)]
"""``"format": "uri"`` (GetDiagnostics and UpdateFirmware ``location``)."""


def _to_decimal(value: Any) -> Decimal:
    # JSON numbers arrive as int or float; repr() of a float is the shortest decimal that
    # reads back to it, i.e. the literal the peer wrote (up to 17 significant digits).
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise PydanticCustomError("decimal_type", "Input should be a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


Tenths = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    Field(multiple_of=Decimal("0.1"), allow_inf_nan=False),
    PlainSerializer(float, return_type=float, when_used="json"),
]
"""``{"type": "number", "multipleOf": 0.1}``: charging limits, exact in Decimal."""
