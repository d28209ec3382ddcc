//! What the supervisor can ask of a stage, which stages take which command, and the
//! interface every stage offers the loop thread.

use std::time::Duration;

use super::events::StageEvent;
use super::telemetry::Snapshot;
use crate::error::{PowerError, Result};
use crate::sim::ModuleFault;

/// What the supervisor can ask of a stage; connectors by OCPP id, modules by index.
#[derive(Debug, Clone, PartialEq)]
pub enum StageCommand {
    /// New smart-charging limit (`issued`: clock reading of the request).
    SetLimit {
        /// OCPP connector id.
        connector: u32,
        /// W.
        limit_w: Option<f64>,
        /// A.
        limit_a: Option<f64>,
        /// Clock reading when the supervisor asked.
        issued: Duration,
    },
    /// Connect a simulated EV (the simulated cabinet), or put a battery on the bench's DC
    /// output (the virtual bench).
    EvPlugIn {
        /// OCPP connector id.
        connector: u32,
        /// Battery capacity, Wh.
        battery_wh: f64,
        /// SoC, percent.
        soc: f64,
        /// Largest current the EV asks for, A.
        max_current_a: f64,
    },
    /// Disconnect the simulated EV (or the bench battery).
    EvPlugOut(u32),
    /// The simulated EV stops asking for current.
    EvPause(u32),
    /// The simulated EV asks again.
    EvResume(u32),
    /// Allow or withdraw power delivery.
    Enable(u32, bool),
    /// Inject a module fault (simulated modules).
    InjectFault(usize, ModuleFault),
    /// Clear a module fault.
    ClearFault(usize),
    /// Make the (virtual) bus lose every frame, or work again.
    FailBus(bool),
    /// Hardware stage: an EV is connected (the EV link saw it plugged in).
    EvPresent(u32),
    /// Hardware stage: the EV left.
    EvGone(u32),
    /// Hardware stage: the EV's request, renewed at least every `ev_request_timeout`.
    EvRequest {
        /// OCPP connector id.
        connector: u32,
        /// Target voltage, V.
        voltage_v: f64,
        /// Current request, A.
        current_a: f64,
        /// State of charge, percent, when the EV tells it.
        soc: Option<f64>,
    },
    /// Hardware stage: the EV ended its charge (it may ask again later).
    EvStop(u32),
    /// Hardware stage: what a contactor's auxiliary contact reports.
    ContactorFeedback {
        /// OCPP connector id.
        connector: u32,
        /// `true`: closed.
        closed: bool,
    },
}

/// What the hardware around a hardware stage tells it: the EV link (the ISO 15118 / CHAdeMO
/// stack) and the contactors' auxiliary contacts. Crosses from Python as data tagged by
/// `type` (`{"type": "ev_request", "connector": 1, ...}`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StageInput {
    /// An EV is plugged in (the EV link says so).
    EvPresent {
        /// OCPP connector id.
        connector: u32,
    },
    /// The EV left; its request is forgotten, power needs a new enable.
    EvGone {
        /// OCPP connector id.
        connector: u32,
    },
    /// The EV's target voltage and current request, renewed within `ev_request_timeout`.
    EvRequest {
        /// OCPP connector id.
        connector: u32,
        /// Target voltage, V.
        voltage_v: f64,
        /// Current request, A.
        current_a: f64,
        /// State of charge, percent, when the EV tells it.
        #[serde(default)]
        soc: Option<f64>,
    },
    /// The EV ended its charge; it may ask again.
    EvStop {
        /// OCPP connector id.
        connector: u32,
    },
    /// What a contactor's auxiliary contact reports.
    ContactorFeedback {
        /// OCPP connector id.
        connector: u32,
        /// `true`: closed.
        closed: bool,
    },
}

impl From<StageInput> for StageCommand {
    fn from(input: StageInput) -> Self {
        match input {
            StageInput::EvPresent { connector } => Self::EvPresent(connector),
            StageInput::EvGone { connector } => Self::EvGone(connector),
            StageInput::EvRequest {
                connector,
                voltage_v,
                current_a,
                soc,
            } => Self::EvRequest {
                connector,
                voltage_v,
                current_a,
                soc,
            },
            StageInput::EvStop { connector } => Self::EvStop(connector),
            StageInput::ContactorFeedback { connector, closed } => {
                Self::ContactorFeedback { connector, closed }
            }
        }
    }
}

/// Highest EV target voltage taken (ISO 15118-20 and CHAdeMO 3.0 stop well below).
const MAX_EV_VOLTAGE_V: f64 = 1500.0;

