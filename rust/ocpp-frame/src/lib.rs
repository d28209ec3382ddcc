//! OCPP-J 1.6 framing: decode a websocket text frame into CALL, CALLRESULT or CALLERROR and
//! encode them back, enforcing OCPP-J 1.6 section 4 (array shape, element types, message type
//! ids, unique ids of at most 36 characters, object payloads, the 1.6 error codes).
//!
//! Payloads stay raw JSON text: the frame is parsed once here and the payload is validated
//! once, against its action's schema, by the caller. A malformed frame yields a
//! [`FrameError`] that names the OCPP-J code to answer with and, when a CALLERROR is owed, the
//! id to echo ([`FrameError::reply_to`]); otherwise the frame is logged and dropped.

mod decode;
mod encode;
mod error;
mod frame;

pub use decode::{decode, decode_with, Limits, DEFAULT_MAX_DEPTH, DEFAULT_MAX_LEN, MAX_ID_CHARS};
pub use encode::{encode, encode_call, encode_call_error, encode_call_result};
pub use error::{ErrorCode, FrameError, FrameErrorKind, UnknownErrorCode};
pub use frame::{Frame, MessageType};
