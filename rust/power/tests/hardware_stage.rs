//! The hardware stage on the virtual bench: the controller talks to the Infypower
//! module-side simulator over the virtual bus, the test plays the supervisor (it relays the
//! EV's request and carries out the contactor commands, reporting their feedback), stepped
//! on a manual clock.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{config, connector};
use power::clock::{Clock, ManualClock};
use power::control::{BusInterface, Snapshot, StageConfig};
use power::sim::ModuleFault;
use power::{HardwareStage, PowerError, StageCommand, StageEvent};

struct HwRig {
    clock: Arc<ManualClock>,
    stage: HardwareStage,
    events: Vec<StageEvent>,
    /// The EV renews its request every tick: (voltage, current).
    request: Option<(f64, f64)>,
    feed: bool,
    /// `Some(x)`: the auxiliary contact reports `x` whatever the contactor is told.
    stuck: Option<bool>,
    period: Duration,
}

impl HwRig {
    fn new(cfg: StageConfig) -> Self {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let period = cfg.period;
        let stage = HardwareStage::on_bench(cfg, clock.clone()).unwrap();
        let mut rig = Self {
            clock,
            stage,
            events: Vec::new(),
            request: None,
            feed: true,
            stuck: None,
            period,
        };
        rig.supervise();
        rig
    }

    fn cmd(&mut self, c: StageCommand) {
        self.stage.apply(c).unwrap();
        self.supervise();
    }

    /// What the supervisor does with the stage's events: drive the contactor, report back.
    fn supervise(&mut self) {
        for ev in self.stage.take_events() {
            if let StageEvent::Contactor {
                connector, closed, ..
            } = ev
            {
                let reported = self.stuck.unwrap_or(closed);
                self.stage
                    .apply(StageCommand::ContactorFeedback {
                        connector,
                        closed: reported,
                    })
                    .unwrap();
            }
            self.events.push(ev);
        }
    }

    fn plug_in_and_ask(&mut self, volts: f64, amps: f64) {
        self.cmd(StageCommand::EvPresent(1));
        self.cmd(StageCommand::Enable(1, true));
        self.request = Some((volts, amps));
    }

    fn step(&mut self) -> Snapshot {
        self.clock.advance(self.period);
        if self.feed {
            self.stage.feed_watchdog();
        }
        if let Some((voltage_v, current_a)) = self.request {
            self.cmd(StageCommand::EvRequest {
                connector: 1,
                voltage_v,
                current_a,
                soc: Some(40.0),
            });
        }
        self.stage.tick().unwrap();
        self.supervise();
        self.stage.snapshot()
    }

    fn run_with(&mut self, secs: f64, mut check: impl FnMut(&Snapshot, &HwRig)) -> Snapshot {
        let n = (secs / self.period.as_secs_f64()).round() as usize;
        let mut last = self.stage.snapshot();
        for _ in 0..n {
            last = self.step();
            check(&last, self);
        }
        last
    }

    fn run(&mut self, secs: f64) -> Snapshot {
        self.run_with(secs, |_, _| {})
    }

    /// Current flowing into connector index 0 on the bench (the modules' truth).
    fn true_current(&self) -> f64 {
        let bench = self.stage.bench().unwrap();
        let world = bench.world().lock();
        let modules = bench.cabinet().modules();
        let a: f64 = (0..modules.len())
            .filter(|&i| world.routes[i] == Some(0))
            .map(|i| modules[i].out_a)
            .sum();
        if world.contactors[0] {
            a
        } else {
            0.0
        }
    }

    fn seen(&self, pred: impl Fn(&StageEvent) -> bool) -> bool {
        self.events.iter().any(pred)
    }
}

fn bench_config() -> StageConfig {
    let mut cfg = config(4, vec![connector(1, 200.0, 150_000.0)]);
    // DIP-switch addresses as a cabinet might have them.
    cfg.addresses = vec![0x10, 0x11, 0x12, 0x13];
    cfg.ramp_a_per_s = 100.0;
    cfg.ev_request_timeout = Duration::from_millis(500);
    cfg.contactor_timeout = Duration::from_millis(300);
    cfg
}

fn charging_rig(amps: f64) -> HwRig {
    let mut rig = HwRig::new(bench_config());
    rig.plug_in_and_ask(400.0, amps);
    let s = rig.run(5.0);
    assert_eq!(s.connectors[0].state, "charging", "{:?}", s.connectors[0]);
    assert!(
        (rig.true_current() - amps).abs() < 2.0,
        "{}",
        rig.true_current()
    );
    rig
}

