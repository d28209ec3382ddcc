//! `chargestack._core` smart charging: the composite schedule, the limit now with its next
//! change, and SetChargingProfile validation, over plain Python data.
//!
//! Profiles are dicts with the OCPP JSON field names (times as ms integers) plus
//! `connectorId`; `transactions` maps a connector id to `(transactionId, start_ms)`; `params`
//! is a dict of the station's electrical ratings. The stub section in `_core.pyi` spells out
//! every key.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use smart_charging as sc;

pyo3::import_exception!(chargestack.exceptions, SmartChargingError);

/// Above this many profiles the computation runs with the GIL released.
const DETACH_ABOVE: usize = 16;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(composite_schedule, m)?)?;
    m.add_function(wrap_pyfunction!(limit_at, m)?)?;
    m.add_function(wrap_pyfunction!(validate_charging_profile, m)?)?;
    Ok(())
}

/// The one place a `smart_charging` error becomes a Python exception.
fn to_py(err: sc::SmartChargingError) -> PyErr {
    SmartChargingError::new_err(err.to_string())
}

fn bad_input(what: &str) -> PyErr {
    SmartChargingError::new_err(format!("invalid input: {what}"))
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn composite_schedule<'py>(
    py: Python<'py>,
    profiles: &Bound<'py, PyAny>,
    connector_id: u32,
    start_ms: i64,
    duration_s: i64,
    transactions: &Bound<'py, PyDict>,
    params: &Bound<'py, PyDict>,
    unit: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let profiles = convert::profiles(profiles)?;
    let txs = convert::transactions(transactions)?;
    let params = convert::params(params)?;
    let unit = convert::unit(unit)?;
    let window = sc::Window {
        start_ms,
        duration_s,
    };
    let run = || sc::composite_schedule(&profiles, connector_id, window, &txs, &params, unit);
    let schedule = if profiles.len() > DETACH_ABOVE {
        py.detach(run)
    } else {
        run()
    }
    .map_err(to_py)?;
    convert::schedule_to_dict(py, &schedule)
}

#[pyfunction]
fn limit_at<'py>(
    py: Python<'py>,
    profiles: &Bound<'py, PyAny>,
    connector_id: u32,
    now_ms: i64,
    transactions: &Bound<'py, PyDict>,
    params: &Bound<'py, PyDict>,
    unit: &str,
) -> PyResult<(f64, Option<i64>)> {
    let profiles = convert::profiles(profiles)?;
    let txs = convert::transactions(transactions)?;
    let params = convert::params(params)?;
    let unit = convert::unit(unit)?;
    let run = || sc::limit_at(&profiles, connector_id, now_ms, &txs, &params, unit);
    let now = if profiles.len() > DETACH_ABOVE {
        py.detach(run)
    } else {
        run()
    }
    .map_err(to_py)?;
    Ok((convert::from_tenths(now.limit_tenths), now.next_change_ms))
}

#[pyfunction]
fn validate_charging_profile(
    profile: &Bound<'_, PyDict>,
    connector_id: u32,
    max_stack_level: u32,
    max_periods: usize,
    allowed_units: &Bound<'_, PyList>,
    connector_count: u32,
) -> PyResult<()> {
    let parsed = convert::profile(profile, connector_id)?;
    let allowed_units = allowed_units
        .iter()
        .map(|u| convert::unit(&u.extract::<String>()?))
        .collect::<PyResult<Vec<_>>>()?;
    let limits = sc::ValidationLimits {
        max_stack_level,
        max_periods,
        allowed_units,
        connector_count,
    };
    sc::validate_profile(connector_id, &parsed.profile, &limits).map_err(to_py)
}

mod convert {
    //! Python data to owned `smart_charging` data and back.

    use super::{bad_input, sc, to_py, PyTypeError};
    use pyo3::prelude::*;
    use pyo3::types::{PyDict, PyList, PyString};

