//! A simulated power stage whose control loop runs on a [`LoopHost`] thread: a host of its
//! own (the charger), or one shared with other stages (a fleet simulator). The loop never
//! touches Python, so the GIL cannot delay it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{bounded, Receiver, Sender};

use super::controller::Watchdog;
use super::events::StageEvent;
use super::host::{lock, LoopHost, SlotId, SlotOutputs};
use super::stage::{SimulatedStage, StageCommand};
use super::stats::{LoopStats, LoopTimer};
use super::telemetry::Snapshot;
use super::StageConfig;
use crate::clock::{Clock, RealClock};
use crate::error::{PowerError, Result};

/// Events waiting for the supervisor; beyond this the oldest are the ones that matter least.
const EVENT_BACKLOG: usize = 4096;

struct Running {
    host: Arc<LoopHost>,
    slot: SlotId,
    alive: Arc<AtomicBool>,
}

struct Inner {
    /// The stage while no loop runs it (commands apply to it directly).
    stage: Option<SimulatedStage>,
    running: Option<Running>,
}

/// A simulated power stage running in real time on a loop thread.
pub struct PowerStage {
    realtime_priority: Option<u8>,
    connector_ids: Vec<u32>,
    modules: usize,
    clock: Arc<RealClock>,
    period: Duration,
    watchdog: Arc<Watchdog>,
    events_tx: Sender<StageEvent>,
    events_rx: Receiver<StageEvent>,
    snapshot: Arc<Mutex<Snapshot>>,
    stats: Arc<Mutex<LoopTimer>>,
    inner: Mutex<Inner>,
}

impl PowerStage {
    /// A stage over the simulated cabinet, not yet running.
    pub fn new_simulated(cfg: StageConfig) -> Result<Self> {
        let clock = Arc::new(RealClock::new());
        let period = cfg.period;
        let realtime_priority = cfg.realtime_priority;
        let connector_ids = cfg.connectors.iter().map(|c| c.id).collect();
        let modules = cfg.modules.len();
        let stage = SimulatedStage::new(cfg, clock.clone())?;
        let (events_tx, events_rx) = bounded(EVENT_BACKLOG);
        Ok(Self {
            realtime_priority,
            connector_ids,
            modules,
            watchdog: stage.watchdog(),
            clock,
            period,
            events_tx,
            events_rx,
            snapshot: Arc::new(Mutex::new(stage.snapshot())),
            stats: Arc::new(Mutex::new(LoopTimer::new(period))),
            inner: Mutex::new(Inner {
                stage: Some(stage),
                running: None,
            }),
        })
    }

    /// Whether a loop runs the stage.
    pub fn is_running(&self) -> bool {
        lock(&self.inner).running.is_some()
    }

    /// Starts the loop on a thread of its own.
    pub fn start(&self) -> Result<()> {
        self.start_on(None)
    }

    /// Starts the loop on `host`, or on a thread of its own when `None`.
    pub fn start_on(&self, host: Option<Arc<LoopHost>>) -> Result<()> {
        let mut inner = lock(&self.inner);
        if inner.running.is_some() {
            return Err(PowerError::AlreadyRunning);
        }
        let host = match host {
            Some(h) => h,
            None => LoopHost::new(self.realtime_priority)?,
        };
        let Some(stage) = inner.stage.take() else {
            return Err(PowerError::NotRunning);
        };
        stage.feed_watchdog();
        let alive = Arc::new(AtomicBool::new(true));
        let out = SlotOutputs {
            clock: self.clock.clone(),
            period: self.period,
            events: self.events_tx.clone(),
            snapshot: self.snapshot.clone(),
            stats: self.stats.clone(),
            alive: alive.clone(),
        };
        let slot = host.add(stage, out)?;
        inner.running = Some(Running { host, slot, alive });
        Ok(())
    }

    /// Stops the loop: modules off, contactors open; a host of its own ends with it.
    pub fn stop(&self) -> Result<()> {
        let mut inner = lock(&self.inner);
        let Some(running) = inner.running.take() else {
            return Ok(());
        };
        let stage = running.host.remove(running.slot)?;
        *lock(&self.snapshot) = stage.snapshot();
        inner.stage = Some(stage);
        Ok(())
    }

    /// Refuses what the loop would refuse, so the caller gets the error rather than the loop.
    fn check(&self, cmd: &StageCommand) -> Result<()> {
        let connector = match cmd {
            StageCommand::SetLimit {
                connector,
                limit_w,
                limit_a,
                ..
            } => {
                for v in [limit_w, limit_a].into_iter().flatten() {
                    if !(v.is_finite() && *v >= 0.0) {
                        return Err(PowerError::Config(format!(
                            "limit {v} is not a non-negative number"
                        )));
                    }
                }
                Some(*connector)
            }
            StageCommand::EvPlugIn {
                connector,
                battery_wh,
                soc,
                max_current_a,
            } => {
                let ok = battery_wh.is_finite()
                    && *battery_wh > 0.0
                    && (0.0..=100.0).contains(soc)
                    && max_current_a.is_finite()
                    && *max_current_a >= 0.0;
                if !ok {
                    return Err(PowerError::Config(format!("EV parameters battery_wh={battery_wh} soc={soc} max_current_a={max_current_a}")));
                }
                Some(*connector)
            }
            StageCommand::EvPlugOut(c)
            | StageCommand::EvPause(c)
            | StageCommand::EvResume(c)
            | StageCommand::Enable(c, _) => Some(*c),
            StageCommand::InjectFault(n, _) | StageCommand::ClearFault(n) => {
                if *n >= self.modules {
                    return Err(PowerError::UnknownModule(*n));
                }
                None
            }
            StageCommand::FailBus(_) => None,
        };
        match connector {
            Some(c) if !self.connector_ids.contains(&c) => {
                Err(PowerError::UnknownConnector(c as usize))
            }
            _ => Ok(()),
        }
    }

    /// Hands a command to the loop (or applies it at once when the loop is not running).
    pub fn command(&self, cmd: StageCommand) -> Result<()> {
        self.check(&cmd)?;
        let mut inner = lock(&self.inner);
        if let Some(stage) = inner.stage.as_mut() {
            return stage.apply(cmd);
        }
        match inner.running.as_ref() {
            Some(r) if r.alive.load(Ordering::SeqCst) => r.host.command(r.slot, cmd),
            _ => Err(PowerError::Closed),
        }
    }

    /// Clock reading now (for `SetLimit::issued`).
    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    /// The supervisor is alive.
    pub fn feed_watchdog(&self) {
        self.watchdog.feed(self.clock.now());
    }

    /// The latest telemetry.
    pub fn snapshot(&self) -> Snapshot {
        let mut s = lock(&self.snapshot).clone();
        s.loop_stats = self.loop_stats();
        s
    }

    /// Loop timing so far.
    pub fn loop_stats(&self) -> LoopStats {
        lock(&self.stats).stats()
    }

    /// The next event if one is queued, without waiting.
    pub fn try_event(&self) -> Option<StageEvent> {
        self.events_rx.try_recv().ok()
    }

    /// The next event, waiting at most `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Option<StageEvent> {
        self.events_rx.recv_timeout(timeout).ok()
    }
}

impl Drop for PowerStage {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
