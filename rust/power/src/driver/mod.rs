//! Power-module drivers: a vendor-neutral request/event vocabulary and one codec per vendor.
//!
//! # Adding a vendor
//! A driver is a pure codec implementing [`ModuleDriver`]: `encode` turns a [`ModuleRequest`]
//! into one CAN frame, `decode` turns a received frame into a [`ModuleEvent`] (or `None` for
//! frames that are not replies to the controller). The control loop only speaks this
//! vocabulary, so a new vendor is one new file here plus a `match` arm where the stage picks
//! its driver from the configuration. From the reference (sections 3 and 4):
//! - **UUGreen UR1000x0**: id = protocol 1 at bit 25, monitor 1 at bit 21, module address in
//!   bits 20:14 (0 broadcast); byte0 = group<<4 | message type, byte1 = command (2 VoutReference
//!   mV, 3 IoutLimit mA, 4 ShutdownDCDC 0 on/1 off, 0/1 read V/I, 8 status), value u32 BE in
//!   bytes 4-7. `Target::Group` maps to the group nibble with module address 0.
//! - **Winline UXR / DPM1000** (the "PROTNO 0x060" family): id = 0x060<<20 | PTP<<19 | dst<<11 |
//!   src<<3 | group; payload = function (0x10 read, 0x03 set), error, register (0x0021 V float,
//!   0x001B I as A×1024, 0x0030 on/off, 0x0040 status), value. Replies carry 0x41/0x42 and an
//!   error byte 0xF0 when valid; decode others to [`ModuleEvent::Rejected`].
//! - **Huawei R100040Gx**: id = 0x0D<<23 | addr<<16 | msg<<8 | ...; set signal 0x100 (V×1024),
//!   0x10F (A×1024, module count in byte 3), 0x132 on/off; read msg 0x40 signal 0x191.
//!
//! Each new codec gets the vendor's public test vectors as unit tests, as `infy` does.

mod infy;
pub mod infy_id;
pub mod infy_module_side;

pub use infy::InfyDriver;

use crate::can::CanFrame;
use crate::error::Result;

/// Whom a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One module by its bus address.
    Module(u8),
    /// Every module of a group.
    Group(u8),
    /// Every module on the bus.
    All,
}

/// A vendor-neutral request from the controller to the modules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModuleRequest {
    /// Output setpoint: voltage, and current per module (`Target::Module`) or in total
    /// (`Target::Group`, `Target::All`).
    SetOutput {
        /// Addressee.
        target: Target,
        /// Voltage setpoint in volts.
        volts: f64,
        /// Current limit in amperes.
        amps: f64,
    },
    /// Switch the DC output on or off.
    OnOff {
        /// Addressee.
        target: Target,
        /// `true` for on.
        on: bool,
    },
    /// Read output voltage and current (per module, or the group's total).
    ReadOutput {
        /// A module or a group.
        target: Target,
    },
    /// Read status flags, temperature and group number.
    ReadStatus {
        /// A module or a group (every member answers).
        target: Target,
    },
    /// Read voltage range, current and power ratings of one module.
    ReadRatings {
        /// Module address.
        addr: u8,
    },
    /// Read how many modules a group has.
    ReadModuleCount {
        /// Group number.
        group: u8,
    },
    /// Move one module to a group.
    SetGroup {
        /// Module address.
        addr: u8,
        /// New group number.
        group: u8,
    },
}

impl ModuleRequest {
    /// Whether a reply is expected (reads) as opposed to fire-and-forget commands.
    pub fn expects_reply(&self) -> bool {
        matches!(
            self,
            Self::ReadOutput { .. }
                | Self::ReadStatus { .. }
                | Self::ReadRatings { .. }
                | Self::ReadModuleCount { .. }
        )
    }
}

/// The vendor-neutral meaning of a module status word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusFlags {
    /// Output short circuit.
    pub short_circuit: bool,
    /// DC output is off.
    pub dc_off: bool,
    /// Hardware fault alarm.
    pub fault: bool,
    /// Protection alarm.
    pub protection: bool,
    /// Fan fault.
    pub fan_fault: bool,
    /// Over-temperature.
    pub over_temperature: bool,
    /// Output over-voltage.
    pub over_voltage: bool,
    /// The module reports lost communication with the controller.
    pub comm_interrupt: bool,
    /// Power limiting (thermal or input derating) is active.
    pub power_limiting: bool,
    /// Two modules share one address.
    pub duplicate_address: bool,
}

impl StatusFlags {
    /// Whether the module cannot deliver power: every error class except warnings
    /// (EVerest's classification, reference section 2.2).
    pub fn is_fault(&self) -> bool {
        self.short_circuit
            || self.fault
            || self.protection
            || self.fan_fault
            || self.over_temperature
            || self.over_voltage
            || self.duplicate_address
    }
}

/// Who produced an output reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// One module.
    Module(u8),
    /// A group total.
    Group(u8),
}

/// A decoded reply from a module.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModuleEvent {
    /// Output voltage and current.
    Output {
        /// Module or group.
        source: Source,
        /// Volts.
        volts: f64,
        /// Amperes.
        amps: f64,
    },
    /// Status word.
    Status {
        /// Module address.
        addr: u8,
        /// The module's group number.
        group: u8,
        /// Temperature in degrees Celsius.
        temperature_c: i8,
        /// Decoded flags.
        flags: StatusFlags,
    },
    /// Ratings.
    Ratings {
        /// Module address.
        addr: u8,
        /// Highest output voltage, V.
        v_max: f64,
        /// Lowest output voltage, V.
        v_min: f64,
        /// Highest output current, A.
        i_max: f64,
        /// Rated power, W.
        p_max: f64,
    },
    /// Module count of a group.
    ModuleCount {
        /// Group number.
        group: u8,
        /// Modules in it.
        count: u8,
    },
    /// The module refused a request (vendor error code).
    Rejected {
        /// Module address.
        addr: u8,
        /// The vendor's command code that was refused.
        command: u8,
        /// The vendor's error code.
        code: u8,
    },
}

/// A vendor codec. Pure: no I/O, no state, so it is trivially testable against vectors.
pub trait ModuleDriver: Send + Sync {
    /// Vendor and series, for telemetry.
    fn vendor(&self) -> &'static str;
    /// The frame carrying `request`.
    fn encode(&self, request: &ModuleRequest) -> Result<CanFrame>;
    /// The meaning of a frame addressed to the controller, `None` for anything else.
    fn decode(&self, frame: &CanFrame) -> Option<ModuleEvent>;
}
