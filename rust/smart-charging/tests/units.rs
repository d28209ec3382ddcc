//! A <-> W: W = A x V x phases, numberPhases capped at the grid's, rounding down.

mod common;

use common::{on, params, profile, T0};
use smart_charging::{composite_schedule, Period, Purpose, Unit, Window};

const WINDOW: Window = Window {
    start_ms: T0,
    duration_s: 60,
};

fn first_limit(profile: smart_charging::ChargingProfile, unit: Unit) -> (i64, Option<u8>) {
    let c = composite_schedule(&[on(1, profile)], 1, WINDOW, &[], &params(), unit).unwrap();
    (c.periods[0].limit_tenths, c.periods[0].number_phases)
}

#[test]
fn amperes_per_phase_become_grid_watts() {
    let p = profile(1, 0, Purpose::TxDefaultProfile, &[(0, 160)]);
    assert_eq!(first_limit(p, Unit::W), (160 * 690, None));
}

#[test]
fn number_phases_of_the_period_is_used_and_capped_at_the_grid() {
    let mut p = profile(1, 0, Purpose::TxDefaultProfile, &[(0, 160)]);
    p.schedule.periods[0] = Period {
        start_s: 0,
        limit_tenths: 160,
        number_phases: Some(1),
    };
    assert_eq!(first_limit(p.clone(), Unit::W), (160 * 230, Some(1)));
    let mut one_phase_grid = params();
    one_phase_grid.grid_phases = 1;
    p.schedule.periods[0].number_phases = Some(3);
    let c = composite_schedule(&[on(1, p)], 1, WINDOW, &[], &one_phase_grid, Unit::W).unwrap();
    assert_eq!(c.periods[0].limit_tenths, 160 * 230);
}

#[test]
fn watts_become_amperes_rounded_down() {
    let mut p = profile(1, 0, Purpose::TxDefaultProfile, &[(0, 100_000)]);
    p.schedule.unit = Unit::W;
    // 10 000 W / (230 V x 3) = 14.49 A, reported as 14.4 A.
    assert_eq!(first_limit(p, Unit::A), (144, None));
}

#[test]
fn ratings_in_the_other_unit_also_bind() {
    let mut tight = params();
    tight.connectors[0].1.power_tenths_w = 100_000;
    let c = composite_schedule(&[], 1, WINDOW, &[], &tight, Unit::A).unwrap();
    assert_eq!(c.periods[0].limit_tenths, 144);
}
