//! What the controller remembers per module and per connector between ticks.

use std::time::Duration;

use super::limits::ActiveLimit;
use super::{ConnectorRating, ModuleRating};
use crate::driver::StatusFlags;
use crate::sim::EvRequest;

/// Where a connector is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorState {
    /// No EV.
    Idle,
    /// EV connected, no power enabled.
    Ready,
    /// Contactor closed, power delivered.
    Charging,
    /// Ramping to zero; the contactor opens once the current is below the safe threshold.
    Stopping,
    /// Stopped by a fault; contactor open.
    Faulted,
}

impl ConnectorState {
    /// Telemetry name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Ready => "ready",
            Self::Charging => "charging",
            Self::Stopping => "stopping",
            Self::Faulted => "faulted",
        }
    }
}

/// Per module.
#[derive(Debug, Clone)]
pub(crate) struct ModState {
    pub addr: u8,
    pub rating: ModuleRating,
    pub owner: Option<usize>,
    pub releasing: bool,
    pub on: bool,
    pub sent_v: f64,
    pub sent_a: f64,
    pub last_setpoint: Option<Duration>,
    pub last_onoff: Option<Duration>,
    pub off_since: Option<Duration>,
    pub meas_v: f64,
    pub meas_a: f64,
    pub meas_at: Option<Duration>,
    pub temp_c: Option<f64>,
    pub flags: StatusFlags,
    pub last_reply: Duration,
    pub lost: bool,
    pub fault: Option<String>,
    pub next_poll: Duration,
    pub phantom_a: f64,
    pub phantom_until: Duration,
}

impl ModState {
    pub fn new(addr: u8, rating: ModuleRating, first_poll: Duration) -> Self {
        Self {
            addr,
            rating,
            owner: None,
            releasing: false,
            on: false,
            sent_v: 0.0,
            sent_a: 0.0,
            last_setpoint: None,
            last_onoff: None,
            off_since: Some(Duration::ZERO),
            meas_v: 0.0,
            meas_a: 0.0,
            meas_at: None,
            temp_c: None,
            flags: StatusFlags::default(),
            last_reply: Duration::ZERO,
            lost: false,
            fault: None,
            next_poll: first_poll,
            phantom_a: 0.0,
            phantom_until: Duration::ZERO,
        }
    }

    pub fn healthy(&self) -> bool {
        !self.lost && self.fault.is_none()
    }

    pub fn state_name(&self) -> &'static str {
        if self.lost {
            "lost"
        } else if self.fault.is_some() {
            "faulted"
        } else if self.releasing {
            "releasing"
        } else if self.on {
            "on"
        } else {
            "off"
        }
    }
}

/// Per connector.
#[derive(Debug, Clone)]
pub(crate) struct ConnState {
    pub rating: ConnectorRating,
    pub state: ConnectorState,
    pub enabled: bool,
    pub contactor: bool,
    pub limit_w: Option<f64>,
    pub limit_a: Option<f64>,
    pub target_a: f64,
    pub offered_a: f64,
    pub active: ActiveLimit,
    pub meas_v: f64,
    pub meas_a: f64,
    pub meas_at: Option<Duration>,
    pub energy_wh: f64,
    pub ev: Option<EvRequest>,
    pub fault: Option<(&'static str, String)>,
    pub stop_started: Option<Duration>,
    pub pending_limit: Option<Duration>,
    pub force_send: bool,
    pub next_group_poll: Duration,
    pub suspended: bool,
    pub full_reported: bool,
    /// The contactor's feedback disagreed with its command for too long.
    pub switch_fault: Option<String>,
    /// Since when feedback and command disagree.
    pub mismatch_since: Option<Duration>,
}

impl ConnState {
    pub fn new(rating: ConnectorRating) -> Self {
        Self {
            rating,
            state: ConnectorState::Idle,
            enabled: false,
            contactor: false,
            limit_w: None,
            limit_a: None,
            target_a: 0.0,
            offered_a: 0.0,
            active: ActiveLimit::None,
            meas_v: 0.0,
            meas_a: 0.0,
            meas_at: None,
            energy_wh: 0.0,
            ev: None,
            fault: None,
            stop_started: None,
            pending_limit: None,
            force_send: false,
            next_group_poll: Duration::ZERO,
            suspended: false,
            full_reported: false,
            switch_fault: None,
            mismatch_since: None,
        }
    }

    /// Whether any fault (the stage's or the contactor's) keeps the connector from charging.
    pub fn is_faulted(&self) -> bool {
        self.fault.is_some() || self.switch_fault.is_some()
    }

    /// The state of a connector that delivers nothing: faulted, or waiting with or without
    /// an EV.
    pub fn resting_state(&self) -> ConnectorState {
        if self.is_faulted() {
            ConnectorState::Faulted
        } else if self.ev.is_some() {
            ConnectorState::Ready
        } else {
            ConnectorState::Idle
        }
    }

    /// The voltage to convert power limits at: measured while current flows, otherwise the
    /// EV's target voltage, the highest it can be, so the first current is never too high.
    pub fn limit_voltage(&self) -> f64 {
        let target = self.ev.map_or(self.rating.v_max, |e| e.target_v);
        if self.meas_at.is_some() && self.meas_v > 1.0 && self.contactor {
            self.meas_v
        } else {
            target.max(1.0)
        }
    }
}
