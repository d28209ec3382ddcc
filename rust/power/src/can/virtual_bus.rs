//! An in-process CAN bus whose timing is modelled: each frame occupies the wire for its
//! stuffed bit length at the configured bit rate, and when several frames wait, the lowest
//! identifier wins arbitration (ISO 11898-1 bitwise arbitration, dominant 0). Frames reach
//! the other nodes only when their transmission has ended, so load and latency are honest.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::bit_timing::frame_duration;
use super::{CanBus, CanFrame};
use crate::clock::Clock;
use crate::error::{PowerError, Result};

const LOAD_WINDOW: Duration = Duration::from_secs(1);

/// Load and latency figures of a virtual bus.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BusStats {
    /// Fraction of the last second the wire was busy (0..=1).
    pub load_1s: f64,
    /// Fraction of all time since creation the wire was busy.
    pub load_total: f64,
    /// Frames transmitted since creation.
    pub frames: u64,
    /// Mean time from `send` to delivery, arbitration wait included.
    pub mean_latency: Duration,
    /// Longest time from `send` to delivery.
    pub max_latency: Duration,
}

struct Pending {
    frame: CanFrame,
    from: usize,
    queued_at: Duration,
    seq: u64,
}

struct InFlight {
    frame: CanFrame,
    from: usize,
    queued_at: Duration,
    end: Duration,
}

struct BusState {
    rx: Vec<Option<VecDeque<CanFrame>>>,
    pending: Vec<Pending>,
    in_flight: VecDeque<InFlight>,
    free_at: Duration,
    seq: u64,
    failed: bool,
    busy_total: Duration,
    window: VecDeque<(Duration, Duration)>,
    frames: u64,
    latency_sum: Duration,
    latency_max: Duration,
}

