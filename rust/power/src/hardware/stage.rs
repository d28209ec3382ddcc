//! A hardware stage driven tick by tick: the controller over a CAN bus with the Infypower
//! driver, the supervised plant, and the virtual bench when there is no real bus. Tests
//! drive it with a manual clock; [`crate::PowerStage`] runs it on the loop thread.

use std::sync::Arc;
use std::time::Duration;

use super::bench::VirtualBench;
use super::plant::{RequestState, SupervisedPlant};
use crate::can::CanBus;
use crate::clock::Clock;
use crate::control::{
    BusInterface, Controller, LoopStage, Snapshot, StageCommand, StageConfig, StageEvent,
    StageKind, Watchdog,
};
use crate::driver::InfyDriver;
use crate::error::{PowerError, Result};
use crate::sim::{EvModel, EvRequest};

/// The stage for real modules (or the bench); see the module docs of [`crate::hardware`].
pub struct HardwareStage {
    clock: Arc<dyn Clock>,
    controller: Controller,
    plant: SupervisedPlant,
    watchdog: Arc<Watchdog>,
    bench: Option<VirtualBench>,
    kind: StageKind,
    lost: Vec<bool>,
    events: Vec<StageEvent>,
}

impl HardwareStage {
    /// The stage over modules behind `bus`; the controller has already sent "all off" and
    /// the rating reads.
    pub fn new(cfg: StageConfig, bus: Box<dyn CanBus>, clock: Arc<dyn Clock>) -> Result<Self> {
        Self::build(cfg, bus, None, clock)
    }

    /// The stage on the virtual bench (module simulator and batteries on an in-process bus).
    pub fn on_bench(cfg: StageConfig, clock: Arc<dyn Clock>) -> Result<Self> {
        cfg.validate()?;
        let (bench, node) = VirtualBench::new(&cfg, Arc::clone(&clock));
        Self::build(cfg, Box::new(node), Some(bench), clock)
    }

    /// The stage on `interface`: opens the SocketCAN interface, or builds the bench.
    ///
    /// # Errors
    /// [`PowerError::BusOpen`] with the operating system's reason when the interface cannot
    /// be opened; [`PowerError::Unsupported`] in a build without SocketCAN.
    pub fn open(cfg: StageConfig, interface: &BusInterface, clock: Arc<dyn Clock>) -> Result<Self> {
        match interface {
            BusInterface::Virtual => Self::on_bench(cfg, clock),
            BusInterface::SocketCan(name) => {
                cfg.validate()?;
                let bus = open_socketcan(name)?;
                Self::new(cfg, bus, clock)
            }
        }
    }

