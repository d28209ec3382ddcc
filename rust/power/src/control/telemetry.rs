//! Telemetry: what the loop publishes after every tick.
//!
//! These types cross to Python as they are (serde, one generic converter in the binding):
//! field names are the keys Python reads, so a rename here is a rename in `_core.pyi`.

use std::time::Duration;

use serde::Serialize;

use super::controller::Controller;
use super::stats::LoopStats;

/// An active fault of a connector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorFault {
    /// OCPP ChargePointErrorCode.
    pub error_code: String,
    /// Human-readable cause.
    pub info: String,
}

/// One connector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectorSnapshot {
    /// OCPP connector id.
    pub id: u32,
    /// idle, ready, charging, stopping, faulted.
    pub state: &'static str,
    /// Measured output voltage, V.
    pub voltage_v: f64,
    /// Measured output current, A.
    pub current_a: f64,
    /// Measured output power, W.
    pub power_w: f64,
    /// Energy delivered since the stage started, Wh.
    pub energy_wh: f64,
    /// EV state of charge, percent.
    pub soc: Option<f64>,
    /// EV current request, A.
    pub ev_request_a: Option<f64>,
    /// Contactor closed.
    pub contactor: bool,
    /// Power delivery allowed by the supervisor.
    pub enabled: bool,
    /// Active faults.
    pub faults: Vec<ConnectorFault>,
    /// The limit that binds.
    pub active_limit: &'static str,
    /// Smart-charging limit, W.
    pub limit_w: Option<f64>,
    /// Smart-charging limit, A.
    pub limit_a: Option<f64>,
    /// Target current before ramping (what is offered to the EV), A.
    pub current_offered_a: f64,
    /// The same as power at the present voltage, W.
    pub power_offered_w: f64,
    /// Ramped current setpoint, A.
    pub setpoint_a: f64,
    /// Modules serving it.
    pub modules: Vec<usize>,
    /// Hottest module serving it, C.
    pub temperature_c: Option<f64>,
}

/// One module.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleSnapshot {
    /// Index (and bus address).
    pub index: usize,
    /// off, on, releasing, faulted, lost.
    pub state: &'static str,
    /// Reported temperature, C.
    pub temperature_c: Option<f64>,
    /// Measured output voltage, V.
    pub voltage_v: f64,
    /// Measured output current, A.
    pub current_a: f64,
    /// Current setpoint, A.
    pub setpoint_a: f64,
    /// OCPP id of the connector it serves.
    pub connector: Option<u32>,
    /// Fault name.
    pub fault: Option<String>,
}

/// CAN bus figures.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct BusStats {
    /// Bus load over the last second as modelled by the virtual bus (wire time), 0..1.
    pub load: f64,
    /// Bus load over the last second as counted by the controller from its frames.
    pub load_observed: f64,
    /// Frames sent by the controller.
    pub frames_tx: u64,
    /// Frames received by the controller.
    pub frames_rx: u64,
    /// Mean send-to-delivery latency on the virtual bus, ms.
    pub latency_mean_ms: f64,
    /// Largest send-to-delivery latency on the virtual bus, ms.
    pub latency_max_ms: f64,
}

/// A battery on the bench's DC output (hardware stage on the virtual bus only): what the
/// simulated EV would ask for, which the simulator's EV link relays as its request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchEvSnapshot {
    /// OCPP connector id.
    pub connector: u32,
    /// Current the EV asks for, A.
    pub request_a: f64,
    /// Target voltage, V.
    pub target_v: f64,
    /// State of charge, percent.
    pub soc: f64,
    /// The charge is complete.
    pub full: bool,
}

/// Everything at one instant.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Snapshot {
    /// When, ms since the Unix epoch.
    pub ts_ms: i64,
    /// Ticks run.
    pub ticks: u64,
    /// Connectors.
    pub connectors: Vec<ConnectorSnapshot>,
    /// Modules.
    pub modules: Vec<ModuleSnapshot>,
    /// The CAN bus.
    pub bus: BusStats,
    /// The stage-wide fault, if any.
    pub stage_fault: Option<&'static str>,
    /// Loop timing (filled by the thread runner).
    #[serde(rename = "loop")]
    pub loop_stats: LoopStats,
    /// The bench's batteries (empty unless the stage runs on the virtual bench).
    pub bench_evs: Vec<BenchEvSnapshot>,
}

impl Controller {
    /// The telemetry of the present state.
    pub fn snapshot(&self, now: Duration) -> Snapshot {
        let modules = self
            .modules
            .iter()
            .enumerate()
            .map(|(i, m)| ModuleSnapshot {
                index: i,
                state: m.state_name(),
                temperature_c: m.temp_c,
                voltage_v: m.meas_v,
                current_a: m.meas_a,
                setpoint_a: if m.on { m.sent_a } else { 0.0 },
                connector: m.owner.map(|c| self.conns[c].rating.id),
                fault: m.fault.clone(),
            })
            .collect();
        let connectors = self
            .conns
            .iter()
            .enumerate()
            .map(|(idx, c)| {
                let serving: Vec<usize> = (0..self.modules.len())
                    .filter(|&i| self.modules[i].owner == Some(idx))
                    .collect();
                let v = if c.contactor { c.meas_v } else { 0.0 };
                let a = if c.contactor { c.meas_a } else { 0.0 };
                ConnectorSnapshot {
                    id: c.rating.id,
                    state: c.state.name(),
                    voltage_v: v,
                    current_a: a,
                    power_w: v * a,
                    energy_wh: c.energy_wh,
                    soc: c.ev.and_then(|e| e.soc),
                    ev_request_a: c.ev.map(|e| e.current_a),
                    contactor: c.contactor,
                    enabled: c.enabled,
                    faults: c
                        .fault
                        .iter()
                        .map(|(code, info)| ConnectorFault {
                            error_code: (*code).to_owned(),
                            info: info.clone(),
                        })
                        .chain(c.switch_fault.iter().map(|info| ConnectorFault {
                            error_code: super::POWER_SWITCH_FAILURE.to_owned(),
                            info: info.clone(),
                        }))
                        .collect(),
                    active_limit: c.active.name(),
                    limit_w: c.limit_w,
                    limit_a: c.limit_a,
                    current_offered_a: c.offered_a,
                    power_offered_w: c.offered_a * c.limit_voltage(),
                    setpoint_a: c.target_a,
                    temperature_c: serving
                        .iter()
                        .filter_map(|&i| self.modules[i].temp_c)
                        .reduce(f64::max),
                    modules: serving,
                }
            })
            .collect();
        Snapshot {
            ts_ms: self.ts(now),
            ticks: self.ticks,
            connectors,
            modules,
            bus: BusStats {
                load_observed: self.observed_load(),
                frames_tx: self.frames_tx,
                frames_rx: self.frames_rx,
                ..BusStats::default()
            },
            stage_fault: self.stage_fault.map(|f| match f {
                super::controller::StageFault::BusSilent => "BusSilent",
                super::controller::StageFault::Watchdog => "Watchdog",
            }),
            loop_stats: LoopStats::default(),
            bench_evs: Vec::new(),
        }
    }
}
