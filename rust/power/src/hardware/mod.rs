//! The stage for real rectifier modules: the same controller as the simulated cabinet
//! (allocation, regulation, limits, ramp, watchdog, module health) over any [`CanBus`] with
//! the Infypower REG driver, and a plant whose EV and switchgear are the supervisor's.
//!
//! The EVerest split (reference section 5): the EV-side stack (ISO 15118 / DIN 70121 /
//! CHAdeMO, a separate process) sets the target voltage and current, the power driver
//! follows. Here the supervisor relays the EV link as [`crate::StageCommand`]s (present,
//! request, stop, gone) and carries out the switchgear actions the stage raises as events
//! (contactor close/open, module routing), reporting the contactors' feedback back. A
//! request that is not renewed in time counts as gone: the connector ramps down and its
//! contactor opens.
//!
//! [`VirtualBench`] is the bench bus: an in-process bus with the Infypower module-side
//! simulator on it and a battery per connector, so the hardware stage's code runs without
//! a CAN interface.
//!
//! [`CanBus`]: crate::can::CanBus

mod bench;
mod plant;
mod stage;

pub use bench::VirtualBench;
pub use plant::{RequestState, SupervisedPlant};
pub use stage::HardwareStage;
