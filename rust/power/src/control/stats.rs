//! Loop timing: how late each tick started against its deadline, and how long it ran.

use std::time::Duration;

/// Jitter and deadline figures of the loop thread.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LoopStats {
    /// Configured period, µs.
    pub period_us: u64,
    /// Ticks run.
    pub ticks: u64,
    /// Ticks that started after the following deadline had already passed.
    pub missed_deadlines: u64,
    /// Median lateness of tick start, µs.
    pub jitter_p50_us: u64,
    /// 99th percentile lateness, µs.
    pub jitter_p99_us: u64,
    /// Largest lateness, µs.
    pub jitter_max_us: u64,
    /// 99th percentile tick duration, µs.
    pub work_p99_us: u64,
    /// Largest tick duration, µs.
    pub work_max_us: u64,
}

/// Records ticks; percentiles cover the last `capacity` ticks, maxima and counts all of them.
#[derive(Debug, Clone)]
pub struct LoopTimer {
    period: Duration,
    jitter: Vec<u32>,
    work: Vec<u32>,
    next: usize,
    capacity: usize,
    ticks: u64,
    missed: u64,
    jitter_max: u64,
    work_max: u64,
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

fn percentile(samples: &[u32], p: f64) -> u64 {
    if samples.is_empty() {
        return 0;
    }
    let mut v = samples.to_vec();
    v.sort_unstable();
    let i = ((v.len() - 1) as f64 * p).round() as usize;
    u64::from(v[i.min(v.len() - 1)])
}

impl LoopTimer {
    /// A timer for `period`, keeping `capacity` samples for percentiles.
    pub fn new(period: Duration, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            period,
            jitter: Vec::with_capacity(capacity),
            work: Vec::with_capacity(capacity),
            next: 0,
            capacity,
            ticks: 0,
            missed: 0,
            jitter_max: 0,
            work_max: 0,
        }
    }

    /// One tick that started `late` after its deadline and ran for `work`.
    pub fn record(&mut self, late: Duration, work: Duration) {
        let (j, w) = (micros(late), micros(work));
        if self.jitter.len() < self.capacity {
            self.jitter.push(j);
            self.work.push(w);
        } else {
            self.jitter[self.next] = j;
            self.work[self.next] = w;
        }
        self.next = (self.next + 1) % self.capacity;
        self.ticks += 1;
        if late >= self.period {
            self.missed += 1;
        }
        self.jitter_max = self.jitter_max.max(u64::from(j));
        self.work_max = self.work_max.max(u64::from(w));
    }

    /// Deadlines skipped outright (the loop fell a whole period behind and resynchronised).
    pub fn skipped(&mut self, n: u64) {
        self.missed += n;
    }

    /// The figures so far.
    pub fn stats(&self) -> LoopStats {
        LoopStats {
            period_us: u64::try_from(self.period.as_micros()).unwrap_or(u64::MAX),
            ticks: self.ticks,
            missed_deadlines: self.missed,
            jitter_p50_us: percentile(&self.jitter, 0.50),
            jitter_p99_us: percentile(&self.jitter, 0.99),
            jitter_max_us: self.jitter_max,
            work_p99_us: percentile(&self.work, 0.99),
            work_max_us: self.work_max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_missed_deadlines() {
        let mut t = LoopTimer::new(Duration::from_millis(10), 1000);
        for i in 0..100u64 {
            t.record(Duration::from_micros(i), Duration::from_micros(5));
        }
        t.record(Duration::from_millis(12), Duration::from_micros(5));
        let s = t.stats();
        assert_eq!(s.ticks, 101);
        assert_eq!(s.missed_deadlines, 1);
        assert_eq!(s.jitter_p50_us, 50);
        assert_eq!(s.jitter_max_us, 12_000);
        assert!(s.jitter_p99_us >= 99);
    }

    #[test]
    fn ring_keeps_the_latest_samples() {
        let mut t = LoopTimer::new(Duration::from_millis(10), 4);
        for _ in 0..10 {
            t.record(Duration::from_micros(900), Duration::ZERO);
        }
        for _ in 0..4 {
            t.record(Duration::from_micros(1), Duration::ZERO);
        }
        assert_eq!(t.stats().jitter_p99_us, 1);
        assert_eq!(t.stats().jitter_max_us, 900);
    }
}
