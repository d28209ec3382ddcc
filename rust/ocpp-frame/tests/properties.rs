//! Property tests: encode/decode round trips, a reference classifier built on serde_json
//! `Value`, and arbitrary bytes that must always come back classified.

use ocpp_frame::{
    decode, decode_with, encode, encode_call, encode_call_error, encode_call_result, ErrorCode,
    Frame, FrameErrorKind, Limits, MessageType,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(any::<String>(), json_value(), 0..6)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// The payload text as a caller might hand it over: compact or pretty.
fn object_text() -> impl Strategy<Value = String> {
    (json_object(), any::<bool>()).prop_map(|(v, pretty)| {
        if pretty {
            serde_json::to_string_pretty(&v).unwrap_or_default()
        } else {
            v.to_string()
        }
    })
}

fn id() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..=36).prop_map(String::from_iter)
}

fn action() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 1..40).prop_map(String::from_iter)
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    prop::sample::select(ErrorCode::ALL.to_vec())
}

/// What OCPP-J 1.6 section 4 accepts, written the obvious way over a parsed `Value`.
fn reference_accepts(v: &Value) -> bool {
    let Some(a) = v.as_array() else { return false };
    let is_id = |v: &Value| v.as_str().is_some_and(|s| s.chars().count() <= 36);
    match (a.first().and_then(Value::as_u64), a.len()) {
        (Some(2), 4) => {
            is_id(&a[1]) && a[2].as_str().is_some_and(|s| !s.is_empty()) && a[3].is_object()
        }
        (Some(3), 3) => is_id(&a[1]) && a[2].is_object(),
        (Some(4), 5) => is_id(&a[1]) && a[2].is_string() && a[3].is_string() && a[4].is_object(),
        _ => false,
    }
}

fn frame_like() -> impl Strategy<Value = Value> {
    let element = prop_oneof![
        (1u64..6).prop_map(Value::from),
        id().prop_map(Value::String),
        Just(Value::String(String::new())),
        prop::sample::select(vec!["GenericError", "Heartbeat", "x"]).prop_map(Value::from),
        json_object(),
        json_value(),
    ];
    let arbitrary = prop::collection::vec(element, 0..7).prop_map(Value::Array);
    // Well-formed skeletons keep the accepting side of the reference exercised too.
    let shaped = prop_oneof![
        (id(), action(), json_object()).prop_map(|(i, a, p)| Value::Array(vec![
            2.into(),
            i.into(),
            a.into(),
            p
        ])),
        (id(), json_object()).prop_map(|(i, p)| Value::Array(vec![3.into(), i.into(), p])),
        (id(), any::<String>(), any::<String>(), json_object()).prop_map(|(i, c, d, p)| {
            Value::Array(vec![4.into(), i.into(), c.into(), d.into(), p])
        }),
    ];
    prop_oneof![arbitrary, shaped]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn call_round_trips(id in id(), action in action(), payload in object_text()) {
        let text = encode_call(&id, &action, &payload).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let frame = decode(text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(
            frame,
            Frame::Call { id: id.as_str().into(), action: action.as_str().into(), payload: payload.trim() }
        );
    }

    #[test]
    fn call_result_round_trips(id in id(), payload in object_text()) {
        let text = encode_call_result(&id, &payload).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let frame = decode(text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(frame, Frame::CallResult { id: id.as_str().into(), payload: payload.trim() });
    }

    #[test]
    fn call_error_round_trips(
        id in id(), code in error_code(), description in any::<String>(), details in object_text()
    ) {
        let text = encode_call_error(&id, code, &description, &details)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let frame = decode(text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(frame.known_error_code(), Some(code));
        prop_assert_eq!(frame, Frame::CallError {
            id: id.as_str().into(),
            code: code.as_str().into(),
            description: description.as_str().into(),
            details: details.trim(),
        });
    }

    #[test]
    fn decoder_agrees_with_the_reference(v in frame_like()) {
        let text = v.to_string();
        let decoded = decode(text.as_bytes());
        prop_assert_eq!(decoded.is_ok(), reference_accepts(&v), "{}", text);
        match decoded {
            Ok(frame) => {
                // The raw payload is exactly the text of the object that was sent.
                let payload = match &frame {
                    Frame::Call { payload, .. } | Frame::CallResult { payload, .. } => *payload,
                    Frame::CallError { details, .. } => *details,
                };
                let sent = v.as_array().and_then(|a| a.last()).map(Value::to_string);
                prop_assert_eq!(Some(payload.to_owned()), sent);
                if frame.known_error_code().is_some() || frame.message_type() != MessageType::CallError {
                    let again = encode(&frame).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(decode(again.as_bytes()), Ok(frame));
                }
            }
            Err(e) => prop_assert!(matches!(
                e.code(),
                ErrorCode::FormationViolation | ErrorCode::ProtocolError
            )),
        }
    }

    #[test]
    fn truncated_calls_owe_a_reply_to_their_own_id_or_none(
        id in id(), action in action(), payload in object_text(), cut in any::<prop::sample::Index>()
    ) {
        let text = encode_call(&id, &action, &payload).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let cut = cut.index(text.len());
        let e = decode(&text.as_bytes()[..cut]).err();
        prop_assert!(e.is_some());
        if let Some(reply_to) = e.as_ref().and_then(|e| e.reply_to()) {
            prop_assert_eq!(reply_to, id.as_str());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_are_always_classified(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        max_len in 0usize..300,
        max_depth in 0usize..8,
    ) {
        let limits = Limits { max_len, max_depth };
        if let Err(e) = decode_with(&bytes, limits) {
            prop_assert!(!e.to_string().is_empty());
            prop_assert!(e.reply_to().is_none_or(|id| id.chars().count() <= 36));
            if bytes.len() > max_len {
                prop_assert_eq!(e.kind(), &FrameErrorKind::TooLong { len: bytes.len(), max: max_len });
            }
        }
    }

    #[test]
    fn bracket_soup_never_panics(bytes in prop::collection::vec(
        prop::sample::select(b"[]{}\",:2 \\a".to_vec()), 0..512
    )) {
        if let Ok(frame) = decode(&bytes) {
            prop_assert!(frame.id().chars().count() <= 36);
        }
    }
}

#[test]
fn frame_like_values_are_often_enough_accepted_and_rejected() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = frame_like();
    let accepted = (0..400)
        .filter_map(|_| strategy.new_tree(&mut runner).ok())
        .filter(|tree| reference_accepts(&tree.current()))
        .count();
    assert!((100..300).contains(&accepted), "{accepted} of 400 accepted");
}
