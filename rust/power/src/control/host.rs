//! The thread that runs control loops. Each hosted stage ticks on its own period, on a grid
//! of deadlines shared by the whole host, and applies commands as they arrive between ticks.
//! A charger runs its one stage on a host of its own (SCHED_FIFO where permitted). A fleet
//! simulator puts hundreds of stages on one host: stages with the same period tick in the
//! same wakeup, so 500 simulated chargers at 50 ms cost 20 wakeups a second, not 10 000
//! thread switches (benches/bench_station_footprint.py).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};

use super::command::{LoopStage, StageCommand};
use super::events::StageEvent;
use super::stats::LoopTimer;
use super::telemetry::Snapshot;
use crate::clock::{Clock, RealClock};
use crate::error::{PowerError, Result};

pub(crate) type SlotId = u64;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Where a hosted stage publishes what it does; shared with its [`super::PowerStage`].
pub(crate) struct SlotOutputs {
    pub clock: Arc<RealClock>,
    pub period: Duration,
    pub events: Sender<StageEvent>,
    pub snapshot: Arc<Mutex<Snapshot>>,
    pub stats: Arc<Mutex<LoopTimer>>,
    /// Cleared when the loop of this stage has ended (stopped, or a failed tick).
    pub alive: Arc<AtomicBool>,
}

enum HostMsg {
    Add(SlotId, Box<Slot>),
    Cmd(SlotId, StageCommand),
    Remove(SlotId, Sender<Box<dyn LoopStage>>),
    Shutdown,
}

/// One stage on the host thread.
struct Slot {
    stage: Box<dyn LoopStage>,
    out: SlotOutputs,
    deadline: Instant,
    reason: String,
    finished: bool,
}

impl Slot {
    fn emit(&self, ev: StageEvent) {
        // A supervisor that stopped reading must not stall the loop.
        let _ = self.out.events.try_send(ev);
    }

    fn emit_pending(&mut self) {
        for ev in self.stage.take_events() {
            self.emit(ev);
        }
    }

    fn apply(&mut self, cmd: StageCommand) {
        if self.finished {
            return;
        }
        if let Err(e) = self.stage.apply(cmd) {
            self.reason = format!("command failed: {e}");
        }
        self.emit_pending();
    }

    fn tick(&mut self) {
        let started = Instant::now();
        let late = started.saturating_duration_since(self.deadline);
        if let Err(e) = self.stage.tick() {
            self.reason = format!("tick failed: {e}");
            self.finish();
            return;
        }
        self.emit_pending();
        *lock(&self.out.snapshot) = self.stage.snapshot();
        lock(&self.out.stats).record(late, started.elapsed());
        let period = self.out.period;
        self.deadline += period;
        let now = Instant::now();
        if now > self.deadline + period {
            // Fell whole periods behind: resynchronise instead of bursting ticks.
            let behind = (now - self.deadline).as_nanos() / period.as_nanos().max(1);
            let behind = u32::try_from(behind).unwrap_or(u32::MAX);
            self.deadline += period * behind;
            lock(&self.out.stats).skipped(u64::from(behind));
        }
    }

    /// Everything off, contactors open, `Stopped` reported; the stage keeps its state.
    fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.out.alive.store(false, Ordering::SeqCst);
        self.stage.shutdown();
        self.emit_pending();
        *lock(&self.out.snapshot) = self.stage.snapshot();
        let reason = std::mem::take(&mut self.reason);
        self.emit(StageEvent::Stopped {
            reason,
            ts_ms: self.out.clock.unix_ms(),
        });
    }
}

