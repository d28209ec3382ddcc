//! SetChargingProfile validation: one specific error per rule.

mod common;

use common::profile;
use smart_charging::{
    check_computable, limit_to_tenths, validate_profile, InstalledProfile, Kind, Purpose,
    Recurrency, SmartChargingError as E, Unit, ValidationLimits,
};

use Purpose::{ChargePointMaxProfile as CpMax, TxDefaultProfile as TxDefault, TxProfile};

fn limits() -> ValidationLimits {
    ValidationLimits {
        max_stack_level: 8,
        max_periods: 5,
        allowed_units: vec![Unit::A, Unit::W],
        connector_count: 2,
        max_installed: 8,
    }
}

fn check(connector: u32, p: &smart_charging::ChargingProfile) -> Result<(), E> {
    validate_profile(connector, p, &limits())
}

#[test]
fn a_well_formed_profile_passes() {
    assert_eq!(
        check(0, &profile(1, 8, TxDefault, &[(0, 60), (10, 0)])),
        Ok(())
    );
}

#[test]
fn periods_start_at_zero_and_strictly_increase() {
    assert_eq!(
        check(1, &profile(1, 0, TxDefault, &[])),
        Err(E::NoPeriods { profile_id: 1 })
    );
    assert_eq!(
        check(1, &profile(1, 0, TxDefault, &[(5, 60)])),
        Err(E::FirstPeriodNotZero {
            profile_id: 1,
            start_s: 5
        })
    );
    assert_eq!(
        check(1, &profile(1, 0, TxDefault, &[(0, 60), (10, 70), (10, 80)])),
        Err(E::PeriodsNotIncreasing {
            profile_id: 1,
            index: 2
        })
    );
}

#[test]
fn configured_bounds_are_enforced() {
    let six = [(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1)];
    assert_eq!(
        check(1, &profile(1, 0, TxDefault, &six)),
        Err(E::TooManyPeriods {
            profile_id: 1,
            count: 6,
            max: 5
        })
    );
    assert_eq!(
        check(1, &profile(1, 9, TxDefault, &[(0, 1)])),
        Err(E::StackLevelTooHigh {
            profile_id: 1,
            stack_level: 9,
            max: 8
        })
    );
    let mut only_amps = limits();
    only_amps.allowed_units = vec![Unit::A];
    let mut watts = profile(1, 0, TxDefault, &[(0, 1)]);
    watts.schedule.unit = Unit::W;
    assert_eq!(
        validate_profile(1, &watts, &only_amps),
        Err(E::UnitNotAllowed { profile_id: 1 })
    );
    assert_eq!(
        check(3, &profile(1, 0, TxDefault, &[(0, 1)])),
        Err(E::UnknownConnector(3))
    );
}

#[test]
fn purposes_belong_on_their_connectors() {
    assert_eq!(
        check(1, &profile(1, 0, CpMax, &[(0, 1)])),
        Err(E::WrongConnector {
            profile_id: 1,
            connector_id: 1
        })
    );
    assert_eq!(
        check(0, &profile(1, 0, TxProfile, &[(0, 1)])),
        Err(E::WrongConnector {
            profile_id: 1,
            connector_id: 0
        })
    );
}

#[test]
fn kinds_carry_their_required_fields() {
    let mut recurring = profile(1, 0, TxDefault, &[(0, 1)]);
    recurring.kind = Kind::Recurring;
    assert!(matches!(check(1, &recurring), Err(E::Inconsistent { .. })));
    let mut absolute = profile(1, 0, TxDefault, &[(0, 1)]);
    absolute.recurrency = Some(Recurrency::Daily);
    assert!(matches!(check(1, &absolute), Err(E::Inconsistent { .. })));
    absolute.recurrency = None;
    absolute.schedule.start_schedule = None;
    assert!(matches!(check(1, &absolute), Err(E::Inconsistent { .. })));
    let mut with_tx = profile(1, 0, TxDefault, &[(0, 1)]);
    with_tx.transaction_id = Some(3);
    assert!(matches!(check(1, &with_tx), Err(E::Inconsistent { .. })));
    let mut relative_cap = profile(1, 0, CpMax, &[(0, 1)]);
    relative_cap.kind = Kind::Relative;
    relative_cap.schedule.start_schedule = None;
    assert!(matches!(
        check(0, &relative_cap),
        Err(E::Inconsistent { .. })
    ));
}

#[test]
fn number_phases_and_limits_are_checked() {
    let mut p = profile(1, 0, TxDefault, &[(0, 1)]);
    p.schedule.periods[0].number_phases = Some(4);
    assert_eq!(
        check(1, &p),
        Err(E::InvalidNumberPhases {
            profile_id: 1,
            number_phases: 4
        })
    );
    let negative = profile(1, 0, TxDefault, &[(0, -1)]);
    assert!(matches!(
        check_computable(&InstalledProfile {
            connector_id: 1,
            profile: negative
        }),
        Err(E::InvalidLimit { .. })
    ));
}

#[test]
fn wire_limits_have_one_decimal_and_are_finite_and_non_negative() {
    assert_eq!(limit_to_tenths(6.0), Ok(60));
    assert_eq!(limit_to_tenths(0.3), Ok(3));
    assert_eq!(limit_to_tenths(32.1), Ok(321));
    for bad in [6.05, -0.1, f64::NAN, f64::INFINITY, 1e300] {
        assert!(
            matches!(limit_to_tenths(bad), Err(E::InvalidLimit { .. })),
            "{bad}"
        );
    }
}
