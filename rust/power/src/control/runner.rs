//! The loop thread: one tick per period on a fixed grid of deadlines, commands applied as they
//! arrive between ticks, telemetry and events out through channels. It never touches Python,
//! so the GIL cannot delay it; it only waits on its own command channel.

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender};

use super::controller::Watchdog;
use super::events::StageEvent;
use super::stage::{SimulatedStage, StageCommand};
use super::stats::{LoopStats, LoopTimer};
use super::telemetry::Snapshot;
use super::StageConfig;
use crate::clock::{Clock, RealClock};
use crate::error::{PowerError, Result};

/// Events waiting for the supervisor; beyond this the oldest are the ones that matter least.
const EVENT_BACKLOG: usize = 4096;

enum Msg {
    Cmd(StageCommand),
    Stop,
}

struct Idle {
    stage: Option<SimulatedStage>,
    thread: Option<JoinHandle<SimulatedStage>>,
    cmd_rx: Option<Receiver<Msg>>,
}

/// A simulated power stage running in real time on its own thread.
pub struct PowerStage {
    realtime_priority: Option<u8>,
    connector_ids: Vec<u32>,
    modules: usize,
    clock: Arc<RealClock>,
    period: Duration,
    watchdog: Arc<Watchdog>,
    cmd_tx: Sender<Msg>,
    events_tx: Sender<StageEvent>,
    events_rx: Receiver<StageEvent>,
    snapshot: Arc<Mutex<Snapshot>>,
    stats: Arc<Mutex<LoopTimer>>,
    inner: Mutex<Idle>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PowerStage {
    /// A stage over the simulated cabinet, not yet running.
    pub fn new_simulated(cfg: StageConfig) -> Result<Self> {
        let clock = Arc::new(RealClock::new());
        let period = cfg.period;
        let cfg_realtime = cfg.realtime_priority;
        let connector_ids = cfg.connectors.iter().map(|c| c.id).collect();
        let modules = cfg.modules.len();
        let stage = SimulatedStage::new(cfg, clock.clone())?;
        let (cmd_tx, cmd_rx) = unbounded();
        let (events_tx, events_rx) = bounded(EVENT_BACKLOG);
        Ok(Self {
            realtime_priority: cfg_realtime,
            connector_ids,
            modules,
            watchdog: stage.watchdog(),
            clock,
            period,
            cmd_tx,
            events_tx,
            events_rx,
            snapshot: Arc::new(Mutex::new(stage.snapshot())),
            stats: Arc::new(Mutex::new(LoopTimer::new(period))),
            inner: Mutex::new(Idle {
                stage: Some(stage),
                thread: None,
                cmd_rx: Some(cmd_rx),
            }),
        })
    }

    /// Whether the loop thread runs.
    pub fn is_running(&self) -> bool {
        lock(&self.inner).thread.is_some()
    }

    /// Starts the loop thread.
    pub fn start(&self) -> Result<()> {
        let mut inner = lock(&self.inner);
        if inner.thread.is_some() {
            return Err(PowerError::AlreadyRunning);
        }
        let (Some(stage), Some(cmd_rx)) = (inner.stage.take(), inner.cmd_rx.take()) else {
            return Err(PowerError::NotRunning);
        };
        stage.feed_watchdog();
        let ctx = LoopContext {
            realtime_priority: self.realtime_priority,
            clock: self.clock.clone(),
            period: self.period,
            events: self.events_tx.clone(),
            snapshot: self.snapshot.clone(),
            stats: self.stats.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("power-loop".into())
            .spawn(move || ctx.run(stage, &cmd_rx))?;
        inner.thread = Some(handle);
        Ok(())
    }

    /// Stops the loop: modules off, contactors open, then the thread ends.
    pub fn stop(&self) -> Result<()> {
        let mut inner = lock(&self.inner);
        let Some(handle) = inner.thread.take() else {
            return Ok(());
        };
        let _ = self.cmd_tx.send(Msg::Stop);
        let stage = handle
            .join()
            .map_err(|_| PowerError::Unsupported("the power loop thread panicked".into()))?;
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
        match inner.stage.as_mut() {
            Some(stage) => stage.apply(cmd),
            None => self
                .cmd_tx
                .send(Msg::Cmd(cmd))
                .map_err(|_| PowerError::Closed),
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

struct LoopContext {
    realtime_priority: Option<u8>,
    clock: Arc<RealClock>,
    period: Duration,
    events: Sender<StageEvent>,
    snapshot: Arc<Mutex<Snapshot>>,
    stats: Arc<Mutex<LoopTimer>>,
}

impl LoopContext {
    fn emit(&self, ev: StageEvent) {
        // A supervisor that stopped reading must not stall the loop.
        let _ = self.events.try_send(ev);
    }

    /// Runs until `Stop` or a failed tick, then switches everything off; returns the stage.
    fn run(self, mut stage: SimulatedStage, cmds: &Receiver<Msg>) -> SimulatedStage {
        let rt = self.realtime_priority.is_some_and(realtime);
        lock(&self.stats).set_realtime(rt);
        let mut deadline = Instant::now() + self.period;
        let mut reason = "stopped by the supervisor".to_owned();
        'run: loop {
            loop {
                match cmds.recv_deadline(deadline) {
                    Ok(Msg::Cmd(cmd)) => {
                        if let Err(e) = stage.apply(cmd) {
                            reason = format!("command failed: {e}");
                        }
                        for ev in stage.take_events() {
                            self.emit(ev);
                        }
                    }
                    Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => break 'run,
                    Err(RecvTimeoutError::Timeout) => break,
                }
            }
            let started = Instant::now();
            let late = started.saturating_duration_since(deadline);
            if let Err(e) = stage.tick() {
                reason = format!("tick failed: {e}");
                break 'run;
            }
            for ev in stage.take_events() {
                self.emit(ev);
            }
            *lock(&self.snapshot) = stage.snapshot();
            lock(&self.stats).record(late, started.elapsed());
            deadline += self.period;
            let now = Instant::now();
            if now > deadline + self.period {
                // Fell whole periods behind: resynchronise instead of bursting ticks.
                let behind = (now - deadline).as_nanos() / self.period.as_nanos().max(1);
                let behind = u32::try_from(behind).unwrap_or(u32::MAX);
                deadline += self.period * behind;
                lock(&self.stats).skipped(u64::from(behind));
            }
        }
        stage.shutdown();
        for ev in stage.take_events() {
            self.emit(ev);
        }
        *lock(&self.snapshot) = stage.snapshot();
        self.emit(StageEvent::Stopped {
            reason,
            ts_ms: self.clock.unix_ms(),
        });
        stage
    }
}

/// Puts the calling thread under SCHED_FIFO at `priority` (1-99) when the OS allows it
/// (CAP_SYS_NICE or an rtprio limit); otherwise it stays a normal thread. The loop sleeps
/// almost all of its period, so it cannot starve the machine.
#[cfg(target_os = "linux")]
fn realtime(priority: u8) -> bool {
    use thread_priority::{
        set_thread_priority_and_policy, thread_native_id, RealtimeThreadSchedulePolicy,
        ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
    };
    let Ok(value) = ThreadPriorityValue::try_from(priority) else {
        return false;
    };
    let policy = ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo);
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Crossplatform(value),
        policy,
    )
    .is_ok()
}

#[cfg(not(target_os = "linux"))]
fn realtime(_priority: u8) -> bool {
    false
}
