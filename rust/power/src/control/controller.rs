//! The control loop's tick: ingest replies, judge module health and the safety conditions,
//! follow the EVs, regulate, poll. It owns its bus and plant and never blocks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::command::StageCommand;
use super::events::StageEvent;
use super::state::{ConnState, ConnectorState, ModState};
use super::StageConfig;
use crate::can::{frame_bits, CanBus, CanFrame};
use crate::clock::Clock;
use crate::driver::{ModuleDriver, ModuleRequest, Target};
use crate::error::{PowerError, Result};
use crate::sim::Plant;

/// Why the whole stage stopped delivering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageFault {
    /// No replies on the bus for the configured number of ticks.
    BusSilent,
    /// The supervisor stopped feeding the watchdog.
    Watchdog,
}

/// Shared last-feed time of the supervisor watchdog, in clock nanoseconds.
#[derive(Debug, Default)]
pub struct Watchdog(AtomicU64);

impl Watchdog {
    /// Records a feed at clock reading `now`.
    pub fn feed(&self, now: Duration) {
        self.0.store(
            u64::try_from(now.as_nanos()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    /// Clock reading of the last feed.
    pub fn last(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
}

/// The controller; see the module docs for what one tick does.
pub struct Controller {
    pub(crate) cfg: StageConfig,
    pub(crate) bus: Box<dyn CanBus>,
    pub(crate) driver: Box<dyn ModuleDriver>,
    pub(crate) plant: Box<dyn Plant>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) watchdog: Arc<Watchdog>,
    pub(crate) modules: Vec<ModState>,
    pub(crate) conns: Vec<ConnState>,
    pub(crate) events: Vec<StageEvent>,
    pub(crate) last_tick: Option<Duration>,
    pub(crate) ticks: u64,
    pub(crate) outstanding_since: Option<u64>,
    pub(crate) stage_fault: Option<StageFault>,
    pub(crate) traffic: std::collections::VecDeque<(Duration, u32)>,
    pub(crate) frames_tx: u64,
    pub(crate) frames_rx: u64,
}

impl Controller {
    /// A controller over `bus` and `plant`; validates the configuration.
    pub fn new(
        cfg: StageConfig,
        bus: Box<dyn CanBus>,
        driver: Box<dyn ModuleDriver>,
        plant: Box<dyn Plant>,
        clock: Arc<dyn Clock>,
        watchdog: Arc<Watchdog>,
    ) -> Result<Self> {
        cfg.validate()?;
        let n = cfg.modules.len() as u32;
        let now = clock.now();
        // Per-module polls are spread over the poll period so the bus load stays even.
        let modules = cfg
            .modules
            .iter()
            .enumerate()
            .map(|(i, r)| ModState::new(cfg.addresses[i], *r, now + cfg.module_poll * i as u32 / n))
            .collect();
        let conns = cfg.connectors.iter().map(|r| ConnState::new(*r)).collect();
        watchdog.feed(now);
        let mut c = Self {
            cfg,
            bus,
            driver,
            plant,
            clock,
            watchdog,
            modules,
            conns,
            events: Vec::new(),
            last_tick: None,
            ticks: 0,
            outstanding_since: None,
            stage_fault: None,
            traffic: std::collections::VecDeque::new(),
            frames_tx: 0,
            frames_rx: 0,
        };
        for m in &mut c.modules {
            m.last_reply = now;
        }
        // EVerest's start-up: everything off first ("safety first"), then read the ratings.
        c.send(&ModuleRequest::OnOff {
            target: Target::All,
            on: false,
        })?;
        for i in 0..c.modules.len() {
            let addr = c.modules[i].addr;
            c.send(&ModuleRequest::ReadRatings { addr })?;
        }
        Ok(c)
    }

    /// Events raised since the last call.
    pub fn take_events(&mut self) -> Vec<StageEvent> {
        std::mem::take(&mut self.events)
    }

    pub(crate) fn ts(&self, at: Duration) -> i64 {
        self.clock.unix_ms_at(at)
    }

    pub(crate) fn send(&mut self, req: &ModuleRequest) -> Result<()> {
        let frame = self.driver.encode(req)?;
        self.bus.send(&frame)?;
        self.count(&frame);
        self.frames_tx += 1;
        if req.expects_reply() && self.outstanding_since.is_none() {
            self.outstanding_since = Some(self.ticks);
        }
        Ok(())
    }

    pub(crate) fn count(&mut self, frame: &CanFrame) {
        let now = self.clock.now();
        self.traffic.push_back((now, frame_bits(frame)));
        while self
            .traffic
            .front()
            .is_some_and(|(t, _)| *t + Duration::from_secs(1) < now)
        {
            self.traffic.pop_front();
        }
    }

    /// Bus load seen by this node over the last second (own frames and replies).
    pub fn observed_load(&self) -> f64 {
        let bits: u64 = self.traffic.iter().map(|(_, b)| u64::from(*b)).sum();
        bits as f64 / f64::from(self.cfg.bitrate)
    }

    /// Sets a connector's smart-charging limit; `issued` is when the supervisor asked.
    pub fn set_limit(
        &mut self,
        idx: usize,
        limit_w: Option<f64>,
        limit_a: Option<f64>,
        issued: Duration,
    ) -> Result<()> {
        for v in [limit_w, limit_a].into_iter().flatten() {
            if !(v.is_finite() && v >= 0.0) {
                return Err(PowerError::Config(format!(
                    "limit {v} is not a non-negative number"
                )));
            }
        }
        let c = self
            .conns
            .get_mut(idx)
            .ok_or(PowerError::UnknownConnector(idx))?;
        c.limit_w = limit_w;
        c.limit_a = limit_a;
        c.pending_limit = Some(issued);
        c.force_send = true;
        Ok(())
    }

    /// Allows (or withdraws) power delivery on a connector.
    pub fn enable(&mut self, idx: usize, on: bool) -> Result<()> {
        self.conns
            .get_mut(idx)
            .ok_or(PowerError::UnknownConnector(idx))?
            .enabled = on;
        Ok(())
    }

    /// Carries out what every stage does alike (limits, enable; a new limit takes effect at
    /// once, without waiting for the tick) and gives back any other command, for the
    /// stage's own parts.
    pub(crate) fn apply_setpoints(
        &mut self,
        cmd: StageCommand,
        now: Duration,
    ) -> Result<Option<StageCommand>> {
        match cmd {
            StageCommand::SetLimit {
                connector,
                limit_w,
                limit_a,
                issued,
            } => {
                let idx = self.cfg.connector_index(connector)?;
                self.set_limit(idx, limit_w, limit_a, issued)?;
                self.apply_now(now)?;
                Ok(None)
            }
            StageCommand::Enable(connector, on) => {
                let idx = self.cfg.connector_index(connector)?;
                self.enable(idx, on)?;
                Ok(None)
            }
            other => Ok(Some(other)),
        }
    }

    /// One full control period at clock reading `now`.
    pub fn tick(&mut self, now: Duration) -> Result<()> {
        let dt = self
            .last_tick
            .map_or(Duration::ZERO, |t| now.saturating_sub(t));
        self.last_tick = Some(now);
        self.ingest(now)?;
        self.check_modules(now)?;
        self.check_safety(now);
        self.check_contactors(now);
        self.follow_evs(now);
        self.regulate(now, dt)?;
        self.poll(now)?;
        for (idx, c) in self.conns.iter_mut().enumerate() {
            if !self.modules.iter().any(|m| m.owner == Some(idx)) {
                // No module is switched to it: nothing flows, whatever the last group read
                // (taken while the modules were still ramping down) said.
                c.meas_a = 0.0;
            }
            if c.contactor {
                c.energy_wh += c.meas_v * c.meas_a * dt.as_secs_f64() / 3600.0;
            }
        }
        self.ticks += 1;
        Ok(())
    }

    /// Applies changed limits between ticks: no ramp-up, decreases and first frames at once.
    pub fn apply_now(&mut self, now: Duration) -> Result<()> {
        self.regulate(now, Duration::ZERO)
    }

    fn check_safety(&mut self, now: Duration) {
        let silent = self
            .outstanding_since
            .is_some_and(|t| self.ticks.saturating_sub(t) >= u64::from(self.cfg.silent_bus_ticks));
        let starved = now.saturating_sub(self.watchdog.last()) > self.cfg.watchdog;
        let fault = if starved {
            Some(StageFault::Watchdog)
        } else if silent {
            Some(StageFault::BusSilent)
        } else {
            None
        };
        if fault == self.stage_fault {
            return;
        }
        self.stage_fault = fault;
        match fault {
            Some(kind) => {
                let info = match kind {
                    StageFault::BusSilent => format!(
                        "power module CAN bus silent for {} ticks",
                        self.cfg.silent_bus_ticks
                    ),
                    StageFault::Watchdog => format!(
                        "supervisor did not feed the watchdog for {} ms",
                        self.cfg.watchdog.as_millis()
                    ),
                };
                for idx in 0..self.conns.len() {
                    self.fault_connector(idx, "InternalError", info.clone(), now);
                }
            }
            None => {
                for idx in 0..self.conns.len() {
                    let c = &mut self.conns[idx];
                    if c.fault.take().is_some() {
                        c.enabled = false;
                        if c.state == ConnectorState::Faulted {
                            c.state = c.resting_state();
                        }
                        let connector = c.rating.id;
                        self.events.push(StageEvent::FaultCleared {
                            connector,
                            ts_ms: self.ts(now),
                        });
                    }
                }
            }
        }
    }

    pub(crate) fn fault_connector(
        &mut self,
        idx: usize,
        code: &'static str,
        info: String,
        now: Duration,
    ) {
        let ts_ms = self.ts(now);
        let c = &mut self.conns[idx];
        c.fault = Some((code, info.clone()));
        c.enabled = false;
        match c.state {
            ConnectorState::Charging | ConnectorState::Stopping => {
                c.state = ConnectorState::Stopping;
                c.stop_started.get_or_insert(now);
            }
            _ => c.state = ConnectorState::Faulted,
        }
        self.events.push(StageEvent::Fault {
            connector: c.rating.id,
            error_code: code,
            info,
            ts_ms,
        });
    }

    /// Everything off and every contactor open; used when the loop ends.
    pub fn shutdown(&mut self) {
        // Best effort: the bus may be the reason we are shutting down.
        let _ = self.send(&ModuleRequest::OnOff {
            target: Target::All,
            on: false,
        });
        for idx in 0..self.conns.len() {
            self.plant.set_contactor(idx, false);
            let c = &mut self.conns[idx];
            c.contactor = false;
            c.mismatch_since = None;
            c.enabled = false;
            c.target_a = 0.0;
            c.stop_started = None;
            if c.state != ConnectorState::Faulted {
                c.state = c.resting_state();
            }
        }
    }

    fn follow_evs(&mut self, now: Duration) {
        let ts_ms = self.ts(now);
        for idx in 0..self.conns.len() {
            let ev = self.plant.ev_request(idx);
            let present = self.plant.ev_present(idx);
            let c = &mut self.conns[idx];
            let id = c.rating.id;
            c.ev = ev;
            match (c.state, ev) {
                (ConnectorState::Idle, Some(_)) => c.state = ConnectorState::Ready,
                (ConnectorState::Ready, None) => c.state = ConnectorState::Idle,
                (ConnectorState::Charging, None) => {
                    // An EV that left ends the delivery; one that is still plugged in but
                    // asks for nothing valid (a stale or stopped request) gets power again
                    // when it asks again, without a new enable.
                    if !present {
                        c.enabled = false;
                    }
                    c.state = ConnectorState::Stopping;
                    c.stop_started = Some(now);
                }
                (ConnectorState::Charging, Some(_)) if !c.enabled => {
                    c.state = ConnectorState::Stopping;
                    c.stop_started = Some(now);
                }
                (ConnectorState::Ready, Some(_)) if c.enabled && !c.is_faulted() => {
                    c.state = ConnectorState::Charging;
                    c.contactor = true;
                    c.mismatch_since = None;
                    (c.suspended, c.full_reported, c.target_a) = (false, false, 0.0);
                    self.plant.set_contactor(idx, true);
                    self.events.push(StageEvent::Charging {
                        connector: id,
                        ts_ms,
                    });
                }
                _ => {}
            }
            let c = &mut self.conns[idx];
            if c.state != ConnectorState::Charging {
                continue;
            }
            let Some(ev) = ev else { continue };
            if ev.full && !c.full_reported {
                c.full_reported = true;
                self.events.push(StageEvent::EvFull {
                    connector: id,
                    ts_ms,
                });
            } else if !ev.full && ev.current_a <= 0.0 && !c.suspended {
                c.suspended = true;
                self.events.push(StageEvent::EvSuspended {
                    connector: id,
                    ts_ms,
                });
            } else if ev.current_a > 0.0 && c.suspended {
                c.suspended = false;
                self.events.push(StageEvent::EvResumed {
                    connector: id,
                    ts_ms,
                });
            }
        }
    }
}
