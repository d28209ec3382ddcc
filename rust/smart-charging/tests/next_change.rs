//! `limit_at`: the limit now and the exact instant it next changes.

mod common;

use common::{on, params, profile, tx, MIDNIGHT, T0};
use smart_charging::{limit_at, Kind, Purpose, Recurrency, Unit};

use Purpose::{ChargePointMaxProfile as CpMax, TxDefaultProfile as TxDefault};

#[test]
fn the_next_period_start_is_the_next_change() {
    let profiles = [on(1, profile(1, 0, TxDefault, &[(0, 60), (100, 80)]))];
    let now = limit_at(&profiles, 1, T0 + 30_500, &[], &params(), Unit::A).unwrap();
    assert_eq!(
        (now.limit_tenths, now.next_change_ms),
        (60, Some(T0 + 100_000))
    );
}

#[test]
fn boundaries_that_keep_the_limit_are_skipped() {
    // The cap ends at 50 s but the TxDefault's own 6 A hides it; 8 A at 100 s is the change.
    let profiles = [
        on(0, {
            let mut p = profile(1, 0, CpMax, &[(0, 70)]);
            p.schedule.duration_s = Some(50);
            p
        }),
        on(1, profile(2, 0, TxDefault, &[(0, 60), (100, 80)])),
    ];
    let now = limit_at(&profiles, 1, T0, &[], &params(), Unit::A).unwrap();
    assert_eq!(now.next_change_ms, Some(T0 + 100_000));
}

#[test]
fn a_constant_limit_never_changes() {
    let profiles = [on(1, profile(1, 0, TxDefault, &[(0, 60)]))];
    let now = limit_at(&profiles, 1, T0 + 5_000, &[], &params(), Unit::A).unwrap();
    assert_eq!((now.limit_tenths, now.next_change_ms), (60, None));
    let none = limit_at(&[], 1, T0, &[], &params(), Unit::W).unwrap();
    assert_eq!((none.limit_tenths, none.next_change_ms), (2000 * 690, None));
}

#[test]
fn a_profile_starting_next_month_is_found() {
    let mut p = profile(1, 0, TxDefault, &[(0, 60)]);
    let later = T0 + 40 * 86_400_000 + 123;
    p.schedule.start_schedule = Some(later);
    let now = limit_at(&[on(1, p)], 1, T0, &[], &params(), Unit::A).unwrap();
    assert_eq!((now.limit_tenths, now.next_change_ms), (2000, Some(later)));
}

#[test]
fn a_weekly_profile_changes_next_week() {
    let mut p = profile(1, 0, TxDefault, &[(0, 60), (3600, 80)]);
    p.kind = Kind::Recurring;
    p.recurrency = Some(Recurrency::Weekly);
    p.schedule.start_schedule = Some(MIDNIGHT);
    let now = limit_at(
        &[on(1, p)],
        1,
        MIDNIGHT + 7_200_000,
        &[],
        &params(),
        Unit::A,
    )
    .unwrap();
    assert_eq!(
        (now.limit_tenths, now.next_change_ms),
        (80, Some(MIDNIGHT + 7 * 86_400_000))
    );
}

#[test]
fn a_relative_profile_counts_from_the_transaction() {
    let mut p = profile(1, 0, TxDefault, &[(0, 60), (600, 80)]);
    p.kind = Kind::Relative;
    p.schedule.start_schedule = None;
    let now = limit_at(&[on(1, p)], 1, T0 + 1000, &[tx(3, T0)], &params(), Unit::A).unwrap();
    assert_eq!(now.next_change_ms, Some(T0 + 600_000));
}
