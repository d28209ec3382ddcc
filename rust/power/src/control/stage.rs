//! A complete simulated stage driven tick by tick: the virtual bus, the cabinet model and the
//! controller. Tests drive it with a manual clock; [`super::PowerStage`] runs it on a thread.

use std::sync::Arc;

use super::command::{LoopStage, StageCommand, StageKind};
use super::controller::{Controller, Watchdog};
use super::events::StageEvent;
use super::telemetry::Snapshot;
use super::StageConfig;
use crate::can::VirtualBus;
use crate::clock::Clock;
use crate::driver::InfyDriver;
use crate::error::{PowerError, Result};
use crate::sim::{EvModel, SimCabinet, SimPlant};

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
        let cabinet = SimCabinet::new(bus.node(), plant.clone(), &cfg.modules, &cfg.addresses);
        let watchdog = Arc::new(Watchdog::default());
        let driver = InfyDriver::new(cfg.controller_address)?;
        let controller = Controller::new(
            cfg,
            Box::new(bus.node()),
            Box::new(driver),
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
        StageKind::Simulated.accepts(&cmd)?;
        cmd.check_values()?;
        let Some(cmd) = self.controller.apply_setpoints(cmd, self.clock.now())? else {
            return Ok(());
        };
        match cmd {
            // Carried out by the controller above.
            StageCommand::SetLimit { .. } | StageCommand::Enable(..) => {}
            StageCommand::EvPlugIn {
                connector,
                battery_wh,
                soc,
                max_current_a,
            } => {
                let idx = self.index(connector)?;
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
            StageCommand::InjectFault(n, fault) => self.cabinet.inject(n, fault)?,
            StageCommand::ClearFault(n) => self.cabinet.clear(n)?,
            StageCommand::FailBus(on) => self.bus.set_failed(on),
            StageCommand::EvPresent(_)
            | StageCommand::EvGone(_)
            | StageCommand::EvRequest { .. }
            | StageCommand::EvStop(_)
            | StageCommand::ContactorFeedback { .. } => {
                return Err(PowerError::Unsupported(
                    "EV-link commands drive a hardware stage".into(),
                ))
            }
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
        self.controller.shutdown();
    }
}

impl LoopStage for SimulatedStage {
    fn tick(&mut self) -> Result<()> {
        SimulatedStage::tick(self)
    }
    fn apply(&mut self, cmd: StageCommand) -> Result<()> {
        SimulatedStage::apply(self, cmd)
    }
    fn snapshot(&self) -> Snapshot {
        SimulatedStage::snapshot(self)
    }
    fn take_events(&mut self) -> Vec<StageEvent> {
        SimulatedStage::take_events(self)
    }
    fn shutdown(&mut self) {
        SimulatedStage::shutdown(self);
    }
    fn feed_watchdog(&self) {
        SimulatedStage::feed_watchdog(self);
    }
}
