//! A simulated stage on a manual clock, stepped tick by tick.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use power::clock::{Clock, ManualClock};
use power::control::{ConnectorRating, ModuleRating, Snapshot, StageConfig};
use power::{SimulatedStage, StageCommand, StageEvent};

pub const PERIOD: Duration = Duration::from_millis(50);

pub fn connector(id: u32, i_max: f64, p_max: f64) -> ConnectorRating {
    ConnectorRating {
        id,
        i_max,
        p_max,
        v_min: 150.0,
        v_max: 920.0,
    }
}

pub fn config(modules: usize, connectors: Vec<ConnectorRating>) -> StageConfig {
    StageConfig::new(vec![ModuleRating::reg_30kw(); modules], connectors)
}

pub struct Rig {
    pub clock: Arc<ManualClock>,
    pub stage: SimulatedStage,
    pub events: Vec<StageEvent>,
    pub feed: bool,
    pub period: Duration,
}

impl Rig {
    pub fn new(cfg: StageConfig) -> Self {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let period = cfg.period;
        let stage = SimulatedStage::new(cfg, clock.clone()).unwrap();
        Self {
            clock,
            stage,
            events: Vec::new(),
            feed: true,
            period,
        }
    }

    pub fn cmd(&mut self, c: StageCommand) {
        self.stage.apply(c).unwrap();
        self.events.extend(self.stage.take_events());
    }

    pub fn plug_and_enable(&mut self, connector: u32, battery_wh: f64, soc: f64, max_a: f64) {
        self.cmd(StageCommand::EvPlugIn {
            connector,
            battery_wh,
            soc,
            max_current_a: max_a,
        });
        self.cmd(StageCommand::Enable(connector, true));
    }

    pub fn set_limit(&mut self, connector: u32, w: Option<f64>, a: Option<f64>) {
        let issued = self.clock.now();
        self.cmd(StageCommand::SetLimit {
            connector,
            limit_w: w,
            limit_a: a,
            issued,
        });
    }

    /// One period of the configured loop: advance the clock, feed the watchdog (unless starved), tick.
    pub fn step(&mut self) -> Snapshot {
        self.clock.advance(self.period);
        if self.feed {
            self.stage.feed_watchdog();
        }
        self.stage.tick().unwrap();
        self.events.extend(self.stage.take_events());
        self.stage.snapshot()
    }

    /// Steps for `secs`, calling `check` after every tick.
    pub fn run_with(&mut self, secs: f64, mut check: impl FnMut(&Snapshot, &Rig)) -> Snapshot {
        let n = (secs / self.period.as_secs_f64()).round() as usize;
        let mut last = self.stage.snapshot();
        for _ in 0..n {
            last = self.step();
            check(&last, self);
        }
        last
    }

    pub fn run(&mut self, secs: f64) -> Snapshot {
        self.run_with(secs, |_, _| {})
    }

    pub fn take_events(&mut self) -> Vec<StageEvent> {
        std::mem::take(&mut self.events)
    }

    /// Current actually flowing into connector index `idx` (the cabinet's truth, not telemetry).
    pub fn true_current(&self, idx: usize) -> f64 {
        let plant = self.stage.plant().lock();
        let mods = self.stage.cabinet().modules();
        (0..mods.len())
            .filter(|&i| plant.routes[i] == Some(idx))
            .map(|i| mods[i].out_a)
            .sum::<f64>()
            * f64::from(u8::from(plant.contactors[idx]))
    }
}