/// A control-loop thread serving any number of stages.
pub struct LoopHost {
    tx: Sender<HostMsg>,
    next_id: AtomicU64,
    hosted: AtomicUsize,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl LoopHost {
    /// Starts the thread; `realtime_priority`: SCHED_FIFO priority (1-99) when permitted.
    pub fn new(realtime_priority: Option<u8>) -> Result<Arc<Self>> {
        if realtime_priority.is_some_and(|p| !(1..=99).contains(&p)) {
            return Err(PowerError::Config("realtime_priority must be 1..99".into()));
        }
        let (tx, rx) = unbounded();
        let handle = std::thread::Builder::new()
            .name("power-loop".into())
            .spawn(move || serve(&rx, realtime_priority))?;
        Ok(Arc::new(Self {
            tx,
            next_id: AtomicU64::new(1),
            hosted: AtomicUsize::new(0),
            thread: Mutex::new(Some(handle)),
        }))
    }

    /// Stages running on this host now.
    pub fn hosted(&self) -> usize {
        self.hosted.load(Ordering::SeqCst)
    }

    fn send(&self, msg: HostMsg) -> Result<()> {
        self.tx.send(msg).map_err(|_| PowerError::Closed)
    }

    pub(crate) fn add(&self, stage: Box<dyn LoopStage>, out: SlotOutputs) -> Result<SlotId> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let slot = Slot {
            stage,
            out,
            deadline: Instant::now(),
            reason: "stopped by the supervisor".to_owned(),
            finished: false,
        };
        self.send(HostMsg::Add(id, Box::new(slot)))?;
        self.hosted.fetch_add(1, Ordering::SeqCst);
        Ok(id)
    }

    pub(crate) fn command(&self, id: SlotId, cmd: StageCommand) -> Result<()> {
        self.send(HostMsg::Cmd(id, cmd))
    }

    /// Ends the stage's loop (if a failed tick has not already) and hands the stage back.
    pub(crate) fn remove(&self, id: SlotId) -> Result<Box<dyn LoopStage>> {
        let (reply_tx, reply_rx) = crossbeam_channel::bounded(1);
        self.send(HostMsg::Remove(id, reply_tx))?;
        let stage = reply_rx
            .recv()
            .map_err(|_| PowerError::Unsupported("the power loop thread panicked".into()))?;
        self.hosted.fetch_sub(1, Ordering::SeqCst);
        Ok(stage)
    }
}

impl Drop for LoopHost {
    fn drop(&mut self) {
        let _ = self.tx.send(HostMsg::Shutdown);
        if let Some(handle) = lock(&self.thread).take() {
            let _ = handle.join();
        }
    }
}

/// The next deadline on the host's grid: stages of equal period tick in the same wakeup.
fn on_grid(epoch: Instant, period: Duration, now: Instant) -> Instant {
    let p = period.as_nanos().max(1);
    let periods = now.saturating_duration_since(epoch).as_nanos() / p + 1;
    epoch + Duration::from_nanos(u64::try_from(periods * p).unwrap_or(u64::MAX))
}

fn serve(rx: &Receiver<HostMsg>, realtime_priority: Option<u8>) {
    let rt = realtime_priority.is_some_and(realtime);
    let epoch = Instant::now();
    let mut slots: HashMap<SlotId, Slot> = HashMap::new();
    loop {
        let next = slots
            .values()
            .filter(|s| !s.finished)
            .map(|s| s.deadline)
            .min();
        let msg = match next {
            Some(deadline) => rx.recv_deadline(deadline),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match msg {
            Ok(HostMsg::Add(id, mut slot)) => {
                lock(&slot.out.stats).set_realtime(rt);
                slot.deadline = on_grid(epoch, slot.out.period, Instant::now());
                slots.insert(id, *slot);
            }
            Ok(HostMsg::Cmd(id, cmd)) => {
                if let Some(slot) = slots.get_mut(&id) {
                    slot.apply(cmd);
                }
            }
            Ok(HostMsg::Remove(id, reply)) => {
                if let Some(mut slot) = slots.remove(&id) {
                    slot.finish();
                    let _ = reply.send(slot.stage);
                }
            }
            Ok(HostMsg::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                for slot in slots.values_mut() {
                    slot.finish();
                }
                return;
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        for slot in slots.values_mut() {
            if !slot.finished && slot.deadline <= now {
                slot.tick();
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_fall_on_the_host_grid() {
        let epoch = Instant::now();
        let p = Duration::from_millis(50);
        assert_eq!(on_grid(epoch, p, epoch), epoch + p);
        assert_eq!(
            on_grid(epoch, p, epoch + Duration::from_millis(49)),
            epoch + p
        );
        assert_eq!(on_grid(epoch, p, epoch + p), epoch + p * 2);
        assert_eq!(
            on_grid(epoch, p, epoch + Duration::from_millis(1234)),
            epoch + p * 25
        );
    }
}
