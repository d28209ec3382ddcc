//! OCPP-J error codes and the classified error of a frame that is not valid OCPP-J 1.6.

use std::fmt;
use std::str::FromStr;

use crate::frame::MessageType;

/// The CALLERROR codes of OCPP-J 1.6 section 4.2.3, with the errata spellings that are on the
/// wire (`FormationViolation`, `OccurenceConstraintViolation` with one "r").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The requested action is not known by the receiver.
    NotImplemented,
    /// The requested action is recognised but not supported by the receiver.
    NotSupported,
    /// The receiver failed internally while processing the action.
    InternalError,
    /// The payload for the action is incomplete.
    ProtocolError,
    /// A security issue prevented the receiver from completing the action.
    SecurityError,
    /// The payload is syntactically incorrect or does not conform to the PDU structure.
    FormationViolation,
    /// The payload is syntactically correct but a field has an invalid value.
    PropertyConstraintViolation,
    /// The payload is syntactically correct but a field violates occurrence constraints.
    OccurenceConstraintViolation,
    /// The payload is syntactically correct but a field violates data type constraints.
    TypeConstraintViolation,
    /// Any other error.
    GenericError,
}

impl ErrorCode {
    /// Every code, in the order of the OCPP-J 1.6 table.
    pub const ALL: [Self; 10] = [
        Self::NotImplemented,
        Self::NotSupported,
        Self::InternalError,
        Self::ProtocolError,
        Self::SecurityError,
        Self::FormationViolation,
        Self::PropertyConstraintViolation,
        Self::OccurenceConstraintViolation,
        Self::TypeConstraintViolation,
        Self::GenericError,
    ];

    /// The exact wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotImplemented => "NotImplemented",
            Self::NotSupported => "NotSupported",
            Self::InternalError => "InternalError",
            Self::ProtocolError => "ProtocolError",
            Self::SecurityError => "SecurityError",
            Self::FormationViolation => "FormationViolation",
            Self::PropertyConstraintViolation => "PropertyConstraintViolation",
            Self::OccurenceConstraintViolation => "OccurenceConstraintViolation",
            Self::TypeConstraintViolation => "TypeConstraintViolation",
            Self::GenericError => "GenericError",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string is not one of the ten OCPP-J 1.6 error codes (spellings are exact).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown OCPP-J 1.6 error code {0:?}")]
pub struct UnknownErrorCode(pub String);

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|code| code.as_str() == s)
            .ok_or_else(|| UnknownErrorCode(s.to_owned()))
    }
}

