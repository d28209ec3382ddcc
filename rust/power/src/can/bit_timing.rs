//! How long a frame occupies the wire: exact bit count with stuffing, at a given bit rate.
//!
//! ISO 11898-1: stuff bits are inserted after five equal bits from SOF to the end of the CRC
//! sequence; the CRC delimiter, ACK field, EOF and the 3-bit intermission are not stuffed.

use std::time::Duration;

use super::frame::CanFrame;

/// Default bit rate of the Infypower, Winline, Sinexcel and Huawei modules (reference section 0).
pub const DEFAULT_BITRATE: u32 = 125_000;

/// Fixed unstuffed tail: CRC delimiter 1, ACK slot+delimiter 2, EOF 7, intermission 3.
const TAIL_BITS: u32 = 13;

fn push_bits(bits: &mut Vec<bool>, value: u32, width: u32) {
    for i in (0..width).rev() {
        bits.push((value >> i) & 1 == 1);
    }
}

fn crc15(bits: &[bool]) -> u32 {
    // CAN CRC-15 polynomial x^15+x^14+x^10+x^8+x^7+x^4+x^3+1.
    let mut crc: u32 = 0;
    for &b in bits {
        let next = b ^ ((crc >> 14) & 1 == 1);
        crc = (crc << 1) & 0x7FFF;
        if next {
            crc ^= 0x4599;
        }
    }
    crc
}

/// The bits a frame takes on the wire, including stuff bits and intermission.
pub fn frame_bits(frame: &CanFrame) -> u32 {
    let id = frame.id();
    let mut bits = Vec::with_capacity(128);
    bits.push(false); // SOF
    push_bits(&mut bits, id >> 18, 11);
    bits.push(true); // SRR
    bits.push(true); // IDE
    push_bits(&mut bits, id & 0x3FFFF, 18);
    bits.push(false); // RTR
    bits.push(false); // r1
    bits.push(false); // r0
    push_bits(&mut bits, frame.dlc() as u32, 4);
    for &b in frame.data() {
        push_bits(&mut bits, u32::from(b), 8);
    }
    let crc = crc15(&bits);
    push_bits(&mut bits, crc, 15);
    let mut stuffed = 0u32;
    let mut run = 0u32;
    let mut last = None;
    for &b in &bits {
        if Some(b) == last {
            run += 1;
        } else {
            run = 1;
            last = Some(b);
        }
        if run == 5 {
            // The stuff bit has the opposite level and starts a new run of one.
            stuffed += 1;
            last = Some(!b);
            run = 1;
        }
    }
    bits.len() as u32 + stuffed + TAIL_BITS
}

/// Wire time of a frame at `bitrate` bits per second.
pub fn frame_duration(frame: &CanFrame, bitrate: u32) -> Duration {
    Duration::from_nanos(u64::from(frame_bits(frame)) * 1_000_000_000 / u64::from(bitrate.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_byte_extended_frame_is_131_bits_plus_stuffing() {
        // Reference section 6.1: ~131 bits + stuffing, 1.05-1.25 ms at 125 kbit/s.
        let f = CanFrame::with_payload(0x0289_F000, [0, 3, 0x0D, 0x40, 0, 0, 0x13, 0x88]);
        let bits = frame_bits(&f);
        assert!((131..=131 + 24).contains(&bits), "{bits}");
        let d = frame_duration(&f, DEFAULT_BITRATE);
        assert!(
            d >= Duration::from_micros(1048) && d <= Duration::from_micros(1250),
            "{d:?}"
        );
    }

    #[test]
    fn zero_payload_stuffs_more_than_alternating_payload() {
        let zeros = CanFrame::with_payload(0x0283_01F0, [0; 8]);
        let alt = CanFrame::with_payload(0x0283_01F0, [0x55; 8]);
        assert!(frame_bits(&zeros) > frame_bits(&alt));
    }

    #[test]
    fn empty_frame_is_67_bits_before_stuffing() {
        let f = CanFrame::new(0x1555_5555, &[]).unwrap();
        assert!(frame_bits(&f) >= 67);
    }
}
