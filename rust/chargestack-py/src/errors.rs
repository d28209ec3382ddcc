//! The exception classes of `chargestack.exceptions` that Rust raises, imported in one place
//! so their documentation, hierarchy and pickling stay in Python.

pyo3::import_exception!(chargestack.exceptions, CanInterfaceError);
pyo3::import_exception!(chargestack.exceptions, FrameError);
pyo3::import_exception!(chargestack.exceptions, PowerStageError);
pyo3::import_exception!(chargestack.exceptions, SmartChargingError);
