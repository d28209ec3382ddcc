//! Linux SocketCAN backend (the `socketcan` crate). Only the frame conversion is unit-tested:
//! the development and CI kernels have no `CONFIG_CAN` (reference section 7.3).

use std::io::ErrorKind;
use std::time::Duration;

use socketcan::{EmbeddedFrame, ExtendedId, Id, Socket};

use super::{CanBus, CanFrame};
use crate::error::{PowerError, Result};

/// Our frame as a socketcan data frame.
pub fn to_socketcan(frame: &CanFrame) -> Result<socketcan::CanFrame> {
    let id = ExtendedId::new(frame.id())
        .ok_or_else(|| PowerError::InvalidFrame(format!("id {:#x}", frame.id())))?;
    socketcan::CanFrame::new(id, frame.data())
        .ok_or_else(|| PowerError::InvalidFrame("payload longer than 8 bytes".to_owned()))
}

/// A received socketcan frame as ours; `None` for standard ids, remote and error frames,
/// which no module protocol in scope uses.
pub fn from_socketcan(frame: &socketcan::CanFrame) -> Option<CanFrame> {
    match frame {
        socketcan::CanFrame::Data(_) => match frame.id() {
            Id::Extended(id) => CanFrame::new(id.as_raw(), frame.data()).ok(),
            Id::Standard(_) => None,
        },
        _ => None,
    }
}

/// A raw CAN socket bound to one interface (`can0`); the interface must be up with its bit
/// rate set (`ip link set can0 type can bitrate 125000 up`).
pub struct SocketCanBus {
    sock: socketcan::CanSocket,
}

impl SocketCanBus {
    /// Opens `iface` in non-blocking mode.
    pub fn open(iface: &str) -> Result<Self> {
        let sock = socketcan::CanSocket::open(iface)?;
        sock.set_nonblocking(true)?;
        Ok(Self { sock })
    }
}

fn quiet(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

impl CanBus for SocketCanBus {
    fn send(&mut self, frame: &CanFrame) -> Result<()> {
        self.sock.write_frame(&to_socketcan(frame)?)?;
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> Result<Option<CanFrame>> {
        loop {
            let got = if timeout.is_zero() {
                self.sock.read_frame()
            } else {
                self.sock.read_frame_timeout(timeout)
            };
            match got {
                // Frames of other protocols sharing the bus are skipped, not errors.
                Ok(f) => match from_socketcan(&f) {
                    Some(ours) => return Ok(Some(ours)),
                    None => continue,
                },
                Err(e) if quiet(&e) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socketcan::StandardId;

    #[test]
    fn round_trips_extended_data_frames() {
        let ours = CanFrame::with_payload(0x02DB_02F0, [0, 7, 0xD0, 0, 0, 0, 0x9C, 0x40]);
        let theirs = to_socketcan(&ours).unwrap();
        assert!(theirs.is_extended());
        assert_eq!(theirs.data(), ours.data());
        assert_eq!(from_socketcan(&theirs), Some(ours));
    }

    #[test]
    fn drops_standard_and_remote_frames() {
        let std_id = StandardId::new(0x108).unwrap();
        let f = socketcan::CanFrame::new(std_id, &[1, 2]).unwrap();
        assert_eq!(from_socketcan(&f), None);
        let remote = socketcan::CanFrame::new_remote(ExtendedId::new(0x100).unwrap(), 0).unwrap();
        assert_eq!(from_socketcan(&remote), None);
    }

    #[test]
    fn opening_a_missing_interface_is_an_error_not_a_panic() {
        assert!(SocketCanBus::open("nonexistent-can9").is_err());
    }
}
