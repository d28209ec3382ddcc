//! The one error enum of the power stage; the binding maps it to `PowerStageError`.

/// Everything that can go wrong in the power stage.
#[derive(Debug, thiserror::Error)]
pub enum PowerError {
    /// A CAN frame could not be built (id wider than 29 bits, more than 8 data bytes).
    #[error("invalid CAN frame: {0}")]
    InvalidFrame(String),
    /// A CAN interface that cannot be opened (absent, down, no CAN support in the kernel).
    #[error("cannot open CAN interface {interface:?}: {reason}")]
    BusOpen {
        /// The interface name.
        interface: String,
        /// What the operating system said.
        reason: String,
    },
    /// The operating system refused a CAN socket operation.
    #[error("CAN bus I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The stage configuration is inconsistent; the message names the field.
    #[error("invalid power-stage configuration: {0}")]
    Config(String),
    /// A connector index outside the configured connectors.
    #[error("unknown connector {0}")]
    UnknownConnector(usize),
    /// A module index outside the configured modules.
    #[error("unknown module {0}")]
    UnknownModule(usize),
    /// A fault name that is not one of OverTemperature, OutputShort, CommLoss, Dead.
    #[error("unknown module fault kind {0:?}")]
    UnknownFault(String),
    /// A line of a candump log that does not parse.
    #[error("candump line {line}: {reason}")]
    Candump {
        /// One-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A command that needs the loop thread while it is not running.
    #[error("the power stage is not running")]
    NotRunning,
    /// `start` called twice.
    #[error("the power stage is already running")]
    AlreadyRunning,
    /// A command that this build or configuration cannot carry out.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The other end of a bus or channel is gone.
    #[error("the bus or channel is closed")]
    Closed,
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, PowerError>;
