//! `chargestack._core.PowerStage`: the DC power stage (rust/power) as seen from Python.
//!
//! The loop runs on its own Rust thread and never touches Python; these methods only convert
//! data, enqueue commands and read the latest telemetry. The two that wait (`stop`, which
//! joins the thread, and `next_event`) release the GIL. The configuration and dict keys are
//! spelled out in the stub section of `_core.pyi`.

use std::sync::Arc;
use std::time::Duration;

use power::control::{ConnectorRating, LoopStats, ModuleRating, Snapshot, StageConfig};
use power::sim::ModuleFault;
use power::{LoopHost, PowerError, StageCommand, StageEvent};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

pyo3::import_exception!(chargestack.exceptions, PowerStageError);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PowerStage>()?;
    m.add_class::<PowerLoop>()?;
    Ok(())
}

/// The one place a `power` error becomes a Python exception.
fn to_py(err: PowerError) -> PyErr {
    PowerStageError::new_err(err.to_string())
}

fn bad(what: String) -> PyErr {
    to_py(PowerError::Config(what))
}

/// A control-loop thread that several stages can share (a fleet of simulated chargers).
#[pyclass(frozen, module = "chargestack._core")]
pub struct PowerLoop {
    host: Arc<LoopHost>,
}

#[pymethods]
impl PowerLoop {
    #[new]
    #[pyo3(signature = (realtime_priority=None))]
    fn new(realtime_priority: Option<u8>) -> PyResult<Self> {
        if realtime_priority.is_some_and(|p| !(1..=99).contains(&p)) {
            return Err(bad("realtime_priority must be 1..99".into()));
        }
        Ok(Self {
            host: LoopHost::new(realtime_priority).map_err(to_py)?,
        })
    }

    /// Stages running on this loop now.
    fn hosted(&self) -> usize {
        self.host.hosted()
    }
}

/// A simulated DC power stage: CAN bus, modules, EVs and the control loop thread.
#[pyclass(frozen, module = "chargestack._core")]
pub struct PowerStage {
    inner: power::PowerStage,
}

#[pymethods]
impl PowerStage {
    #[new]
    fn new(config: &Bound<'_, PyDict>) -> PyResult<Self> {
        let (cfg, simulated) = convert::config(config)?;
        if !simulated {
            // Real modules need a switchgear and EV-link driver, which this build does not have.
            return Err(to_py(PowerError::Unsupported(
                "only the simulated cabinet is available (simulated=True)".into(),
            )));
        }
        Ok(Self {
            inner: power::PowerStage::new_simulated(cfg).map_err(to_py)?,
        })
    }

    #[pyo3(signature = (power_loop=None))]
    fn start(&self, power_loop: Option<&PowerLoop>) -> PyResult<()> {
        let host = power_loop.map(|l| Arc::clone(&l.host));
        self.inner.start_on(host).map_err(to_py)
    }

    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.stop()).map_err(to_py)
    }

    #[pyo3(signature = (connector, limit_w, limit_a=None))]
    fn set_limit(
        &self,
        connector: u32,
        limit_w: Option<f64>,
        limit_a: Option<f64>,
    ) -> PyResult<()> {
        let issued = self.inner.now();
        self.cmd(StageCommand::SetLimit {
            connector,
            limit_w,
            limit_a,
            issued,
        })
    }

    fn ev_plug_in(
        &self,
        connector: u32,
        battery_wh: f64,
        soc: f64,
        max_current_a: f64,
    ) -> PyResult<()> {
        self.cmd(StageCommand::EvPlugIn {
            connector,
            battery_wh,
            soc,
            max_current_a,
        })
    }

    fn ev_plug_out(&self, connector: u32) -> PyResult<()> {
        self.cmd(StageCommand::EvPlugOut(connector))
    }

    fn ev_pause(&self, connector: u32) -> PyResult<()> {
        self.cmd(StageCommand::EvPause(connector))
    }

    fn ev_resume(&self, connector: u32) -> PyResult<()> {
        self.cmd(StageCommand::EvResume(connector))
    }

    fn enable(&self, connector: u32, on: bool) -> PyResult<()> {
        self.cmd(StageCommand::Enable(connector, on))
    }

    fn feed_watchdog(&self) {
        self.inner.feed_watchdog();
    }

    fn inject_module_fault(&self, n: usize, kind: &str) -> PyResult<()> {
        let fault: ModuleFault = kind.parse().map_err(to_py)?;
        self.cmd(StageCommand::InjectFault(n, fault))
    }

    fn clear_module_fault(&self, n: usize) -> PyResult<()> {
        self.cmd(StageCommand::ClearFault(n))
    }

    fn fail_bus(&self, on: bool) -> PyResult<()> {
        self.cmd(StageCommand::FailBus(on))
    }

    fn is_running(&self) -> bool {
        self.inner.is_running()
    }

    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        convert::snapshot(py, &self.inner.snapshot())
    }

    fn loop_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        convert::loop_stats(py, &self.inner.loop_stats())
    }

    fn next_event<'py>(
        &self,
        py: Python<'py>,
        timeout_ms: u64,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let ev = if timeout_ms == 0 {
            // Polling: nothing to wait for, so no reason to give up and retake the GIL.
            self.inner.try_event()
        } else {
            py.detach(|| self.inner.next_event(Duration::from_millis(timeout_ms)))
        };
        ev.map(|e| convert::event(py, &e)).transpose()
    }
}