#[test]
fn charging_follows_the_ev_request_within_the_limit() {
    let mut rig = HwRig::new(bench_config());
    rig.plug_in_and_ask(400.0, 120.0);
    let s = rig.run_with(5.0, |_, r| {
        assert!(r.true_current() <= 120.0 + 1.0, "above the request");
        let closed_asked = r.seen(|e| matches!(e, StageEvent::Contactor { closed: true, .. }));
        assert!(
            closed_asked || r.true_current() == 0.0,
            "current before the contactor"
        );
    });
    let c = &s.connectors[0];
    assert!((rig.true_current() - 120.0).abs() < 2.0, "{c:?}");
    assert!((c.current_a - 120.0).abs() < 3.0, "telemetry: {c:?}");
    assert_eq!(c.active_limit, "ev_request");
    assert!(c.contactor);
    assert_eq!(c.modules.len(), 2, "120 A at ~350 V: two 30 kW modules");
    assert!(rig.seen(|e| matches!(e, StageEvent::Charging { connector: 1, .. })));
    assert!(rig.seen(|e| matches!(
        e,
        StageEvent::ModuleRoute {
            connector: Some(1),
            ..
        }
    )));
    // The modules answered at their own addresses: all four are known and healthy.
    assert!(
        s.modules.iter().all(|m| m.state != "lost"),
        "{:?}",
        s.modules
    );

    rig.stage
        .apply(StageCommand::SetLimit {
            connector: 1,
            limit_w: Some(20_000.0),
            limit_a: None,
            issued: rig.clock.now(),
        })
        .unwrap();
    let s = rig.run(2.0);
    let c = &s.connectors[0];
    assert_eq!(c.active_limit, "limit_w");
    assert!(rig.true_current() * c.voltage_v <= 20_000.0 * 1.02, "{c:?}");

    rig.request = Some((400.0, 10.0));
    rig.run(0.5);
    assert!((rig.true_current() - 10.0).abs() < 1.0, "down at once");
}

#[test]
fn a_stale_request_ramps_down_and_opens_the_contactor() {
    let mut rig = charging_rig(100.0);
    rig.events.clear();
    rig.request = None; // the EV link goes silent
    let mut lost_at = None;
    let s = rig.run_with(2.0, |s, r| {
        let lost = r.seen(|e| matches!(e, StageEvent::EvRequestLost { connector: 1, .. }));
        if lost && lost_at.is_none() {
            lost_at = Some(s.ticks);
            assert_eq!(
                s.connectors[0].setpoint_a, 0.0,
                "ramped to zero in the same tick"
            );
        }
    });
    // Timeout 500 ms at 50 ms ticks: the 11th silent tick finds the request stale.
    assert!(lost_at.is_some(), "{:?}", rig.events);
    assert_eq!(rig.true_current(), 0.0);
    assert!(rig.seen(|e| matches!(
        e,
        StageEvent::Contactor {
            connector: 1,
            closed: false,
            ..
        }
    )));
    let c = &s.connectors[0];
    assert!(!c.contactor && c.state == "idle", "{c:?}");
    assert!(c.faults.is_empty(), "a silent EV is not a charger fault");

    rig.events.clear();
    rig.request = Some((400.0, 60.0));
    rig.run(3.0);
    assert!(rig.seen(|e| matches!(e, StageEvent::EvRequestRestored { connector: 1, .. })));
    assert!(
        (rig.true_current() - 60.0).abs() < 2.0,
        "charging again without a new enable: {}",
        rig.true_current()
    );
}

#[test]
fn the_evs_stop_ends_delivery_and_a_new_request_resumes_it() {
    let mut rig = charging_rig(80.0);
    rig.request = None;
    rig.cmd(StageCommand::EvStop(1));
    let s = rig.run(1.5);
    assert!(rig.seen(|e| matches!(e, StageEvent::EvFull { connector: 1, .. })));
    assert!(!s.connectors[0].contactor);
    assert!(
        !rig.seen(|e| matches!(e, StageEvent::EvRequestLost { .. })),
        "a stopped EV may stop renewing its request"
    );
    rig.request = Some((400.0, 50.0));
    rig.run(2.0);
    assert!((rig.true_current() - 50.0).abs() < 2.0);
    assert!(rig.seen(|e| matches!(e, StageEvent::EvResumed { connector: 1, .. })));
    rig.request = None;
    rig.cmd(StageCommand::EvGone(1));
    let s = rig.run(1.0);
    assert!(!s.connectors[0].enabled, "a new EV needs a new enable");
    assert_eq!(rig.true_current(), 0.0);
}

