//! Properties of issue 6: the setpoint is never above any limit, never negative, and it
//! converges to the target; the module split adds up and respects each module.

mod common;

use common::{config, connector, Rig, PERIOD};
use power::control::{ramp, split, target_current, LimitInputs};
use proptest::prelude::*;

fn opt_limit() -> impl Strategy<Value = Option<f64>> {
    prop::option::of(0.0..400_000.0f64)
}

prop_compose! {
    fn inputs()(ev in 0.0..600.0f64, ci in 1.0..600.0f64, cp in 1_000.0..400_000.0f64,
                w in opt_limit(), a in prop::option::of(0.0..600.0f64), v in 0.0..1000.0f64,
                m in 0.0..800.0f64, d in 0.0..1.0f64) -> LimitInputs {
        LimitInputs { ev_request_a: ev, connector_i_max: ci, connector_p_max: cp, limit_w: w, limit_a: a,
                      voltage_v: v, modules_a: m, derated_a: m * d }
    }
}

proptest! {
    #[test]
    fn target_is_never_above_any_limit_nor_negative(i in inputs()) {
        let (t, _) = target_current(&i);
        let v = i.voltage_v.max(1.0);
        prop_assert!(t >= 0.0);
        prop_assert!(t <= i.ev_request_a && t <= i.connector_i_max && t <= i.connector_p_max / v + 1e-9);
        prop_assert!(t <= i.modules_a && t <= i.derated_a);
        if let Some(w) = i.limit_w { prop_assert!(t * v <= w + 1e-6); }
        if let Some(a) = i.limit_a { prop_assert!(t <= a); }
    }

    #[test]
    fn ramp_never_exceeds_target_nor_goes_negative_and_converges(
        targets in prop::collection::vec(-10.0..500.0f64, 1..20), rate in 1.0..200.0f64, dt in 0.001..0.2f64
    ) {
        let mut x = 0.0;
        for &t in &targets {
            let mut steps = 0;
            loop {
                let next = ramp(x, t, rate, dt);
                prop_assert!(next >= 0.0);
                prop_assert!(next <= t.max(0.0) + 1e-9, "above target");
                prop_assert!(next - x <= rate * dt + 1e-9, "too fast");
                x = next;
                steps += 1;
                if (x - t.max(0.0)).abs() < 1e-9 { break; }
                prop_assert!(steps <= (500.0 / (rate * dt)).ceil() as usize + 2, "does not converge");
            }
        }
    }

    #[test]
    fn split_adds_up_and_respects_each_module(
        total in -10.0..1000.0f64, caps in prop::collection::vec(0.0..150.0f64, 0..10), min_a in 0.0..5.0f64
    ) {
        let s = split(total, &caps, min_a);
        prop_assert_eq!(s.len(), caps.len());
        let want = total.max(0.0).min(caps.iter().sum());
        prop_assert!((s.iter().sum::<f64>() - want).abs() < 1e-6, "{:?} sums to {} not {}", s, s.iter().sum::<f64>(), want);
        for (a, c) in s.iter().zip(&caps) {
            prop_assert!(*a >= 0.0 && *a <= c + 1e-9);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Closed loop: after each limit change the current reaching the EV is at or under the
    /// limit within one second, and the setpoint never exceeds it at all.
    #[test]
    fn closed_loop_power_stays_under_changing_limits(limits in prop::collection::vec(opt_limit(), 1..5)) {
        let mut rig = Rig::new(config(6, vec![connector(1, 400.0, 180_000.0)]));
        rig.plug_and_enable(1, 100_000.0, 20.0, 400.0);
        rig.run(3.0);
        for limit in limits {
            rig.set_limit(1, limit, None);
            let mut t = 0.0;
            let mut failure = None;
            rig.run_with(3.0, |s, r| {
                t += PERIOD.as_secs_f64();
                let c = &s.connectors[0];
                let v = c.voltage_v.max(1.0);
                if let Some(w) = limit {
                    if c.setpoint_a * v > w + 1.0 && failure.is_none() {
                        failure = Some(format!("setpoint {} A at {v} V over {w} W", c.setpoint_a));
                    }
                    if t >= 1.0 && r.true_current(0) * v > w * 1.02 + 10.0 && failure.is_none() {
                        failure = Some(format!("{} A at {v} V over {w} W after {t:.2} s", r.true_current(0)));
                    }
                }
                if c.setpoint_a < 0.0 {
                    failure = Some("negative setpoint".into());
                }
            });
            prop_assert!(failure.is_none(), "{}", failure.unwrap_or_default());
        }
    }
}
