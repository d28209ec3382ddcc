//! Properties over random profile sets: the composite is sorted, covers the window, and is
//! never above the limit in force at any instant; `limit_at` reports the true next change.

mod common;

use common::{installed, params, T0};
use proptest::prelude::*;
use smart_charging::{composite_schedule, limit_at, TxContext, Unit, Window};

fn transactions() -> impl Strategy<Value = Vec<TxContext>> {
    (1i32..3, -50_000i64..50_000, 1i32..3, -50_000i64..50_000).prop_map(|(a, sa, b, sb)| {
        vec![
            TxContext {
                connector_id: 1,
                transaction_id: Some(a),
                start_ms: T0 + sa * 10,
            },
            TxContext {
                connector_id: 2,
                transaction_id: Some(b),
                start_ms: T0 + sb * 10,
            },
        ]
    })
}

proptest! {
    #[test]
    fn composite_is_sorted_covers_the_window_and_never_exceeds_the_limit(
        profiles in prop::collection::vec(installed(), 0..8),
        txs in transactions(),
        connector in 0u32..3,
        start_offset_ms in -100_000_000i64..100_000_000,
        duration_s in 1i64..200_000,
        watts in any::<bool>(),
        probes in prop::collection::vec(0.0f64..1.0, 16),
    ) {
        let unit = if watts { Unit::W } else { Unit::A };
        let window = Window { start_ms: T0 + start_offset_ms, duration_s };
        let c = composite_schedule(&profiles, connector, window, &txs, &params(), unit).unwrap();
        prop_assert_eq!(c.periods[0].start_s, 0);
        for pair in c.periods.windows(2) {
            prop_assert!(pair[0].start_s < pair[1].start_s);
            prop_assert!(pair[0].limit_tenths != pair[1].limit_tenths
                || pair[0].number_phases != pair[1].number_phases);
        }
        prop_assert!(c.periods.last().unwrap().start_s < duration_s);
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        for probe in probes {
            let offset_ms = (probe * (duration_s * 1000) as f64) as i64;
            let at = window.start_ms + offset_ms;
            let now = limit_at(&profiles, connector, at, &txs, &params(), unit).unwrap();
            let second = offset_ms / 1000;
            let index = c.periods.partition_point(|p| p.start_s <= second) - 1;
            prop_assert!(c.periods[index].limit_tenths <= now.limit_tenths);
        }
    }

    #[test]
    fn limit_holds_until_the_reported_change(
        profiles in prop::collection::vec(installed(), 0..8),
        txs in transactions(),
        connector in 0u32..3,
        now_offset_ms in -100_000_000i64..100_000_000,
    ) {
        let p = params();
        let now_ms = T0 + now_offset_ms;
        let now = limit_at(&profiles, connector, now_ms, &txs, &p, Unit::W).unwrap();
        if let Some(next) = now.next_change_ms {
            prop_assert!(next > now_ms);
            let before = limit_at(&profiles, connector, next - 1, &txs, &p, Unit::W).unwrap();
            let after = limit_at(&profiles, connector, next, &txs, &p, Unit::W).unwrap();
            // Relative profiles without a transaction move with `now`; every connector
            // has one here, so the limit is a pure function of the instant.
            prop_assert_eq!(before.limit_tenths, now.limit_tenths);
            prop_assert!(after.limit_tenths != now.limit_tenths
                || after.number_phases != now.number_phases);
        }
    }
}
