//! The one generic converter between the core crates' serde types and Python data.
//!
//! Values cross as plain dicts, lists and numbers whose shapes `_core.pyi` spells out as
//! TypedDicts, so `mypy --strict` of a caller catches a renamed field. Nothing here checks
//! more than types: ranges and consistency are the core crates' job.

use pyo3::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

/// A core value as Python data.
pub fn to_py<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(PyErr::from)
}

/// Python data as a core value; a wrong shape becomes `refuse(message)`, the message naming
/// where it is wrong (`connectors[0]: missing field ...`).
pub fn from_py<T: DeserializeOwned>(
    data: &Bound<'_, PyAny>,
    refuse: impl FnOnce(String) -> PyErr,
) -> PyResult<T> {
    let mut reader = pythonize::Depythonizer::from_object(data);
    serde_path_to_error::deserialize(&mut reader).map_err(|e| refuse(e.to_string()))
}
