//! Golden frames: OCPP-J 1.6 section 4 examples and one malformed frame per error class.

use std::borrow::Cow;

use ocpp_frame::{
    decode, decode_with, encode_call, encode_call_error, encode_call_result, ErrorCode, Frame,
    FrameError, FrameErrorKind, Limits, MessageType,
};

fn err(input: &[u8]) -> FrameError {
    match decode(input) {
        Ok(frame) => panic!(
            "decoded {frame:?} from {:?}",
            String::from_utf8_lossy(input)
        ),
        Err(e) => e,
    }
}

#[test]
fn call_from_the_spec() {
    let frame = decode(
        br#"[2, "19223201", "BootNotification", {"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"}]"#,
    );
    assert_eq!(
        frame,
        Ok(Frame::Call {
            id: Cow::Borrowed("19223201"),
            action: Cow::Borrowed("BootNotification"),
            payload: r#"{"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"}"#,
        })
    );
}

#[test]
fn call_result_from_the_spec() {
    let frame = decode(
        br#"[3,"19223201",{"status":"Accepted","currentTime":"2013-02-01T20:53:32.486Z","interval":300}]"#,
    );
    assert_eq!(
        frame,
        Ok(Frame::CallResult {
            id: Cow::Borrowed("19223201"),
            payload: r#"{"status":"Accepted","currentTime":"2013-02-01T20:53:32.486Z","interval":300}"#,
        })
    );
}

