//! Module side of the Infypower REG protocol: what a module understands and how it answers.
//! Used by the simulated cabinet so that it speaks exactly the codec the driver is tested on.
//!
//! Where the reference is silent we chose: a group read of V/I (0x08) is answered once per
//! group, with `dev` 0x0B and the group number as source; every other reply carries the
//! module's own address as source.

use super::infy_id::{cmd, InfyId, BROADCAST, DEV_GROUP, DEV_SINGLE};
use crate::can::CanFrame;

/// A request as a module understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfyRequest {
    /// 0x1C: per-module output, mV and mA.
    SetModuleOutput {
        /// Millivolts.
        mv: u32,
        /// Milliamperes.
        ma: u32,
    },
    /// 0x1B: group/system output, mV and total mA.
    SetGroupOutput {
        /// Millivolts.
        mv: u32,
        /// Total milliamperes.
        ma: u32,
    },
    /// 0x1A: output on (`true`) or off.
    OnOff(bool),
    /// 0x09 / 0x03: module V/I.
    ReadModuleOutput {
        /// Float32 format (0x03) instead of fixed point (0x09).
        float: bool,
    },
    /// 0x08: group V/I.
    ReadGroupOutput,
    /// 0x04: status.
    ReadStatus,
    /// 0x0A: ratings.
    ReadRatings,
    /// 0x02: module count.
    ReadCount,
    /// 0x16: set group number.
    SetGroup(u8),
    /// Any other command (answered with "command invalid").
    Other(u8),
}

/// Who a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressee {
    /// One module.
    Module(u8),
    /// A group.
    Group(u8),
    /// Everyone.
    Broadcast,
}

/// A decoded request with its identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addressed {
    /// The raw identifier fields.
    pub id: InfyId,
    /// Who it is for.
    pub to: Addressee,
    /// What is asked.
    pub request: InfyRequest,
}

fn u32_at(d: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]])
}

/// Decodes a frame sent by a controller (source 0xF0-0xF8); `None` for anything else.
pub fn decode_request(frame: &CanFrame) -> Option<Addressed> {
    let id = InfyId::decode(frame.id());
    if frame.dlc() != 8 || !(0xF0..=0xF8).contains(&id.src) || id.err != 0 {
        return None;
    }
    let to = match (id.dev, id.dst) {
        (DEV_SINGLE, BROADCAST) => Addressee::Broadcast,
        (DEV_SINGLE, a) => Addressee::Module(a),
        (DEV_GROUP, g) => Addressee::Group(g),
        _ => return None,
    };
    let d = frame.data();
    let request = match id.cmd {
        cmd::SET_MODULE_OUTPUT => InfyRequest::SetModuleOutput {
            mv: u32_at(d, 0),
            ma: u32_at(d, 4),
        },
        cmd::SET_GROUP_OUTPUT => InfyRequest::SetGroupOutput {
            mv: u32_at(d, 0),
            ma: u32_at(d, 4),
        },
        cmd::ON_OFF => InfyRequest::OnOff(d[0] == 0),
        cmd::READ_MODULE_FIXED => InfyRequest::ReadModuleOutput { float: false },
        cmd::READ_MODULE_FLOAT => InfyRequest::ReadModuleOutput { float: true },
        cmd::READ_GROUP_FIXED => InfyRequest::ReadGroupOutput,
        cmd::READ_STATUS => InfyRequest::ReadStatus,
        cmd::READ_RATINGS => InfyRequest::ReadRatings,
        cmd::READ_COUNT => InfyRequest::ReadCount,
        cmd::SET_GROUP => InfyRequest::SetGroup(d[0]),
        other => InfyRequest::Other(other),
    };
    Some(Addressed { id, to, request })
}

fn reply(req: &Addressed, from: u8, err: u8, data: [u8; 8]) -> CanFrame {
    let id = InfyId {
        err,
        dev: req.id.dev,
        cmd: req.id.cmd,
        dst: req.id.src,
        src: from,
    };
    CanFrame::with_payload(id.encode(), data)
}

/// Reply with module V/I in the format the request asked for.
pub fn reply_output(req: &Addressed, from: u8, volts: f64, amps: f64, float: bool) -> CanFrame {
    let mut d = [0u8; 8];
    if float {
        d[..4].copy_from_slice(&(volts as f32).to_be_bytes());
        d[4..].copy_from_slice(&(amps as f32).to_be_bytes());
    } else {
        d[..4].copy_from_slice(&(((volts.max(0.0)) * 1000.0).round() as u32).to_be_bytes());
        d[4..].copy_from_slice(&(((amps.max(0.0)) * 1000.0).round() as u32).to_be_bytes());
    }
    reply(req, from, 0, d)
}

/// Reply to a group V/I read: source is the group number (our convention, see module docs).
pub fn reply_group_output(req: &Addressed, group: u8, volts: f64, amps: f64) -> CanFrame {
    let mut r = reply_output(req, group, volts, amps, false);
    let mut id = InfyId::decode(r.id());
    id.dev = DEV_GROUP;
    r = CanFrame::with_payload(id.encode(), r.data().try_into().unwrap_or([0; 8]));
    r
}

