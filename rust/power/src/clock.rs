//! Time source of the stage: real time in the product, a hand-driven clock in tests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A monotonic clock that also knows the wall time of its instants.
pub trait Clock: Send + Sync {
    /// Time elapsed since the clock's origin.
    fn now(&self) -> Duration;
    /// Milliseconds since the Unix epoch (UTC) of the instant `at` on this clock.
    fn unix_ms_at(&self, at: Duration) -> i64;
    /// Whether time passes by itself; blocking waits only make sense on a real clock.
    fn is_real(&self) -> bool;
    /// Milliseconds since the Unix epoch of the present instant.
    fn unix_ms(&self) -> i64 {
        self.unix_ms_at(self.now())
    }
}

fn system_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn add_ms(base: i64, at: Duration) -> i64 {
    base.saturating_add(i64::try_from(at.as_millis()).unwrap_or(i64::MAX))
}

/// `Instant`-based clock; its origin is the moment it was created.
#[derive(Debug)]
pub struct RealClock {
    origin: Instant,
    origin_unix_ms: i64,
}

impl RealClock {
    /// A clock starting now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
            origin_unix_ms: system_unix_ms(),
        }
    }

    /// The `Instant` of a clock reading, for deadline scheduling.
    pub fn instant_at(&self, at: Duration) -> Instant {
        self.origin + at
    }
}

impl Default for RealClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for RealClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn unix_ms_at(&self, at: Duration) -> i64 {
        add_ms(self.origin_unix_ms, at)
    }
    fn is_real(&self) -> bool {
        true
    }
}

/// A clock that only moves when told to, so tests are deterministic.
#[derive(Debug)]
pub struct ManualClock {
    nanos: AtomicU64,
    origin_unix_ms: i64,
}

impl ManualClock {
    /// A clock at zero whose origin is `origin_unix_ms` on the wall clock.
    pub fn new(origin_unix_ms: i64) -> Self {
        Self {
            nanos: AtomicU64::new(0),
            origin_unix_ms,
        }
    }

    /// Moves time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(ns, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
    fn unix_ms_at(&self, at: Duration) -> i64 {
        add_ms(self.origin_unix_ms, at)
    }
    fn is_real(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let c = ManualClock::new(1_000);
        assert_eq!(c.now(), Duration::ZERO);
        c.advance(Duration::from_millis(50));
        assert_eq!(c.now(), Duration::from_millis(50));
        assert_eq!(c.unix_ms(), 1_050);
        assert!(!c.is_real());
    }

    #[test]
    fn real_clock_is_monotonic() {
        let c = RealClock::new();
        let a = c.now();
        assert!(c.now() >= a);
        assert!(c.unix_ms() > 1_600_000_000_000);
    }
}