/// What is wrong with a frame (decoding) or with the arguments of an encoder.
///
/// Each kind names the OCPP-J code the session answers with ([`FrameErrorKind::code`]); the
/// choice per kind is documented on the variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameErrorKind {
    /// The frame is longer than the configured limit; it is not parsed (only its first bytes
    /// are read to recover the id). `GenericError`: the frame may be perfectly formed, and no
    /// 1.6 code names a size limit ("any other error").
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLong {
        /// Length of the frame in bytes.
        len: usize,
        /// The configured limit.
        max: usize,
    },
    /// Arrays and objects nest deeper than the configured limit. `FormationViolation`: no
    /// OCPP 1.6 PDU nests anywhere near the limit, so the payload cannot conform to its PDU.
    #[error("JSON nests deeper than {max} levels")]
    TooDeep {
        /// The configured limit (the frame's own array is level 1).
        max: usize,
    },
    /// The bytes are not UTF-8 (OCPP-J section 4.1.1 mandates UTF-8). `FormationViolation`.
    #[error("frame is not valid UTF-8")]
    InvalidUtf8,
    /// The text is not JSON (RFC 8259), or has text after the array. `FormationViolation`
    /// ("syntactically incorrect").
    #[error("frame is not valid JSON: {0}")]
    NotJson(String),
    /// The JSON is not an array (OCPP-J section 4.1.3: every message is an array).
    /// `FormationViolation`.
    #[error("frame is not a JSON array")]
    NotArray,
    /// The first element is missing or not an integer. `FormationViolation`.
    #[error("message type id is missing or not an integer")]
    BadMessageType,
    /// The message type id is an integer other than 2, 3 or 4. OCPP-J section 4.1.3 says the
    /// message is then ignored, so no reply is owed; the code (`FormationViolation`) is for the
    /// log only.
    #[error("unknown message type id {0}")]
    UnknownMessageType(i128),
    /// The unique id is not a string. `FormationViolation`; the id cannot be echoed.
    #[error("unique id is not a string")]
    BadUniqueId,
    /// The unique id is longer than 36 characters (OCPP-J section 4.1.4). `FormationViolation`;
    /// echoing it would make our CALLERROR invalid as well, so none is owed.
    #[error("unique id has {0} characters, at most 36 are allowed")]
    UniqueIdTooLong(usize),
    /// The action of a CALL is not a string or is empty. `FormationViolation`.
    #[error("action is not a non-empty string")]
    BadAction,
    /// The payload of a CALL or CALLRESULT is not a JSON object. `FormationViolation`: the
    /// payload does not conform to any PDU structure (every 1.6 PDU is an object).
    #[error("payload is not a JSON object")]
    PayloadNotObject,
    /// The error code of a CALLERROR is not a string. `FormationViolation`.
    #[error("error code is not a string")]
    BadErrorCode,
    /// The error description of a CALLERROR is not a string. `FormationViolation`.
    #[error("error description is not a string")]
    BadErrorDescription,
    /// The error details of a CALLERROR are not a JSON object. `FormationViolation`.
    #[error("error details are not a JSON object")]
    DetailsNotObject,
    /// The array ends before the element named. `ProtocolError`: OCPP-J 1.6 section 4.2.3
    /// gives it for a message that is incomplete.
    #[error("frame ends before its {0}")]
    Incomplete(&'static str),
    /// The array has more elements than its message type allows. `FormationViolation`.
    #[error("frame has more elements than a {0} allows")]
    TooManyElements(MessageType),
    /// An encoder was given an error code outside the 1.6 list; we never send one.
    /// `GenericError`: a fault of the caller, not of a peer.
    #[error(transparent)]
    UnknownErrorCode(#[from] UnknownErrorCode),
}

impl FrameErrorKind {
    /// The OCPP-J error code that a CALLERROR answering this frame carries.
    #[must_use]
    pub const fn code(&self) -> ErrorCode {
        match self {
            Self::TooLong { .. } | Self::UnknownErrorCode(_) => ErrorCode::GenericError,
            Self::Incomplete(_) => ErrorCode::ProtocolError,
            Self::TooDeep { .. }
            | Self::InvalidUtf8
            | Self::NotJson(_)
            | Self::NotArray
            | Self::BadMessageType
            | Self::UnknownMessageType(_)
            | Self::BadUniqueId
            | Self::UniqueIdTooLong(_)
            | Self::BadAction
            | Self::PayloadNotObject
            | Self::BadErrorCode
            | Self::BadErrorDescription
            | Self::DetailsNotObject
            | Self::TooManyElements(_) => ErrorCode::FormationViolation,
        }
    }
}

/// A frame that is not valid OCPP-J 1.6, or invalid arguments to an encoder.
///
/// Besides the kind it keeps what could be recovered of the frame's header, so the session
/// knows whether a CALLERROR is owed ([`FrameError::reply_to`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct FrameError {
    kind: FrameErrorKind,
    message_type: Option<MessageType>,
    message_id: Option<String>,
}

impl FrameError {
    /// An error without recovered header (encoder errors, unreadable frames).
    #[must_use]
    pub const fn new(kind: FrameErrorKind) -> Self {
        Self {
            kind,
            message_type: None,
            message_id: None,
        }
    }

    pub(crate) const fn with_header(
        kind: FrameErrorKind,
        message_type: Option<MessageType>,
        message_id: Option<String>,
    ) -> Self {
        Self {
            kind,
            message_type,
            message_id,
        }
    }

    /// What is wrong.
    #[must_use]
    pub const fn kind(&self) -> &FrameErrorKind {
        &self.kind
    }

    /// The OCPP-J code to answer with (see [`FrameErrorKind`] for the choice per kind).
    #[must_use]
    pub const fn code(&self) -> ErrorCode {
        self.kind.code()
    }

    /// The message type id, when the frame got that far and it was 2, 3 or 4.
    #[must_use]
    pub const fn message_type(&self) -> Option<MessageType> {
        self.message_type
    }

    /// The unique id, when the frame got that far and it was a valid id.
    #[must_use]
    pub fn message_id(&self) -> Option<&str> {
        self.message_id.as_deref()
    }

    /// The id to answer with a CALLERROR, if one is owed: only a CALL is answered
    /// (OCPP-J section 4.2.3 makes CALLERROR the reply to a CALL; a broken CALLRESULT or
    /// CALLERROR is logged and dropped, and its CALL then times out).
    #[must_use]
    pub fn reply_to(&self) -> Option<&str> {
        match self.message_type {
            Some(MessageType::Call) => self.message_id(),
            _ => None,
        }
    }
}
