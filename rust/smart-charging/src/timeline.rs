//! One profile placed on the time axis: which period is in force at an instant, and the
//! instants at which that can change.

use crate::profile::{ChargingProfile, Kind, Period, Purpose};

/// A profile with its anchor, repetition and validity resolved to absolute milliseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timed<'a> {
    pub profile: &'a ChargingProfile,
    /// Installed on the connector itself rather than on connector 0.
    pub specific: bool,
    /// Start of the schedule (of its first occurrence when recurring).
    anchor: i64,
    /// Distance between occurrences of a recurring profile.
    repeat_ms: Option<i64>,
    /// Length of one occurrence; `None` is unbounded.
    span_ms: Option<i64>,
    /// Validity, `[from, to)`.
    from: i64,
    to: i64,
}

impl<'a> Timed<'a> {
    /// `session_start` anchors Relative profiles: the transaction start, or the instant asked
    /// about when no transaction runs (the composite then simulates one starting there).
    /// `tx_start` bounds a TxProfile: it does not apply before its transaction began.
    pub fn new(
        profile: &'a ChargingProfile,
        specific: bool,
        session_start: i64,
        tx_start: Option<i64>,
    ) -> Self {
        let schedule = &profile.schedule;
        let anchor = match profile.kind {
            Kind::Relative => session_start,
            // check_computable guarantees startSchedule for Absolute and Recurring.
            Kind::Absolute | Kind::Recurring => schedule.start_schedule.unwrap_or(session_start),
        };
        let duration_ms = schedule.duration_s.map(|d| d.saturating_mul(1000));
        let repeat_ms = match profile.kind {
            Kind::Recurring => profile.recurrency.map(|r| r.period_ms()),
            Kind::Absolute | Kind::Relative => None,
        };
        // A recurring schedule longer than its recurrence is cut where the next one begins.
        let span_ms = match repeat_ms {
            Some(repeat) => Some(duration_ms.map_or(repeat, |d| d.min(repeat))),
            None => duration_ms,
        };
        let mut from = profile.valid_from.unwrap_or(i64::MIN);
        if profile.purpose == Purpose::TxProfile {
            from = from.max(tx_start.unwrap_or(i64::MAX));
        }
        Self {
            profile,
            specific,
            anchor,
            repeat_ms,
            span_ms,
            from,
            to: profile.valid_to.unwrap_or(i64::MAX),
        }
    }

    /// The period in force at `t`, if the profile covers `t` at all.
    pub fn period_at(&self, t: i64) -> Option<&'a Period> {
        if t < self.from || t >= self.to || t < self.anchor {
            return None;
        }
        let mut offset = t.saturating_sub(self.anchor);
        if let Some(repeat) = self.repeat_ms {
            offset %= repeat;
        }
        if self.span_ms.is_some_and(|span| offset >= span) {
            return None;
        }
        let offset_s = offset / 1000;
        let periods = &self.profile.schedule.periods;
        let index = periods.partition_point(|p| p.start_s <= offset_s);
        index.checked_sub(1).map(|i| &periods[i])
    }

    /// Appends every instant in `[lo, hi)` at which [`Self::period_at`] may change.
    pub fn boundaries(&self, lo: i64, hi: i64, out: &mut Vec<i64>) {
        for edge in [self.from, self.to] {
            if (lo..hi).contains(&edge) {
                out.push(edge);
            }
        }
        let lo = lo.max(self.from);
        let hi = hi.min(self.to);
        if lo >= hi {
            return;
        }
        match self.repeat_ms {
            None => self.occurrence_boundaries(self.anchor, lo, hi, out),
            Some(repeat) => {
                let first = lo.saturating_sub(self.anchor).div_euclid(repeat).max(0);
                let mut base = self.anchor.saturating_add(first.saturating_mul(repeat));
                while base < hi {
                    self.occurrence_boundaries(base, lo, hi, out);
                    base = base.saturating_add(repeat);
                }
            }
        }
    }

    fn occurrence_boundaries(&self, base: i64, lo: i64, hi: i64, out: &mut Vec<i64>) {
        let end = self
            .span_ms
            .map_or(i64::MAX, |span| base.saturating_add(span));
        let periods = &self.profile.schedule.periods;
        // Periods that start before `lo` only matter through the last one of them.
        let skip = periods
            .partition_point(|p| base.saturating_add(p.start_s.saturating_mul(1000)) < lo)
            .saturating_sub(1);
        for period in &periods[skip..] {
            let at = base.saturating_add(period.start_s.saturating_mul(1000));
            if at >= hi || at >= end {
                break;
            }
            if at >= lo {
                out.push(at);
            }
        }
        if (lo..hi).contains(&end) {
            out.push(end);
        }
    }

    /// The last instant after which this profile only repeats itself (or never changes).
    pub fn last_fixed_instant(&self) -> i64 {
        let mut last = self.anchor;
        for edge in [self.from, self.to] {
            if edge != i64::MIN && edge != i64::MAX {
                last = last.max(edge);
            }
        }
        if self.repeat_ms.is_none() {
            if let Some(period) = self.profile.schedule.periods.last() {
                last = last.max(
                    self.anchor
                        .saturating_add(period.start_s.saturating_mul(1000)),
                );
            }
            if let Some(span) = self.span_ms {
                last = last.max(self.anchor.saturating_add(span));
            }
        }
        last
    }
}