struct Shared {
    state: Mutex<BusState>,
    arrived: Condvar,
    clock: Arc<dyn Clock>,
    bitrate: u32,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, BusState> {
        // A panic in another node must not take the bus down with it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl BusState {
    /// Runs the wire up to `now`: arbitrates, transmits and delivers.
    fn advance(&mut self, now: Duration, bitrate: u32) {
        loop {
            while self.in_flight.front().is_some_and(|f| f.end <= now) {
                if let Some(done) = self.in_flight.pop_front() {
                    self.deliver(done);
                }
            }
            let Some(earliest) = self.pending.iter().map(|p| p.queued_at).min() else {
                break;
            };
            let start = self.free_at.max(earliest);
            if start > now || !self.in_flight.is_empty() {
                break;
            }
            let winner = self
                .pending
                .iter()
                .enumerate()
                .filter(|(_, p)| p.queued_at <= start)
                .min_by_key(|(_, p)| (p.frame.id(), p.seq))
                .map(|(i, _)| i);
            let Some(i) = winner else { break };
            let p = self.pending.swap_remove(i);
            let dur = frame_duration(&p.frame, bitrate);
            let end = start + dur;
            self.free_at = end;
            self.busy_total += dur;
            self.window.push_back((end, dur));
            self.in_flight.push_back(InFlight {
                frame: p.frame,
                from: p.from,
                queued_at: p.queued_at,
                end,
            });
        }
        while self
            .window
            .front()
            .is_some_and(|(end, _)| *end + LOAD_WINDOW < now)
        {
            self.window.pop_front();
        }
    }

    fn deliver(&mut self, f: InFlight) {
        self.frames += 1;
        let latency = f.end.saturating_sub(f.queued_at);
        self.latency_sum += latency;
        self.latency_max = self.latency_max.max(latency);
        for (node, q) in self.rx.iter_mut().enumerate() {
            if node != f.from {
                if let Some(q) = q {
                    q.push_back(f.frame);
                }
            }
        }
    }

    fn next_event(&self) -> Option<Duration> {
        self.in_flight.front().map(|f| f.end).or_else(|| {
            self.pending
                .iter()
                .map(|p| p.queued_at)
                .min()
                .map(|q| q.max(self.free_at))
        })
    }
}

/// The bus itself; hand out one [`VirtualNode`] per participant.
#[derive(Clone)]
pub struct VirtualBus {
    shared: Arc<Shared>,
}

impl VirtualBus {
    /// A bus at `bitrate` bit/s whose timing follows `clock`.
    pub fn new(clock: Arc<dyn Clock>, bitrate: u32) -> Self {
        let state = BusState {
            rx: Vec::new(),
            pending: Vec::new(),
            in_flight: VecDeque::new(),
            free_at: Duration::ZERO,
            seq: 0,
            failed: false,
            busy_total: Duration::ZERO,
            window: VecDeque::new(),
            frames: 0,
            latency_sum: Duration::ZERO,
            latency_max: Duration::ZERO,
        };
        let shared = Shared {
            state: Mutex::new(state),
            arrived: Condvar::new(),
            clock,
            bitrate,
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// A new participant; it receives every frame the others send from now on.
    pub fn node(&self) -> VirtualNode {
        let mut st = self.shared.lock();
        st.rx.push(Some(VecDeque::new()));
        VirtualNode {
            shared: Arc::clone(&self.shared),
            index: st.rx.len() - 1,
        }
    }

    /// A failed bus (cut wire, dead transceiver) loses every frame sent while it is failed.
    pub fn set_failed(&self, failed: bool) {
        let mut st = self.shared.lock();
        st.failed = failed;
        if failed {
            st.pending.clear();
            st.in_flight.clear();
        }
    }

    /// Load and latency measured so far.
    pub fn stats(&self) -> BusStats {
        let now = self.shared.clock.now();
        let mut st = self.shared.lock();
        st.advance(now, self.shared.bitrate);
        let window_start = now.saturating_sub(LOAD_WINDOW);
        let busy_1s: Duration = st
            .window
            .iter()
            .filter(|(end, _)| *end > window_start && *end <= now)
            .map(|(_, d)| *d)
            .sum();
        let span = now.min(LOAD_WINDOW);
        let ratio = |busy: Duration, over: Duration| {
            if over.is_zero() {
                0.0
            } else {
                (busy.as_secs_f64() / over.as_secs_f64()).min(1.0)
            }
        };
        let frames = st.frames;
        BusStats {
            load_1s: ratio(busy_1s, span),
            load_total: ratio(st.busy_total, now),
            frames,
            mean_latency: if frames == 0 {
                Duration::ZERO
            } else {
                st.latency_sum / u32::try_from(frames).unwrap_or(u32::MAX)
            },
            max_latency: st.latency_max,
        }
    }
}

/// One participant of a [`VirtualBus`].
pub struct VirtualNode {
    shared: Arc<Shared>,
    index: usize,
}

impl CanBus for VirtualNode {
    fn send(&mut self, frame: &CanFrame) -> Result<()> {
        let now = self.shared.clock.now();
        let mut st = self.shared.lock();
        if st.failed {
            return Ok(());
        }
        st.seq += 1;
        let seq = st.seq;
        st.pending.push(Pending {
            frame: *frame,
            from: self.index,
            queued_at: now,
            seq,
        });
        st.advance(now, self.shared.bitrate);
        drop(st);
        self.shared.arrived.notify_all();
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> Result<Option<CanFrame>> {
        let clock = &self.shared.clock;
        let deadline = clock.now() + timeout;
        let mut st = self.shared.lock();
        loop {
            let now = clock.now();
            st.advance(now, self.shared.bitrate);
            let q = st.rx[self.index].as_mut().ok_or(PowerError::Closed)?;
            if let Some(f) = q.pop_front() {
                return Ok(Some(f));
            }
            if now >= deadline || !clock.is_real() {
                return Ok(None);
            }
            let until = st
                .next_event()
                .map_or(deadline, |e| e.min(deadline))
                .max(now);
            let wait = (until - now).max(Duration::from_micros(50));
            st = self
                .shared
                .arrived
                .wait_timeout(st, wait)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for VirtualNode {
    fn drop(&mut self) {
        self.shared.lock().rx[self.index] = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{ManualClock, RealClock};

    fn setup() -> (Arc<ManualClock>, VirtualBus) {
        let clock = Arc::new(ManualClock::new(0));
        let bus = VirtualBus::new(clock.clone(), 125_000);
        (clock, bus)
    }

    #[test]
    fn frames_arrive_only_after_their_wire_time_and_not_at_the_sender() {
        let (clock, bus) = setup();
        let mut a = bus.node();
        let mut b = bus.node();
        let mut c = bus.node();
        let f = CanFrame::with_payload(0x0283_01F0, [0; 8]);
        a.send(&f).unwrap();
        assert_eq!(b.try_recv().unwrap(), None);
        clock.advance(Duration::from_micros(1500));
        assert_eq!(b.try_recv().unwrap(), Some(f));
        assert_eq!(c.try_recv().unwrap(), Some(f));
        assert_eq!(a.try_recv().unwrap(), None);
    }

    #[test]
    fn lowest_id_wins_arbitration_among_waiting_frames() {
        let (clock, bus) = setup();
        let mut a = bus.node();
        let mut b = bus.node();
        let mut rx = bus.node();
        let first = CanFrame::with_payload(0x0500, [1; 8]);
        a.send(&first).unwrap(); // occupies the wire
        b.send(&CanFrame::with_payload(0x0300, [2; 8])).unwrap();
        a.send(&CanFrame::with_payload(0x0200, [3; 8])).unwrap();
        clock.advance(Duration::from_millis(10));
        let ids: Vec<u32> = std::iter::from_fn(|| rx.try_recv().unwrap())
            .map(|f| f.id())
            .collect();
        assert_eq!(ids, vec![0x0500, 0x0200, 0x0300]);
        let stats = bus.stats();
        assert_eq!(stats.frames, 3);
        assert!(stats.max_latency > Duration::from_millis(2), "{stats:?}");
    }

    #[test]
    fn load_reflects_wire_occupancy() {
        let (clock, bus) = setup();
        let mut a = bus.node();
        let _b = bus.node();
        // 100 eight-byte frames in one second: ~11-13 % at 125 kbit/s.
        for _ in 0..100 {
            a.send(&CanFrame::with_payload(0x0283_01F0, [0x55; 8]))
                .unwrap();
            clock.advance(Duration::from_millis(10));
        }
        let s = bus.stats();
        assert!(s.load_1s > 0.10 && s.load_1s < 0.14, "{s:?}");
    }

    #[test]
    fn failed_bus_loses_frames() {
        let (clock, bus) = setup();
        let mut a = bus.node();
        let mut b = bus.node();
        bus.set_failed(true);
        a.send(&CanFrame::with_payload(1, [0; 8])).unwrap();
        clock.advance(Duration::from_millis(5));
        assert_eq!(b.try_recv().unwrap(), None);
    }

    #[test]
    fn real_clock_recv_waits_for_the_frame() {
        let bus = VirtualBus::new(Arc::new(RealClock::new()), 125_000);
        let mut a = bus.node();
        let mut b = bus.node();
        let f = CanFrame::with_payload(7, [9; 8]);
        a.send(&f).unwrap();
        assert_eq!(b.recv(Duration::from_secs(1)).unwrap(), Some(f));
    }
}
