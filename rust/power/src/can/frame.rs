//! A classic CAN 2.0B frame with a 29-bit extended identifier.

use std::fmt;

use crate::error::{PowerError, Result};

/// Largest 29-bit extended identifier.
pub const MAX_EXTENDED_ID: u32 = 0x1FFF_FFFF;

/// A CAN data frame: 29-bit extended id and 0 to 8 data bytes.
///
/// Every module protocol in scope (Infypower, Winline, UUGreen, Huawei) uses extended ids
/// only, so standard 11-bit frames are not represented.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CanFrame {
    id: u32,
    len: u8,
    data: [u8; 8],
}

impl CanFrame {
    /// Builds a frame; fails when `id` exceeds 29 bits or `data` exceeds 8 bytes.
    pub fn new(id: u32, data: &[u8]) -> Result<Self> {
        if id > MAX_EXTENDED_ID {
            return Err(PowerError::InvalidFrame(format!(
                "id {id:#x} exceeds 29 bits"
            )));
        }
        if data.len() > 8 {
            return Err(PowerError::InvalidFrame(format!(
                "{} data bytes",
                data.len()
            )));
        }
        let mut buf = [0u8; 8];
        buf[..data.len()].copy_from_slice(data);
        Ok(Self {
            id,
            len: data.len() as u8,
            data: buf,
        })
    }

    /// Builds an 8-byte frame; infallible for ids the caller masked to 29 bits.
    pub fn with_payload(id: u32, data: [u8; 8]) -> Self {
        Self {
            id: id & MAX_EXTENDED_ID,
            len: 8,
            data,
        }
    }

    /// The 29-bit identifier.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The data bytes (DLC of them).
    pub fn data(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }

    /// The data length code.
    pub fn dlc(&self) -> usize {
        usize::from(self.len)
    }
}

impl fmt::Debug for CanFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// The candump compact notation: `1307C080#0011223344556677`.
impl fmt::Display for CanFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08X}#", self.id)?;
        for b in self.data() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_wide_ids_and_long_payloads() {
        assert!(CanFrame::new(0x2000_0000, &[]).is_err());
        assert!(CanFrame::new(1, &[0; 9]).is_err());
        let f = CanFrame::new(MAX_EXTENDED_ID, &[1, 2, 3]).unwrap();
        assert_eq!(f.dlc(), 3);
        assert_eq!(f.data(), &[1, 2, 3]);
    }

    #[test]
    fn displays_in_candump_notation() {
        let f = CanFrame::new(0x0283_01F0, &[0, 0x0A, 0xFF]).unwrap();
        assert_eq!(f.to_string(), "028301F0#000AFF");
    }
}
