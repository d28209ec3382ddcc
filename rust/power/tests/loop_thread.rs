//! The real loop thread with short periods; every wait is on an event, never a fixed sleep.

mod common;

use std::time::Duration;

use common::{config, connector};
use power::control::{BusInterface, StageKind};
use power::{LoopHost, PowerStage, StageCommand, StageEvent};

fn wait_for(
    stage: &PowerStage,
    within: Duration,
    pred: impl Fn(&StageEvent) -> bool,
) -> StageEvent {
    let deadline = std::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        assert!(!left.is_zero(), "event not seen within {within:?}");
        if let Some(ev) = stage.next_event(left) {
            if pred(&ev) {
                return ev;
            }
        }
    }
}

fn charging_stage(period_ms: u64, watchdog_ms: u64) -> PowerStage {
    let mut cfg = config(4, vec![connector(1, 200.0, 150_000.0)]);
    cfg.period = Duration::from_millis(period_ms);
    cfg.watchdog = Duration::from_millis(watchdog_ms);
    cfg.ramp_a_per_s = 1000.0;
    let stage = PowerStage::new_simulated(cfg).unwrap();
    stage
        .command(StageCommand::EvPlugIn {
            connector: 1,
            battery_wh: 75_000.0,
            soc: 20.0,
            max_current_a: 100.0,
        })
        .unwrap();
    stage.command(StageCommand::Enable(1, true)).unwrap();
    stage
}

fn running_stage(period_ms: u64, watchdog_ms: u64) -> PowerStage {
    let stage = charging_stage(period_ms, watchdog_ms);
    stage.start().unwrap();
    assert!(stage.start().is_err(), "a second start is refused");
    stage
}

#[test]
fn a_new_limit_reaches_the_bus_within_one_tick() {
    let stage = running_stage(10, 5_000);
    wait_for(&stage, Duration::from_secs(5), |e| {
        matches!(e, StageEvent::Charging { connector: 1, .. })
    });
    stage
        .command(StageCommand::SetLimit {
            connector: 1,
            limit_w: Some(10_000.0),
            limit_a: None,
            issued: stage.now(),
        })
        .unwrap();
    let ev = wait_for(
        &stage,
        Duration::from_secs(2),
        |e| matches!(e, StageEvent::LimitApplied { limit_w: Some(w), .. } if *w == 10_000.0),
    );
    let StageEvent::LimitApplied {
        latency_ms: Some(latency),
        ..
    } = ev
    else {
        panic!("{ev:?}")
    };
    assert!(latency <= 10.0, "latency {latency} ms");
    stage.stop().unwrap();
    wait_for(&stage, Duration::from_secs(2), |e| {
        matches!(e, StageEvent::Stopped { .. })
    });
    let s = stage.snapshot();
    assert!(s.loop_stats.ticks > 0);
    assert!(!s.connectors[0].contactor, "stop opens the contactors");
}

#[test]
fn a_supervisor_that_stops_feeding_faults_the_connector() {
    let stage = running_stage(5, 100);
    stage.feed_watchdog();
    let ev = wait_for(&stage, Duration::from_secs(5), |e| {
        matches!(e, StageEvent::Fault { .. })
    });
    assert!(
        matches!(
            ev,
            StageEvent::Fault {
                connector: 1,
                error_code: "InternalError",
                ..
            }
        ),
        "{ev:?}"
    );
    wait_for(&stage, Duration::from_secs(5), |e| {
        matches!(e, StageEvent::ConnectorOff { connector: 1, .. })
    });
    assert_eq!(stage.snapshot().stage_fault, Some("Watchdog"));
    stage.stop().unwrap();
}

#[test]
fn stages_sharing_a_host_run_and_stop_independently() {
    let host = LoopHost::new(None).unwrap();
    let stages: Vec<PowerStage> = (0..3).map(|_| charging_stage(10, 5_000)).collect();
    for stage in &stages {
        stage.start_on(Some(host.clone())).unwrap();
    }
    assert_eq!(host.hosted(), 3);
    for stage in &stages {
        stage.feed_watchdog();
        wait_for(stage, Duration::from_secs(5), |e| {
            matches!(e, StageEvent::Charging { connector: 1, .. })
        });
    }
    stages[0].stop().unwrap();
    assert_eq!(host.hosted(), 2);
    assert!(!stages[0].snapshot().connectors[0].contactor);
    let ticks = stages[1].loop_stats().ticks;
    let later = std::time::Instant::now() + Duration::from_secs(5);
    while stages[1].loop_stats().ticks < ticks + 5 {
        assert!(std::time::Instant::now() < later, "the others keep ticking");
        stages[1].feed_watchdog();
        stages[1].next_event(Duration::from_millis(10));
    }
    assert!(stages[1].snapshot().connectors[0].contactor);
    // A stopped stage can start again on the same host.
    stages[0].start_on(Some(host.clone())).unwrap();
    assert_eq!(host.hosted(), 3);
    for stage in &stages {
        stage.stop().unwrap();
    }
    assert_eq!(host.hosted(), 0);
}

#[test]
fn the_hardware_stage_on_the_bench_runs_on_the_loop_thread() {
    let mut cfg = config(2, vec![connector(1, 200.0, 150_000.0)]);
    cfg.period = Duration::from_millis(10);
    cfg.watchdog = Duration::from_secs(5);
    cfg.ramp_a_per_s = 1000.0;
    cfg.realtime_priority = None;
    let stage = PowerStage::new_hardware(cfg, &BusInterface::Virtual).unwrap();
    assert_eq!(stage.kind(), StageKind::Bench);
    let request = StageCommand::EvRequest {
        connector: 1,
        voltage_v: 410.0,
        current_a: 40.0,
        soc: None,
    };
    assert!(
        stage.command(request.clone()).is_err(),
        "a request before the EV is present"
    );
    assert!(
        stage.command(StageCommand::EvPresent(7)).is_err(),
        "no connector 7"
    );
    stage.command(StageCommand::EvPresent(1)).unwrap();
    stage.command(StageCommand::Enable(1, true)).unwrap();
    stage.start().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    // The supervisor's part: renew the request, carry out the contactor commands.
    while stage.snapshot().connectors[0].current_a < 35.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            stage.snapshot()
        );
        stage.feed_watchdog();
        stage.command(request.clone()).unwrap();
        if let Some(StageEvent::Contactor {
            connector, closed, ..
        }) = stage.next_event(Duration::from_millis(20))
        {
            stage
                .command(StageCommand::ContactorFeedback { connector, closed })
                .unwrap();
        }
    }
    stage.stop().unwrap();
    let mut opened = false;
    while let Some(ev) = stage.try_event() {
        opened |= matches!(ev, StageEvent::Contactor { closed: false, .. });
    }
    assert!(opened, "stopping the loop asks for the contactor to open");
}

#[test]
fn a_missing_can_interface_is_one_line_naming_it() {
    let cfg = config(2, vec![connector(1, 200.0, 150_000.0)]);
    let err = PowerStage::new_hardware(cfg, &BusInterface::SocketCan("can0".into()))
        .err()
        .expect("this machine has no CAN interface");
    let text = err.to_string();
    assert!(
        text.starts_with("cannot open CAN interface \"can0\": "),
        "{text}"
    );
    assert!(!text.contains('\n'));
}
