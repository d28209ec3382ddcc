//! The Smart Charging cases of OCTT 1.6 (conformance notes, section 1.9), as far as the
//! engine decides them: the expected composite periods. Accept/Reject decisions that need
//! station state (TC_058, TC_060) are the Python profile handler's; here we check that such
//! a profile, were it present, would not limit the wrong transaction.

mod common;

use common::{composite_a, lasting, on, params, profile, relative, steps, tx, T0};
use smart_charging::{composite_schedule, Purpose, Unit, Window};

use Purpose::{ChargePointMaxProfile as CpMax, TxDefaultProfile as TxDefault, TxProfile};

const HARDWARE_A: i64 = 2000;

#[test]
fn tc_056_tx_default_profile_sets_the_composite() {
    let profiles = [on(1, profile(1, 0, TxDefault, &[(0, 60)]))];
    let composite = composite_a(&profiles, 1, T0 + 5_000, 300, &[]);
    assert_eq!(composite.start_ms, T0 + 5_000);
    assert_eq!(composite.duration_s, 300);
    assert_eq!(steps(&composite), [(0, 60)]);

    // The same limit given in W (6000 W) reads back in W.
    let mut in_watts = profile(1, 0, TxDefault, &[(0, 60_000)]);
    in_watts.schedule.unit = Unit::W;
    let window = Window {
        start_ms: T0,
        duration_s: 300,
    };
    let composite =
        composite_schedule(&[on(1, in_watts)], 1, window, &[], &params(), Unit::W).unwrap();
    assert_eq!(steps(&composite), [(0, 60_000)]);
}

#[test]
fn tc_057_tx_profile_of_the_running_transaction() {
    let mut p = profile(2, 0, TxProfile, &[(0, 60)]);
    p.transaction_id = Some(42);
    let composite = composite_a(&[on(1, p)], 1, T0 + 10_000, 120, &[tx(42, T0)]);
    assert_eq!(steps(&composite), [(0, 60)]);
}

#[test]
fn tc_058_1_tx_profile_without_transaction_limits_nothing() {
    let profiles = [on(1, profile(3, 0, TxProfile, &[(0, 60)]))];
    assert_eq!(
        steps(&composite_a(&profiles, 1, T0, 60, &[])),
        [(0, HARDWARE_A)]
    );
}

#[test]
fn tc_058_2_tx_profile_of_another_transaction_limits_nothing() {
    let mut p = profile(3, 0, TxProfile, &[(0, 60)]);
    p.transaction_id = Some(7);
    let composite = composite_a(&[on(1, p)], 1, T0, 60, &[tx(8, T0)]);
    assert_eq!(steps(&composite), [(0, HARDWARE_A)]);
}

#[test]
fn tc_059_remote_start_tx_profile_applies_to_the_started_transaction() {
    // Errata 3.41: the RemoteStart profile is a TxProfile without transactionId.
    let p = relative(profile(4, 0, TxProfile, &[(0, 100), (60, 80)]));
    let composite = composite_a(&[on(1, p)], 1, T0 + 30_000, 120, &[tx(9, T0)]);
    assert_eq!(steps(&composite), [(0, 100), (30, 80)]);
}

#[test]
fn tc_082_new_tx_default_applies_to_the_running_transaction() {
    // Errata 3.8: applies immediately to a transaction without TxProfile.
    let profiles = [on(0, profile(5, 0, TxDefault, &[(0, 100)]))];
    let composite = composite_a(&profiles, 1, T0 + 60_000, 60, &[tx(1, T0)]);
    assert_eq!(steps(&composite), [(0, 100)]);
}

#[test]
fn tc_066_get_composite_schedule() {
    // All three start with the transaction; the request comes x = 20 s into it.
    let x = 20;
    let tx_start = T0;
    let mut tx_profile = lasting(
        relative(profile(
            3,
            0,
            TxProfile,
            &[(0, 80), (50, 110), (140, 160), (200, 60), (240, 120)],
        )),
        260,
    );
    tx_profile.transaction_id = Some(1);
    let profiles = [
        on(0, profile(1, 0, CpMax, &[(0, 100)])),
        on(
            1,
            lasting(
                relative(profile(
                    2,
                    0,
                    TxDefault,
                    &[(0, 60), (60, 100), (120, 80), (180, 150), (260, 80)],
                )),
                300,
            ),
        ),
        on(1, tx_profile),
    ];
    let composite = composite_a(&profiles, 1, tx_start + x * 1000, 400, &[tx(1, tx_start)]);
    // The document lists 8, 10 @50, 6 @200, 10 @240 and stops there. When the TxProfile's
    // 260 s end, the TxDefaultProfile (8 A until 300 s) applies again, as errata 3.8 and
    // libocpp (which passes OCTT) have it; after 300 s only the 10 A cap is left.
    let expected = [
        (0, 80),
        (50, 100),
        (200, 60),
        (240, 100),
        (260, 80),
        (300, 100),
    ];
    let shifted: Vec<(i64, i64)> = expected.iter().map(|&(s, l)| ((s - x).max(0), l)).collect();
    assert_eq!(steps(&composite), shifted);
}

#[test]
fn tc_067_clear_charging_profile_changes_the_composite() {
    let sl1 = on(
        0,
        profile(1, 1, TxDefault, &[(0, 60), (100, 80), (200, 100)]),
    );
    let sl0 = on(0, profile(2, 0, TxDefault, &[(0, 70), (100, 90)]));
    let cap = on(0, profile(3, 0, CpMax, &[(0, 110), (200, 120)]));
    let all = [sl1, sl0.clone(), cap.clone()];
    assert_eq!(
        steps(&composite_a(&all, 1, T0, 300, &[])),
        [(0, 60), (100, 80), (200, 100)]
    );
    // ClearChargingProfile(id = 1).
    let without_sl1 = [sl0, cap.clone()];
    assert_eq!(
        steps(&composite_a(&without_sl1, 1, T0, 300, &[])),
        [(0, 70), (100, 90)]
    );
    // ClearChargingProfile(TxDefaultProfile, stackLevel 0).
    assert_eq!(
        steps(&composite_a(&[cap], 1, T0, 300, &[])),
        [(0, 110), (200, 120)]
    );
    // ClearChargingProfile() with no fields: the hardware rating, nothing invented.
    assert_eq!(steps(&composite_a(&[], 1, T0, 300, &[])), [(0, HARDWARE_A)]);
}

#[test]
fn tc_072_stacking_charging_profiles() {
    let profiles = [
        on(
            1,
            lasting(
                profile(1, 0, TxDefault, &[(0, 60), (100, 80), (200, 100)]),
                400,
            ),
        ),
        on(
            1,
            lasting(profile(2, 1, TxDefault, &[(0, 70), (100, 90)]), 150),
        ),
    ];
    assert_eq!(
        steps(&composite_a(&profiles, 1, T0, 500, &[])),
        [(0, 70), (100, 90), (150, 80), (200, 100), (400, HARDWARE_A)]
    );
}
