//! The control loop: limits, allocation, the tick, the simulated stage and its thread.

mod allocation;
mod command;
mod config;
mod controller;
mod events;
mod health;
mod host;
mod limits;
mod polling;
mod regulate;
mod runner;
mod spec;
mod stage;
mod state;
mod stats;
mod switchgear;
mod telemetry;

pub use allocation::{allocate, ModuleAvail};
pub use command::{LoopStage, StageCommand, StageInput, StageKind};
pub use config::{ConnectorRating, ModuleRating, StageConfig};
pub use controller::{Controller, StageFault, Watchdog};
pub use events::StageEvent;
pub use host::LoopHost;
pub use limits::{module_capacity_a, ramp, split, target_current, ActiveLimit, LimitInputs};
pub use runner::PowerStage;
pub use spec::{
    BusInterface, Cabinet, ConnectorSpec, ModuleSpec, ModulesSpec, StageSpec, UniformModules,
    VIRTUAL_INTERFACE,
};
pub use stage::SimulatedStage;
pub use state::ConnectorState;
pub use stats::{LoopStats, LoopTimer};
pub use switchgear::POWER_SWITCH_FAILURE;
pub use telemetry::{
    BenchEvSnapshot, BusStats, ConnectorFault, ConnectorSnapshot, ModuleSnapshot, Snapshot,
};
