//! One test per stacking, validity, recurrence and connector rule of the crate docs.

mod common;

use common::{composite_a, lasting, on, profile, relative, steps, tx, MIDNIGHT, T0};
use smart_charging::{Kind, Purpose, Recurrency, TxContext};

use Purpose::{ChargePointMaxProfile as CpMax, TxDefaultProfile as TxDefault, TxProfile};

const HW: i64 = 2000;

#[test]
fn higher_stack_level_wins_and_lower_resumes_after_its_duration() {
    let profiles = [
        on(1, profile(1, 0, TxDefault, &[(0, 100)])),
        on(1, lasting(profile(2, 3, TxDefault, &[(0, 50)]), 60)),
    ];
    assert_eq!(
        steps(&composite_a(&profiles, 1, T0, 120, &[])),
        [(0, 50), (60, 100)]
    );
}

#[test]
fn connector_specific_tx_default_beats_connector_zero_at_the_same_level() {
    let profiles = [
        on(0, profile(1, 2, TxDefault, &[(0, 100)])),
        on(1, profile(2, 2, TxDefault, &[(0, 150)])),
    ];
    assert_eq!(steps(&composite_a(&profiles, 1, T0, 60, &[])), [(0, 150)]);
    // Connector 2 has no profile of its own: the connector-0 default applies.
    assert_eq!(steps(&composite_a(&profiles, 2, T0, 60, &[])), [(0, 100)]);
}

#[test]
fn a_higher_level_on_connector_zero_beats_a_lower_specific_one() {
    let profiles = [
        on(0, profile(1, 3, TxDefault, &[(0, 100)])),
        on(1, profile(2, 2, TxDefault, &[(0, 150)])),
    ];
    assert_eq!(steps(&composite_a(&profiles, 1, T0, 60, &[])), [(0, 100)]);
}

#[test]
fn tx_profile_beats_a_higher_tx_default_but_not_before_its_transaction() {
    let profiles = [
        on(1, profile(1, 9, TxDefault, &[(0, 60)])),
        on(1, profile(2, 0, TxProfile, &[(0, 160)])),
    ];
    let composite = composite_a(&profiles, 1, T0, 120, &[tx(5, T0 + 30_000)]);
    assert_eq!(steps(&composite), [(0, 60), (30, 160)]);
}

#[test]
fn tx_profile_of_another_connector_does_not_apply() {
    let profiles = [on(2, profile(1, 0, TxProfile, &[(0, 60)]))];
    let both = [
        tx(5, T0),
        TxContext {
            connector_id: 2,
            transaction_id: Some(6),
            start_ms: T0,
        },
    ];
    assert_eq!(steps(&composite_a(&profiles, 1, T0, 60, &both)), [(0, HW)]);
    assert_eq!(steps(&composite_a(&profiles, 2, T0, 60, &both)), [(0, 60)]);
}

#[test]
fn charge_point_max_caps_and_the_gap_falls_back_to_the_rating() {
    let profiles = [
        on(0, profile(1, 0, CpMax, &[(0, 80)])),
        on(1, lasting(profile(2, 0, TxDefault, &[(0, 120)]), 30)),
    ];
    let mut late = profile(3, 0, TxDefault, &[(0, 2500)]);
    late.schedule.start_schedule = Some(T0 + 60_000);
    assert_eq!(steps(&composite_a(&profiles, 1, T0, 90, &[])), [(0, 80)]);
    let gap = [on(1, lasting(profile(2, 0, TxDefault, &[(0, 120)]), 30))];
    assert_eq!(
        steps(&composite_a(&gap, 1, T0, 90, &[])),
        [(0, 120), (30, HW)]
    );
    // A profile above the connector's rating is capped by the rating.
    assert_eq!(
        steps(&composite_a(&[on(1, late)], 1, T0, 90, &[])),
        [(0, HW)]
    );
}

#[test]
fn valid_from_is_inclusive_and_valid_to_exclusive() {
    let mut p = profile(1, 0, TxDefault, &[(0, 60)]);
    p.valid_from = Some(T0 + 10_000);
    p.valid_to = Some(T0 + 20_000);
    assert_eq!(
        steps(&composite_a(&[on(1, p)], 1, T0, 30, &[])),
        [(0, HW), (10, 60), (20, HW)]
    );
}

