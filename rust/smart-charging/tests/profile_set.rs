//! Properties of `ProfileSet::setpoints` over random stations, profile sets and instants:
//! (a) no connector's setpoint is above the limit that applies to it, its rating or the
//! station's cap; (b) what the connectors with a transaction can draw together is within
//! the ChargePointMaxProfile and the grid connection; (c) the next-change instant is exact.

mod common;

use common::{installed, T0};
use proptest::prelude::*;
use smart_charging::{
    ConnectorRating, InstalledProfile, ProfileSet, Purpose, Setpoint, StationRatings, TxContext,
    Unit,
};

/// Rounding slack of f64 watts built from tenths.
const SLACK_W: f64 = 1e-6;

/// The engine holds ratings in tenths of A per phase too, rounded down: a connector's or the
/// station's rating in W may sit up to 0.1 A x V x phases below the physical one.
fn rating_resolution_w(station: &StationRatings) -> f64 {
    0.1 * station.grid_voltage_v * f64::from(station.grid_phases)
}

fn station() -> impl Strategy<Value = StationRatings> {
    (
        (
            prop_oneof![Just(230.0), 100.0f64..480.0],
            1u8..=3,
            0.0f64..2_000.0,
        ),
        (
            prop_oneof![Just(1.0), 0.5f64..1.0],
            0u32..12,
            0.0f64..50_000.0,
        ),
        (0.0f64..300_000.0, 0.0f64..300_000.0),
    )
        .prop_map(
            |((volts, phases, grid_a), (eff, modules, module_w), (w1, w2))| StationRatings {
                grid_voltage_v: volts,
                grid_phases: phases,
                grid_max_current_a: grid_a,
                efficiency: eff,
                module_count: modules,
                module_max_power_w: module_w,
                connectors: vec![
                    ConnectorRating {
                        id: 1,
                        max_power_w: w1,
                    },
                    ConnectorRating {
                        id: 2,
                        max_power_w: w2,
                    },
                ],
            },
        )
}

/// Transactions on some connectors; `all` puts one on each.
fn transactions(all: bool) -> impl Strategy<Value = Vec<TxContext>> {
    let one = (any::<bool>(), prop::option::of(1i32..3), -50_000i64..50_000);
    (one.clone(), one).prop_map(move |(a, b)| {
        [(1, a), (2, b)]
            .into_iter()
            .filter(|(_, (running, _, _))| all || *running)
            .map(|(connector_id, (_, transaction_id, start))| TxContext {
                connector_id,
                transaction_id,
                start_ms: T0 + start * 10,
            })
            .collect()
    })
}

fn profile_set(station: &StationRatings, profiles: Vec<InstalledProfile>) -> ProfileSet {
    let mut set = ProfileSet::new(station).expect("valid ratings");
    for (id, mut p) in (1..).zip(profiles) {
        p.profile.id = id;
        set.install(p);
    }
    set
}

fn watts(tenths: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let value = tenths as f64;
    value / 10.0
}

/// A setpoint as DC watts, `None` standing for the connector's own DC rating.
fn dc(setpoint: &Setpoint, station: &StationRatings) -> f64 {
    let rating = station.connectors[setpoint.connector_id as usize - 1].max_power_w;
    setpoint.limit_w.unwrap_or(rating)
}

proptest! {
    #[test]
    fn a_no_setpoint_is_above_its_limit_its_rating_or_the_station_cap(
        station in station(),
        profiles in prop::collection::vec(installed(), 0..8),
        txs in transactions(false),
        now_offset_ms in -100_000_000i64..100_000_000,
    ) {
        let set = profile_set(&station, profiles);
        let e = set.electrical();
        let now = T0 + now_offset_ms;
        let answer = set.setpoints(now, &txs).unwrap();
        let station_rating = e.station_rating_tenths_w();
        for s in &answer.connectors {
            let id = s.connector_id;
            let rating = e.connector_rating_tenths_w(id);
            // What the profiles applying to this connector allow (its stack, the cap and
            // the ratings): the engine's limit, checked against the reference elsewhere.
            let applies = set.limit_at(id, now, &txs, Unit::W).unwrap().limit_tenths;
            match s.limit_w {
                None => prop_assert!(applies >= rating.min(station_rating)),
                Some(w) => {
                    prop_assert!(w >= 0.0);
                    prop_assert!(w <= e.dc_watts(applies) + SLACK_W);
                    prop_assert!(w <= e.dc_watts(rating.min(station_rating)) + SLACK_W);
                    // Errata 3.55/3.64: a limit of 0 offers no energy.
                    prop_assert_eq!(s.offers_energy, w > 0.0);
                }
            }
        }
    }

    #[test]
    fn b_what_the_charging_connectors_draw_is_within_the_cap_and_the_grid(
        station in station(),
        profiles in prop::collection::vec(installed(), 0..8),
        txs in transactions(false),
        now_offset_ms in -100_000_000i64..100_000_000,
    ) {
        let caps: Vec<InstalledProfile> = profiles
            .iter()
            .filter(|p| p.profile.purpose == Purpose::ChargePointMaxProfile)
            .cloned()
            .collect();
        let set = profile_set(&station, profiles);
        let e = set.electrical();
        let now = T0 + now_offset_ms;
        let answer = set.setpoints(now, &txs).unwrap();
        let drawing: f64 = answer
            .connectors
            .iter()
            .filter(|s| txs.iter().any(|tx| tx.connector_id == s.connector_id))
            .map(|s| dc(s, &station))
            .sum();
        // The modules cannot deliver more than the cabinet; the stage enforces that itself.
        let drawn = drawing.min(e.dc_watts(e.cabinet_tenths_w()));
        // The station total with the ChargePointMaxProfiles alone: they, the connector and
        // the station ratings.
        let cap = profile_set(&station, caps).limit_at(0, now, &txs, Unit::W).unwrap();
        let allowed = cap.limit_tenths.min(e.grid_tenths_w());
        // Per connector and for the station, a rating may carry the resolution of amperes.
        let slack = 3.0 * rating_resolution_w(&station) + SLACK_W;
        prop_assert!(
            drawn <= e.dc_watts(allowed) + slack,
            "{drawn} W drawn, {} W allowed", watts(allowed)
        );
    }

    #[test]
    fn c_no_setpoint_changes_before_the_next_change_and_one_does_at_it(
        station in station(),
        profiles in prop::collection::vec(installed(), 0..8),
        // Relative profiles without a transaction move with the instant asked about;
        // with one on every connector the setpoints are a function of the instant alone.
        txs in transactions(true),
        now_offset_ms in -100_000_000i64..100_000_000,
        probes in prop::collection::vec(0.0f64..1.0, 8),
    ) {
        let set = profile_set(&station, profiles);
        let now = T0 + now_offset_ms;
        let answer = set.setpoints(now, &txs).unwrap();
        let at = |t: i64| set.setpoints(t, &txs).unwrap().connectors;
        // Without a change, look eight days on: everything repeats at most weekly.
        let end = answer.next_change_ms.unwrap_or(now + 8 * 86_400_000);
        prop_assert!(end > now);
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        for probe in probes {
            let t = now + ((end - now) as f64 * probe) as i64;
            prop_assert_eq!(&at(t), &answer.connectors, "changed at {}", t);
        }
        prop_assert_eq!(&at(end - 1), &answer.connectors);
        if let Some(next) = answer.next_change_ms {
            prop_assert_ne!(&at(next), &answer.connectors);
        }
    }
}