#[test]
fn call_error_from_the_spec() {
    let frame =
        decode(br#"[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}]"#);
    assert_eq!(
        frame,
        Ok(Frame::CallError {
            id: Cow::Borrowed("162376037"),
            code: Cow::Borrowed("NotSupported"),
            description: Cow::Borrowed("SetDisplayMessageRequest not implemented"),
            details: "{}",
        })
    );
    assert_eq!(
        frame.map(|f| f.known_error_code()),
        Ok(Some(ErrorCode::NotSupported))
    );
}

#[test]
fn escaped_strings_are_unescaped_and_whitespace_allowed() {
    let frame = decode(b"\r\n [ 2 ,\t\"a\\\"b\\u00e9\" , \"Heart\\u0062eat\" , { } ] \n");
    assert_eq!(
        frame,
        Ok(Frame::Call {
            id: Cow::Owned("a\"b\u{e9}".to_owned()),
            action: Cow::Owned("Heartbeat".to_owned()),
            payload: "{ }",
        })
    );
}

#[test]
fn id_of_36_characters_is_accepted_and_counted_in_characters() {
    let id = "é".repeat(36);
    let text = format!(r#"[3,"{id}",{{}}]"#);
    assert_eq!(decode(text.as_bytes()).map(|f| f.id().to_owned()), Ok(id));
}

#[test]
fn unknown_error_code_is_kept_and_flagged() {
    let frame = decode(br#"[4,"1","FormatViolation","2.0.1 spelling",{"x":1}]"#);
    let Ok(frame) = frame else {
        panic!("{frame:?}")
    };
    assert_eq!(frame.known_error_code(), None);
    assert!(matches!(&frame, Frame::CallError { code, .. } if code == "FormatViolation"));
}

/// (frame, kind, code, message type recovered, id owed a CALLERROR)
type Case = (
    &'static [u8],
    FrameErrorKind,
    ErrorCode,
    Option<MessageType>,
    Option<&'static str>,
);

fn malformed_cases() -> Vec<Case> {
    use ErrorCode::{FormationViolation as FV, ProtocolError as PE};
    use FrameErrorKind as K;
    use MessageType::{Call, CallError, CallResult};
    vec![
        (
            b"[2,\"a\",\"B\",{\"x\":\"\xff\"}]",
            K::InvalidUtf8,
            FV,
            Some(Call),
            Some("a"),
        ),
        (b"\xfe[2,\"a\",\"B\",{}]", K::InvalidUtf8, FV, None, None),
        (b"{\"id\":1}", K::NotArray, FV, None, None),
        (b"\"[2]\"", K::NotArray, FV, None, None),
        (b"[]", K::BadMessageType, FV, None, None),
        (b"[\"2\",\"a\",\"B\",{}]", K::BadMessageType, FV, None, None),
        (b"[2.0,\"a\",\"B\",{}]", K::BadMessageType, FV, None, None),
        (b"[[2],\"a\",\"B\",{}]", K::BadMessageType, FV, None, None),
        (
            b"[5,\"a\",\"B\",{}]",
            K::UnknownMessageType(5),
            FV,
            None,
            None,
        ),
        (b"[-1,\"a\"]", K::UnknownMessageType(-1), FV, None, None),
        (b"[2,1234,\"B\",{}]", K::BadUniqueId, FV, Some(Call), None),
        (b"[2,null,\"B\",{}]", K::BadUniqueId, FV, Some(Call), None),
        (
            b"[2,\"0123456789012345678901234567890123456\",\"B\",{}]",
            K::UniqueIdTooLong(37),
            FV,
            Some(Call),
            None,
        ),
        (
            b"[2,\"a\",\"\",{}]",
            K::BadAction,
            FV,
            Some(Call),
            Some("a"),
        ),
        (b"[2,\"a\",{},{}]", K::BadAction, FV, Some(Call), Some("a")),
        (
            b"[2,\"a\",\"B\",[]]",
            K::PayloadNotObject,
            FV,
            Some(Call),
            Some("a"),
        ),
        (
            b"[2,\"a\",\"B\",null]",
            K::PayloadNotObject,
            FV,
            Some(Call),
            Some("a"),
        ),
        (
            b"[3,\"a\",\"ok\"]",
            K::PayloadNotObject,
            FV,
            Some(CallResult),
            None,
        ),
        (
            b"[4,\"a\",7,\"\",{}]",
            K::BadErrorCode,
            FV,
            Some(CallError),
            None,
        ),
        (
            b"[4,\"a\",\"GenericError\",null,{}]",
            K::BadErrorDescription,
            FV,
            Some(CallError),
            None,
        ),
        (
            b"[4,\"a\",\"GenericError\",\"\",\"x\"]",
            K::DetailsNotObject,
            FV,
            Some(CallError),
            None,
        ),
        (b"[2]", K::Incomplete("unique id"), PE, Some(Call), None),
        (
            b"[2,\"a\"]",
            K::Incomplete("action"),
            PE,
            Some(Call),
            Some("a"),
        ),
        (
            b"[2,\"a\",\"Heartbeat\"]",
            K::Incomplete("payload"),
            PE,
            Some(Call),
            Some("a"),
        ),
        (
            b"[3,\"a\"]",
            K::Incomplete("payload"),
            PE,
            Some(CallResult),
            None,
        ),
        (
            b"[4,\"a\",\"GenericError\",\"\"]",
            K::Incomplete("error details"),
            PE,
            Some(CallError),
            None,
        ),
        (
            b"[2,\"a\",\"B\",{},{}]",
            K::TooManyElements(Call),
            FV,
            Some(Call),
            Some("a"),
        ),
        (
            b"[3,\"a\",{},1]",
            K::TooManyElements(CallResult),
            FV,
            Some(CallResult),
            None,
        ),
    ]
}

#[test]
fn each_malformed_frame_is_classified() {
    for (input, kind, code, message_type, reply_to) in malformed_cases() {
        let e = err(input);
        let shown = String::from_utf8_lossy(input);
        assert_eq!(e.kind(), &kind, "{shown}");
        assert_eq!(e.code(), code, "{shown}");
        assert_eq!(e.message_type(), message_type, "{shown}");
        assert_eq!(e.reply_to(), reply_to, "{shown}");
    }
}

#[test]
fn syntax_errors_are_formation_violations_keeping_the_id_read_so_far() {
    for (input, reply_to) in [
        (&b""[..], None),
        (b"   ", None),
        (b"[2,\"a\",\"B\",{\"x\":}]", Some("a")),
        (b"[2,\"a\",\"B\",{}", Some("a")),
        (b"[2,\"a\",\"B\",{}] x", Some("a")),
        (b"[2,\"a\"\"B\",{}]", Some("a")),
        (b"[2,\"a\",\"B\",{\"x\":\"\x01\"}]", Some("a")),
        (b"[2", None),
    ] {
        let e = err(input);
        assert!(matches!(e.kind(), FrameErrorKind::NotJson(_)), "{e:?}");
        assert_eq!(e.code(), ErrorCode::FormationViolation);
        assert_eq!(e.reply_to(), reply_to, "{}", String::from_utf8_lossy(input));
    }
}

#[test]
fn a_broken_call_result_names_its_id_but_owes_no_reply() {
    let e = err(b"[3,\"a\",[]]");
    assert_eq!(e.message_id(), Some("a"));
    assert_eq!(e.reply_to(), None);
}

#[test]
fn nesting_beyond_the_limit_is_refused_with_the_id() {
    let limits = Limits {
        max_len: 1 << 20,
        max_depth: 64,
    };
    // Frame array (1) + payload object (2) + 62 nested arrays = depth 64: accepted.
    let ok = format!(
        "[2,\"a\",\"B\",{{\"x\":{}{}}}]",
        "[".repeat(62),
        "]".repeat(62)
    );
    assert!(decode_with(ok.as_bytes(), limits).is_ok());
    let deep = format!(
        "[2,\"a\",\"B\",{{\"x\":{}{}}}]",
        "[".repeat(63),
        "]".repeat(63)
    );
    let e = decode_with(deep.as_bytes(), limits).err();
    assert_eq!(
        e.as_ref().map(FrameError::kind),
        Some(&FrameErrorKind::TooDeep { max: 64 })
    );
    assert_eq!(e.as_ref().and_then(FrameError::reply_to), Some("a"));
    // Brackets inside strings do not count.
    let quoted = format!("[2,\"a\",\"B\",{{\"x\":\"{}\"}}]", "[{".repeat(100));
    assert!(decode_with(quoted.as_bytes(), limits).is_ok());
}

#[test]
fn very_deep_nesting_anywhere_does_not_overflow_the_stack() {
    let n = 100_000;
    for text in [
        format!(
            "[2,\"a\",\"B\",{{\"x\":{}{}}}]",
            "[".repeat(n),
            "]".repeat(n)
        ),
        format!("[{}{},\"a\"]", "[".repeat(n), "]".repeat(n)),
        format!("[3,\"a\",{{}},{}]", "{\"a\":".repeat(n)),
        "[".repeat(n),
    ] {
        let limits = Limits {
            max_len: usize::MAX,
            max_depth: 64,
        };
        let e = decode_with(text.as_bytes(), limits).err();
        assert_eq!(e.map(|e| e.code()), Some(ErrorCode::FormationViolation));
    }
}

#[test]
fn oversized_frames_are_refused_unparsed_but_a_call_still_gets_its_reply() {
    let limits = Limits {
        max_len: 64,
        max_depth: 64,
    };
    let big = format!(
        "[2,\"abc\",\"DataTransfer\",{{\"data\":\"{}\"}}]",
        "x".repeat(1000)
    );
    let e = decode_with(big.as_bytes(), limits).err();
    assert_eq!(
        e.as_ref().map(FrameError::kind),
        Some(&FrameErrorKind::TooLong {
            len: big.len(),
            max: 64
        })
    );
    assert_eq!(
        e.as_ref().map(FrameError::code),
        Some(ErrorCode::GenericError)
    );
    assert_eq!(e.as_ref().and_then(FrameError::reply_to), Some("abc"));
    // Small enough to parse whole, still over the limit.
    let e = decode_with(
        b"[2,\"abc\",\"Heartbeat\",{}]",
        Limits {
            max_len: 10,
            max_depth: 64,
        },
    )
    .err();
    assert_eq!(e.as_ref().and_then(FrameError::reply_to), Some("abc"));
    let garbage = vec![b'x'; 100];
    let e = decode_with(&garbage, limits).err();
    assert_eq!(e.as_ref().map(FrameError::message_id), Some(None));
}

#[test]
fn encoders_build_the_spec_frames() {
    assert_eq!(
        encode_call("19223201", "Heartbeat", " {} "),
        Ok(r#"[2,"19223201","Heartbeat",{}]"#.to_owned())
    );
    assert_eq!(
        encode_call_result("1\"\\\n", r#"{"currentTime":"2013-02-01T20:53:32.486Z"}"#),
        Ok(r#"[3,"1\"\\\n",{"currentTime":"2013-02-01T20:53:32.486Z"}]"#.to_owned())
    );
    assert_eq!(
        encode_call_error("7", ErrorCode::OccurenceConstraintViolation, "é\u{1}", "{}"),
        Ok("[4,\"7\",\"OccurenceConstraintViolation\",\"é\\u0001\",{}]".to_owned())
    );
}

#[test]
fn encoders_refuse_bad_arguments() {
    let kind = |r: Result<String, FrameError>| r.err().map(|e| e.kind().clone());
    assert_eq!(
        kind(encode_call(&"x".repeat(37), "A", "{}")),
        Some(FrameErrorKind::UniqueIdTooLong(37))
    );
    assert_eq!(
        kind(encode_call("1", "", "{}")),
        Some(FrameErrorKind::BadAction)
    );
    assert_eq!(
        kind(encode_call("1", "A", "[]")),
        Some(FrameErrorKind::PayloadNotObject)
    );
    assert!(matches!(
        kind(encode_call_result("1", "{")),
        Some(FrameErrorKind::NotJson(_))
    ));
    assert!(matches!(
        kind(encode_call_result("1", "{} {}")),
        Some(FrameErrorKind::NotJson(_))
    ));
    assert_eq!(
        kind(encode_call_error("1", ErrorCode::GenericError, "", "1")),
        Some(FrameErrorKind::DetailsNotObject)
    );
    assert_eq!(
        "FormatViolation".parse::<ErrorCode>().map_err(|e| e.0),
        Err("FormatViolation".to_owned())
    );
}
