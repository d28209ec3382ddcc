//! `chargestack._core`: a table of contents of the Rust core as seen from Python.
//!
//! Each area lives in its own file and registers its functions and classes here. The
//! crates below this one are plain Rust; this crate converts types (their serde types
//! through the one generic converter of `typed.rs`), releases the GIL around work that
//! takes time, and maps each crate's error enum to the exception classes defined in
//! `chargestack.exceptions` (imported in `errors.rs`; one `to_py` per crate).

use pyo3::prelude::*;

mod errors;
mod frame;
mod power;
mod smart_charging;
mod typed;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    frame::register(m)?;
    smart_charging::register(m)?;
    power::register(m)?;
    Ok(())
}
