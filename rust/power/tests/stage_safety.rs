//! Fault scenarios: module faults mid-session, lost modules, the supervisor watchdog and a
//! silent bus.

mod common;

use common::{config, connector, Rig};
use power::sim::ModuleFault;
use power::{StageCommand, StageEvent};

fn module_limited_rig() -> Rig {
    // Three 30 kW modules for an EV asking 300 A: ~240 A at ~370 V, module-limited.
    let mut rig = Rig::new(config(3, vec![connector(1, 300.0, 150_000.0)]));
    rig.plug_and_enable(1, 100_000.0, 20.0, 300.0);
    let s = rig.run(15.0);
    assert_eq!(
        s.connectors[0].active_limit, "modules",
        "{:?}",
        s.connectors[0]
    );
    rig.take_events();
    rig
}

fn two_module_capacity(v: f64) -> f64 {
    2.0 * 30_000.0 / v
}

#[test]
fn over_temperature_drops_power_to_the_remaining_capacity_without_overshoot() {
    let mut rig = module_limited_rig();
    let before = rig.stage.snapshot().connectors[0].current_a;
    rig.cmd(StageCommand::InjectFault(1, ModuleFault::OverTemperature));
    let mut detected_at = None;
    let s = rig.run_with(5.0, |s, r| {
        let c = &s.connectors[0];
        assert!(
            r.true_current(0) <= before + 1.0,
            "overshoot: {} > {before}",
            r.true_current(0)
        );
        if detected_at.is_none() && s.modules[1].state == "faulted" {
            detected_at = Some(s.ticks);
            // Within the same tick the split excludes the module and the target shrinks.
            assert!(
                c.setpoint_a <= two_module_capacity(c.voltage_v) + 0.5,
                "{c:?}"
            );
            assert_eq!(s.modules[1].setpoint_a, 0.0);
        }
    });
    assert!(detected_at.is_some(), "module fault never detected");
    let c = &s.connectors[0];
    assert_eq!(c.state, "charging", "the session goes on");
    assert!(
        c.current_a <= two_module_capacity(c.voltage_v) + 1.0 && c.current_a > 100.0,
        "{c:?}"
    );
    assert!(rig.events.iter().any(|e| matches!(e, StageEvent::ModuleFault { module: 1, reason, .. } if reason == "OverTemperature")));
    rig.cmd(StageCommand::ClearFault(1));
    let s = rig.run(15.0);
    assert!(rig
        .events
        .iter()
        .any(|e| matches!(e, StageEvent::ModuleRecovered { module: 1, .. })));
    assert!(
        s.connectors[0].current_a > before - 5.0,
        "capacity back: {:?}",
        s.connectors[0]
    );
}

#[test]
fn a_short_circuit_module_is_replaced_by_a_free_one() {
    let mut rig = Rig::new(config(4, vec![connector(1, 300.0, 150_000.0)]));
    rig.plug_and_enable(1, 100_000.0, 20.0, 150.0);
    let s = rig.run(10.0);
    let serving = s.connectors[0].modules.clone();
    assert_eq!(serving.len(), 2);
    rig.cmd(StageCommand::InjectFault(
        serving[0],
        ModuleFault::OutputShort,
    ));
    let s = rig.run(5.0);
    let c = &s.connectors[0];
    assert!(!c.modules.contains(&serving[0]));
    assert_eq!(c.modules.len(), 2, "a free module took over: {c:?}");
    assert!((c.current_a - 150.0).abs() < 3.0, "{c:?}");
}

#[test]
fn a_lost_module_is_assumed_to_deliver_until_its_self_off() {
    let mut rig = module_limited_rig();
    let before = rig.stage.snapshot().connectors[0].current_a;
    rig.cmd(StageCommand::InjectFault(2, ModuleFault::CommLoss));
    let s = rig.run_with(20.0, |_, r| {
        assert!(
            r.true_current(0) <= before + 1.0,
            "overshoot {} > {before}",
            r.true_current(0)
        );
    });
    assert!(rig.events.iter().any(
        |e| matches!(e, StageEvent::ModuleFault { module: 2, reason, .. } if reason == "CommLoss")
    ));
    assert_eq!(s.modules[2].state, "lost");
    let c = &s.connectors[0];
    assert!(
        c.current_a <= two_module_capacity(c.voltage_v) + 1.0,
        "{c:?}"
    );
    assert!(
        !rig.stage.cabinet().modules()[2].on,
        "the module switched itself off after 10 s"
    );
    assert_eq!(c.state, "charging");
}

