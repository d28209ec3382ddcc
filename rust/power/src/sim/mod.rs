//! The simulated power cabinet: rectifier modules that speak the Infypower protocol on the
//! virtual bus, EVs behind each connector, and the switchgear (module matrix, contactors).

mod cabinet;
mod ev;
mod module;
mod plant;

pub use cabinet::SimCabinet;
pub use ev::EvModel;
pub use module::{
    derate_factor, ModuleFault, SimModule, COMM_LOSS_SELF_OFF, DERATE_END_C, DERATE_START_C,
};
pub use plant::{EvRequest, Plant, PlantState, SimPlant};