/// Status bytes as in reference section 2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusBytes {
    /// b5.
    pub status2: u8,
    /// b6.
    pub status1: u8,
    /// b7.
    pub status0: u8,
}

/// Reply to a status read.
pub fn reply_status(
    req: &Addressed,
    from: u8,
    group: u8,
    temperature_c: i8,
    s: StatusBytes,
) -> CanFrame {
    let t = temperature_c.to_be_bytes()[0];
    reply(
        req,
        from,
        0,
        [0, 0, group, 0, t, s.status2, s.status1, s.status0],
    )
}

/// Reply to a ratings read (V, V, 0.1 A, 10 W).
pub fn reply_ratings(
    req: &Addressed,
    from: u8,
    v_max: f64,
    v_min: f64,
    i_max: f64,
    p_max: f64,
) -> CanFrame {
    let u = |x: f64| (x.max(0.0).round().min(65535.0) as u16).to_be_bytes();
    let (a, b, c, d) = (u(v_max), u(v_min), u(i_max * 10.0), u(p_max / 10.0));
    reply(
        req,
        from,
        0,
        [a[0], a[1], b[0], b[1], c[0], c[1], d[0], d[1]],
    )
}

/// Reply to a module-count read.
pub fn reply_count(req: &Addressed, group: u8, count: u8) -> CanFrame {
    reply(req, group, 0, [0, 0, count, 0, 0, 0, 0, 0])
}

/// Error reply (`err` 2 command invalid, 3 data invalid, ...).
pub fn reply_error(req: &Addressed, from: u8, err: u8) -> CanFrame {
    reply(req, from, err, [0; 8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{InfyDriver, ModuleDriver, ModuleEvent, ModuleRequest, Source, Target};

    #[test]
    fn module_side_understands_what_the_driver_encodes() {
        let d = InfyDriver::default();
        let f = d
            .encode(&ModuleRequest::SetOutput {
                target: Target::Group(2),
                volts: 512.0,
                amps: 40.0,
            })
            .unwrap();
        let r = decode_request(&f).unwrap();
        assert_eq!(r.to, Addressee::Group(2));
        assert_eq!(
            r.request,
            InfyRequest::SetGroupOutput {
                mv: 512_000,
                ma: 40_000
            }
        );
        let f = d
            .encode(&ModuleRequest::OnOff {
                target: Target::All,
                on: true,
            })
            .unwrap();
        assert_eq!(
            decode_request(&f).unwrap().request,
            InfyRequest::OnOff(true)
        );
        assert_eq!(decode_request(&f).unwrap().to, Addressee::Broadcast);
    }

    #[test]
    fn replies_decode_back_through_the_driver() {
        let d = InfyDriver::default();
        let req = decode_request(
            &d.encode(&ModuleRequest::ReadOutput {
                target: Target::Module(0),
            })
            .unwrap(),
        )
        .unwrap();
        let rep = reply_output(&req, 0, 200.0, 5.0, false);
        // Reference vector: 0x0289F000 00 03 0D 40 00 00 13 88.
        assert_eq!(rep.to_string(), "0289F000#00030D4000001388");
        let greq = decode_request(
            &d.encode(&ModuleRequest::ReadOutput {
                target: Target::Group(1),
            })
            .unwrap(),
        )
        .unwrap();
        let grep = reply_group_output(&greq, 1, 400.0, 60.0);
        assert_eq!(
            d.decode(&grep),
            Some(ModuleEvent::Output {
                source: Source::Group(1),
                volts: 400.0,
                amps: 60.0
            })
        );
        let sreq = decode_request(
            &d.encode(&ModuleRequest::ReadStatus {
                target: Target::Module(3),
            })
            .unwrap(),
        )
        .unwrap();
        let srep = reply_status(
            &sreq,
            3,
            2,
            45,
            StatusBytes {
                status2: 0,
                status1: 0x10,
                status0: 0,
            },
        );
        let Some(ModuleEvent::Status {
            addr: 3,
            group: 2,
            temperature_c: 45,
            flags,
        }) = d.decode(&srep)
        else {
            panic!()
        };
        assert!(flags.over_temperature);
        let rreq =
            decode_request(&d.encode(&ModuleRequest::ReadRatings { addr: 3 }).unwrap()).unwrap();
        let rrep = reply_ratings(&rreq, 3, 1000.0, 150.0, 100.0, 30_000.0);
        assert_eq!(
            d.decode(&rrep),
            Some(ModuleEvent::Ratings {
                addr: 3,
                v_max: 1000.0,
                v_min: 150.0,
                i_max: 100.0,
                p_max: 30_000.0
            })
        );
        let e = reply_error(&rreq, 3, 2);
        assert_eq!(
            d.decode(&e),
            Some(ModuleEvent::Rejected {
                addr: 3,
                command: 0x0A,
                code: 2
            })
        );
    }

    #[test]
    fn module_side_ignores_replies_and_short_frames() {
        assert_eq!(
            decode_request(&CanFrame::with_payload(0x0289_F000, [0; 8])),
            None
        );
        assert_eq!(
            decode_request(&CanFrame::new(0x0289_00F0, &[0]).unwrap()),
            None
        );
    }
}