fn finite_at_least_zero(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

impl StageCommand {
    /// The OCPP connector id the command names, if it names one.
    pub fn connector(&self) -> Option<u32> {
        match self {
            Self::SetLimit { connector, .. }
            | Self::EvPlugIn { connector, .. }
            | Self::EvRequest { connector, .. }
            | Self::ContactorFeedback { connector, .. } => Some(*connector),
            Self::EvPlugOut(c)
            | Self::EvPause(c)
            | Self::EvResume(c)
            | Self::Enable(c, _)
            | Self::EvPresent(c)
            | Self::EvGone(c)
            | Self::EvStop(c) => Some(*c),
            Self::InjectFault(..) | Self::ClearFault(_) | Self::FailBus(_) => None,
        }
    }

    /// Refuses values no stage could act on (NaN, negative, out of range).
    pub fn check_values(&self) -> Result<()> {
        let bad = |m: String| Err(PowerError::Config(m));
        match self {
            Self::SetLimit {
                limit_w, limit_a, ..
            } => {
                for v in [limit_w, limit_a].into_iter().flatten() {
                    if !finite_at_least_zero(*v) {
                        return bad(format!("limit {v} is not a non-negative number"));
                    }
                }
            }
            Self::EvPlugIn {
                battery_wh,
                soc,
                max_current_a,
                ..
            } => {
                let ok = battery_wh.is_finite()
                    && *battery_wh > 0.0
                    && (0.0..=100.0).contains(soc)
                    && finite_at_least_zero(*max_current_a);
                if !ok {
                    return bad(format!("EV parameters battery_wh={battery_wh} soc={soc} max_current_a={max_current_a}"));
                }
            }
            Self::EvRequest {
                voltage_v,
                current_a,
                soc,
                ..
            } => {
                if !(voltage_v.is_finite() && *voltage_v > 0.0 && *voltage_v <= MAX_EV_VOLTAGE_V) {
                    return bad(format!(
                        "EV request voltage_v={voltage_v} (above 0, at most {MAX_EV_VOLTAGE_V})"
                    ));
                }
                if !finite_at_least_zero(*current_a) {
                    return bad(format!("EV request current_a={current_a} (0 or more)"));
                }
                if soc.is_some_and(|s| !(0.0..=100.0).contains(&s)) {
                    return bad(format!("EV request soc={soc:?} (0 to 100)"));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Which commands a stage takes: the EV link and contactor feedback drive a hardware stage;
/// simulated EVs and module faults exist in the simulated cabinet and on the virtual bench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    /// The simulated cabinet: its EVs and contactors are its own.
    Simulated,
    /// The hardware stage on the virtual bench: link commands and bench commands.
    Bench,
    /// The hardware stage on real modules: link commands only.
    Hardware,
}

impl StageKind {
    /// `Ok` when a stage of this kind carries `cmd` out.
    pub fn accepts(self, cmd: &StageCommand) -> Result<()> {
        let link = matches!(
            cmd,
            StageCommand::EvPresent(_)
                | StageCommand::EvGone(_)
                | StageCommand::EvRequest { .. }
                | StageCommand::EvStop(_)
                | StageCommand::ContactorFeedback { .. }
        );
        let simulated_parts = matches!(
            cmd,
            StageCommand::EvPlugIn { .. }
                | StageCommand::EvPlugOut(_)
                | StageCommand::EvPause(_)
                | StageCommand::EvResume(_)
                | StageCommand::InjectFault(..)
                | StageCommand::ClearFault(_)
                | StageCommand::FailBus(_)
        );
        match self {
            Self::Simulated if link => Err(PowerError::Unsupported(
                "the simulated cabinet has its own EVs and contactors; EV-link and contactor \
                 commands drive a hardware stage"
                    .into(),
            )),
            Self::Hardware if simulated_parts => Err(PowerError::Unsupported(
                "simulated EVs, module faults and bus failures exist only in the simulated \
                 cabinet and on the virtual bench, not on real modules"
                    .into(),
            )),
            _ => Ok(()),
        }
    }
}

/// A stage as the loop thread drives it: a tick per period, commands between ticks.
pub trait LoopStage: Send {
    /// One control period at the stage clock's present reading.
    fn tick(&mut self) -> Result<()>;
    /// Carries out a command.
    fn apply(&mut self, cmd: StageCommand) -> Result<()>;
    /// Telemetry now.
    fn snapshot(&self) -> Snapshot;
    /// Events raised since the last call.
    fn take_events(&mut self) -> Vec<StageEvent>;
    /// Everything off and every contactor open; used when the loop ends.
    fn shutdown(&mut self);
    /// Feeds the supervisor watchdog now.
    fn feed_watchdog(&self);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> StageCommand {
        serde_json::from_str::<StageInput>(json).unwrap().into()
    }

    #[test]
    fn stage_inputs_become_their_commands() {
        assert_eq!(
            input(r#"{"type": "ev_present", "connector": 1}"#),
            StageCommand::EvPresent(1)
        );
        assert_eq!(
            input(r#"{"type": "ev_gone", "connector": 2}"#),
            StageCommand::EvGone(2)
        );
        assert_eq!(
            input(r#"{"type": "ev_stop", "connector": 1}"#),
            StageCommand::EvStop(1)
        );
        assert_eq!(
            input(
                r#"{"type": "ev_request", "connector": 1, "voltage_v": 420.0, "current_a": 80.0}"#
            ),
            StageCommand::EvRequest {
                connector: 1,
                voltage_v: 420.0,
                current_a: 80.0,
                soc: None
            }
        );
        assert_eq!(
            input(r#"{"type": "contactor_feedback", "connector": 2, "closed": true}"#),
            StageCommand::ContactorFeedback {
                connector: 2,
                closed: true
            }
        );
    }

    #[test]
    fn an_unknown_input_or_a_missing_field_is_refused() {
        assert!(
            serde_json::from_str::<StageInput>(r#"{"type": "ev_dance", "connector": 1}"#).is_err()
        );
        assert!(
            serde_json::from_str::<StageInput>(r#"{"type": "ev_request", "connector": 1}"#)
                .is_err()
        );
    }
}