    fn get<'py>(
        d: &Bound<'py, PyDict>,
        key: &Bound<'py, PyString>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(d.get_item(key)?.filter(|v| !v.is_none()))
    }

    fn req<'py>(d: &Bound<'py, PyDict>, key: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        get(d, key)?.ok_or_else(|| bad_input(&format!("missing {key}")))
    }

    fn opt<'py, T: for<'a> FromPyObjectOwned<'py>>(
        d: &Bound<'py, PyDict>,
        key: &Bound<'py, PyString>,
    ) -> PyResult<Option<T>> {
        match get(d, key)? {
            None => Ok(None),
            Some(v) => v
                .extract::<T>()
                .map(Some)
                .map_err(|e| typed(key, &e.into())),
        }
    }

    fn typed(key: &Bound<'_, PyString>, err: &PyErr) -> PyErr {
        PyTypeError::new_err(format!("{key}: {err}"))
    }

    fn dict<'py>(v: &Bound<'py, PyAny>, key: &str) -> PyResult<Bound<'py, PyDict>> {
        v.cast::<PyDict>()
            .cloned()
            .map_err(|_| PyTypeError::new_err(format!("{key} must be a dict")))
    }

    pub fn unit(text: &str) -> PyResult<sc::Unit> {
        match text {
            "A" => Ok(sc::Unit::A),
            "W" => Ok(sc::Unit::W),
            _ => Err(bad_input(&format!("chargingRateUnit {text:?}"))),
        }
    }

    pub fn from_tenths(tenths: i64) -> f64 {
        // Limits are far below 2^53 tenths, so the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        let value = tenths as f64;
        value / 10.0
    }

    fn tenths(value: f64) -> PyResult<i64> {
        sc::limit_to_tenths(value).map_err(to_py)
    }

    pub fn profiles(list: &Bound<'_, PyAny>) -> PyResult<Vec<sc::InstalledProfile>> {
        list.try_iter()?
            .map(|item| {
                let item = item?;
                let d = dict(&item, "profile")?;
                let connector_id =
                    req(&d, pyo3::intern!(d.py(), "connectorId"))?.extract::<u32>()?;
                profile(&d, connector_id)
            })
            .collect()
    }

    pub fn profile(d: &Bound<'_, PyDict>, connector_id: u32) -> PyResult<sc::InstalledProfile> {
        let purpose = match req(d, pyo3::intern!(d.py(), "chargingProfilePurpose"))?
            .extract::<String>()?
            .as_str()
        {
            "ChargePointMaxProfile" => sc::Purpose::ChargePointMaxProfile,
            "TxDefaultProfile" => sc::Purpose::TxDefaultProfile,
            "TxProfile" => sc::Purpose::TxProfile,
            other => return Err(bad_input(&format!("chargingProfilePurpose {other:?}"))),
        };
        let kind = match req(d, pyo3::intern!(d.py(), "chargingProfileKind"))?
            .extract::<String>()?
            .as_str()
        {
            "Absolute" => sc::Kind::Absolute,
            "Recurring" => sc::Kind::Recurring,
            "Relative" => sc::Kind::Relative,
            other => return Err(bad_input(&format!("chargingProfileKind {other:?}"))),
        };
        let recurrency = match opt::<String>(d, pyo3::intern!(d.py(), "recurrencyKind"))?.as_deref()
        {
            None => None,
            Some("Daily") => Some(sc::Recurrency::Daily),
            Some("Weekly") => Some(sc::Recurrency::Weekly),
            Some(other) => return Err(bad_input(&format!("recurrencyKind {other:?}"))),
        };
        let s = dict(
            &req(d, pyo3::intern!(d.py(), "chargingSchedule"))?,
            "chargingSchedule",
        )?;
        let periods = req(&s, pyo3::intern!(s.py(), "chargingSchedulePeriod"))?
            .try_iter()?
            .map(|p| {
                let p = dict(&p?, "chargingSchedulePeriod")?;
                Ok(sc::Period {
                    start_s: req(&p, pyo3::intern!(p.py(), "startPeriod"))?.extract()?,
                    limit_tenths: tenths(req(&p, pyo3::intern!(p.py(), "limit"))?.extract()?)?,
                    number_phases: opt(&p, pyo3::intern!(p.py(), "numberPhases"))?,
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let schedule = sc::ChargingSchedule {
            duration_s: opt(&s, pyo3::intern!(s.py(), "duration"))?,
            start_schedule: opt(&s, pyo3::intern!(s.py(), "startSchedule"))?,
            unit: unit(&req(&s, pyo3::intern!(s.py(), "chargingRateUnit"))?.extract::<String>()?)?,
            periods,
            min_charging_rate_tenths: opt::<f64>(&s, pyo3::intern!(s.py(), "minChargingRate"))?
                .map(tenths)
                .transpose()?,
        };
        Ok(sc::InstalledProfile {
            connector_id,
            profile: sc::ChargingProfile {
                id: req(d, pyo3::intern!(d.py(), "chargingProfileId"))?.extract()?,
                stack_level: req(d, pyo3::intern!(d.py(), "stackLevel"))?.extract()?,
                purpose,
                kind,
                recurrency,
                valid_from: opt(d, pyo3::intern!(d.py(), "validFrom"))?,
                valid_to: opt(d, pyo3::intern!(d.py(), "validTo"))?,
                transaction_id: opt(d, pyo3::intern!(d.py(), "transactionId"))?,
                schedule,
            },
        })
    }

    pub fn transactions(d: &Bound<'_, PyDict>) -> PyResult<Vec<sc::TxContext>> {
        d.iter()
            .map(|(connector, tx)| {
                let (transaction_id, start_ms) = tx.extract::<(i32, i64)>()?;
                Ok(sc::TxContext {
                    connector_id: connector.extract()?,
                    transaction_id,
                    start_ms,
                })
            })
            .collect()
    }

    fn rating_tenths(value: f64, key: &str) -> PyResult<i64> {
        if !(0.0..9e14).contains(&value) {
            return Err(bad_input(&format!("{key} must be a non-negative number")));
        }
        // Checked finite and in range above; rounding down keeps the rating conservative.
        #[allow(clippy::cast_possible_truncation)]
        Ok((value * 10.0).floor() as i64)
    }

    fn rating(d: &Bound<'_, PyDict>, a: &str, w: &str) -> PyResult<sc::HardwareLimit> {
        Ok(sc::HardwareLimit {
            current_tenths_a: rating_tenths(req(d, &PyString::new(d.py(), a))?.extract()?, a)?,
            power_tenths_w: rating_tenths(req(d, &PyString::new(d.py(), w))?.extract()?, w)?,
        })
    }

    pub fn params(d: &Bound<'_, PyDict>) -> PyResult<sc::ElectricalParams> {
        let max_a = dict(
            &req(d, pyo3::intern!(d.py(), "connector_max_a"))?,
            "connector_max_a",
        )?;
        let max_w = dict(
            &req(d, pyo3::intern!(d.py(), "connector_max_w"))?,
            "connector_max_w",
        )?;
        let mut connectors = Vec::with_capacity(max_a.len());
        for (id, amps) in max_a.iter() {
            let watts = max_w
                .get_item(&id)?
                .ok_or_else(|| bad_input(&format!("connector_max_w has no connector {id}")))?;
            let limit = sc::HardwareLimit {
                current_tenths_a: rating_tenths(amps.extract()?, "connector_max_a")?,
                power_tenths_w: rating_tenths(watts.extract()?, "connector_max_w")?,
            };
            connectors.push((id.extract::<u32>()?, limit));
        }
        if max_w.len() != connectors.len() {
            return Err(bad_input(
                "connector_max_a and connector_max_w name different connectors",
            ));
        }
        Ok(sc::ElectricalParams {
            grid_voltage_v: req(d, pyo3::intern!(d.py(), "grid_voltage_v"))?.extract()?,
            grid_phases: req(d, pyo3::intern!(d.py(), "grid_phases"))?.extract()?,
            station: rating(d, "station_max_a", "station_max_w")?,
            connectors,
        })
    }

    pub fn schedule_to_dict<'py>(
        py: Python<'py>,
        schedule: &sc::CompositeSchedule,
    ) -> PyResult<Bound<'py, PyDict>> {
        let periods = PyList::empty(py);
        for period in &schedule.periods {
            let p = PyDict::new(py);
            p.set_item("startPeriod", period.start_s)?;
            p.set_item("limit", from_tenths(period.limit_tenths))?;
            if let Some(n) = period.number_phases {
                p.set_item("numberPhases", n)?;
            }
            periods.append(p)?;
        }
        let out = PyDict::new(py);
        out.set_item("scheduleStart", schedule.start_ms)?;
        out.set_item("duration", schedule.duration_s)?;
        let unit = match schedule.unit {
            sc::Unit::A => "A",
            sc::Unit::W => "W",
        };
        out.set_item("chargingRateUnit", unit)?;
        out.set_item("chargingSchedulePeriod", periods)?;
        if let Some(rate) = schedule.min_charging_rate_tenths {
            out.set_item("minChargingRate", from_tenths(rate))?;
        }
        Ok(out)
    }
}
