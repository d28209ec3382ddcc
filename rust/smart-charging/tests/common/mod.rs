//! Builders shared by the integration tests.
#![allow(dead_code)]

use proptest::prelude::*;
use smart_charging::{
    composite_schedule, ChargingProfile, ChargingSchedule, CompositeSchedule, ElectricalParams,
    HardwareLimit, InstalledProfile, Kind, Period, Purpose, Recurrency, TxContext, Unit, Window,
};

/// 2023-11-14T22:13:20Z, a whole second.
pub const T0: i64 = 1_700_000_000_000;
/// 2023-11-14T00:00:00Z, a UTC midnight.
pub const MIDNIGHT: i64 = 1_699_920_000_000;

/// 230 V three-phase; connectors of 200 A, a station of 400 A (and the matching W).
pub fn params() -> ElectricalParams {
    ElectricalParams {
        grid_voltage_v: 230.0,
        grid_phases: 3,
        station: rating(4000),
        connectors: vec![(1, rating(2000)), (2, rating(2000))],
    }
}

/// A rating of `tenths_a` per phase and exactly the matching power at 230 V x 3.
pub fn rating(tenths_a: i64) -> HardwareLimit {
    HardwareLimit {
        current_tenths_a: tenths_a,
        power_tenths_w: tenths_a * 690,
    }
}

/// A profile in A with periods `(start_s, limit_tenths)`, Absolute from [`T0`].
pub fn profile(
    id: i32,
    stack_level: u32,
    purpose: Purpose,
    periods: &[(i64, i64)],
) -> ChargingProfile {
    ChargingProfile {
        id,
        stack_level,
        purpose,
        kind: Kind::Absolute,
        recurrency: None,
        valid_from: None,
        valid_to: None,
        transaction_id: None,
        schedule: ChargingSchedule {
            duration_s: None,
            start_schedule: Some(T0),
            unit: Unit::A,
            periods: periods
                .iter()
                .map(|&(start_s, limit_tenths)| Period {
                    start_s,
                    limit_tenths,
                    number_phases: None,
                })
                .collect(),
            min_charging_rate_tenths: None,
        },
    }
}

/// The same profile made Relative (no startSchedule).
pub fn relative(mut p: ChargingProfile) -> ChargingProfile {
    p.kind = Kind::Relative;
    p.schedule.start_schedule = None;
    p
}

/// With a schedule duration.
pub fn lasting(mut p: ChargingProfile, duration_s: i64) -> ChargingProfile {
    p.schedule.duration_s = Some(duration_s);
    p
}

/// Installed on `connector_id`.
pub fn on(connector_id: u32, profile: ChargingProfile) -> InstalledProfile {
    InstalledProfile {
        connector_id,
        profile,
    }
}

/// A transaction on connector 1.
pub fn tx(transaction_id: i32, start_ms: i64) -> TxContext {
    TxContext {
        connector_id: 1,
        transaction_id: Some(transaction_id),
        start_ms,
    }
}

/// The composite in A over `[start_ms, +duration_s)`.
pub fn composite_a(
    profiles: &[InstalledProfile],
    connector_id: u32,
    start_ms: i64,
    duration_s: i64,
    txs: &[TxContext],
) -> CompositeSchedule {
    let window = Window {
        start_ms,
        duration_s,
    };
    composite_schedule(profiles, connector_id, window, txs, &params(), Unit::A)
        .expect("valid input")
}

/// The composite's periods as `(start_s, limit_tenths)`.
pub fn steps(schedule: &CompositeSchedule) -> Vec<(i64, i64)> {
    schedule
        .periods
        .iter()
        .map(|p| (p.start_s, p.limit_tenths))
        .collect()
}

/// One to four periods, the first at 0, limits up to 300.0.
pub fn periods() -> impl Strategy<Value = Vec<Period>> {
    prop::collection::vec((1i64..7_200, 0i64..3_000, prop::option::of(1u8..=3)), 1..5).prop_map(
        |raw| {
            let mut start = 0;
            raw.into_iter()
                .enumerate()
                .map(|(i, (gap, limit_tenths, number_phases))| {
                    if i > 0 {
                        start += gap;
                    }
                    Period {
                        start_s: start,
                        limit_tenths,
                        number_phases,
                    }
                })
                .collect()
        },
    )
}

/// A profile of any purpose, kind and unit, placed where its purpose allows, around [`T0`].
pub fn installed() -> impl Strategy<Value = InstalledProfile> {
    (
        (0u32..3, 0u32..4, 0u8..3, 0u8..4, any::<bool>()),
        (
            prop::option::of(1i64..100_000),
            -200_000i64..200_000,
            periods(),
        ),
        (
            prop::option::of(-100_000i64..100_000),
            prop::option::of(0i64..200_000),
        ),
        (prop::option::of(0i64..300), prop::option::of(1i32..3)),
    )
        .prop_map(
            |((connector, stack_level, purpose, kind, watts), sched, valid, extra)| {
                let (duration_s, start_offset_s, periods) = sched;
                let purpose = match purpose {
                    0 => Purpose::ChargePointMaxProfile,
                    1 => Purpose::TxDefaultProfile,
                    _ => Purpose::TxProfile,
                };
                let connector_id = match purpose {
                    Purpose::ChargePointMaxProfile => 0,
                    Purpose::TxProfile => connector.max(1),
                    Purpose::TxDefaultProfile => connector,
                };
                let (kind, recurrency) = match kind {
                    0 if purpose != Purpose::ChargePointMaxProfile => (Kind::Relative, None),
                    1 => (Kind::Recurring, Some(Recurrency::Daily)),
                    2 => (Kind::Recurring, Some(Recurrency::Weekly)),
                    _ => (Kind::Absolute, None),
                };
                let valid_from = valid.0.map(|s| T0 + s * 1000);
                InstalledProfile {
                    connector_id,
                    profile: ChargingProfile {
                        id: 0,
                        stack_level,
                        purpose,
                        kind,
                        recurrency,
                        valid_from,
                        valid_to: valid.1.map(|len| valid_from.unwrap_or(T0) + len * 1000),
                        transaction_id: extra.1.filter(|_| purpose == Purpose::TxProfile),
                        schedule: ChargingSchedule {
                            duration_s,
                            start_schedule: (kind != Kind::Relative)
                                .then_some(T0 + start_offset_s * 1000 + 250),
                            unit: if watts { Unit::W } else { Unit::A },
                            periods,
                            min_charging_rate_tenths: extra.0,
                        },
                    },
                }
            },
        )
}
