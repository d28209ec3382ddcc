"""One validation pass from payload JSON text to a model, and back to JSON text.

A failed validation becomes the OCPP-J 1.6 error (section 4.2.3) the CALLERROR must carry.
The section gives one sentence per code; this module reads them as follows:

- ``FormationViolation`` ("syntactically incorrect or not conform the PDU structure"): the
  text is not JSON, the payload is not a JSON object, or an object has a property the PDU does
  not define (every schema says ``additionalProperties: false``).
- ``TypeConstraintViolation`` ("violates data type constraints", e.g. ``"somestring": 12``):
  a value of the wrong JSON type, including ``1.5`` or ``1.0`` for an integer, ``null`` for
  any field, and a non-string where an enumeration value belongs.
- ``OccurenceConstraintViolation`` ("violates occurence constraints"): a required field is
  missing or an array has fewer items than its cardinality (``1..*``) allows. ``ProtocolError``
  ("payload incomplete") is left to the frame codec for frames missing an element.
- ``PropertyConstraintViolation`` ("a field contains an invalid value"): a string longer than
  its CiString bound, a string outside its enumeration (errata 3.24/3.38 name this code for an
  unknown ``chargingRateUnit``), a limit not a multiple of 0.1, a malformed date-time or URI.

Integers follow draft-04 as jsonschema's Draft4Validator applies it to all 78 schemas (the
mobilityhouse ``ocpp`` package does the same): ``1.0`` is a number, not an integer, also in the
11 whitepaper schemas that declare draft-06 (where it would be an integer).

When several fields fail, the first of these four codes in this order wins: the structure is
reported before the values inside it.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from chargestack.exceptions import (
    FormationViolationError,
    NotImplementedOcppError,
    OccurenceConstraintViolationError,
    OcppError,
    PropertyConstraintViolationError,
    TypeConstraintViolationError,
)
from chargestack.ocpp.messages.registry import REQUESTS, RESPONSES

M = TypeVar("M", bound=BaseModel)

_PRIORITY: tuple[type[OcppError], ...] = (
    FormationViolationError,
    TypeConstraintViolationError,
    OccurenceConstraintViolationError,
    PropertyConstraintViolationError,
)
_FORMATION_TYPES = frozenset({"json_invalid", "json_type", "extra_forbidden"})
_OCCURRENCE_TYPES = frozenset({"missing", "too_short"})
_ROOT_TYPE_ERRORS = frozenset({"model_type", "model_attributes_type", "dict_type"})
_TYPE_ERRORS = frozenset({"is_instance_of"})
_NULL_MESSAGE = "null is not allowed; omit the field"
_REQUEST_MODELS: dict[str, type[BaseModel]] = {a.value: model for a, model in REQUESTS.items()}
_RESPONSE_MODELS: dict[str, type[BaseModel]] = {a.value: model for a, model in RESPONSES.items()}


def parse_request(action: str, payload_json: str | bytes) -> BaseModel:
    """Validate the payload of a CALL of ``action``.

    Raises :class:`NotImplementedOcppError` for an action that OCPP 1.6 does not define and
    the :class:`OcppError` subclass of section 4.2.3 for an invalid payload.
    """
    return validate_payload(_model(_REQUEST_MODELS, action), payload_json)


def parse_response(action: str, payload_json: str | bytes) -> BaseModel:
    """Validate the payload of a CALLRESULT answering a CALL of ``action``."""
    return validate_payload(response_model(action), payload_json)


def response_model(action: str) -> type[BaseModel]:
    """The model of a CALLRESULT answering a CALL of ``action``."""
    return _model(_RESPONSE_MODELS, action)


def check_payload(model: type[M], payload_json: str | bytes) -> M:
    """Validate JSON text against ``model`` by wire names only; pydantic's ValidationError
    (JSON nulls are not looked for: see :func:`validate_payload`)."""
    # by_name=False: the snake_case attribute names are a Python convenience, not wire
    # names, so {"id_tag": ...} is an unknown property here.
    return model.model_validate_json(payload_json, by_alias=True, by_name=False)


def validate_payload(model: type[M], payload_json: str | bytes) -> M:
    """Validate JSON text against ``model`` by wire names only; OCPP errors as in the module doc."""
    try:
        result = check_payload(model, payload_json)
    except ValidationError as exc:
        raise ocpp_error_from(exc, first_null(payload_json)) from None
    null = first_null(payload_json)
    if null is not None:
        path = field_path(null)
        raise TypeConstraintViolationError(f"{path}: {_NULL_MESSAGE}", {"field": path})
    return result


def first_null(payload_json: str | bytes) -> tuple[int | str, ...] | None:
    """Where the first JSON null of the payload is, or None when it has none."""
    has_null = (
        b"null" in payload_json if isinstance(payload_json, bytes) else "null" in payload_json
    )
    if not has_null:  # the common case costs one substring search
        return None
    try:
        return null_in(orjson.loads(payload_json))
    except orjson.JSONDecodeError:
        return None


def null_in(value: Any) -> tuple[int | str, ...] | None:
    """Where the first null of parsed JSON is, or None when it has none."""
    return _null_in(value, ())


def _null_in(value: Any, loc: tuple[int | str, ...]) -> tuple[int | str, ...] | None:
    if value is None:
        return loc
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found = _null_in(item, (*loc, key))
        if found is not None:
            return found
    return None


def dump_payload(model: BaseModel) -> str:
    """The wire JSON of a payload: wire names, absent fields omitted, UTC millisecond times."""
    return model.model_dump_json(by_alias=True, exclude_none=True)


def ocpp_error_from(
    exc: ValidationError, null_at: tuple[int | str, ...] | None = None
) -> OcppError:
    """The OCPP-J error for a pydantic validation failure (and a JSON null at ``null_at``),
    naming the field path."""
    errors = exc.errors(include_url=False)
    classified = [(_classify(e), e["loc"], e["msg"]) for e in errors]
    if null_at is not None and all(e["loc"] != null_at for e in errors):
        classified.append((TypeConstraintViolationError, null_at, _NULL_MESSAGE))
    cls, loc, msg = min(classified, key=lambda entry: _PRIORITY.index(entry[0]))
    path = field_path(loc)
    description = f"{path}: {msg}"
    if len(classified) > 1:
        description += f" (and {len(classified) - 1} more)"
    return cls(description, {"field": path})


def field_path(loc: tuple[int | str, ...]) -> str:
    """``('meterValue', 0, 'timestamp')`` -> ``meterValue[0].timestamp``; ``()`` -> ``$``."""
    path = "$"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.removeprefix("$.") if loc and isinstance(loc[0], str) else path


def _classify(error: ErrorDetails) -> type[OcppError]:
    kind = error["type"]
    if kind in _FORMATION_TYPES or (not error["loc"] and kind in _ROOT_TYPE_ERRORS):
        return FormationViolationError
    if kind in _OCCURRENCE_TYPES:
        return OccurenceConstraintViolationError
    if kind == "enum":
        # A string outside the enumeration is a bad value; anything else is a bad type.
        is_string = isinstance(error.get("input"), str)
        return PropertyConstraintViolationError if is_string else TypeConstraintViolationError
    if kind.endswith("_type") or kind in _TYPE_ERRORS:
        return TypeConstraintViolationError
    return PropertyConstraintViolationError


def _model(models: dict[str, type[BaseModel]], name: str) -> type[BaseModel]:
    # A str lookup: Action is a StrEnum, so its members hash like their names, and building
    # an Action from the name on every message would cost more than the lookup itself.
    model = models.get(name)
    if model is None:
        # OCPP-J 1.6 section 4.2.3: NotImplemented = "Requested Action is not known".
        raise NotImplementedOcppError(f"unknown action {name!r}")
    return model