#[test]
fn a_starved_watchdog_ramps_to_zero_opens_the_contactor_and_reports() {
    let mut rig = Rig::new(config(
        4,
        vec![
            connector(1, 200.0, 150_000.0),
            connector(2, 200.0, 150_000.0),
        ],
    ));
    rig.plug_and_enable(1, 75_000.0, 20.0, 200.0);
    rig.run(10.0);
    rig.take_events();
    rig.feed = false;
    let mut fault_tick = None;
    let mut open_tick = None;
    rig.run_with(3.0, |s, r| {
        let c = &s.connectors[0];
        if fault_tick.is_none() && !c.faults.is_empty() {
            fault_tick = Some(s.ticks);
            assert_eq!(c.setpoint_a, 0.0, "ramped to zero at once");
        }
        if open_tick.is_none() && fault_tick.is_some() && !c.contactor {
            open_tick = Some(s.ticks);
            assert!(
                r.stage
                    .cabinet()
                    .modules()
                    .iter()
                    .map(|m| m.out_a)
                    .sum::<f64>()
                    < 5.0
            );
        }
    });
    let (f, o) = (
        fault_tick.expect("fault"),
        open_tick.expect("contactor opened"),
    );
    // Watchdog 1 s at 50 ms ticks: fault on the 21st unfed tick; open within the stop timeout.
    assert!(o - f <= 20, "{f} {o}");
    let s = rig.stage.snapshot();
    assert_eq!(s.stage_fault, Some("Watchdog"));
    assert_eq!(s.connectors[0].state, "faulted");
    let faults: Vec<_> = rig
        .take_events()
        .into_iter()
        .filter(|e| matches!(e, StageEvent::Fault { .. }))
        .collect();
    assert_eq!(faults.len(), 2, "every connector reports: {faults:?}");
    assert!(
        matches!(&faults[0], StageEvent::Fault { connector: 1, error_code: "InternalError", info, .. } if info.contains("watchdog"))
    );
    rig.feed = true;
    let s = rig.run(0.5);
    assert!(rig
        .events
        .iter()
        .any(|e| matches!(e, StageEvent::FaultCleared { connector: 1, .. })));
    assert_eq!(s.connectors[0].state, "ready", "power needs a new enable");
    assert!(!s.connectors[0].contactor);
}

#[test]
fn a_silent_bus_stops_the_stage_safely() {
    let mut cfg = config(4, vec![connector(1, 200.0, 150_000.0)]);
    cfg.silent_bus_ticks = 6;
    let mut rig = Rig::new(cfg);
    rig.plug_and_enable(1, 75_000.0, 20.0, 200.0);
    rig.run(10.0);
    rig.take_events();
    rig.cmd(StageCommand::FailBus(true));
    let mut ticks_to_fault = 0;
    let s = rig.run_with(3.0, |s, _| {
        if s.stage_fault.is_none() {
            ticks_to_fault += 1;
        }
    });
    // Counted from the last unanswered request, which may precede the failure by a tick.
    assert!((5..=8).contains(&ticks_to_fault), "{ticks_to_fault}");
    assert_eq!(s.stage_fault, Some("BusSilent"));
    let c = &s.connectors[0];
    assert!(!c.contactor && c.state == "faulted", "{c:?}");
    assert_eq!(rig.true_current(0), 0.0);
    assert!(rig.events.iter().any(
        |e| matches!(e, StageEvent::Fault { connector: 1, info, .. } if info.contains("silent"))
    ));
    rig.cmd(StageCommand::FailBus(false));
    rig.run(1.0);
    assert!(rig
        .events
        .iter()
        .any(|e| matches!(e, StageEvent::FaultCleared { connector: 1, .. })));
}

#[test]
fn unknown_connectors_and_bad_parameters_are_refused() {
    let mut rig = Rig::new(config(2, vec![connector(1, 200.0, 150_000.0)]));
    assert!(rig.stage.apply(StageCommand::Enable(9, true)).is_err());
    assert!(rig
        .stage
        .apply(StageCommand::EvPlugIn {
            connector: 1,
            battery_wh: -1.0,
            soc: 10.0,
            max_current_a: 10.0
        })
        .is_err());
    assert!(rig
        .stage
        .apply(StageCommand::SetLimit {
            connector: 1,
            limit_w: Some(f64::NAN),
            limit_a: None,
            issued: Default::default()
        })
        .is_err());
    assert!(rig
        .stage
        .apply(StageCommand::InjectFault(5, ModuleFault::Dead))
        .is_err());
    assert!(
        rig.stage.apply(StageCommand::EvPause(1)).is_err(),
        "no EV to pause"
    );
}
