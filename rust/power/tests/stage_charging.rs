//! Closed-loop charging over the virtual bus with the simulated cabinet, stepped on a manual
//! clock: ramping, limits, sharing, and the events that go with them.

mod common;

use common::{config, connector, Rig, PERIOD};
use power::StageEvent;

#[test]
fn charge_ramps_at_the_configured_rate_and_converges_to_the_ev_request() {
    let mut rig = Rig::new(config(8, vec![connector(1, 200.0, 150_000.0)]));
    rig.plug_and_enable(1, 75_000.0, 20.0, 150.0);
    let mut prev = 0.0;
    let ramp_per_tick = 25.0 * PERIOD.as_secs_f64();
    let snap = rig.run_with(10.0, |s, _| {
        let c = &s.connectors[0];
        assert!(
            c.setpoint_a >= 0.0 && c.setpoint_a <= 150.0 + 1e-9,
            "{}",
            c.setpoint_a
        );
        assert!(
            c.setpoint_a - prev <= ramp_per_tick + 1e-9,
            "ramp too fast: {prev} -> {}",
            c.setpoint_a
        );
        prev = c.setpoint_a;
    });
    let c = &snap.connectors[0];
    assert_eq!(c.state, "charging");
    assert!(c.contactor);
    assert!((c.current_a - 150.0).abs() < 3.0, "{c:?}");
    assert_eq!(c.active_limit, "ev_request");
    assert!(c.energy_wh > 50.0, "{}", c.energy_wh);
    assert!(c.soc.unwrap() > 20.0);
    // 150 A at ~370 V is ~56 kW: two 30 kW modules, the others stay free.
    assert_eq!(c.modules.len(), 2, "{c:?}");
    assert!(
        snap.bus.load > 0.0 && snap.bus.load < 0.5,
        "{}",
        snap.bus.load
    );
}

#[test]
fn a_power_limit_holds_within_one_second_of_every_change() {
    let mut rig = Rig::new(config(8, vec![connector(1, 300.0, 150_000.0)]));
    rig.plug_and_enable(1, 75_000.0, 30.0, 300.0);
    rig.run(15.0);
    for limit in [40_000.0, 90_000.0, 15_000.0, 60_000.0] {
        rig.set_limit(1, Some(limit), None);
        let mut elapsed = 0.0;
        rig.run_with(6.0, |s, r| {
            elapsed += PERIOD.as_secs_f64();
            let c = &s.connectors[0];
            let true_w = r.true_current(0) * c.voltage_v;
            assert!(
                c.setpoint_a * c.voltage_v <= limit * 1.01 + 50.0,
                "setpoint above limit {limit}: {c:?}"
            );
            if elapsed >= 1.0 {
                assert!(
                    true_w <= limit * 1.02,
                    "{true_w} W over {limit} W at {elapsed:.2} s"
                );
            }
        });
        let applied = rig.take_events().into_iter().find_map(|e| match e {
            StageEvent::LimitApplied {
                limit_w,
                frame_ts_ms,
                latency_ms,
                ..
            } => Some((limit_w, frame_ts_ms, latency_ms)),
            _ => None,
        });
        let (w, ts, latency) = applied.expect("LimitApplied event");
        assert_eq!(w, Some(limit));
        assert!(ts.is_some(), "a setpoint frame was sent for the new limit");
        assert!(latency.unwrap() < PERIOD.as_secs_f64() * 1000.0);
    }
}

#[test]
fn an_ampere_limit_and_the_connector_rating_bind() {
    let mut rig = Rig::new(config(8, vec![connector(1, 120.0, 150_000.0)]));
    rig.plug_and_enable(1, 75_000.0, 30.0, 400.0);
    let s = rig.run(8.0);
    assert_eq!(s.connectors[0].active_limit, "connector");
    assert!(s.connectors[0].current_a <= 121.0);
    rig.set_limit(1, None, Some(32.0));
    let s = rig.run(1.0);
    assert_eq!(s.connectors[0].active_limit, "limit_a");
    assert!(
        (s.connectors[0].current_a - 32.0).abs() < 1.0,
        "{:?}",
        s.connectors[0]
    );
}

#[test]
fn two_evs_share_the_modules_and_no_module_moves_under_load() {
    let mut rig = Rig::new(config(
        8,
        vec![
            connector(1, 500.0, 150_000.0),
            connector(2, 500.0, 150_000.0),
        ],
    ));
    rig.plug_and_enable(1, 100_000.0, 20.0, 500.0);
    let s = rig.run(25.0);
    assert_eq!(
        s.connectors[0].modules.len(),
        5,
        "150 kW needs five 30 kW modules"
    );
    rig.plug_and_enable(2, 100_000.0, 20.0, 500.0);
    let mut routes = rig.stage.plant().lock().routes.clone();
    let s = rig.run_with(25.0, |_, r| {
        let now = r.stage.plant().lock().routes.clone();
        for (m, (before, after)) in routes.iter().zip(&now).enumerate() {
            if before != after && before.is_some() {
                let a = r.stage.cabinet().modules()[m].out_a;
                assert!(
                    a < 5.0,
                    "module {m} switched from {before:?} to {after:?} carrying {a} A"
                );
            }
        }
        routes = now;
    });
    let (a, b) = (&s.connectors[0], &s.connectors[1]);
    assert_eq!((a.modules.len(), b.modules.len()), (4, 4), "{a:?} {b:?}");
    assert!(a.modules.iter().all(|m| !b.modules.contains(m)));
    assert!(
        a.current_a > 250.0 && b.current_a > 250.0,
        "{} {}",
        a.current_a,
        b.current_a
    );
}

