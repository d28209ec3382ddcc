//! Events the stage reports on its own; they reach Python through a channel.

use serde::Serialize;

/// Something the supervisor must know about, timestamped in ms since the Unix epoch (UTC).
/// At the Python boundary the variant is the `kind` key ([`StageEvent::kind`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StageEvent {
    /// The stage stopped a connector by itself; `error_code` is an OCPP 1.6 ChargePointErrorCode.
    Fault {
        /// OCPP connector id.
        connector: u32,
        /// OCPP ChargePointErrorCode.
        error_code: &'static str,
        /// Human-readable cause.
        info: String,
        /// When.
        ts_ms: i64,
    },
    /// The cause of a connector fault has gone; the connector needs `enable` again.
    FaultCleared {
        /// OCPP connector id.
        connector: u32,
        /// When.
        ts_ms: i64,
    },
    /// The contactor closed and power delivery began.
    Charging {
        /// OCPP connector id.
        connector: u32,
        /// When.
        ts_ms: i64,
    },
    /// The EV ended its charge.
    EvFull {
        /// OCPP connector id.
        connector: u32,
        /// When.
        ts_ms: i64,
    },
    /// The EV stopped asking for current while energy is offered.
    EvSuspended {
        /// OCPP connector id.
        connector: u32,
        /// When.
        ts_ms: i64,
    },
    /// The EV asks for current again.
    EvResumed {
        /// OCPP connector id.
        connector: u32,
        /// When.
        ts_ms: i64,
    },
    /// A new limit reached the modules: `frame_ts_ms` is when the first setpoint frame after it
    /// was sent (`None` when no module serves the connector).
    LimitApplied {
        /// OCPP connector id.
        connector: u32,
        /// The limit in W.
        limit_w: Option<f64>,
        /// The limit in A.
        limit_a: Option<f64>,
        /// First setpoint frame.
        frame_ts_ms: Option<i64>,
        /// From `set_limit` to that frame, ms.
        latency_ms: Option<f64>,
        /// When.
        ts_ms: i64,
    },
    /// A module stopped being usable.
    ModuleFault {
        /// Module index.
        module: usize,
        /// Why (OverTemperature, OutputShort, Fault, CommLoss, ...).
        reason: String,
        /// When.
        ts_ms: i64,
    },
    /// A module is usable again.
    ModuleRecovered {
        /// Module index.
        module: usize,
        /// When.
        ts_ms: i64,
    },
    /// A connector's current fell below the safe threshold and its contactor opened.
    ConnectorOff {
        /// OCPP connector id.
        connector: u32,
        /// When.
        ts_ms: i64,
    },
    /// Hardware stage: the supervisor must close (or open) a connector's DC contactor and
    /// report its feedback back (`StageCommand::ContactorFeedback`).
    Contactor {
        /// OCPP connector id.
        connector: u32,
        /// `true`: close.
        closed: bool,
        /// When.
        ts_ms: i64,
    },
    /// Hardware stage: the supervisor must switch a module's output to a connector (or to
    /// none) through the switch matrix; the module is off when this is asked.
    ModuleRoute {
        /// Module index.
        module: usize,
        /// OCPP connector id, `None`: disconnected.
        connector: Option<u32>,
        /// When.
        ts_ms: i64,
    },
    /// Hardware stage: the EV's request was not renewed in time; its connector ramps down
    /// and its contactor opens until a fresh request arrives.
    EvRequestLost {
        /// OCPP connector id.
        connector: u32,
        /// When.
        ts_ms: i64,
    },
    /// Hardware stage: a fresh request after an `EvRequestLost`.
    EvRequestRestored {
        /// OCPP connector id.
        connector: u32,
        /// When.
        ts_ms: i64,
    },
    /// The loop thread ended.
    Stopped {
        /// Why.
        reason: String,
        /// When.
        ts_ms: i64,
    },
}

impl StageEvent {
    /// The `kind` string used at the Python boundary.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Fault { .. } => "fault",
            Self::FaultCleared { .. } => "fault_cleared",
            Self::Charging { .. } => "charging",
            Self::EvFull { .. } => "ev_full",
            Self::EvSuspended { .. } => "ev_suspended",
            Self::EvResumed { .. } => "ev_resumed",
            Self::LimitApplied { .. } => "limit_applied",
            Self::ModuleFault { .. } => "module_fault",
            Self::ModuleRecovered { .. } => "module_recovered",
            Self::ConnectorOff { .. } => "connector_off",
            Self::Contactor { .. } => "contactor",
            Self::ModuleRoute { .. } => "module_route",
            Self::EvRequestLost { .. } => "ev_request_lost",
            Self::EvRequestRestored { .. } => "ev_request_restored",
            Self::Stopped { .. } => "stopped",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StageEvent;

    #[test]
    fn the_serialized_kind_is_the_kind_name() {
        let events = [
            StageEvent::FaultCleared {
                connector: 1,
                ts_ms: 5,
            },
            StageEvent::EvFull {
                connector: 2,
                ts_ms: 5,
            },
            StageEvent::LimitApplied {
                connector: 1,
                limit_w: Some(1.0),
                limit_a: None,
                frame_ts_ms: None,
                latency_ms: None,
                ts_ms: 5,
            },
            StageEvent::ModuleRecovered {
                module: 3,
                ts_ms: 5,
            },
            StageEvent::Stopped {
                reason: "stop".into(),
                ts_ms: 5,
            },
            StageEvent::Contactor {
                connector: 1,
                closed: true,
                ts_ms: 5,
            },
            StageEvent::ModuleRoute {
                module: 2,
                connector: None,
                ts_ms: 5,
            },
            StageEvent::EvRequestLost {
                connector: 1,
                ts_ms: 5,
            },
            StageEvent::EvRequestRestored {
                connector: 1,
                ts_ms: 5,
            },
        ];
        for event in events {
            let value = serde_json::to_value(&event).unwrap();
            assert_eq!(value["kind"], event.kind(), "{value}");
            assert_eq!(value["ts_ms"], 5);
        }
    }
}
