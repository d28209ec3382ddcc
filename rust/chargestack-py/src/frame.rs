//! `chargestack._core` OCPP-J framing: `decode_frame` and the three encoders.
//!
//! Called for every websocket message, so nothing here copies more than the strings handed
//! back; payloads cross as raw JSON text for a single `model_validate_json` pass.

use ocpp_frame as of;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use crate::errors::FrameError;

/// Frames longer than this are decoded with the GIL released.
const DETACH_ABOVE: usize = 16 * 1024;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode_frame, m)?)?;
    m.add_function(wrap_pyfunction!(encode_call, m)?)?;
    m.add_function(wrap_pyfunction!(encode_call_result, m)?)?;
    m.add_function(wrap_pyfunction!(encode_call_error, m)?)?;
    Ok(())
}

/// The one place an `ocpp_frame` error becomes a Python exception:
/// `FrameError(code, description, message_id)`, where `message_id` is set only when a
/// CALLERROR is owed (the frame was a CALL whose id could be read).
fn to_py(err: &of::FrameError) -> PyErr {
    FrameError::new_err((
        err.code().as_str(),
        err.to_string(),
        err.reply_to().map(str::to_owned),
    ))
}

// Literal defaults so `__text_signature__` shows them to stubtest; kept equal to the crate's.
const _: () = assert!(of::DEFAULT_MAX_LEN == 65536 && of::DEFAULT_MAX_DEPTH == 64);

#[pyfunction]
#[pyo3(signature = (text, *, max_len = 65536, max_depth = 64))]
fn decode_frame<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    max_len: usize,
    max_depth: usize,
) -> PyResult<Bound<'py, PyTuple>> {
    let bytes = if let Ok(s) = text.cast::<PyString>() {
        // A str with lone surrogates is not UTF-8: refused like undecodable bytes.
        s.to_str()
            .map_err(|_| to_py(&of::FrameError::new(of::FrameErrorKind::InvalidUtf8)))?
            .as_bytes()
    } else if let Ok(b) = text.cast::<PyBytes>() {
        b.as_bytes()
    } else {
        return Err(PyTypeError::new_err("decode_frame takes str or bytes"));
    };
    let limits = of::Limits { max_len, max_depth };
    let decoded = if bytes.len() > DETACH_ABOVE {
        py.detach(|| of::decode_with(bytes, limits))
    } else {
        of::decode_with(bytes, limits)
    };
    let tuple = match decoded.map_err(|e| to_py(&e))? {
        of::Frame::Call {
            id,
            action,
            payload,
        } => (2u8, &*id, &*action, payload).into_pyobject(py)?,
        of::Frame::CallResult { id, payload } => (3u8, &*id, payload).into_pyobject(py)?,
        of::Frame::CallError {
            id,
            code,
            description,
            details,
        } => (4u8, &*id, &*code, &*description, details).into_pyobject(py)?,
    };
    Ok(tuple)
}

// Encoder arguments come from our own models; a str with lone surrogates fails pyo3's
// conversion with UnicodeEncodeError before reaching the codec.

#[pyfunction]
fn encode_call(id: &str, action: &str, payload_json: &str) -> PyResult<String> {
    of::encode_call(id, action, payload_json).map_err(|e| to_py(&e))
}

#[pyfunction]
fn encode_call_result(id: &str, payload_json: &str) -> PyResult<String> {
    of::encode_call_result(id, payload_json).map_err(|e| to_py(&e))
}

#[pyfunction]
#[pyo3(signature = (id, code, description, details_json = "{}"))]
fn encode_call_error(
    id: &str,
    code: &str,
    description: &str,
    details_json: &str,
) -> PyResult<String> {
    let code = code
        .parse::<of::ErrorCode>()
        .map_err(|e| to_py(&of::FrameError::new(e.into())))?;
    of::encode_call_error(id, code, description, details_json).map_err(|e| to_py(&e))
}
