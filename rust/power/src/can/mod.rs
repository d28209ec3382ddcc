//! The CAN layer: frames, the bus trait and its backends.

mod bit_timing;
mod candump;
mod frame;
#[cfg(all(feature = "socketcan", target_os = "linux"))]
mod socketcan_bus;
mod virtual_bus;

use std::time::Duration;

pub use bit_timing::{frame_bits, frame_duration, DEFAULT_BITRATE};
pub use candump::{format_candump_line, parse_candump, CandumpLogger, CandumpReplay, LoggedFrame};
pub use frame::{CanFrame, MAX_EXTENDED_ID};
#[cfg(all(feature = "socketcan", target_os = "linux"))]
pub use socketcan_bus::{from_socketcan, to_socketcan, SocketCanBus};
pub use virtual_bus::{BusStats, VirtualBus, VirtualNode};

use crate::error::Result;

/// One node's view of a CAN bus: it sends frames and receives those of the other nodes.
pub trait CanBus: Send {
    /// Queues a frame for transmission.
    fn send(&mut self, frame: &CanFrame) -> Result<()>;
    /// The next received frame, waiting at most `timeout` (no wait on a simulated clock).
    fn recv(&mut self, timeout: Duration) -> Result<Option<CanFrame>>;
    /// The next received frame if one is already there.
    fn try_recv(&mut self) -> Result<Option<CanFrame>> {
        self.recv(Duration::ZERO)
    }
}
