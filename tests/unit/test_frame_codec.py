"""OCPP-J 1.6 framing through `chargestack._core`: golden frames, one per error class."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from chargestack import _core
from chargestack.exceptions import FrameError, OcppError


def test_call_from_the_spec_keeps_the_payload_text() -> None:
    text = '[2, "19223201", "BootNotification", {"chargePointVendor": "VendorX", "chargePointModel": "X"}]'
    assert _core.decode_frame(text) == (
        2,
        "19223201",
        "BootNotification",
        '{"chargePointVendor": "VendorX", "chargePointModel": "X"}',
    )


def test_call_result_and_call_error_from_the_spec() -> None:
    assert _core.decode_frame(b'[3,"19223201",{"status":"Accepted","interval":300}]') == (
        3,
        "19223201",
        '{"status":"Accepted","interval":300}',
    )
    assert _core.decode_frame('[4,"162376037","NotSupported","no",{"why":1}]') == (
        4,
        "162376037",
        "NotSupported",
        "no",
        '{"why":1}',
    )


def test_payload_text_validates_in_one_pydantic_pass() -> None:
    class Boot(BaseModel):
        chargePointVendor: str
        chargePointModel: str

    frame = _core.decode_frame(
        '[2,"1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]'
    )
    assert frame[0] == 2
    assert Boot.model_validate_json(frame[3]) == Boot(chargePointVendor="V", chargePointModel="M")


def test_escapes_are_decoded_in_ids_and_actions() -> None:
    assert _core.decode_frame('[2,"a\\"\\u00e9","Heart\\u0062eat",{}]') == (
        2,
        'a"é',
        "Heartbeat",
        "{}",
    )


def test_unknown_call_error_code_is_kept_for_the_caller_to_flag() -> None:
    assert _core.decode_frame('[4,"1","FormatViolation","",{}]')[2] == "FormatViolation"


@pytest.mark.parametrize(
    ("frame", "code", "message_id"),
    [
        pytest.param(
            b'[2,"a","B",{"x":"\xff"}]', "FormationViolation", "a", id="invalid-utf8-in-payload"
        ),
        pytest.param(
            b'\xfe[2,"a","B",{}]', "FormationViolation", None, id="invalid-utf8-before-id"
        ),
        pytest.param('[2,"a","B",{"x":}]', "FormationViolation", "a", id="not-json-after-id"),
        pytest.param("not json", "FormationViolation", None, id="not-json"),
        pytest.param('{"id": 1}', "FormationViolation", None, id="not-an-array"),
        pytest.param('["2","a","B",{}]', "FormationViolation", None, id="type-not-integer"),
        pytest.param('[5,"a","B",{}]', "FormationViolation", None, id="unknown-type-is-ignored"),
        pytest.param('[2,17,"B",{}]', "FormationViolation", None, id="id-not-string"),
        pytest.param('[2,"' + "x" * 37 + '","B",{}]', "FormationViolation", None, id="id-too-long"),
        pytest.param('[2,"a","",{}]', "FormationViolation", "a", id="empty-action"),
        pytest.param('[2,"a","B",[]]', "FormationViolation", "a", id="payload-not-object"),
        pytest.param('[2,"a","B",{},{}]', "FormationViolation", "a", id="too-many-elements"),
        pytest.param('[2,"a","Heartbeat"]', "ProtocolError", "a", id="payload-missing"),
        pytest.param("[2]", "ProtocolError", None, id="id-missing"),
        pytest.param('[3,"a",[]]', "FormationViolation", None, id="broken-result-owes-no-reply"),
        pytest.param('[4,"a",1,"",{}]', "FormationViolation", None, id="error-code-not-string"),
        pytest.param(
            '[4,"a","GenericError","",[]]', "FormationViolation", None, id="details-not-object"
        ),
        pytest.param('[2,"a","B",{}] trailing', "FormationViolation", "a", id="trailing-text"),
    ],
)
def test_malformed_frames_are_classified(
    frame: str | bytes, code: str, message_id: str | None
) -> None:
    with pytest.raises(FrameError) as info:
        _core.decode_frame(frame)
    assert info.value.code == code
    assert info.value.message_id == message_id
    assert info.value.description
    assert isinstance(info.value, OcppError)


def test_str_that_is_not_utf8_is_refused_like_bytes() -> None:
    with pytest.raises(FrameError) as info:
        _core.decode_frame('[2,"a","B",{"x":"\ud800"}]')
    assert (info.value.code, info.value.message_id) == ("FormationViolation", None)


def test_depth_limit_is_configurable_and_answered_with_the_id() -> None:
    nested = '[2,"a","B",{"x":' + "[" * 10 + "]" * 10 + "}]"
    assert _core.decode_frame(nested, max_depth=12)[1] == "a"
    with pytest.raises(FrameError) as info:
        _core.decode_frame(nested, max_depth=11)
    assert (info.value.code, info.value.message_id) == ("FormationViolation", "a")


def test_very_deep_nesting_is_refused_without_recursion() -> None:
    with pytest.raises(FrameError) as info:
        _core.decode_frame("[" * 1_000_000 + "]" * 1_000_000, max_len=2_000_000)
    assert info.value.code == "FormationViolation"


def test_length_limit_is_configurable_and_a_call_still_gets_its_reply() -> None:
    frame = '[2,"abc","DataTransfer",{"data":"' + "x" * 100_000 + '"}]'
    with pytest.raises(FrameError) as info:
        _core.decode_frame(frame)
    assert (info.value.code, info.value.message_id) == ("GenericError", "abc")
    assert _core.decode_frame(frame, max_len=200_000)[1] == "abc"


def test_encoders_build_frames_that_decode_back() -> None:
    call = _core.encode_call('id"\n', "Heartbeat", " {} ")
    assert call == '[2,"id\\"\\n","Heartbeat",{}]'
    assert _core.decode_frame(call) == (2, 'id"\n', "Heartbeat", "{}")
    result = _core.encode_call_result("1", json.dumps({"status": "Accepted"}))
    assert json.loads(result) == [3, "1", {"status": "Accepted"}]
    error = _core.encode_call_error("1", "OccurenceConstraintViolation", "é")
    assert json.loads(error) == [4, "1", "OccurenceConstraintViolation", "é", {}]
    details = _core.encode_call_error("1", "GenericError", "", '{"a":[1]}')
    assert _core.decode_frame(details) == (4, "1", "GenericError", "", '{"a":[1]}')


@pytest.mark.parametrize(
    ("encode", "args"),
    [
        pytest.param(_core.encode_call, ("x" * 37, "A", "{}"), id="id-too-long"),
        pytest.param(_core.encode_call, ("1", "", "{}"), id="empty-action"),
        pytest.param(_core.encode_call, ("1", "A", "[]"), id="payload-not-object"),
        pytest.param(_core.encode_call_result, ("1", "{"), id="payload-not-json"),
        pytest.param(_core.encode_call_error, ("1", "FormatViolation", ""), id="unknown-code"),
        pytest.param(
            _core.encode_call_error, ("1", "GenericError", "", "null"), id="details-not-object"
        ),
    ],
)
def test_encoders_refuse_bad_arguments(encode: object, args: tuple[str, ...]) -> None:
    assert callable(encode)
    with pytest.raises(FrameError) as info:
        encode(*args)
    assert info.value.message_id is None
