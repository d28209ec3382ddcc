//! Encoding: frames are assembled from already-serialised payload text in one buffer.

use serde_json::value::RawValue;

use crate::decode::MAX_ID_CHARS;
use crate::error::{ErrorCode, FrameError, FrameErrorKind};
use crate::frame::Frame;

/// Encodes `[2, id, action, payload]`.
///
/// # Errors
/// The id is longer than 36 characters, the action is empty, or the payload is not the JSON
/// text of an object.
pub fn encode_call(id: &str, action: &str, payload_json: &str) -> Result<String, FrameError> {
    check_id(id)?;
    if action.is_empty() {
        return Err(FrameError::new(FrameErrorKind::BadAction));
    }
    let payload = object_text(payload_json, FrameErrorKind::PayloadNotObject)?;
    let mut out = String::with_capacity(16 + id.len() + action.len() + payload.len());
    out.push_str("[2,");
    push_json_string(&mut out, id);
    out.push(',');
    push_json_string(&mut out, action);
    out.push(',');
    out.push_str(payload);
    out.push(']');
    Ok(out)
}

/// Encodes `[3, id, payload]`.
///
/// # Errors
/// The id is longer than 36 characters or the payload is not the JSON text of an object.
pub fn encode_call_result(id: &str, payload_json: &str) -> Result<String, FrameError> {
    check_id(id)?;
    let payload = object_text(payload_json, FrameErrorKind::PayloadNotObject)?;
    let mut out = String::with_capacity(10 + id.len() + payload.len());
    out.push_str("[3,");
    push_json_string(&mut out, id);
    out.push(',');
    out.push_str(payload);
    out.push(']');
    Ok(out)
}

/// Encodes `[4, id, code, description, details]`; we only ever send the 1.6 codes.
///
/// # Errors
/// The id is longer than 36 characters or the details are not the JSON text of an object.
pub fn encode_call_error(
    id: &str,
    code: ErrorCode,
    description: &str,
    details_json: &str,
) -> Result<String, FrameError> {
    check_id(id)?;
    let details = object_text(details_json, FrameErrorKind::DetailsNotObject)?;
    let code = code.as_str();
    let mut out =
        String::with_capacity(16 + id.len() + code.len() + description.len() + details.len());
    out.push_str("[4,");
    push_json_string(&mut out, id);
    out.push_str(",\"");
    // Codes are plain ASCII letters: nothing to escape.
    out.push_str(code);
    out.push_str("\",");
    push_json_string(&mut out, description);
    out.push(',');
    out.push_str(details);
    out.push(']');
    Ok(out)
}

/// Encodes a decoded frame again (a CALLERROR's code must be one of the 1.6 list).
///
/// # Errors
/// As the encoder of the frame's type; an unknown CALLERROR code is refused.
pub fn encode(frame: &Frame<'_>) -> Result<String, FrameError> {
    match frame {
        Frame::Call {
            id,
            action,
            payload,
        } => encode_call(id, action, payload),
        Frame::CallResult { id, payload } => encode_call_result(id, payload),
        Frame::CallError {
            id,
            code,
            description,
            details,
        } => {
            let code = code
                .parse()
                .map_err(|e| FrameError::new(FrameErrorKind::UnknownErrorCode(e)))?;
            encode_call_error(id, code, description, details)
        }
    }
}

fn check_id(id: &str) -> Result<(), FrameError> {
    // Byte length bounds the character count from above: skip counting for ordinary ids.
    if id.len() <= MAX_ID_CHARS {
        return Ok(());
    }
    let chars = id.chars().count();
    if chars > MAX_ID_CHARS {
        return Err(FrameError::new(FrameErrorKind::UniqueIdTooLong(chars)));
    }
    Ok(())
}

/// The text of a JSON object without surrounding whitespace; validated (one scan, nothing
/// built) because the caller's text goes on the wire verbatim.
fn object_text(json: &str, not_object: FrameErrorKind) -> Result<&str, FrameError> {
    match serde_json::from_str::<&RawValue>(json) {
        Ok(raw) if raw.get().starts_with('{') => Ok(raw.get()),
        Ok(_) => Err(FrameError::new(not_object)),
        Err(err) => Err(FrameError::new(FrameErrorKind::NotJson(err.to_string()))),
    }
}

/// Appends `s` as a JSON string literal (RFC 8259 section 7): quotes, backslashes and control
/// characters are escaped; everything else, non-ASCII included, goes through as UTF-8.
fn push_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::push_json_string;

    fn escaped(s: &str) -> String {
        let mut out = String::new();
        push_json_string(&mut out, s);
        out
    }

    #[test]
    fn escapes_agree_with_serde_json() {
        for s in [
            "",
            "plain",
            "q\"b\\s",
            "\u{0}\u{1f}\u{7f}",
            "\n\r\t\u{8}\u{c}",
            "é☃😀/",
        ] {
            let ours = escaped(s);
            assert_eq!(
                serde_json::from_str::<String>(&ours).ok().as_deref(),
                Some(s)
            );
            assert_eq!(ours, serde_json::to_string(s).unwrap_or_default());
        }
    }
}