impl PowerStage {
    fn cmd(&self, c: StageCommand) -> PyResult<()> {
        self.inner.command(c).map_err(to_py)
    }
}

mod convert {
    use super::*;

    const CONFIG_KEYS: &[&str] = &[
        "modules",
        "connectors",
        "matrix",
        "loop_period_ms",
        "ramp_a_per_s",
        "watchdog_ms",
        "silent_bus_ticks",
        "simulated",
        "safe_current_a",
        "stop_timeout_ms",
        "setpoint_refresh_ms",
        "setpoint_interval_ms",
        "group_poll_ms",
        "module_poll_ms",
        "module_timeout_ms",
        "bitrate",
        "realtime_priority",
    ];
    const MODULE_KEYS: &[&str] = &[
        "count",
        "max_power_w",
        "max_current_a",
        "min_voltage_v",
        "max_voltage_v",
    ];
    const CONNECTOR_KEYS: &[&str] = &[
        "id",
        "max_current_a",
        "max_power_w",
        "min_voltage_v",
        "max_voltage_v",
    ];

    fn strict(d: &Bound<'_, PyDict>, allowed: &[&str], what: &str) -> PyResult<()> {
        for k in d.keys() {
            let k: String = k
                .extract()
                .map_err(|_| bad(format!("{what}: keys must be strings")))?;
            if !allowed.contains(&k.as_str()) {
                return Err(bad(format!("{what}: unknown key {k:?}")));
            }
        }
        Ok(())
    }

    fn opt<'py, T: for<'a> FromPyObject<'a, 'py>>(
        d: &Bound<'py, PyDict>,
        key: &str,
        what: &str,
    ) -> PyResult<Option<T>> {
        match d.get_item(key)? {
            Some(v) if !v.is_none() => v
                .extract::<T>()
                .map(Some)
                .map_err(|_| bad(format!("{what}.{key}: wrong type"))),
            _ => Ok(None),
        }
    }

    fn module_rating(d: &Bound<'_, PyDict>, what: &str) -> PyResult<ModuleRating> {
        let r = ModuleRating::reg_30kw();
        Ok(ModuleRating {
            v_min: opt(d, "min_voltage_v", what)?.unwrap_or(r.v_min),
            v_max: opt(d, "max_voltage_v", what)?.unwrap_or(r.v_max),
            i_max: opt(d, "max_current_a", what)?.unwrap_or(r.i_max),
            p_max: opt(d, "max_power_w", what)?.unwrap_or(r.p_max),
        })
    }

    fn modules(v: &Bound<'_, PyAny>) -> PyResult<Vec<ModuleRating>> {
        if let Ok(d) = v.cast::<PyDict>() {
            strict(d, MODULE_KEYS, "modules")?;
            let n: usize =
                opt(d, "count", "modules")?.ok_or_else(|| bad("modules.count: required".into()))?;
            return Ok(vec![module_rating(d, "modules")?; n]);
        }
        let list = v
            .cast::<PyList>()
            .map_err(|_| bad("modules: a dict or a list of dicts".into()))?;
        list.iter()
            .enumerate()
            .map(|(i, item)| {
                let what = format!("modules[{i}]");
                let d = item
                    .cast::<PyDict>()
                    .map_err(|_| bad(format!("{what}: not a dict")))?;
                strict(d, &MODULE_KEYS[1..], &what)?;
                module_rating(d, &what)
            })
            .collect()
    }

    fn connectors(v: &Bound<'_, PyAny>) -> PyResult<Vec<ConnectorRating>> {
        let list = v
            .cast::<PyList>()
            .map_err(|_| bad("connectors: a list of dicts".into()))?;
        list.iter()
            .enumerate()
            .map(|(i, item)| {
                let what = format!("connectors[{i}]");
                let d = item
                    .cast::<PyDict>()
                    .map_err(|_| bad(format!("{what}: not a dict")))?;
                strict(d, CONNECTOR_KEYS, &what)?;
                let need = |k: &str| -> PyResult<f64> {
                    opt(d, k, &what)?.ok_or_else(|| bad(format!("{what}.{k}: required")))
                };
                Ok(ConnectorRating {
                    id: opt(d, "id", &what)?.unwrap_or(i as u32 + 1),
                    i_max: need("max_current_a")?,
                    p_max: need("max_power_w")?,
                    v_min: opt(d, "min_voltage_v", &what)?.unwrap_or(150.0),
                    v_max: opt(d, "max_voltage_v", &what)?.unwrap_or(1000.0),
                })
            })
            .collect()
    }