    fn build(
        cfg: StageConfig,
        bus: Box<dyn CanBus>,
        bench: Option<VirtualBench>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        cfg.validate()?;
        let ids: Vec<u32> = cfg.connectors.iter().map(|c| c.id).collect();
        let plant = SupervisedPlant::new(
            ids.clone(),
            cfg.modules.len(),
            cfg.ev_request_timeout,
            Arc::clone(&clock),
        );
        let watchdog = Arc::new(Watchdog::default());
        let driver = InfyDriver::new(cfg.controller_address)?;
        let kind = if bench.is_some() {
            StageKind::Bench
        } else {
            StageKind::Hardware
        };
        let controller = Controller::new(
            cfg,
            bus,
            Box::new(driver),
            Box::new(plant.clone()),
            Arc::clone(&clock),
            Arc::clone(&watchdog),
        )?;
        Ok(Self {
            clock,
            controller,
            plant,
            watchdog,
            bench,
            kind,
            lost: vec![false; ids.len()],
            events: Vec::new(),
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

    /// The bench, when the stage runs on one.
    pub fn bench(&self) -> Option<&VirtualBench> {
        self.bench.as_ref()
    }

    fn index(&self, connector: u32) -> Result<usize> {
        self.controller.cfg.connector_index(connector)
    }

    fn bench_mut(&mut self) -> Result<&mut VirtualBench> {
        self.bench
            .as_mut()
            .ok_or_else(|| PowerError::Unsupported("there is no bench on a real bus".into()))
    }

    /// One control period at the clock's present reading.
    pub fn tick(&mut self) -> Result<()> {
        let now = self.clock.now();
        if let Some(bench) = &mut self.bench {
            bench.step(now)?;
        }
        self.watch_requests(now);
        self.controller.tick(now)?;
        self.collect();
        Ok(())
    }

    /// Reports requests that went stale (the loop already stops delivering on them) and
    /// requests renewed after that.
    fn watch_requests(&mut self, now: Duration) {
        let ts_ms = self.clock.unix_ms_at(now);
        for idx in 0..self.lost.len() {
            let connector = self.controller.cfg.connectors[idx].id;
            match (self.plant.request_state(idx), self.lost[idx]) {
                (RequestState::Stale, false) => {
                    self.lost[idx] = true;
                    self.events
                        .push(StageEvent::EvRequestLost { connector, ts_ms });
                }
                (RequestState::Fresh, true) => {
                    self.lost[idx] = false;
                    self.events
                        .push(StageEvent::EvRequestRestored { connector, ts_ms });
                }
                // Gone or stopped: nothing is waited for any more.
                (RequestState::None, true) => self.lost[idx] = false,
                _ => {}
            }
        }
    }

    /// Switchgear events out to the supervisor; on the bench, the matrix follows at once.
    fn collect(&mut self) {
        for ev in self.plant.take_events() {
            if let (
                StageEvent::ModuleRoute {
                    module, connector, ..
                },
                Some(bench),
            ) = (&ev, self.bench.as_mut())
            {
                let idx = connector.and_then(|id| self.controller.cfg.connector_index(id).ok());
                bench.route(*module, idx);
            }
            self.events.push(ev);
        }
        self.events.extend(self.controller.take_events());
    }

    /// Carries out a command; limits take effect at once (without waiting for the tick).
    pub fn apply(&mut self, cmd: StageCommand) -> Result<()> {
        self.kind.accepts(&cmd)?;
        cmd.check_values()?;
        let now = self.clock.now();
        let Some(cmd) = self.controller.apply_setpoints(cmd, now)? else {
            return Ok(());
        };
        match cmd {
            // Carried out by the controller above.
            StageCommand::SetLimit { .. } | StageCommand::Enable(..) => {}
            StageCommand::EvPresent(connector) => {
                let idx = self.index(connector)?;
                self.plant.set_present(idx, true)?;
                if let Some(bench) = self.bench.as_mut() {
                    bench.ensure_battery(idx);
                }
            }
            StageCommand::EvGone(connector) => {
                let idx = self.index(connector)?;
                self.plant.set_present(idx, false)?;
                if let Some(bench) = self.bench.as_mut() {
                    bench.plug_out(idx);
                }
            }
            StageCommand::EvRequest {
                connector,
                voltage_v,
                current_a,
                soc,
            } => {
                let idx = self.index(connector)?;
                let request = EvRequest {
                    current_a,
                    target_v: voltage_v,
                    soc,
                    full: false,
                };
                if self.plant.set_request(idx, request)? {
                    let ts_ms = self.clock.unix_ms_at(now);
                    self.events.push(StageEvent::EvResumed { connector, ts_ms });
                }
            }
            StageCommand::EvStop(connector) => {
                let idx = self.index(connector)?;
                if self.plant.stop(idx)? {
                    let ts_ms = self.clock.unix_ms_at(now);
                    self.events.push(StageEvent::EvFull { connector, ts_ms });
                }
            }
            StageCommand::ContactorFeedback { connector, closed } => {
                let idx = self.index(connector)?;
                self.plant.set_feedback(idx, closed)?;
                if let Some(bench) = self.bench.as_mut() {
                    bench.set_contactor(idx, closed);
                }
            }
            StageCommand::EvPlugIn {
                connector,
                battery_wh,
                soc,
                max_current_a,
            } => {
                let idx = self.index(connector)?;
                let ev = EvModel::new(battery_wh, soc, max_current_a);
                self.bench_mut()?.plug_in(idx, ev);
            }
            StageCommand::EvPlugOut(connector) => {
                let idx = self.index(connector)?;
                self.bench_mut()?.plug_out(idx);
            }
            StageCommand::EvPause(connector) | StageCommand::EvResume(connector) => {
                let idx = self.index(connector)?;
                let pause = matches!(cmd, StageCommand::EvPause(_));
                self.bench_mut()?.pause(idx, pause)?;
            }
            StageCommand::InjectFault(n, fault) => self.bench_mut()?.inject(n, fault)?,
            StageCommand::ClearFault(n) => self.bench_mut()?.clear(n)?,
            StageCommand::FailBus(on) => self.bench_mut()?.fail_bus(on),
        }
        Ok(())
    }

    /// Telemetry now; on the bench, the bus figures and the batteries too.
    pub fn snapshot(&self) -> Snapshot {
        let mut s = self.controller.snapshot(self.clock.now());
        if let Some(bench) = &self.bench {
            bench.bus_stats(&mut s.bus);
            s.bench_evs = bench.batteries();
        }
        s
    }

    /// Events raised since the last call.
    pub fn take_events(&mut self) -> Vec<StageEvent> {
        self.collect();
        std::mem::take(&mut self.events)
    }

    /// Everything off and every contactor open (the open commands go out as events).
    pub fn shutdown(&mut self) {
        self.controller.shutdown();
        self.collect();
    }
}

impl LoopStage for HardwareStage {
    fn tick(&mut self) -> Result<()> {
        HardwareStage::tick(self)
    }
    fn apply(&mut self, cmd: StageCommand) -> Result<()> {
        HardwareStage::apply(self, cmd)
    }
    fn snapshot(&self) -> Snapshot {
        HardwareStage::snapshot(self)
    }
    fn take_events(&mut self) -> Vec<StageEvent> {
        HardwareStage::take_events(self)
    }
    fn shutdown(&mut self) {
        HardwareStage::shutdown(self);
    }
    fn feed_watchdog(&self) {
        HardwareStage::feed_watchdog(self);
    }
}

#[cfg(all(feature = "socketcan", target_os = "linux"))]
fn open_socketcan(name: &str) -> Result<Box<dyn CanBus>> {
    let bus = crate::can::SocketCanBus::open(name).map_err(|e| PowerError::BusOpen {
        interface: name.to_owned(),
        reason: match e {
            PowerError::Io(io) => io.to_string(),
            other => other.to_string(),
        },
    })?;
    Ok(Box::new(bus))
}

#[cfg(not(all(feature = "socketcan", target_os = "linux")))]
fn open_socketcan(name: &str) -> Result<Box<dyn CanBus>> {
    Err(PowerError::BusOpen {
        interface: name.to_owned(),
        reason: "this build has no SocketCAN (Linux with the socketcan feature)".into(),
    })
}
