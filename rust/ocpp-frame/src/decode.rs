//! Decoding: one pass of serde_json over the frame, payloads kept as raw text.
//!
//! The array is walked element by element; the header (type, id) is recorded as soon as it is
//! read, so a frame that breaks later still yields the id its CALLERROR must echo. Payloads are
//! skipped with `RawValue`, which serde_json scans without recursion and with memory bounded by
//! the input (itself bounded by [`Limits::max_len`]); their depth is then checked on the raw text.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{FrameError, FrameErrorKind};
use crate::frame::{Frame, MessageType};

/// OCPP-J 1.6 section 4.1.4: the unique id is a string of at most 36 characters.
pub const MAX_ID_CHARS: usize = 36;

/// Default of [`Limits::max_len`]: far above any 1.6 PDU but a SendLocalList of hundreds of
/// entries.
pub const DEFAULT_MAX_LEN: usize = 64 * 1024;

/// Default of [`Limits::max_depth`]: the deepest 1.6 PDU nests under 10 levels.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// How many leading bytes of an oversized frame are read to recover its type and id: enough
/// for a 36-character id written entirely in `\uXXXX` escapes, plus whitespace.
const HEADER_PREFIX: usize = 512;

/// Resource limits applied before and during decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest frame accepted, in bytes; longer frames are not parsed.
    pub max_len: usize,
    /// Deepest nesting of arrays and objects accepted; the frame's own array is level 1 and
    /// its payload object level 2.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_len: DEFAULT_MAX_LEN,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// Decodes one websocket message with the default [`Limits`].
///
/// # Errors
/// A [`FrameError`] classifying what is wrong, with the id when a CALLERROR is owed.
pub fn decode(input: &[u8]) -> Result<Frame<'_>, FrameError> {
    decode_with(input, Limits::default())
}

/// Decodes one websocket message (text frames arrive as bytes so UTF-8 is checked here).
///
/// # Errors
/// A [`FrameError`] classifying what is wrong, with the id when a CALLERROR is owed.
pub fn decode_with(input: &[u8], limits: Limits) -> Result<Frame<'_>, FrameError> {
    if input.len() > limits.max_len {
        return Err(too_long(input, limits));
    }
    if first_non_whitespace(input) != Some(b'[') {
        return Err(FrameError::new(not_an_array(input)));
    }
    let mut header = Header::default();
    let mut de = serde_json::Deserializer::from_slice(input);
    let seed = FrameSeed {
        header: &mut header,
        max_depth: limits.max_depth,
    };
    match seed
        .deserialize(&mut de)
        .and_then(|frame| de.end().map(|()| frame))
    {
        Ok(frame) => Ok(frame),
        Err(err) => Err(header.into_error(&err, input)),
    }
}

/// What the parse learnt before it failed.
#[derive(Default)]
struct Header<'de> {
    message_type: Option<MessageType>,
    id: Option<Cow<'de, str>>,
    failure: Option<FrameErrorKind>,
}

impl Header<'_> {
    fn into_error(self, err: &serde_json::Error, input: &[u8]) -> FrameError {
        let kind = self
            .failure
            .unwrap_or_else(|| syntax_error_kind(err, input));
        FrameError::with_header(kind, self.message_type, self.id.map(Cow::into_owned))
    }
}

#[cold]
fn syntax_error_kind(err: &serde_json::Error, input: &[u8]) -> FrameErrorKind {
    if std::str::from_utf8(input).is_err() {
        FrameErrorKind::InvalidUtf8
    } else {
        FrameErrorKind::NotJson(err.to_string())
    }
}

#[cold]
fn not_an_array(input: &[u8]) -> FrameErrorKind {
    // Only to tell "valid JSON, wrong shape" from "not JSON"; RawValue does not recurse.
    match serde_json::from_slice::<&RawValue>(input) {
        Ok(_) => FrameErrorKind::NotArray,
        Err(err) => syntax_error_kind(&err, input),
    }
}

#[cold]
fn too_long(input: &[u8], limits: Limits) -> FrameError {
    let kind = FrameErrorKind::TooLong {
        len: input.len(),
        max: limits.max_len,
    };
    let prefix = &input[..input.len().min(HEADER_PREFIX)];
    let mut header = Header::default();
    let mut de = serde_json::Deserializer::from_slice(prefix);
    let seed = FrameSeed {
        header: &mut header,
        max_depth: limits.max_depth,
    };
    // The prefix is expected to fail part-way; only the header it recorded matters.
    let recovered = if first_non_whitespace(prefix) == Some(b'[') {
        seed.deserialize(&mut de).ok()
    } else {
        None
    };
    match recovered {
        Some(frame) => FrameError::with_header(
            kind,
            Some(frame.message_type()),
            Some(frame.id().to_owned()),
        ),
        None => FrameError::with_header(kind, header.message_type, header.id.map(Cow::into_owned)),
    }
}