#[test]
fn a_module_that_stops_answering_is_dropped_and_reported() {
    let mut rig = charging_rig(180.0);
    let serving = rig.stage.snapshot().connectors[0].modules.clone();
    assert!(serving.len() >= 3, "{serving:?}");
    let silent = serving[0];
    rig.cmd(StageCommand::InjectFault(silent, ModuleFault::Dead));
    let s = rig.run_with(6.0, |_, r| assert!(r.true_current() <= 180.0 + 1.0));
    assert!(rig.seen(|e| matches!(e, StageEvent::ModuleFault { module, reason, .. } if *module == silent && reason == "CommLoss")));
    assert_eq!(s.modules[silent].state, "lost");
    assert_eq!(s.modules[silent].setpoint_a, 0.0);
    // Until its own 10 s self-off a lost module may still deliver its last setpoint
    // (EVerest's rule, plus a margin): the others are not asked for its share before then.
    let s = rig.run(12.0);
    let c = &s.connectors[0];
    assert!(!c.modules.contains(&silent), "{c:?}");
    assert_eq!(c.state, "charging", "the session goes on");
    assert!(
        (rig.true_current() - 180.0).abs() < 3.0,
        "a free module took over: {c:?}"
    );
}

#[test]
fn the_watchdog_stops_power_and_opens_the_contactor() {
    let mut rig = charging_rig(120.0);
    rig.events.clear();
    rig.feed = false;
    let s = rig.run(2.5);
    assert_eq!(s.stage_fault, Some("Watchdog"));
    assert!(rig.seen(|e| matches!(e, StageEvent::Fault { connector: 1, error_code: "InternalError", info, .. } if info.contains("watchdog"))));
    assert!(rig.seen(|e| matches!(
        e,
        StageEvent::Contactor {
            connector: 1,
            closed: false,
            ..
        }
    )));
    assert_eq!(rig.true_current(), 0.0);
    assert!(rig
        .stage
        .bench()
        .unwrap()
        .cabinet()
        .modules()
        .iter()
        .all(|m| m.out_a < 1.0));
}

#[test]
fn a_contactor_that_does_not_close_delivers_nothing_and_is_a_power_switch_failure() {
    let mut rig = HwRig::new(bench_config());
    rig.stuck = Some(false);
    rig.plug_in_and_ask(400.0, 100.0);
    let s = rig.run_with(1.0, |s, r| {
        assert_eq!(r.true_current(), 0.0);
        // Not even asked of the modules: never current into a contactor not reported closed.
        assert!(
            s.modules.iter().all(|m| m.setpoint_a == 0.0),
            "{:?}",
            s.modules
        );
    });
    assert!(rig.seen(|e| matches!(e, StageEvent::Fault { connector: 1, error_code: "PowerSwitchFailure", info, .. } if info == "contactor open, commanded closed")));
    // The stage gave up and opened it: feedback and command agree again.
    assert!(rig.seen(|e| matches!(e, StageEvent::FaultCleared { connector: 1, .. })));
    assert!(!s.connectors[0].enabled);
}

#[test]
fn a_welded_contactor_is_a_power_switch_failure_until_it_opens() {
    let mut rig = charging_rig(60.0);
    rig.stuck = Some(true); // welded: stays closed whatever it is told
    rig.cmd(StageCommand::Enable(1, false));
    let s = rig.run(1.5);
    assert!(rig.seen(|e| matches!(e, StageEvent::Fault { connector: 1, error_code: "PowerSwitchFailure", info, .. } if info == "contactor closed, commanded open")));
    let c = &s.connectors[0];
    assert_eq!(c.state, "faulted");
    assert_eq!(c.faults[0].error_code, "PowerSwitchFailure");
    rig.cmd(StageCommand::Enable(1, true));
    rig.run_with(1.0, |s, _| assert_ne!(s.connectors[0].state, "charging"));
    rig.stuck = None;
    rig.cmd(StageCommand::ContactorFeedback {
        connector: 1,
        closed: false,
    });
    rig.run(0.2);
    assert!(rig.seen(|e| matches!(e, StageEvent::FaultCleared { connector: 1, .. })));
}

#[test]
fn commands_for_other_stages_and_a_missing_interface_are_refused() {
    let mut rig = HwRig::new(bench_config());
    let err = rig
        .stage
        .apply(StageCommand::EvRequest {
            connector: 1,
            voltage_v: 400.0,
            current_a: 10.0,
            soc: None,
        })
        .unwrap_err();
    assert!(
        err.to_string().contains("no EV present on connector 1"),
        "{err}"
    );
    let err = rig
        .stage
        .apply(StageCommand::EvRequest {
            connector: 1,
            voltage_v: f64::NAN,
            current_a: 10.0,
            soc: None,
        })
        .unwrap_err();
    assert!(err.to_string().contains("voltage_v"), "{err}");

    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(0));
    let err = HardwareStage::open(
        bench_config(),
        &BusInterface::SocketCan("can9".into()),
        clock,
    )
    .err()
    .expect("no can9 here");
    assert!(matches!(err, PowerError::BusOpen { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("cannot open CAN interface \"can9\": "),
        "{err}"
    );
    assert!(!err.to_string().contains('\n'));
}
