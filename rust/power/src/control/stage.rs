//! A complete simulated stage driven tick by tick: the virtual bus, the cabinet model and the
//! controller. Tests drive it with a manual clock; [`super::PowerStage`] runs it on a thread.

use std::sync::Arc;
use std::time::Duration;

use super::controller::{Controller, Watchdog};
use super::events::StageEvent;
use super::telemetry::Snapshot;
use super::StageConfig;
use crate::can::VirtualBus;
use crate::clock::Clock;
use crate::driver::{InfyDriver, ModuleRequest, Target};
use crate::error::{PowerError, Result};
use crate::sim::{EvModel, ModuleFault, Plant, SimCabinet, SimPlant};

/// What the supervisor can ask of a stage; connectors by OCPP id, modules by index.
#[derive(Debug, Clone, PartialEq)]
pub enum StageCommand {
    /// New smart-charging limit (`issued`: clock reading of the request).
    SetLimit {
        /// OCPP connector id.
        connector: u32,
        /// W.
        limit_w: Option<f64>,
        /// A.
        limit_a: Option<f64>,
        /// Clock reading when the supervisor asked.
        issued: Duration,
    },
    /// Connect a simulated EV.
    EvPlugIn {
        /// OCPP connector id.
        connector: u32,
        /// Battery capacity, Wh.
        battery_wh: f64,
        /// SoC, percent.
        soc: f64,
        /// Largest current the EV asks for, A.
        max_current_a: f64,
    },
    /// Disconnect the EV.
    EvPlugOut(u32),
    /// The EV stops asking for current.
    EvPause(u32),
    /// The EV asks again.
    EvResume(u32),
    /// Allow or withdraw power delivery.
    Enable(u32, bool),
    /// Inject a module fault.
    InjectFault(usize, ModuleFault),
    /// Clear a module fault.
    ClearFault(usize),
    /// Make the bus lose every frame (or work again).
    FailBus(bool),
}

/// Bus, cabinet and controller of one simulated charger.
pub struct SimulatedStage {
    clock: Arc<dyn Clock>,
    bus: VirtualBus,
    plant: SimPlant,
    cabinet: SimCabinet,
    controller: Controller,
    watchdog: Arc<Watchdog>,
}

impl SimulatedStage {
    /// Builds the stage on `clock`; the controller has already sent "all off" and rating reads.
    pub fn new(cfg: StageConfig, clock: Arc<dyn Clock>) -> Result<Self> {
        cfg.validate()?;
        let bus = VirtualBus::new(Arc::clone(&clock), cfg.bitrate);
        let plant = SimPlant::new(cfg.modules.len(), cfg.connectors.len());
        let cabinet = SimCabinet::new(bus.node(), plant.clone(), &cfg.modules);
        let watchdog = Arc::new(Watchdog::default());
        let controller = Controller::new(
            cfg,
            Box::new(bus.node()),
            Box::new(InfyDriver::default()),
            Box::new(plant.clone()),
            Arc::clone(&clock),
            Arc::clone(&watchdog),
        )?;
        Ok(Self {
            clock,
            bus,
            plant,
            cabinet,
            controller,
            watchdog,
        })
    }

    /// The clock the stage runs on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The supervisor watchdog.
    pub fn watchdog(&self) -> Arc<Watchdog> {
        Arc::clone(&self.watchdog)
    }

    /// Feeds the watchdog now.
    pub fn feed_watchdog(&self) {
        self.watchdog.feed(self.clock.now());
    }

    /// The simulated switchgear and EVs.
    pub fn plant(&self) -> &SimPlant {
        &self.plant
    }

    /// The simulated modules.
    pub fn cabinet(&self) -> &SimCabinet {
        &self.cabinet
    }

    /// One control period at the clock's present reading.
    pub fn tick(&mut self) -> Result<()> {
        let now = self.clock.now();
        self.cabinet.step(now)?;
        self.controller.tick(now)
    }

    fn index(&self, connector: u32) -> Result<usize> {
        self.controller.cfg.connector_index(connector)
    }

    /// Carries out a command; limits take effect at once (without waiting for the tick).
    pub fn apply(&mut self, cmd: StageCommand) -> Result<()> {
        match cmd {
            StageCommand::SetLimit {
                connector,
                limit_w,
                limit_a,
                issued,
            } => {
                let idx = self.index(connector)?;
                self.controller.set_limit(idx, limit_w, limit_a, issued)?;
                self.controller.apply_now(self.clock.now())?;
            }
            StageCommand::EvPlugIn {
                connector,
                battery_wh,
                soc,
                max_current_a,
            } => {
                let idx = self.index(connector)?;
                if !(battery_wh.is_finite()
                    && battery_wh > 0.0
                    && soc.is_finite()
                    && (0.0..=100.0).contains(&soc)
                    && max_current_a.is_finite()
                    && max_current_a >= 0.0)
                {
                    return Err(PowerError::Config(format!("EV parameters battery_wh={battery_wh} soc={soc} max_current_a={max_current_a}")));
                }
                self.plant.lock().evs[idx] = Some(EvModel::new(battery_wh, soc, max_current_a));
            }
            StageCommand::EvPlugOut(connector) => {
                let idx = self.index(connector)?;
                self.plant.lock().evs[idx] = None;
            }
            StageCommand::EvPause(connector) | StageCommand::EvResume(connector) => {
                let idx = self.index(connector)?;
                let pause = matches!(cmd, StageCommand::EvPause(_));
                let mut plant = self.plant.lock();
                let ev = plant.evs[idx].as_mut().ok_or_else(|| {
                    PowerError::Unsupported(format!("no EV on connector {connector}"))
                })?;
                ev.paused = pause;
            }
            StageCommand::Enable(connector, on) => {
                let idx = self.index(connector)?;
                self.controller.enable(idx, on)?;
            }
            StageCommand::InjectFault(n, fault) => self.cabinet.inject(n, fault)?,
            StageCommand::ClearFault(n) => self.cabinet.clear(n)?,
            StageCommand::FailBus(on) => self.bus.set_failed(on),
        }
        Ok(())
    }

    /// Telemetry now, bus figures included.
    pub fn snapshot(&self) -> Snapshot {
        let mut s = self.controller.snapshot(self.clock.now());
        let b = self.bus.stats();
        s.bus.load = b.load_1s;
        s.bus.latency_mean_ms = b.mean_latency.as_secs_f64() * 1000.0;
        s.bus.latency_max_ms = b.max_latency.as_secs_f64() * 1000.0;
        s
    }

    /// Events raised since the last call.
    pub fn take_events(&mut self) -> Vec<StageEvent> {
        self.controller.take_events()
    }

    /// Everything off and every contactor open; used when the loop ends.
    pub fn shutdown(&mut self) {
        // Best effort: the bus may be the reason we are shutting down.
        let _ = self.controller.send(&ModuleRequest::OnOff {
            target: Target::All,
            on: false,
        });
        for idx in 0..self.controller.conns.len() {
            self.plant.set_contactor(idx, false);
            let c = &mut self.controller.conns[idx];
            c.contactor = false;
            c.enabled = false;
            c.target_a = 0.0;
            c.stop_started = None;
            if c.state != super::ConnectorState::Faulted {
                c.state = if c.ev.is_some() {
                    super::ConnectorState::Ready
                } else {
                    super::ConnectorState::Idle
                };
            }
        }
    }
}