    /// `matrix[m]` lists the OCPP ids of the connectors module m may serve.
    fn matrix(v: &Bound<'_, PyAny>, cfg: &StageConfig) -> PyResult<Vec<Vec<bool>>> {
        let rows: Vec<Vec<u32>> = v
            .extract()
            .map_err(|_| bad("matrix: a list (per module) of lists of connector ids".into()))?;
        if rows.len() != cfg.modules.len() {
            return Err(bad(format!(
                "matrix: {} rows for {} modules",
                rows.len(),
                cfg.modules.len()
            )));
        }
        rows.iter()
            .enumerate()
            .map(|(m, ids)| {
                let mut row = vec![false; cfg.connectors.len()];
                for id in ids {
                    let c = cfg
                        .connector_index(*id)
                        .map_err(|_| bad(format!("matrix[{m}]: unknown connector {id}")))?;
                    row[c] = true;
                }
                Ok(row)
            })
            .collect()
    }

    pub fn config(d: &Bound<'_, PyDict>) -> PyResult<(StageConfig, bool)> {
        strict(d, CONFIG_KEYS, "config")?;
        let mods = d
            .get_item("modules")?
            .ok_or_else(|| bad("modules: required".into()))?;
        let conns = d
            .get_item("connectors")?
            .ok_or_else(|| bad("connectors: required".into()))?;
        let mut cfg = StageConfig::new(modules(&mods)?, connectors(&conns)?);
        if let Some(m) = d.get_item("matrix")?.filter(|m| !m.is_none()) {
            cfg.matrix = matrix(&m, &cfg)?;
        }
        let ms = |k: &str| -> PyResult<Option<Duration>> {
            Ok(opt::<u64>(d, k, "config")?.map(Duration::from_millis))
        };
        cfg.period = ms("loop_period_ms")?.unwrap_or(cfg.period);
        cfg.watchdog = ms("watchdog_ms")?.unwrap_or(cfg.watchdog);
        cfg.stop_timeout = ms("stop_timeout_ms")?.unwrap_or(cfg.stop_timeout);
        cfg.setpoint_refresh = ms("setpoint_refresh_ms")?.unwrap_or(cfg.setpoint_refresh);
        cfg.setpoint_interval = ms("setpoint_interval_ms")?.unwrap_or(cfg.setpoint_interval);
        cfg.group_poll = ms("group_poll_ms")?.unwrap_or(cfg.group_poll);
        cfg.module_poll = ms("module_poll_ms")?.unwrap_or(cfg.module_poll);
        cfg.module_timeout = ms("module_timeout_ms")?.unwrap_or(cfg.module_timeout);
        cfg.ramp_a_per_s = opt(d, "ramp_a_per_s", "config")?.unwrap_or(cfg.ramp_a_per_s);
        cfg.safe_current_a = opt(d, "safe_current_a", "config")?.unwrap_or(cfg.safe_current_a);
        cfg.silent_bus_ticks =
            opt(d, "silent_bus_ticks", "config")?.unwrap_or(cfg.silent_bus_ticks);
        cfg.bitrate = opt(d, "bitrate", "config")?.unwrap_or(cfg.bitrate);
        if let Some(p) = opt::<u8>(d, "realtime_priority", "config")? {
            cfg.realtime_priority = (p > 0).then_some(p);
        }
        let simulated = opt(d, "simulated", "config")?.unwrap_or(true);
        cfg.validate().map_err(to_py)?;
        Ok((cfg, simulated))
    }

