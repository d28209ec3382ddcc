//! Loop timing: how late each tick started against its deadline, and how long it ran.
//!
//! Samples go into fixed histograms so that recording is O(1) and reading the percentiles
//! (from Python, under the same lock) never holds the loop thread up for long.

use std::time::Duration;

use serde::Serialize;

/// Jitter and deadline figures of the loop thread.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct LoopStats {
    /// Configured period, µs.
    pub period_us: u64,
    /// Ticks run.
    pub ticks: u64,
    /// Ticks that started a whole period late or later, plus deadlines skipped outright.
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
    /// The loop thread runs with real-time (SCHED_FIFO) priority.
    pub realtime: bool,
}

/// Bucket width and count: 2 µs resolution up to 20 ms; later samples count in the last one.
const BUCKET_US: u64 = 2;
const BUCKETS: usize = 10_000;

#[derive(Debug, Clone)]
struct Histogram {
    counts: Vec<u32>,
    total: u64,
    max_us: u64,
}

impl Histogram {
    fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            max_us: 0,
        }
    }

    fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let i = usize::try_from(us / BUCKET_US)
            .unwrap_or(BUCKETS)
            .min(BUCKETS - 1);
        self.counts[i] = self.counts[i].saturating_add(1);
        self.total += 1;
        self.max_us = self.max_us.max(us);
    }

    /// Upper edge of the bucket holding the `p` quantile, never above the maximum seen.
    fn percentile(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((self.total as f64) * p).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                return ((i as u64 + 1) * BUCKET_US).min(self.max_us);
            }
        }
        self.max_us
    }
}

/// Records every tick since the loop started.
#[derive(Debug, Clone)]
pub struct LoopTimer {
    period: Duration,
    jitter: Histogram,
    work: Histogram,
    missed: u64,
    realtime: bool,
}

impl LoopTimer {
    /// A timer for `period`.
    pub fn new(period: Duration) -> Self {
        Self {
            period,
            jitter: Histogram::new(),
            work: Histogram::new(),
            missed: 0,
            realtime: false,
        }
    }

    /// One tick that started `late` after its deadline and ran for `work`.
    pub fn record(&mut self, late: Duration, work: Duration) {
        self.jitter.record(late);
        self.work.record(work);
        if late >= self.period {
            self.missed += 1;
        }
    }

    /// Deadlines skipped outright (the loop fell a whole period behind and resynchronised).
    pub fn skipped(&mut self, n: u64) {
        self.missed += n;
    }

    /// Notes whether real-time scheduling took effect.
    pub fn set_realtime(&mut self, on: bool) {
        self.realtime = on;
    }

    /// The figures so far.
    pub fn stats(&self) -> LoopStats {
        LoopStats {
            period_us: u64::try_from(self.period.as_micros()).unwrap_or(u64::MAX),
            ticks: self.jitter.total,
            missed_deadlines: self.missed,
            jitter_p50_us: self.jitter.percentile(0.50),
            jitter_p99_us: self.jitter.percentile(0.99),
            jitter_max_us: self.jitter.max_us,
            work_p99_us: self.work.percentile(0.99),
            work_max_us: self.work.max_us,
            realtime: self.realtime,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_missed_deadlines() {
        let mut t = LoopTimer::new(Duration::from_millis(10));
        for i in 0..100u64 {
            t.record(Duration::from_micros(i * 10), Duration::from_micros(5));
        }
        t.record(Duration::from_millis(12), Duration::from_micros(5));
        let s = t.stats();
        assert_eq!(s.ticks, 101);
        assert_eq!(s.missed_deadlines, 1);
        assert!((500..=502).contains(&s.jitter_p50_us), "{s:?}");
        assert_eq!(s.jitter_max_us, 12_000);
        assert!((990..=992).contains(&s.jitter_p99_us), "{s:?}");
        assert_eq!(s.work_p99_us, 5);
        t.skipped(3);
        assert_eq!(t.stats().missed_deadlines, 4);
    }

    #[test]
    fn late_samples_beyond_the_histogram_report_the_maximum() {
        let mut t = LoopTimer::new(Duration::from_millis(50));
        t.record(Duration::from_millis(40), Duration::ZERO);
        let s = t.stats();
        assert_eq!(
            (s.jitter_p50_us, s.jitter_p99_us, s.jitter_max_us),
            (20_000, 20_000, 40_000)
        );
        assert_eq!(
            LoopTimer::new(Duration::from_millis(1))
                .stats()
                .jitter_p99_us,
            0
        );
    }
}
