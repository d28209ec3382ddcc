//! A power stage whose control loop runs on a [`LoopHost`] thread: a host of its own (the
//! charger), or one shared with other stages (a fleet simulator). The stage is the simulated
//! cabinet or the hardware stage (real modules on SocketCAN, or the virtual bench). The loop
//! never touches Python, so the GIL cannot delay it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{bounded, Receiver, Sender};

use super::command::{LoopStage, StageCommand, StageKind};
use super::controller::Watchdog;
use super::events::StageEvent;
use super::host::{lock, LoopHost, SlotId, SlotOutputs};
use super::spec::BusInterface;
use super::stage::SimulatedStage;
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
    stage: Option<Box<dyn LoopStage>>,
    running: Option<Running>,
}

/// A power stage running in real time on a loop thread.
pub struct PowerStage {
    kind: StageKind,
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
        let stage = SimulatedStage::new(cfg.clone(), clock.clone())?;
        let watchdog = stage.watchdog();
        Ok(Self::around(
            Box::new(stage),
            StageKind::Simulated,
            watchdog,
            &cfg,
            clock,
        ))
    }

    /// A hardware stage on `interface` (opened now), not yet running.
    ///
    /// # Errors
    /// [`PowerError::BusOpen`] when the interface cannot be opened.
    pub fn new_hardware(cfg: StageConfig, interface: &BusInterface) -> Result<Self> {
        let clock = Arc::new(RealClock::new());
        let stage = crate::hardware::HardwareStage::open(cfg.clone(), interface, clock.clone())?;
        let watchdog = stage.watchdog();
        let kind = match interface {
            BusInterface::Virtual => StageKind::Bench,
            BusInterface::SocketCan(_) => StageKind::Hardware,
        };
        Ok(Self::around(Box::new(stage), kind, watchdog, &cfg, clock))
    }

    fn around(
        stage: Box<dyn LoopStage>,
        kind: StageKind,
        watchdog: Arc<Watchdog>,
        cfg: &StageConfig,
        clock: Arc<RealClock>,
    ) -> Self {
        let (events_tx, events_rx) = bounded(EVENT_BACKLOG);
        Self {
            kind,
            realtime_priority: cfg.realtime_priority,
            connector_ids: cfg.connectors.iter().map(|c| c.id).collect(),
            modules: cfg.modules.len(),
            watchdog,
            clock,
            period: cfg.period,
            events_tx,
            events_rx,
            snapshot: Arc::new(Mutex::new(stage.snapshot())),
            stats: Arc::new(Mutex::new(LoopTimer::new(cfg.period))),
            inner: Mutex::new(Inner {
                stage: Some(stage),
                running: None,
            }),
        }
    }

    /// Which commands this stage takes.
    pub fn kind(&self) -> StageKind {
        self.kind
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
        self.kind.accepts(cmd)?;
        cmd.check_values()?;
        if let StageCommand::InjectFault(n, _) | StageCommand::ClearFault(n) = cmd {
            if *n >= self.modules {
                return Err(PowerError::UnknownModule(*n));
            }
        }
        match cmd.connector() {
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
