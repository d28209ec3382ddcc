//! `chargestack._core.PowerStage`: the DC power stage (rust/power) as seen from Python: the
//! simulated cabinet, or the hardware stage on a SocketCAN interface or the virtual bench.
//!
//! The loop runs on its own Rust thread and never touches Python; these methods only convert
//! data, enqueue commands and read the latest telemetry. Those that wait (`stop`, which joins
//! the thread, `next_event`, and building a hardware stage, which opens its interface)
//! release the GIL. Configuration, snapshot, loop statistics and events are the `power`
//! crate's own serde types, converted by `typed`.

use std::sync::Arc;
use std::time::Duration;

use power::control::{Cabinet, StageKind};
use power::sim::ModuleFault;
use power::{LoopHost, PowerError, StageCommand, StageInput, StageSpec};
use pyo3::prelude::*;

use crate::errors::{CanInterfaceError, PowerStageError};
use crate::typed;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PowerStage>()?;
    m.add_class::<PowerLoop>()?;
    Ok(())
}

/// The one place a `power` error becomes a Python exception.
fn to_py(err: PowerError) -> PyErr {
    match err {
        PowerError::BusOpen { .. } => CanInterfaceError::new_err(err.to_string()),
        other => PowerStageError::new_err(other.to_string()),
    }
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
        let host = LoopHost::new(realtime_priority).map_err(to_py)?;
        Ok(Self { host })
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
    fn new(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<Self> {
        let spec: StageSpec = typed::from_py(config, |e| to_py(PowerError::Config(e)))?;
        let (cfg, cabinet) = spec.build().map_err(to_py)?;
        let inner = match cabinet {
            Cabinet::Simulated => power::PowerStage::new_simulated(cfg),
            Cabinet::Hardware(interface) => {
                py.detach(|| power::PowerStage::new_hardware(cfg, &interface))
            }
        }
        .map_err(to_py)?;
        Ok(Self { inner })
    }

    fn kind(&self) -> &'static str {
        match self.inner.kind() {
            StageKind::Simulated => "simulated",
            StageKind::Bench => "bench",
            StageKind::Hardware => "hardware",
        }
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

    /// A hardware stage's input: the EV link or a contactor's feedback (`StageInput`).
    fn input(&self, input: &Bound<'_, PyAny>) -> PyResult<()> {
        let input: StageInput = typed::from_py(input, |e| to_py(PowerError::Config(e)))?;
        self.cmd(input.into())
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

    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        typed::to_py(py, &self.inner.snapshot())
    }

    fn loop_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        typed::to_py(py, &self.inner.loop_stats())
    }

    fn next_event<'py>(
        &self,
        py: Python<'py>,
        timeout_ms: u64,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let event = if timeout_ms == 0 {
            // Polling: nothing to wait for, so no reason to give up and retake the GIL.
            self.inner.try_event()
        } else {
            py.detach(|| self.inner.next_event(Duration::from_millis(timeout_ms)))
        };
        event.map(|e| typed::to_py(py, &e)).transpose()
    }
}

impl PowerStage {
    fn cmd(&self, c: StageCommand) -> PyResult<()> {
        self.inner.command(c).map_err(to_py)
    }
}
