//! The DC power stage of chargestack: CAN bus, module drivers, a simulated power cabinet and
//! the real-time control loop that shares rectifier modules between connectors.
//!
//! Layout: [`can`] (frames, the [`can::CanBus`] trait, SocketCAN, a timed virtual bus, candump
//! logging), [`driver`] (vendor codecs behind [`driver::ModuleDriver`]; how to add a vendor is
//! described there), [`sim`] (module and EV models), [`control`] (limits, allocation, the tick,
//! the loop thread and its telemetry), [`hardware`] (the stage for real modules: the EV's
//! request and the switchgear through the supervisor). Nothing here knows about Python.

pub mod can;
pub mod clock;
pub mod control;
pub mod driver;
mod error;
pub mod hardware;
pub mod sim;

pub use error::{PowerError, Result};

pub use control::{
    LoopHost, LoopStage, PowerStage, SimulatedStage, StageCommand, StageConfig, StageEvent,
    StageInput, StageSpec,
};
pub use hardware::HardwareStage;
