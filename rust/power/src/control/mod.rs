//! The control loop: limits, allocation, the tick, the simulated stage and its thread.

mod allocation;
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
mod telemetry;

pub use allocation::{allocate, ModuleAvail};
pub use config::{ConnectorRating, ModuleRating, StageConfig};
pub use controller::{Controller, StageFault, Watchdog};
pub use events::StageEvent;
pub use host::LoopHost;
pub use limits::{module_capacity_a, ramp, split, target_current, ActiveLimit, LimitInputs};
pub use runner::PowerStage;
pub use spec::{ConnectorSpec, ModuleSpec, ModulesSpec, StageSpec, UniformModules};
pub use stage::{SimulatedStage, StageCommand};
pub use state::ConnectorState;
pub use stats::{LoopStats, LoopTimer};
pub use telemetry::{BusStats, ConnectorFault, ConnectorSnapshot, ModuleSnapshot, Snapshot};
