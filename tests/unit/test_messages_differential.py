"""Differential test: our models against the official JSON schemas of the PyPI ``ocpp`` package.

For every action and both payloads, hypothesis draws instances from a generator that walks the
schema dict, valid ones and ones with exactly one defect. Our validation and jsonschema's
Draft4Validator (with the date-time format checker) must agree on accept/reject, and a
rejection must carry the OCPP-J code that ``chargestack.ocpp.messages.validation`` documents.

Two named deviations, both stricter than the installed schemas and both from the OCPP 1.6
specification text, are patched into the oracle here and tested on their own below.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator  # type: ignore[import-untyped]

from chargestack.exceptions import OcppError
from chargestack.ocpp.messages import Action, dump_payload, parse_request, parse_response

Json = Any
Path = tuple[str | int, ...]
KINDS = ("request", "response")
CASES = [(action, kind) for action in Action for kind in KINDS]
SCHEMA_DIR = files("ocpp") / "v16" / "schemas"

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def schema_file(action: Action, kind: str) -> str:
    return f"{action.value}.json" if kind == "request" else f"{action.value}Response.json"


def load_schema(action: Action, kind: str) -> dict[str, Any]:
    # Decimal numbers, as the mobilityhouse library does: multipleOf 0.1 is then exact.
    loaded: dict[str, Any] = json.loads(
        (SCHEMA_DIR / schema_file(action, kind)).read_text(), parse_float=Decimal
    )
    return loaded


def _drop_hertz(node: Json) -> None:
    if isinstance(node, dict):
        if "Hertz" in node.get("enum", []):
            node["enum"] = [value for value in node["enum"] if value != "Hertz"]
        for child in node.values():
            _drop_hertz(child)
    elif isinstance(node, list):
        for child in node:
            _drop_hertz(child)


@cache
def oracle_schema(action: Action, kind: str) -> dict[str, Any]:
    """The installed schema with the two named deviations applied."""
    schema = load_schema(action, kind)
    # Deviation 1: OCPP 1.6 section 7.46 has no "Hertz" unit; the installed MeterValues
    # schema added it. We never accept or send it.
    _drop_hertz(schema)
    # Deviation 2: section 7.32 gives MeterValue.sampledValue cardinality 1..*; the installed
    # MeterValues schema enforces it, the StopTransaction one does not. We apply it to both.
    if (action, kind) == (Action.STOP_TRANSACTION, "request"):
        meter_value = schema["properties"]["transactionData"]["items"]
        meter_value["properties"]["sampledValue"]["minItems"] = 1
    return schema


@cache
def oracle(action: Action, kind: str) -> Draft4Validator:
    return Draft4Validator(
        oracle_schema(action, kind), format_checker=Draft4Validator.FORMAT_CHECKER
    )


def oracle_accepts(action: Action, kind: str, text: str) -> bool:
    return bool(oracle(action, kind).is_valid(json.loads(text, parse_float=Decimal)))


def ours(action: Action, kind: str, text: str) -> str | None:
    """None when our models accept ``text``, else the OCPP-J error code."""
    parse = parse_request if kind == "request" else parse_response
    try:
        parse(action, text)
    except OcppError as exc:
        return exc.code
    return None


def to_json(value: Json) -> str:
    # Our generated tenths are Decimals with one digit after the point; as floats they print
    # back as the same literal.
    return json.dumps(value, default=float)


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    node: dict[str, Any] = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


# -- valid instances ------------------------------------------------------------------------

OFFSETS = ["Z", "z", "+00:00", "-00:00", "+01:00", "-05:30", "+23:59", "-23:59"]


@st.composite
def rfc3339_text(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
    separator = draw(st.sampled_from(["T", "t"]))
    digits = draw(st.integers(0, 9))
    fraction = "" if digits == 0 else "." + f"{moment.microsecond:06d}{'0' * 3}"[:digits]
    offset = draw(st.sampled_from(OFFSETS))
    date = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    time = f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    return f"{date}{separator}{time}{fraction}{offset}"


def bounded_text(max_length: int | None) -> st.SearchStrategy[str]:
    if max_length is None:
        return st.text(max_size=40)
    # One character repeated reaches the bound without drawing thousands of characters.
    at_bound = st.characters(codec="utf-8").map(lambda char: char * max_length)
    return st.one_of(st.text(max_size=min(max_length, 30)), at_bound)


URIS = ["ftp://user:pw@example.com/diag", "https://example.com/fw.bin", "sftp://h/x?y=1#z", "urn:a"]


def valid(schema: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[Json]:
    schema = resolve(schema, root)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema["type"]
    if kind == "object":
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: valid(sub, root) for name, sub in properties.items() if name in required},
            optional={
                name: valid(sub, root) for name, sub in properties.items() if name not in required
            },
        )
    if kind == "array":
        return st.lists(
            valid(schema["items"], root), min_size=schema.get("minItems", 0), max_size=2
        )
    if kind == "string":
        if schema.get("format") == "date-time":
            return rfc3339_text()
        if schema.get("format") == "uri":
            return st.sampled_from(URIS)
        return bounded_text(schema.get("maxLength"))
    if kind == "integer":
        return st.one_of(st.integers(-1000, 1000), st.integers(-(2**70), 2**70))
    if kind == "number":
        assert schema["multipleOf"] == Decimal("0.1")
        tenths = st.integers(-(10**6), 10**6).map(lambda k: Decimal(k) / 10)
        return st.one_of(tenths, st.integers(-1000, 1000))
    assert kind == "boolean", kind
    return st.booleans()


@cache
def valid_payload(action: Action, kind: str) -> st.SearchStrategy[Json]:
    root = oracle_schema(action, kind)
    return valid(root, root)


# -- instances with one defect --------------------------------------------------------------

# Each defect and the OCPP-J code it must be rejected with (see validation.py's module doc).
EXPECTED_CODE = {
    "not_object": "FormationViolation",
    "extra_property": "FormationViolation",
    "drop_required": "OccurenceConstraintViolation",
    "empty_array": "OccurenceConstraintViolation",
    "wrong_type": "TypeConstraintViolation",
    "null": "TypeConstraintViolation",
    "fractional_integer": "TypeConstraintViolation",
    "integral_float": "TypeConstraintViolation",
    "too_long": "PropertyConstraintViolation",
    "bad_enum": "PropertyConstraintViolation",
    "bad_date_time": "PropertyConstraintViolation",
    "not_tenth": "PropertyConstraintViolation",
}

BAD_DATE_TIMES = [
    "2026-02-30T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-06-30T23:59:60Z",
    "2026-01-01 00:00:00Z",
    "2026-01-01T00:00:00",
    "2026-01-01T00:00:00+0100",
    "2026-01-01T00:00:00.Z",
    "2026-1-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "2026-01-01",
    "1767225600",
    "",
    "yesterday",
]

WRONG_TYPE = {
    "string": 12,
    "integer": "12",
    "number": "21.4",
    "boolean": "true",
    "object": [],
    "array": {},
}

Site = tuple[str, Path, dict[str, Any]]
Draw = Callable[[st.SearchStrategy[Any]], Any]


def defect_sites(
    schema: dict[str, Any], root: dict[str, Any], value: Json, path: Path
) -> Iterator[Site]:
    """Every (defect, path, subschema) that can be applied to ``value``."""
    schema = resolve(schema, root)
    if path:
        yield ("wrong_type", path, schema)
        yield ("null", path, schema)
    if "enum" in schema:
        yield ("bad_enum", path, schema)
        return
    kind = schema["type"]
    if kind == "object":
        properties = schema.get("properties", {})
        yield ("extra_property", path, schema)
        for name in schema.get("required", []):
            yield ("drop_required", (*path, name), schema)
        for name, item in value.items():
            yield from defect_sites(properties[name], root, item, (*path, name))
    elif kind == "array":
        if schema.get("minItems", 0) > 0:
            yield ("empty_array", path, schema)
        for index, item in enumerate(value):
            yield from defect_sites(schema["items"], root, item, (*path, index))
    elif kind == "string":
        if schema.get("format") == "date-time":
            yield ("bad_date_time", path, schema)
        if "maxLength" in schema:
            yield ("too_long", path, schema)
    elif kind == "integer":
        yield ("fractional_integer", path, schema)
        yield ("integral_float", path, schema)
    elif kind == "number":
        yield ("not_tenth", path, schema)


def defect_value(draw: Draw, defect: str, schema: dict[str, Any]) -> Json:
    if defect == "wrong_type":
        return WRONG_TYPE["string" if "enum" in schema else schema["type"]]
    if defect == "null":
        return None
    if defect == "bad_enum":
        return draw(st.text(max_size=12).filter(lambda text: text not in schema["enum"]))
    if defect == "bad_date_time":
        return draw(st.sampled_from(BAD_DATE_TIMES))
    if defect == "too_long":
        return draw(st.characters(codec="utf-8")) * (schema["maxLength"] + 1)
    if defect == "fractional_integer":
        return draw(st.integers(-1000, 1000)) + 0.5
    if defect == "integral_float":
        return float(draw(st.integers(-1000, 1000)))
    if defect == "not_tenth":
        return Decimal(draw(st.integers(-(10**5), 10**5)) * 10 + 5) / 100
    assert defect == "empty_array", defect
    return []


def apply_defect(
    draw: Draw, instance: Json, defect: str, path: Path, schema: dict[str, Any]
) -> Json:
    """A deep copy of ``instance`` with ``defect`` applied at ``path``."""
    if defect == "not_object":
        return draw(st.sampled_from([[], "{}", 1, None, [instance]]))
    instance = copy.deepcopy(instance)
    if defect == "extra_property":
        target = instance
        for part in path:
            target = target[part]
        target["unknownProperty"] = 1
        return instance
    parent = instance
    for part in path[:-1]:
        parent = parent[part]
    if defect == "drop_required":
        del parent[path[-1]]
    else:
        parent[path[-1]] = defect_value(draw, defect, schema)
    return instance


# -- the properties -------------------------------------------------------------------------


def test_oracle_checks_date_time_format() -> None:
    # Without rfc3339-validator jsonschema silently skips "format": "date-time", and every
    # date-time comparison below would test nothing.
    assert "date-time" in Draft4Validator.FORMAT_CHECKER.checkers


def test_every_installed_schema_has_a_model() -> None:
    installed = {entry.name for entry in SCHEMA_DIR.iterdir() if entry.name.endswith(".json")}
    assert installed == {schema_file(action, kind) for action, kind in CASES}


@pytest.mark.parametrize(("action", "kind"), CASES)
@SETTINGS
@given(data=st.data())
def test_models_agree_with_the_official_schema(
    action: Action, kind: str, data: st.DataObject
) -> None:
    root = oracle_schema(action, kind)
    instance = data.draw(valid_payload(action, kind))
    text = to_json(instance)
    assert oracle_accepts(action, kind, text), "generator produced an invalid instance"
    assert ours(action, kind, text) is None, text

    parse = parse_request if kind == "request" else parse_response
    dumped = dump_payload(parse(action, text))
    assert oracle_accepts(action, kind, dumped)
    # Outgoing times keep milliseconds only, so the first dump is the fixed point.
    assert dump_payload(parse(action, dumped)) == dumped

    # Every defect that fits the drawn instance is tried, one at a time, so that each field
    # is exercised in a handful of examples.
    for defect, path, schema in [("not_object", (), root), *defect_sites(root, root, instance, ())]:
        text = to_json(apply_defect(data.draw, instance, defect, path, schema))
        accepted_by_oracle = oracle_accepts(action, kind, text)
        code = ours(action, kind, text)
        assert (code is None) == accepted_by_oracle, (defect, path, text, code)
        assert not accepted_by_oracle, (defect, path, text)
        assert code == EXPECTED_CODE[defect], (defect, path, text)


# -- the named deviations, each against the unpatched installed schema ------------------------


def installed_accepts(action: Action, kind: str, payload: Json) -> bool:
    validator = Draft4Validator(
        load_schema(action, kind), format_checker=Draft4Validator.FORMAT_CHECKER
    )
    return bool(validator.is_valid(payload))


def test_deviation_hertz_is_not_an_ocpp16_unit() -> None:
    payload = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": "2026-11-24T01:52:21.123Z",
                "sampledValue": [{"value": "50.0", "measurand": "Frequency", "unit": "Hertz"}],
            }
        ],
    }
    assert installed_accepts(Action.METER_VALUES, "request", payload)
    assert ours(Action.METER_VALUES, "request", json.dumps(payload)) == (
        "PropertyConstraintViolation"
    )


def test_deviation_stop_transaction_meter_value_needs_a_sample() -> None:
    payload = {
        "transactionId": 7,
        "meterStop": 1200,
        "timestamp": "2026-11-24T01:52:21.123Z",
        "transactionData": [{"timestamp": "2026-11-24T01:52:21.123Z", "sampledValue": []}],
    }
    assert installed_accepts(Action.STOP_TRANSACTION, "request", payload)
    assert ours(Action.STOP_TRANSACTION, "request", json.dumps(payload)) == (
        "OccurenceConstraintViolation"
    )
