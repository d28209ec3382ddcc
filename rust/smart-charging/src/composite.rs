//! GetCompositeSchedule: the limits of a window as a list of periods in whole seconds.

use serde::{Serialize, Serializer};

use crate::error::SmartChargingError;
use crate::params::ElectricalParams;
use crate::profile::{InstalledProfile, TxContext, Unit};
use crate::stack::{Sample, Stack};

/// The longest window computed: 366 days, which covers a year of recurrences.
pub const MAX_WINDOW_S: i64 = 366 * 86_400;

/// The interval asked for: `[start_ms, start_ms + duration_s s)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start, ms since the epoch (errata 3.29: the time the request was received; the
    /// caller floors it to the second if it wants whole-second period boundaries).
    pub start_ms: i64,
    /// Length in seconds, 1 to [`MAX_WINDOW_S`].
    pub duration_s: i64,
}

/// One period of a composite schedule; serialized with its OCPP field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CompositePeriod {
    /// Seconds after the window start.
    #[serde(rename = "startPeriod")]
    pub start_s: i64,
    /// Tenths of the composite's unit.
    #[serde(rename = "limit", serialize_with = "as_decimal")]
    pub limit_tenths: i64,
    /// The lowest `numberPhases` among the periods in force, if any of them gave one.
    #[serde(rename = "numberPhases", skip_serializing_if = "Option::is_none")]
    pub number_phases: Option<u8>,
}

/// The answer to GetCompositeSchedule; serialized with its OCPP field names, limits as
/// numbers with one decimal and `scheduleStart` in ms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompositeSchedule {
    /// `scheduleStart`, ms since the epoch.
    #[serde(rename = "scheduleStart")]
    pub start_ms: i64,
    /// `duration`, seconds.
    #[serde(rename = "duration")]
    pub duration_s: i64,
    /// `chargingRateUnit`.
    #[serde(rename = "chargingRateUnit")]
    pub unit: Unit,
    /// Sorted, starting at 0, no two neighbours equal.
    #[serde(rename = "chargingSchedulePeriod")]
    pub periods: Vec<CompositePeriod>,
    /// The highest `minChargingRate` of the TxProfile or TxDefaultProfile in force anywhere
    /// in the window (connector N only).
    #[serde(
        rename = "minChargingRate",
        serialize_with = "as_optional_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    pub min_charging_rate_tenths: Option<i64>,
}

fn as_decimal<S: Serializer>(tenths: &i64, s: S) -> Result<S::Ok, S::Error> {
    // Limits are far below 2^53 tenths, so the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let value = *tenths as f64;
    s.serialize_f64(value / 10.0)
}

// serde hands `serialize_with` a reference to the field's own type.
#[allow(clippy::ref_option, clippy::trivially_copy_pass_by_ref)]
fn as_optional_decimal<S: Serializer>(tenths: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match tenths {
        Some(t) => as_decimal(t, s),
        None => s.serialize_none(),
    }
}

/// Computes the composite schedule of `connector_id` (0: the station total) over `window`.
///
/// Periods are whole seconds: where limits change inside a second, that second gets the
/// lowest of them, so the composite is never above a limit in force at any instant.
///
/// # Errors
/// A profile that fails [`crate::check_computable`], an unknown connector, an invalid window
/// or invalid electrical parameters.
pub fn composite_schedule(
    profiles: &[InstalledProfile],
    connector_id: u32,
    window: Window,
    transactions: &[TxContext],
    params: &ElectricalParams,
    unit: Unit,
) -> Result<CompositeSchedule, SmartChargingError> {
    if !(1..=MAX_WINDOW_S).contains(&window.duration_s) {
        return Err(SmartChargingError::InvalidWindow(window.duration_s));
    }
    let start = window.start_ms;
    let end = start.saturating_add(window.duration_s * 1000);
    let stack = Stack::build(profiles, connector_id, transactions, params, unit, start)?;
    let mut instants = vec![start];
    for timed in stack.timed() {
        timed.boundaries(start, end, &mut instants);
    }
    instants.sort_unstable();
    instants.dedup();

    let mut periods = Quantizer::default();
    let mut min_rate: Option<i64> = None;
    for (i, &at) in instants.iter().enumerate() {
        let until = instants.get(i + 1).copied().unwrap_or(end);
        let sample = stack.sample(at);
        min_rate = min_rate.max(sample.min_rate_tenths);
        periods.push(at - start, until - start, sample);
    }
    Ok(CompositeSchedule {
        start_ms: start,
        duration_s: window.duration_s,
        unit,
        periods: periods.finish(),
        min_charging_rate_tenths: min_rate,
    })
}

/// Turns millisecond segments into whole-second periods, the lowest limit winning a shared
/// second (the earliest on a tie), and merges equal neighbours.
#[derive(Default)]
struct Quantizer {
    out: Vec<CompositePeriod>,
    /// The first second not yet touched by a segment.
    covered_s: i64,
}

impl Quantizer {
    fn push(&mut self, from_ms: i64, to_ms: i64, sample: Sample) {
        let first_s = from_ms.div_euclid(1000);
        let end_s = (to_ms + 999).div_euclid(1000);
        let period = CompositePeriod {
            start_s: first_s,
            limit_tenths: sample.limit_tenths,
            number_phases: sample.number_phases,
        };
        if first_s < self.covered_s {
            // The previous segment ended inside second `first_s`: share it.
            let last = self.out.last_mut().expect("a covered second has a period");
            if last.start_s == first_s {
                if period.limit_tenths < last.limit_tenths {
                    *last = period;
                }
            } else if period.limit_tenths < last.limit_tenths {
                self.out.push(period);
            } else {
                let mut shared = *last;
                shared.start_s = first_s;
                self.out.push(shared);
            }
            if end_s > first_s + 1 {
                self.out.push(CompositePeriod {
                    start_s: first_s + 1,
                    ..period
                });
            }
        } else {
            self.out.push(period);
        }
        self.covered_s = end_s;
    }

    fn finish(self) -> Vec<CompositePeriod> {
        let mut merged: Vec<CompositePeriod> = Vec::with_capacity(self.out.len());
        for period in self.out {
            match merged.last() {
                Some(last)
                    if last.limit_tenths == period.limit_tenths
                        && last.number_phases == period.number_phases => {}
                _ => merged.push(period),
            }
        }
        merged
    }
}