#[test]
fn relative_profile_starts_with_the_transaction_or_the_window() {
    let p = relative(profile(1, 0, TxDefault, &[(0, 60), (100, 90)]));
    let profiles = [on(1, p)];
    assert_eq!(
        steps(&composite_a(&profiles, 1, T0 + 40_000, 120, &[tx(1, T0)])),
        [(0, 60), (60, 90)]
    );
    assert_eq!(
        steps(&composite_a(&profiles, 1, T0 + 40_000, 120, &[])),
        [(0, 60), (100, 90)]
    );
}

fn daily(start: i64, periods: &[(i64, i64)]) -> smart_charging::ChargingProfile {
    let mut p = profile(1, 0, TxDefault, periods);
    p.kind = Kind::Recurring;
    p.recurrency = Some(Recurrency::Daily);
    p.schedule.start_schedule = Some(start);
    p
}

#[test]
fn daily_recurrence_carries_the_previous_occurrence_into_the_window() {
    // 06:00-22:00 at 16 A, otherwise 32 A; asked at 20:00 UTC two days later.
    let p = daily(MIDNIGHT, &[(0, 320), (6 * 3600, 160), (22 * 3600, 320)]);
    let start = MIDNIGHT + 2 * 86_400_000 + 20 * 3_600_000;
    assert_eq!(
        steps(&composite_a(&[on(1, p)], 1, start, 12 * 3600, &[])),
        [(0, 160), (2 * 3600, 320), (10 * 3600, 160)]
    );
}

#[test]
fn recurrence_is_cut_at_the_next_occurrence_and_never_runs_before_its_start() {
    let mut p = daily(MIDNIGHT + 86_400_000, &[(0, 100), (80_000, 50)]);
    p.schedule.duration_s = Some(200_000);
    // The window begins a day before the first occurrence.
    let composite = composite_a(&[on(1, p)], 1, MIDNIGHT, 3 * 86_400, &[]);
    assert_eq!(
        steps(&composite),
        [
            (0, HW),
            (86_400, 100),
            (166_400, 50),
            (172_800, 100),
            (252_800, 50)
        ]
    );
}

#[test]
fn weekly_recurrence_with_a_duration_leaves_gaps() {
    let mut p = daily(MIDNIGHT, &[(0, 100)]);
    p.recurrency = Some(Recurrency::Weekly);
    p.schedule.duration_s = Some(86_400);
    let start = MIDNIGHT + 6 * 86_400_000;
    assert_eq!(
        steps(&composite_a(&[on(1, p)], 1, start, 3 * 86_400, &[])),
        [(0, HW), (86_400, 100), (2 * 86_400, HW)]
    );
}

#[test]
fn connector_zero_sums_connectors_capped_by_charge_point_max() {
    // libocpp PR #1062: CPMax 32 A + TxDefault 10 A on connector 0, two connectors = 20 A.
    let profiles = [
        on(0, profile(1, 0, CpMax, &[(0, 320)])),
        on(0, profile(2, 0, TxDefault, &[(0, 100)])),
    ];
    assert_eq!(steps(&composite_a(&profiles, 0, T0, 60, &[])), [(0, 200)]);
    let tight = [
        on(0, profile(1, 0, CpMax, &[(0, 150)])),
        on(0, profile(2, 0, TxDefault, &[(0, 100)])),
    ];
    assert_eq!(steps(&composite_a(&tight, 0, T0, 60, &[])), [(0, 150)]);
    // Without profiles: the sum of connector ratings, capped by the station's 400 A.
    assert_eq!(steps(&composite_a(&[], 0, T0, 60, &[])), [(0, 4000)]);
}

#[test]
fn a_change_inside_a_second_gives_that_second_the_lower_limit() {
    let mut p = profile(1, 0, TxDefault, &[(0, 60), (2, 100)]);
    p.schedule.start_schedule = Some(T0 + 500);
    let composite = composite_a(&[on(1, p)], 1, T0, 5, &[]);
    // HW until 0.5 s, 6 A until 2.5 s, 10 A after: second 0 is 6 A, second 2 also 6 A.
    assert_eq!(steps(&composite), [(0, 60), (3, 100)]);
}

#[test]
fn equal_neighbours_are_merged_and_min_charging_rate_is_reported() {
    let mut p = profile(1, 0, TxDefault, &[(0, 60), (10, 60), (20, 80)]);
    p.schedule.min_charging_rate_tenths = Some(40);
    let composite = composite_a(&[on(1, p)], 1, T0, 30, &[]);
    assert_eq!(steps(&composite), [(0, 60), (20, 80)]);
    assert_eq!(composite.min_charging_rate_tenths, Some(40));
}
