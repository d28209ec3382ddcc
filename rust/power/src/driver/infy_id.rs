//! The 29-bit identifier of the Infypower REG/CEG/LRG protocol (V1.09/V1.13, reference
//! section 2.1): `err<<26 | dev<<22 | cmd<<16 | dst<<8 | src`.

/// `dev` of a request to one module.
pub const DEV_SINGLE: u8 = 0x0A;
/// `dev` of a request to a group (then `dst` is the group number).
pub const DEV_GROUP: u8 = 0x0B;
/// Module address that reaches every module.
pub const BROADCAST: u8 = 0x3F;
/// Default controller address (controllers use 0xF0-0xF8).
pub const CONTROLLER: u8 = 0xF0;

/// Command codes used by this driver (reference section 2.1).
pub mod cmd {
    /// Read system V/I (float).
    pub const READ_SYSTEM_FLOAT: u8 = 0x01;
    /// Read module count of a group.
    pub const READ_COUNT: u8 = 0x02;
    /// Read module V/I (float32).
    pub const READ_MODULE_FLOAT: u8 = 0x03;
    /// Read status, temperature and group.
    pub const READ_STATUS: u8 = 0x04;
    /// Read group V/I (fixed point mV/mA).
    pub const READ_GROUP_FIXED: u8 = 0x08;
    /// Read module V/I (fixed point mV/mA).
    pub const READ_MODULE_FIXED: u8 = 0x09;
    /// Read ratings.
    pub const READ_RATINGS: u8 = 0x0A;
    /// Set group number.
    pub const SET_GROUP: u8 = 0x16;
    /// Output on/off.
    pub const ON_OFF: u8 = 0x1A;
    /// Set group output (total current).
    pub const SET_GROUP_OUTPUT: u8 = 0x1B;
    /// Set module output.
    pub const SET_MODULE_OUTPUT: u8 = 0x1C;
}

/// Reply error codes (`err` field).
pub mod err {
    /// Normal.
    pub const OK: u8 = 0;
    /// Command invalid.
    pub const COMMAND_INVALID: u8 = 2;
    /// Data invalid.
    pub const DATA_INVALID: u8 = 3;
    /// Address invalid.
    pub const ADDRESS_INVALID: u8 = 4;
    /// In start processing.
    pub const STARTING: u8 = 7;
}

/// The fields of an Infypower identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfyId {
    /// Error code, 3 bits.
    pub err: u8,
    /// Device kind, 4 bits.
    pub dev: u8,
    /// Command, 6 bits.
    pub cmd: u8,
    /// Destination address.
    pub dst: u8,
    /// Source address.
    pub src: u8,
}

impl InfyId {
    /// Packs the fields; wider values are masked to their field width.
    pub fn encode(&self) -> u32 {
        (u32::from(self.err & 0x07) << 26)
            | (u32::from(self.dev & 0x0F) << 22)
            | (u32::from(self.cmd & 0x3F) << 16)
            | (u32::from(self.dst) << 8)
            | u32::from(self.src)
    }

    /// Unpacks a 29-bit identifier.
    pub fn decode(id: u32) -> Self {
        Self {
            err: ((id >> 26) & 0x07) as u8,
            dev: ((id >> 22) & 0x0F) as u8,
            cmd: ((id >> 16) & 0x3F) as u8,
            dst: ((id >> 8) & 0xFF) as u8,
            src: (id & 0xFF) as u8,
        }
    }

    /// The identifier of the reply: same device and command, addresses swapped.
    pub fn reply(&self, err: u8) -> Self {
        Self {
            err,
            dev: self.dev,
            cmd: self.cmd,
            dst: self.src,
            src: self.dst,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_example_ids() {
        let id = |dev, cmd, dst| {
            InfyId {
                err: 0,
                dev,
                cmd,
                dst,
                src: CONTROLLER,
            }
            .encode()
        };
        assert_eq!(id(DEV_SINGLE, cmd::READ_SYSTEM_FLOAT, 1), 0x0281_01F0);
        assert_eq!(id(DEV_SINGLE, cmd::READ_COUNT, 1), 0x0282_01F0);
        assert_eq!(id(DEV_GROUP, cmd::READ_COUNT, 7), 0x02C2_07F0);
        assert_eq!(id(DEV_SINGLE, cmd::READ_MODULE_FLOAT, 1), 0x0283_01F0);
        assert_eq!(id(DEV_SINGLE, cmd::READ_STATUS, 1), 0x0284_01F0);
        assert_eq!(id(DEV_GROUP, cmd::READ_STATUS, 1), 0x02C4_01F0);
        assert_eq!(id(DEV_GROUP, cmd::READ_GROUP_FIXED, 1), 0x02C8_01F0);
        assert_eq!(id(DEV_SINGLE, cmd::READ_RATINGS, 1), 0x028A_01F0);
        assert_eq!(id(DEV_SINGLE, cmd::SET_GROUP, 1), 0x0296_01F0);
        assert_eq!(id(DEV_SINGLE, cmd::ON_OFF, 1), 0x029A_01F0);
        assert_eq!(id(DEV_SINGLE, cmd::ON_OFF, BROADCAST), 0x029A_3FF0);
        assert_eq!(id(DEV_GROUP, cmd::ON_OFF, 3), 0x02DA_03F0);
        assert_eq!(
            id(DEV_SINGLE, cmd::SET_GROUP_OUTPUT, BROADCAST),
            0x029B_3FF0
        );
        assert_eq!(id(DEV_SINGLE, cmd::SET_MODULE_OUTPUT, 1), 0x029C_01F0);
    }

    #[test]
    fn decode_inverts_encode_and_reply_swaps_addresses() {
        let id = InfyId::decode(0x0283_F001);
        assert_eq!(
            id,
            InfyId {
                err: 0,
                dev: DEV_SINGLE,
                cmd: 3,
                dst: CONTROLLER,
                src: 1
            }
        );
        assert_eq!(id.encode(), 0x0283_F001);
        assert_eq!(
            InfyId::decode(0x0283_01F0).reply(err::OK).encode(),
            0x0283_F001
        );
        let bad = InfyId::decode(0x0283_01F0).reply(err::DATA_INVALID);
        assert_eq!(InfyId::decode(bad.encode()).err, 3);
    }
}