#[test]
fn the_matrix_limits_which_modules_serve_which_connector() {
    let mut cfg = config(
        4,
        vec![
            connector(1, 500.0, 200_000.0),
            connector(2, 500.0, 200_000.0),
        ],
    );
    cfg.matrix = vec![
        vec![true, false],
        vec![true, false],
        vec![false, true],
        vec![false, true],
    ];
    let mut rig = Rig::new(cfg);
    rig.plug_and_enable(1, 100_000.0, 20.0, 500.0);
    let s = rig.run(5.0);
    assert_eq!(s.connectors[0].modules, vec![0, 1]);
}

#[test]
fn disabling_opens_the_contactor_only_below_the_safe_current() {
    let mut rig = Rig::new(config(4, vec![connector(1, 200.0, 150_000.0)]));
    rig.plug_and_enable(1, 75_000.0, 20.0, 200.0);
    rig.run(10.0);
    rig.take_events();
    rig.cmd(power::StageCommand::Enable(1, false));
    let mut opened_at = None;
    rig.run_with(2.0, |s, r| {
        if opened_at.is_none() && !s.connectors[0].contactor {
            let flowing: f64 = r.stage.cabinet().modules().iter().map(|m| m.out_a).sum();
            assert!(flowing < 5.0, "contactor opened with {flowing} A flowing");
            opened_at = Some(s.ticks);
        }
    });
    assert!(opened_at.is_some());
    let events = rig.take_events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, StageEvent::ConnectorOff { connector: 1, .. })),
        "{events:?}"
    );
    let s = rig.stage.snapshot();
    assert_eq!(s.connectors[0].state, "ready");
    assert!(
        s.modules.iter().all(|m| m.connector.is_none()),
        "modules back in the pool"
    );
}

#[test]
fn ev_pause_resume_and_full_are_reported() {
    let mut rig = Rig::new(config(4, vec![connector(1, 200.0, 150_000.0)]));
    rig.plug_and_enable(1, 2_000.0, 97.0, 100.0);
    rig.run(2.0);
    rig.cmd(power::StageCommand::EvPause(1));
    rig.run(0.5);
    rig.cmd(power::StageCommand::EvResume(1));
    // The request tapers as 5 A per remaining percent: ~70 s from 97 % to full.
    rig.run(150.0);
    let kinds: Vec<&str> = rig.events.iter().map(StageEvent::kind).collect();
    let pos = |k: &str| {
        kinds
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("{k} missing from {kinds:?}"))
    };
    assert!(pos("ev_suspended") < pos("ev_resumed"));
    assert!(pos("ev_resumed") < pos("ev_full"));
    assert!(rig.stage.snapshot().connectors[0].current_a < 3.0);
}

#[test]
fn a_short_period_ramp_does_not_flood_the_bus() {
    // Ramping raises every module's setpoint each tick; increases are rate-limited per module.
    let mut cfg = config(
        8,
        vec![
            connector(1, 500.0, 150_000.0),
            connector(2, 500.0, 150_000.0),
        ],
    );
    cfg.period = std::time::Duration::from_millis(10);
    let mut rig = Rig::new(cfg);
    rig.plug_and_enable(1, 100_000.0, 20.0, 500.0);
    rig.plug_and_enable(2, 100_000.0, 20.0, 500.0);
    let mut worst: f64 = 0.0;
    let s = rig.run_with(12.0, |s, _| {
        worst = worst.max(if s.ticks > 150 { s.bus.load } else { 0.0 })
    });
    assert!(worst < 0.30, "bus load {worst}");
    assert!(s.connectors[0].current_a > 250.0, "{:?}", s.connectors[0]);
}

#[test]
fn a_paused_ev_reads_no_current_and_gains_no_energy_once_its_modules_are_released() {
    let mut rig = Rig::new(config(4, vec![connector(1, 200.0, 150_000.0)]));
    rig.plug_and_enable(1, 75_000.0, 20.0, 100.0);
    rig.run(8.0);
    rig.cmd(power::StageCommand::EvPause(1));
    let s = rig.run(2.0);
    let c = &s.connectors[0];
    assert!(c.modules.is_empty(), "{c:?}");
    assert_eq!(c.current_a, 0.0, "{c:?}");
    let energy = c.energy_wh;
    let s = rig.run(5.0);
    assert_eq!(
        s.connectors[0].energy_wh, energy,
        "no energy counted while paused"
    );
}
