//! The limit now and the instant it next changes, so the station re-arms one timer instead
//! of polling.

use crate::error::SmartChargingError;
use crate::params::ElectricalParams;
use crate::profile::{InstalledProfile, TxContext, Unit};
use crate::stack::Stack;

const DAY_MS: i64 = 86_400_000;
const WEEK_MS: i64 = 7 * DAY_MS;

/// The limit in force at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitNow {
    /// Tenths of the requested unit.
    pub limit_tenths: i64,
    /// The lowest `numberPhases` among the periods in force, if any of them gave one.
    pub number_phases: Option<u8>,
    /// The first later instant at which the limit or the phase count differs; `None` when
    /// the installed profiles never change it again.
    pub next_change_ms: Option<i64>,
}

/// The limit of `connector_id` (0: the station total) at `now_ms`, and when it next changes.
/// Relative profiles on a connector without a transaction are anchored at `now_ms`.
///
/// # Errors
/// As [`crate::composite_schedule`].
pub fn limit_at(
    profiles: &[InstalledProfile],
    connector_id: u32,
    now_ms: i64,
    transactions: &[TxContext],
    params: &ElectricalParams,
    unit: Unit,
) -> Result<LimitNow, SmartChargingError> {
    let stack = Stack::build(profiles, connector_id, transactions, params, unit, now_ms)?;
    let current = stack.sample(now_ms);
    let next_change_ms = first_change(&stack, now_ms, |t| {
        let s = stack.sample(t);
        s.limit_tenths == current.limit_tenths && s.number_phases == current.number_phases
    });
    Ok(LimitNow {
        limit_tenths: current.limit_tenths,
        number_phases: current.number_phases,
        next_change_ms,
    })
}

/// The first instant after `now_ms` at which `same` is false, looking only at the instants
/// where a profile of `stack` changes (so `same` must depend on nothing else), or `None`
/// when there is none.
pub(crate) fn first_change(
    stack: &Stack<'_>,
    now_ms: i64,
    mut same: impl FnMut(i64) -> bool,
) -> Option<i64> {
    // After the last non-periodic instant everything repeats at most weekly, so a week
    // beyond it without a change means no change ever.
    let fixed = stack
        .timed()
        .map(|t| t.last_fixed_instant())
        .fold(now_ms, i64::max);
    let horizon = fixed.saturating_add(WEEK_MS + 1);
    let mut instants = Vec::new();
    let mut lo = now_ms.saturating_add(1);
    while lo < horizon {
        let hi = lo.saturating_add(DAY_MS).min(horizon);
        instants.clear();
        for timed in stack.timed() {
            timed.boundaries(lo, hi, &mut instants);
        }
        instants.sort_unstable();
        instants.dedup();
        if let Some(change) = instants.iter().copied().find(|&t| !same(t)) {
            return Some(change);
        }
        // A day without any boundary: jump straight to the next one instead of stepping.
        lo = if instants.is_empty() {
            next_boundary_after(stack, hi, horizon).unwrap_or(horizon)
        } else {
            hi
        };
    }
    None
}

/// The earliest boundary at or after `from`, looking up to `horizon`, found by widening
/// the search window so a profile starting next month costs a handful of steps, not 30.
fn next_boundary_after(stack: &Stack<'_>, from: i64, horizon: i64) -> Option<i64> {
    let mut span = DAY_MS;
    let mut found = Vec::new();
    let mut lo = from;
    while lo < horizon {
        let hi = lo.saturating_add(span).min(horizon);
        for timed in stack.timed() {
            timed.boundaries(lo, hi, &mut found);
        }
        if let Some(first) = found.iter().copied().min() {
            return Some(first);
        }
        lo = hi;
        span = span.saturating_mul(2);
    }
    None
}
