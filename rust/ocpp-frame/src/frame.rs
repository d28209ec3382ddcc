//! The three OCPP-J 1.6 messages, borrowing from the text they were decoded from.

use std::borrow::Cow;
use std::fmt;

use crate::error::ErrorCode;

/// The message type id, the first element of every OCPP-J array (section 4.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// `2`: a request.
    Call,
    /// `3`: the answer to a CALL.
    CallResult,
    /// `4`: the error answer to a CALL.
    CallError,
}

impl MessageType {
    /// The number on the wire.
    #[must_use]
    pub const fn id(self) -> u8 {
        match self {
            Self::Call => 2,
            Self::CallResult => 3,
            Self::CallError => 4,
        }
    }

    /// The type for a number on the wire; `None` for any other number.
    #[must_use]
    pub const fn from_id(id: u64) -> Option<Self> {
        match id {
            2 => Some(Self::Call),
            3 => Some(Self::CallResult),
            4 => Some(Self::CallError),
            _ => None,
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Call => "CALL",
            Self::CallResult => "CALLRESULT",
            Self::CallError => "CALLERROR",
        })
    }
}

/// A decoded OCPP-J frame.
///
/// Strings are borrowed from the input unless they contained JSON escapes. Payloads and
/// error details are the raw JSON text of an object, exactly as received, so the caller
/// validates them against the action's schema in a single pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// `[2, id, action, payload]`
    Call {
        /// Unique id, at most 36 characters.
        id: Cow<'a, str>,
        /// Action name, non-empty, case-sensitive (not checked against a list here).
        action: Cow<'a, str>,
        /// Raw JSON text of the payload object.
        payload: &'a str,
    },
    /// `[3, id, payload]`
    CallResult {
        /// Unique id of the CALL answered.
        id: Cow<'a, str>,
        /// Raw JSON text of the payload object.
        payload: &'a str,
    },
    /// `[4, id, code, description, details]`
    CallError {
        /// Unique id of the CALL answered.
        id: Cow<'a, str>,
        /// The error code as received. Leniency: a code outside the 1.6 list is kept, not
        /// rejected, so the pending CALL still fails with the peer's words; see
        /// [`Frame::known_error_code`].
        code: Cow<'a, str>,
        /// Free-text description, possibly empty.
        description: Cow<'a, str>,
        /// Raw JSON text of the details object.
        details: &'a str,
    },
}

impl Frame<'_> {
    /// The message type of this frame.
    #[must_use]
    pub const fn message_type(&self) -> MessageType {
        match self {
            Self::Call { .. } => MessageType::Call,
            Self::CallResult { .. } => MessageType::CallResult,
            Self::CallError { .. } => MessageType::CallError,
        }
    }

    /// The unique id of this frame.
    #[must_use]
    pub fn id(&self) -> &str {
        match self {
            Self::Call { id, .. } | Self::CallResult { id, .. } | Self::CallError { id, .. } => id,
        }
    }

    /// For a CALLERROR, its code when it is one of the 1.6 list; `None` flags a code kept by
    /// leniency (and every other message type).
    #[must_use]
    pub fn known_error_code(&self) -> Option<ErrorCode> {
        match self {
            Self::CallError { code, .. } => code.parse().ok(),
            _ => None,
        }
    }
}
