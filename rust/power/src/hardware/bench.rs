//! The bench bus: the hardware stage's controller on an in-process [`VirtualBus`] with the
//! Infypower module-side simulator as the other node, and a battery per connector as the
//! load. The bench's switchgear is what the supervisor makes of the stage's events: its
//! contactors are as the contactor feedback reports them, and (the matrix has no feedback
//! input) its module routes follow the stage's routing events.

use std::sync::Arc;
use std::time::Duration;

use crate::can::{VirtualBus, VirtualNode};
use crate::clock::Clock;
use crate::control::{BenchEvSnapshot, BusStats, StageConfig};
use crate::error::{PowerError, Result};
use crate::sim::{EvModel, ModuleFault, Plant, SimCabinet, SimPlant};

/// A battery on the bench when the EV link announces an EV without one: mid-size, at a
/// typical arrival state of charge, taking what the connector can give.
const DEFAULT_BATTERY_WH: f64 = 75_000.0;
const DEFAULT_SOC: f64 = 20.0;

/// The virtual bus, the simulated modules on it and the batteries behind the contactors.
pub struct VirtualBench {
    bus: VirtualBus,
    cabinet: SimCabinet,
    world: SimPlant,
    connector_ids: Vec<u32>,
    connector_i_max: Vec<f64>,
}

impl VirtualBench {
    /// The bench for `cfg` and the bus node the controller talks on.
    pub fn new(cfg: &StageConfig, clock: Arc<dyn Clock>) -> (Self, VirtualNode) {
        let bus = VirtualBus::new(clock, cfg.bitrate);
        let world = SimPlant::new(cfg.modules.len(), cfg.connectors.len());
        let cabinet = SimCabinet::new(bus.node(), world.clone(), &cfg.modules, &cfg.addresses);
        let controller_node = bus.node();
        let bench = Self {
            bus,
            cabinet,
            world,
            connector_ids: cfg.connectors.iter().map(|c| c.id).collect(),
            connector_i_max: cfg.connectors.iter().map(|c| c.i_max).collect(),
        };
        (bench, controller_node)
    }

    /// The modules hear the frames sent up to `now`, answer and deliver.
    pub fn step(&mut self, now: Duration) -> Result<()> {
        self.cabinet.step(now)
    }

    /// The simulated modules.
    pub fn cabinet(&self) -> &SimCabinet {
        &self.cabinet
    }

    /// The bench's switchgear and batteries.
    pub fn world(&self) -> &SimPlant {
        &self.world
    }

    /// Puts a battery on connector index `idx` (replacing any).
    pub fn plug_in(&mut self, idx: usize, ev: EvModel) {
        self.world.lock().evs[idx] = Some(ev);
    }

    /// A battery for an EV the link announced, unless one is there.
    pub fn ensure_battery(&mut self, idx: usize) {
        let mut world = self.world.lock();
        if world.evs[idx].is_none() {
            let max_a = self.connector_i_max[idx];
            world.evs[idx] = Some(EvModel::new(DEFAULT_BATTERY_WH, DEFAULT_SOC, max_a));
        }
    }

    /// Takes the battery away.
    pub fn plug_out(&mut self, idx: usize) {
        self.world.lock().evs[idx] = None;
    }

    /// The battery stops (or resumes) asking for current.
    pub fn pause(&mut self, idx: usize, paused: bool) -> Result<()> {
        let mut world = self.world.lock();
        let ev = world.evs[idx].as_mut().ok_or_else(|| {
            PowerError::Unsupported(format!(
                "no battery on the bench at connector {}",
                self.connector_ids[idx]
            ))
        })?;
        ev.paused = paused;
        Ok(())
    }

    /// A fault in simulated module `n`.
    pub fn inject(&mut self, n: usize, fault: ModuleFault) -> Result<()> {
        self.cabinet.inject(n, fault)
    }

    /// Clears the fault of module `n`.
    pub fn clear(&mut self, n: usize) -> Result<()> {
        self.cabinet.clear(n)
    }

    /// The bus loses every frame (or works again).
    pub fn fail_bus(&self, failed: bool) {
        self.bus.set_failed(failed);
    }

    /// The contactor as its feedback reports it.
    pub fn set_contactor(&mut self, idx: usize, closed: bool) {
        self.world.set_contactor(idx, closed);
    }

    /// The matrix as the stage routed it.
    pub fn route(&mut self, module: usize, connector: Option<usize>) {
        self.world.set_route(module, connector);
    }

    /// Wire load and latency of the virtual bus.
    pub fn bus_stats(&self, into: &mut BusStats) {
        let b = self.bus.stats();
        into.load = b.load_1s;
        into.latency_mean_ms = b.mean_latency.as_secs_f64() * 1000.0;
        into.latency_max_ms = b.max_latency.as_secs_f64() * 1000.0;
    }

    /// What each battery would ask for.
    pub fn batteries(&self) -> Vec<BenchEvSnapshot> {
        let world = self.world.lock();
        world
            .evs
            .iter()
            .zip(&self.connector_ids)
            .filter_map(|(ev, &connector)| {
                ev.as_ref().map(|ev| BenchEvSnapshot {
                    connector,
                    request_a: ev.request_a(),
                    target_v: ev.target_v(),
                    soc: ev.soc,
                    full: ev.is_full(),
                })
            })
            .collect()
    }
}