    pub fn snapshot<'py>(py: Python<'py>, s: &Snapshot) -> PyResult<Bound<'py, PyDict>> {
        let conns = PyList::empty(py);
        for c in &s.connectors {
            let d = PyDict::new(py);
            d.set_item("id", c.id)?;
            d.set_item("state", c.state)?;
            d.set_item("voltage_v", c.voltage_v)?;
            d.set_item("current_a", c.current_a)?;
            d.set_item("power_w", c.power_w)?;
            d.set_item("energy_wh", c.energy_wh)?;
            d.set_item("soc", c.soc)?;
            d.set_item("ev_request_a", c.ev_request_a)?;
            d.set_item("contactor", c.contactor)?;
            d.set_item("enabled", c.enabled)?;
            let faults = PyList::empty(py);
            for (code, info) in &c.faults {
                let f = PyDict::new(py);
                f.set_item("error_code", code)?;
                f.set_item("info", info)?;
                faults.append(f)?;
            }
            d.set_item("faults", faults)?;
            d.set_item("active_limit", c.active_limit)?;
            d.set_item("limit_w", c.limit_w)?;
            d.set_item("limit_a", c.limit_a)?;
            d.set_item("current_offered_a", c.current_offered_a)?;
            d.set_item("power_offered_w", c.power_offered_w)?;
            d.set_item("setpoint_a", c.setpoint_a)?;
            d.set_item("modules", c.modules.clone())?;
            d.set_item("temperature_c", c.temperature_c)?;
            conns.append(d)?;
        }
        let mods = PyList::empty(py);
        for m in &s.modules {
            let d = PyDict::new(py);
            d.set_item("index", m.index)?;
            d.set_item("state", m.state)?;
            d.set_item("temperature_c", m.temperature_c)?;
            d.set_item("voltage_v", m.voltage_v)?;
            d.set_item("current_a", m.current_a)?;
            d.set_item("setpoint_a", m.setpoint_a)?;
            d.set_item("connector", m.connector)?;
            d.set_item("fault", m.fault.clone())?;
            mods.append(d)?;
        }
        let bus = PyDict::new(py);
        bus.set_item("load", s.bus_load)?;
        bus.set_item("load_observed", s.bus_load_observed)?;
        bus.set_item("frames_tx", s.frames_tx)?;
        bus.set_item("frames_rx", s.frames_rx)?;
        bus.set_item("latency_mean_ms", s.bus_latency_mean.as_secs_f64() * 1000.0)?;
        bus.set_item("latency_max_ms", s.bus_latency_max.as_secs_f64() * 1000.0)?;
        let d = PyDict::new(py);
        d.set_item("ts_ms", s.ts_ms)?;
        d.set_item("ticks", s.ticks)?;
        d.set_item("connectors", conns)?;
        d.set_item("modules", mods)?;
        d.set_item("bus", bus)?;
        d.set_item("bus_load", s.bus_load)?;
        d.set_item("stage_fault", s.stage_fault)?;
        Ok(d)
    }

    pub fn loop_stats<'py>(py: Python<'py>, s: &LoopStats) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("period_us", s.period_us)?;
        d.set_item("ticks", s.ticks)?;
        d.set_item("missed_deadlines", s.missed_deadlines)?;
        d.set_item("jitter_p50_us", s.jitter_p50_us)?;
        d.set_item("jitter_p99_us", s.jitter_p99_us)?;
        d.set_item("jitter_max_us", s.jitter_max_us)?;
        d.set_item("work_p99_us", s.work_p99_us)?;
        d.set_item("work_max_us", s.work_max_us)?;
        d.set_item("realtime", s.realtime)?;
        Ok(d)
    }

    pub fn event<'py>(py: Python<'py>, e: &StageEvent) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("kind", e.kind())?;
        match e {
            StageEvent::Fault {
                connector,
                error_code,
                info,
                ts_ms,
            } => {
                d.set_item("connector", connector)?;
                d.set_item("error_code", error_code)?;
                d.set_item("info", info)?;
                d.set_item("ts_ms", ts_ms)?;
            }
            StageEvent::FaultCleared { connector, ts_ms }
            | StageEvent::Charging { connector, ts_ms }
            | StageEvent::EvFull { connector, ts_ms }
            | StageEvent::EvSuspended { connector, ts_ms }
            | StageEvent::EvResumed { connector, ts_ms }
            | StageEvent::ConnectorOff { connector, ts_ms } => {
                d.set_item("connector", connector)?;
                d.set_item("ts_ms", ts_ms)?;
            }
            StageEvent::LimitApplied {
                connector,
                limit_w,
                limit_a,
                frame_ts_ms,
                latency_ms,
                ts_ms,
            } => {
                d.set_item("connector", connector)?;
                d.set_item("limit_w", limit_w)?;
                d.set_item("limit_a", limit_a)?;
                d.set_item("frame_ts_ms", frame_ts_ms)?;
                d.set_item("latency_ms", latency_ms)?;
                d.set_item("ts_ms", ts_ms)?;
            }
            StageEvent::ModuleFault {
                module,
                reason,
                ts_ms,
            } => {
                d.set_item("module", module)?;
                d.set_item("reason", reason)?;
                d.set_item("ts_ms", ts_ms)?;
            }
            StageEvent::ModuleRecovered { module, ts_ms } => {
                d.set_item("module", module)?;
                d.set_item("ts_ms", ts_ms)?;
            }
            StageEvent::Stopped { reason, ts_ms } => {
                d.set_item("reason", reason)?;
                d.set_item("ts_ms", ts_ms)?;
            }
        }
        Ok(d)
    }
}
