//! Sharing a station-wide cap between the connectors that draw power.

/// Splits `cap` over `limits` (connector id, own limit), by water-filling: a connector whose
/// own limit is below an even share keeps its limit, the rest is split evenly among the
/// others, rounded down to tenths. No share is above its own limit and the shares add up
/// to at most `cap`.
pub(crate) fn share(limits: &mut [(u32, i64)], cap: i64) {
    limits.sort_unstable_by_key(|&(_, limit)| limit);
    let mut remaining = cap.max(0);
    let count = limits.len();
    for i in 0..count {
        let pending = i64::try_from(count - i).unwrap_or(i64::MAX);
        let own = limits[i].1;
        if own.saturating_mul(pending) <= remaining {
            remaining -= own;
            continue;
        }
        let fair = remaining / pending;
        for rest in &mut limits[i..] {
            rest.1 = fair;
        }
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::share;
    use proptest::prelude::*;

    #[test]
    fn the_small_consumer_keeps_its_limit_and_the_rest_is_split() {
        let mut limits = [(1, 50_000), (2, 500_000), (3, 500_000)];
        share(&mut limits, 300_000);
        limits.sort_unstable();
        assert_eq!(limits, [(1, 50_000), (2, 125_000), (3, 125_000)]);
    }

    proptest! {
        #[test]
        fn no_share_exceeds_its_limit_or_the_cap(
            own in prop::collection::vec(0i64..2_000_000, 1..8),
            cap in 0i64..4_000_000,
        ) {
            let mut limits: Vec<(u32, i64)> = (1u32..).zip(own.iter().copied()).collect();
            share(&mut limits, cap);
            limits.sort_unstable();
            for (&(_, shared), &limit) in limits.iter().zip(&own) {
                prop_assert!((0..=limit).contains(&shared));
            }
            let total: i64 = limits.iter().map(|&(_, s)| s).sum();
            prop_assert!(total <= cap);
            if own.iter().sum::<i64>() <= cap {
                prop_assert!(limits.iter().zip(&own).all(|(&(_, s), &l)| s == l));
            }
        }
    }
}
