"""What the station forgives in a central system's answers, rule by rule (STYLE.md habit 8).

A CALLRESULT is read strictly first. Only when that fails are the leniencies below tried;
an answer they make readable is taken, and each leniency is logged once per action (at
WARNING, naming the fields). An answer still not understood raises the strict reading's
OcppError: to the caller a failed CALL, which a transaction message counts as a failed
attempt (OCPP 1.6 section 3.7.1), so it is neither left unacknowledged nor taken half-read.

The central system's own CALLs get none of this: what is wrong with them goes back as a
CALLERROR the central system can act on. A wrong answer has no way back; refusing it would
only send again a message the central system has processed.

Within the schema already, so no leniency: a date-time with or without fractions of a second
or with any offset (section 3.15), an optional property left out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from chargestack.exceptions import OcppError
from chargestack.ocpp.messages.base import parse_rfc3339
from chargestack.ocpp.messages.validation import (
    check_payload,
    field_path,
    null_in,
    parse_response,
    response_model,
)

log = logging.getLogger("chargestack.ocpp.lenient_reading")

Loc = tuple[int | str, ...]


@dataclass(frozen=True, slots=True)
class Leniency:
    name: str
    rule: str
    why: str


IGNORED_PROPERTY = Leniency(
    "ignored-property",
    "a property the schema does not define is ignored",
    "OCPP-J errata 3.2 forbids them, yet they change nothing the station reads",
)
NULL_AS_ABSENT = Leniency(
    "null-as-absent",
    "a JSON null reads as the property left out (a required one is then missing)",
    "no OCPP 1.6 schema allows null; serializers that write every field send it for an "
    "optional one not set",
)
UNKNOWN_AUTHORIZATION_STATUS = Leniency(
    "unknown-authorization-status",
    "an idTagInfo status outside AuthorizationStatus reads as Invalid",
    "only Accepted authorizes; a word the station does not know must not grant energy, "
    "while the rest of the answer (a transactionId) is still taken",
)
INTEGRAL_NUMBER = Leniency(
    "integral-number",
    "a number without fraction (300.0) where the schema wants an integer reads as that integer",
    "JSON does not tell 300 from 300.0, and the first BootNotificationResponse schema typed "
    "interval as number (OCPP-J errata 2.4)",
)
DATE_TIME_WITHOUT_OFFSET = Leniency(
    "date-time-without-offset",
    "a date-time without Z or an offset reads as UTC",
    "ISO 8601 (section 3.15) leaves its zone open; section 3.14 strongly recommends UTC "
    "for every time value",
)

#: Every leniency the station grants, in the order they are tried.
LENIENCIES = (
    NULL_AS_ABSENT,
    IGNORED_PROPERTY,
    UNKNOWN_AUTHORIZATION_STATUS,
    INTEGRAL_NUMBER,
    DATE_TIME_WITHOUT_OFFSET,
)

# Each repair can uncover no more than the errors pydantic reported beside it; one extra
# pass is a margin, not a need.
_PASSES = 3


class AnswerReader:
    """Reads the CALLRESULTs of one session; says once per action which leniency it used."""

    def __init__(self) -> None:
        self._told: set[tuple[str, str]] = set()

    def read(self, action: str, payload_json: str) -> BaseModel:
        """The answer to a CALL of ``action``; the strict reading's OcppError when not even
        the leniencies make it readable."""
        try:
            return parse_response(action, payload_json)
        except OcppError:
            lenient = self._read_leniently(action, payload_json)
            if lenient is None:
                raise
            return lenient

    def _read_leniently(self, action: str, payload_json: str) -> BaseModel | None:
        try:
            data = orjson.loads(payload_json)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict):
            return None
        model = response_model(action)
        nulls = _drop_nulls(data)
        if nulls is None:
            return None
        used: list[tuple[Leniency, Loc]] = [(NULL_AS_ABSENT, loc) for loc in nulls]
        for _ in range(_PASSES):
            try:
                answer = check_payload(model, orjson.dumps(data))
            except ValidationError as exc:
                repairs = [_repair(error, data) for error in exc.errors(include_url=False)]
                if None in repairs:
                    return None
                used.extend(r for r in repairs if r is not None)
                continue
            self._tell(action, used)
            return answer
        return None

    def _tell(self, action: str, used: list[tuple[Leniency, Loc]]) -> None:
        for leniency in LENIENCIES:
            paths = [field_path(p) for lenient, p in used if lenient is leniency]
            if not paths or (leniency.name, action) in self._told:
                continue
            self._told.add((leniency.name, action))
            log.warning(
                "%s answer off the schema at %s: %s (%s: %s); said once for %s answers",
                action,
                ", ".join(paths),
                leniency.rule,
                leniency.name,
                leniency.why,
                action,
            )


def _repair(error: ErrorDetails, data: dict[str, Any]) -> tuple[Leniency, Loc] | None:
    """Apply the leniency that covers ``error`` to ``data``; None when none does."""
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind == "extra_forbidden":
        container, key = _parent(data, loc)
        del container[key]
        return IGNORED_PROPERTY, loc
    if kind == "enum" and loc[-2:] == ("idTagInfo", "status") and isinstance(value, str):
        container, key = _parent(data, loc)
        container[key] = "Invalid"
        return UNKNOWN_AUTHORIZATION_STATUS, loc
    if kind == "int_type" and isinstance(value, float) and value.is_integer():
        container, key = _parent(data, loc)
        container[key] = int(value)
        return INTEGRAL_NUMBER, loc
    if kind == "rfc3339_datetime" and isinstance(value, str) and _is_local_time(value):
        container, key = _parent(data, loc)
        container[key] = value + "Z"
        return DATE_TIME_WITHOUT_OFFSET, loc
    return None


def _is_local_time(text: str) -> bool:
    # A valid date-time once "Z" is added: it had neither "Z" nor an offset.
    try:
        parse_rfc3339(text + "Z")
    except ValueError:
        return False
    return True


def _parent(data: dict[str, Any], loc: Loc) -> tuple[Any, Any]:
    container: Any = data
    for part in loc[:-1]:
        container = container[part]
    return container, loc[-1]


def _drop_nulls(data: dict[str, Any]) -> list[Loc] | None:
    """Remove every property whose value is null; where they were (None: a null that is no
    property's value, an item of a list, which no leniency covers)."""
    dropped: list[Loc] = []
    while (loc := null_in(data)) is not None:
        container, key = _parent(data, loc)
        if not isinstance(container, dict):
            return None
        del container[key]
        dropped.append(loc)
    return dropped