fn first_non_whitespace(input: &[u8]) -> Option<u8> {
    input
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Whether valid JSON text nests deeper than `max`, counting from `depth` levels already open.
fn exceeds_depth(json: &str, mut depth: usize, max: usize) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    for &b in json.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn fail<T, E: de::Error>(header: &mut Header<'_>, kind: FrameErrorKind) -> Result<T, E> {
    let err = E::custom(&kind);
    header.failure = Some(kind);
    Err(err)
}

struct FrameSeed<'h, 'de> {
    header: &'h mut Header<'de>,
    max_depth: usize,
}

impl<'de> DeserializeSeed<'de> for FrameSeed<'_, 'de> {
    type Value = Frame<'de>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Frame<'de>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FrameSeed<'_, 'de> {
    type Value = Frame<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OCPP-J message array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Frame<'de>, A::Error> {
        let h = self.header;
        let message_type = match seq.next_element::<Element<'de>>()? {
            Some(Element::Int(n)) => match u64::try_from(n).ok().and_then(MessageType::from_id) {
                Some(t) => t,
                None => return fail(h, FrameErrorKind::UnknownMessageType(n)),
            },
            _ => return fail(h, FrameErrorKind::BadMessageType),
        };
        h.message_type = Some(message_type);

        let id = match seq.next_element::<Element<'de>>()? {
            None => return fail(h, FrameErrorKind::Incomplete("unique id")),
            Some(Element::Str(id)) => id,
            Some(_) => return fail(h, FrameErrorKind::BadUniqueId),
        };
        let chars = id.chars().count();
        if chars > MAX_ID_CHARS {
            return fail(h, FrameErrorKind::UniqueIdTooLong(chars));
        }
        h.id = Some(id.clone());

        let frame = match message_type {
            MessageType::Call => {
                let action = match seq.next_element::<Element<'de>>()? {
                    None => return fail(h, FrameErrorKind::Incomplete("action")),
                    Some(Element::Str(a)) if !a.is_empty() => a,
                    Some(_) => return fail(h, FrameErrorKind::BadAction),
                };
                let payload = next_object(&mut seq, h, self.max_depth, Part::Payload)?;
                Frame::Call {
                    id,
                    action,
                    payload,
                }
            }
            MessageType::CallResult => {
                let payload = next_object(&mut seq, h, self.max_depth, Part::Payload)?;
                Frame::CallResult { id, payload }
            }
            MessageType::CallError => {
                let code = match seq.next_element::<Element<'de>>()? {
                    None => return fail(h, FrameErrorKind::Incomplete("error code")),
                    Some(Element::Str(c)) => c,
                    Some(_) => return fail(h, FrameErrorKind::BadErrorCode),
                };
                let description = match seq.next_element::<Element<'de>>()? {
                    None => return fail(h, FrameErrorKind::Incomplete("error description")),
                    Some(Element::Str(d)) => d,
                    Some(_) => return fail(h, FrameErrorKind::BadErrorDescription),
                };
                let details = next_object(&mut seq, h, self.max_depth, Part::Details)?;
                Frame::CallError {
                    id,
                    code,
                    description,
                    details,
                }
            }
        };
        if seq.next_element::<&'de RawValue>()?.is_some() {
            return fail(h, FrameErrorKind::TooManyElements(message_type));
        }
        Ok(frame)
    }
}

#[derive(Clone, Copy)]
enum Part {
    Payload,
    Details,
}

/// The next element as the raw text of an object no deeper than allowed.
fn next_object<'de, A: SeqAccess<'de>>(
    seq: &mut A,
    h: &mut Header<'de>,
    max_depth: usize,
    part: Part,
) -> Result<&'de str, A::Error> {
    let (missing, not_object) = match part {
        Part::Payload => ("payload", FrameErrorKind::PayloadNotObject),
        Part::Details => ("error details", FrameErrorKind::DetailsNotObject),
    };
    let Some(raw) = seq.next_element::<&'de RawValue>()? else {
        return fail(h, FrameErrorKind::Incomplete(missing));
    };
    let text = raw.get();
    if !text.starts_with('{') {
        return fail(h, not_object);
    }
    // Level 1 is the frame's array, already open.
    if exceeds_depth(text, 1, max_depth) {
        return fail(h, FrameErrorKind::TooDeep { max: max_depth });
    }
    Ok(text)
}

/// A header element: only strings and integers are wanted, anything else is "wrong type".
enum Element<'de> {
    Str(Cow<'de, str>),
    Int(i128),
    Other,
}

impl<'de> de::Deserialize<'de> for Element<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Element<'de>, E> {
        Ok(Element::Other)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Element<'de>, E> {
        Ok(Element::Int(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Element<'de>, E> {
        Ok(Element::Int(v.into()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Element<'de>, E> {
        Ok(Element::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Element<'de>, E> {
        Ok(Element::Other)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Element<'de>, E> {
        Ok(Element::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Element<'de>, E> {
        Ok(Element::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Element<'de>, E> {
        Ok(Element::Str(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element<'de>, A::Error> {
        // Skipped as raw values: serde_json does that without recursion.
        while seq.next_element::<&'de RawValue>()?.is_some() {}
        Ok(Element::Other)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Element<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, &'de RawValue>()?.is_some() {}
        Ok(Element::Other)
    }
}
