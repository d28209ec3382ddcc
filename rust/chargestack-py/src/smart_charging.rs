//! `chargestack._core` smart charging: `ChargingProfile` (a profile parsed and checked once)
//! and `ProfileSet` (the installed profiles and every question asked of them), over the
//! `smart_charging` crate. Shapes crossing as data are spelled out in `_core.pyi`.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use pyo3::prelude::*;
use smart_charging as sc;

use crate::errors::SmartChargingError;
use crate::typed;

/// Above this many profiles a computation runs with the GIL released.
const DETACH_ABOVE: usize = 16;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ChargingProfile>()?;
    m.add_class::<ProfileSet>()?;
    Ok(())
}

/// The one place a `smart_charging` error becomes a Python exception.
fn to_py(err: sc::SmartChargingError) -> PyErr {
    SmartChargingError::new_err(err.to_string())
}

/// Station ratings, limits, criteria or a unit of the wrong shape.
fn from_py<T: serde::de::DeserializeOwned>(data: &Bound<'_, PyAny>) -> PyResult<T> {
    typed::from_py(data, |e| {
        SmartChargingError::new_err(format!("invalid input: {e}"))
    })
}

/// connector id -> (transactionId or None while unknown, start ms).
type Transactions = HashMap<u32, (Option<i32>, i64)>;

fn transactions(txs: Transactions) -> Vec<sc::TxContext> {
    txs.into_iter()
        .map(|(connector_id, (transaction_id, start_ms))| sc::TxContext {
            connector_id,
            transaction_id,
            start_ms,
        })
        .collect()
}

/// A charging profile installed on a connector, parsed and checked once.
#[pyclass(frozen, module = "chargestack._core")]
pub struct ChargingProfile {
    inner: sc::InstalledProfile,
}

#[pymethods]
impl ChargingProfile {
    #[new]
    #[pyo3(signature = (json, connector_id=None))]
    fn new(json: &str, connector_id: Option<u32>) -> PyResult<Self> {
        let inner =
            sc::InstalledProfile::from_json(json.as_bytes(), connector_id).map_err(to_py)?;
        Ok(Self { inner })
    }

    #[getter]
    fn id(&self) -> i32 {
        self.inner.profile.id
    }

    #[getter]
    fn connector_id(&self) -> u32 {
        self.inner.connector_id
    }

    #[getter]
    fn purpose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        typed::to_py(py, &self.inner.profile.purpose)
    }

    #[getter]
    fn stack_level(&self) -> u32 {
        self.inner.profile.stack_level
    }

    #[getter]
    fn transaction_id(&self) -> Option<i32> {
        self.inner.profile.transaction_id
    }

    fn check(&self, limits: &Bound<'_, PyAny>) -> PyResult<()> {
        let limits: sc::ValidationLimits = from_py(limits)?;
        let p = &self.inner;
        sc::validate_profile(p.connector_id, &p.profile, &limits).map_err(to_py)
    }

    fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// The installed profiles of a station, behind a lock so reads can run without the GIL.
#[pyclass(frozen, module = "chargestack._core")]
pub struct ProfileSet {
    inner: RwLock<sc::ProfileSet>,
}

impl ProfileSet {
    fn read(&self) -> RwLockReadGuard<'_, sc::ProfileSet> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, sc::ProfileSet> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `query` on the set, without the GIL when the set is large.
    fn query<T: Send>(
        &self,
        py: Python<'_>,
        query: impl FnOnce(&sc::ProfileSet) -> Result<T, sc::SmartChargingError> + Send,
    ) -> PyResult<T> {
        let run = || query(&self.read());
        let large = self.read().profiles().len() > DETACH_ABOVE;
        if large { py.detach(run) } else { run() }.map_err(to_py)
    }
}

#[pymethods]
impl ProfileSet {
    #[new]
    fn new(station: &Bound<'_, PyAny>) -> PyResult<Self> {
        let station: sc::StationRatings = from_py(station)?;
        let inner = RwLock::new(sc::ProfileSet::new(&station).map_err(to_py)?);
        Ok(Self { inner })
    }

    fn __len__(&self) -> usize {
        self.read().profiles().len()
    }

    fn admit(&self, profile: &ChargingProfile, limits: &Bound<'_, PyAny>) -> PyResult<Vec<i32>> {
        let limits: sc::ValidationLimits = from_py(limits)?;
        self.read().admit(&profile.inner, &limits).map_err(to_py)
    }

    fn replaced_by(&self, profile: &ChargingProfile) -> Vec<i32> {
        self.read().replaced_by(&profile.inner)
    }

    fn install(&self, profile: &ChargingProfile) -> Vec<i32> {
        self.write().install(profile.inner.clone())
    }

    fn remove(&self, ids: Vec<i32>) -> usize {
        self.write().remove(&ids)
    }

    fn matching(&self, criteria: &Bound<'_, PyAny>) -> PyResult<Vec<i32>> {
        let filter: sc::ClearFilter = from_py(criteria)?;
        Ok(self.read().matching(&filter))
    }

    fn tx_profiles_on(&self, connector_id: u32) -> Vec<i32> {
        self.read().tx_profiles_on(connector_id)
    }

    fn setpoints<'py>(
        &self,
        py: Python<'py>,
        now_ms: i64,
        transactions: Transactions,
    ) -> PyResult<Bound<'py, PyAny>> {
        let txs = self::transactions(transactions);
        let answer = self.query(py, |set| set.setpoints(now_ms, &txs))?;
        typed::to_py(py, &answer)
    }

    fn composite_schedule<'py>(
        &self,
        py: Python<'py>,
        connector_id: u32,
        start_ms: i64,
        duration_s: i64,
        transactions: Transactions,
        unit: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (txs, unit) = (self::transactions(transactions), from_py(unit)?);
        let window = sc::Window {
            start_ms,
            duration_s,
        };
        let schedule = self.query(py, |set| {
            set.composite_schedule(connector_id, window, &txs, unit)
        })?;
        typed::to_py(py, &schedule)
    }

    fn limit_at(
        &self,
        py: Python<'_>,
        connector_id: u32,
        now_ms: i64,
        transactions: Transactions,
        unit: &Bound<'_, PyAny>,
    ) -> PyResult<(f64, Option<i64>)> {
        let (txs, unit) = (self::transactions(transactions), from_py(unit)?);
        let now = self.query(py, |set| set.limit_at(connector_id, now_ms, &txs, unit))?;
        // Limits are far below 2^53 tenths, so the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        let limit = now.limit_tenths as f64 / 10.0;
        Ok((limit, now.next_change_ms))
    }
}
