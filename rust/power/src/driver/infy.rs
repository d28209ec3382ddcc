//! Controller side of the Infypower REG protocol (reference section 2).

use super::infy_id::{cmd, err, InfyId, BROADCAST, CONTROLLER, DEV_GROUP, DEV_SINGLE};
use super::{ModuleDriver, ModuleEvent, ModuleRequest, Source, StatusFlags, Target};
use crate::can::CanFrame;
use crate::error::{PowerError, Result};

/// Infypower REG/CEG/LRG codec (V1.09/V1.13): 125 kbit/s, extended ids, DLC 8, big-endian.
#[derive(Debug, Clone, Copy)]
pub struct InfyDriver {
    controller: u8,
}

impl InfyDriver {
    /// A codec speaking as controller address `controller` (0xF0-0xF8).
    pub fn new(controller: u8) -> Result<Self> {
        if !(0xF0..=0xF8).contains(&controller) {
            return Err(PowerError::Config(format!(
                "Infypower controller address {controller:#x} outside 0xF0-0xF8"
            )));
        }
        Ok(Self { controller })
    }

    fn id(&self, target: Target, command: u8) -> Result<u32> {
        let (dev, dst) = match target {
            Target::Module(a) if a < BROADCAST => (DEV_SINGLE, a),
            Target::Module(a) => {
                return Err(PowerError::InvalidFrame(format!(
                    "module address {a:#x} above 0x3E"
                )))
            }
            Target::Group(g) => (DEV_GROUP, g),
            Target::All => (DEV_SINGLE, BROADCAST),
        };
        Ok(InfyId {
            err: err::OK,
            dev,
            cmd: command,
            dst,
            src: self.controller,
        }
        .encode())
    }
}

impl Default for InfyDriver {
    fn default() -> Self {
        Self {
            controller: CONTROLLER,
        }
    }
}

/// Milli-units, rounded and saturated to the u32 field.
fn milli(value: f64) -> u32 {
    (value.max(0.0) * 1000.0).round().min(f64::from(u32::MAX)) as u32
}

fn two_u32(a: u32, b: u32) -> [u8; 8] {
    let mut d = [0u8; 8];
    d[..4].copy_from_slice(&a.to_be_bytes());
    d[4..].copy_from_slice(&b.to_be_bytes());
    d
}

fn u32_at(d: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]])
}

fn f32_at(d: &[u8], i: usize) -> f32 {
    f32::from_be_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]])
}

fn u16_at(d: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([d[i], d[i + 1]])
}

/// Decodes status bytes b5 (status2), b6 (status1), b7 (status0); reference section 2.2.
pub(crate) fn status_flags(status2: u8, status1: u8, status0: u8) -> StatusFlags {
    let bit = |byte: u8, n: u8| byte & (1 << n) != 0;
    StatusFlags {
        short_circuit: bit(status0, 0),
        dc_off: bit(status1, 0),
        fault: bit(status1, 1),
        protection: bit(status1, 2),
        fan_fault: bit(status1, 3),
        over_temperature: bit(status1, 4),
        over_voltage: bit(status1, 5),
        comm_interrupt: bit(status1, 7),
        power_limiting: bit(status2, 0),
        duplicate_address: bit(status2, 1),
    }
}

impl ModuleDriver for InfyDriver {
    fn vendor(&self) -> &'static str {
        "Infypower REG"
    }

    fn encode(&self, request: &ModuleRequest) -> Result<CanFrame> {
        // Reads must carry 8 zero bytes or the module answers with an error (reference 2.1).
        let (target, command, data) = match *request {
            ModuleRequest::SetOutput {
                target,
                volts,
                amps,
            } => {
                let c = if matches!(target, Target::Module(_)) {
                    cmd::SET_MODULE_OUTPUT
                } else {
                    cmd::SET_GROUP_OUTPUT
                };
                (target, c, two_u32(milli(volts), milli(amps)))
            }
            ModuleRequest::OnOff { target, on } => {
                (target, cmd::ON_OFF, [u8::from(!on), 0, 0, 0, 0, 0, 0, 0])
            }
            ModuleRequest::ReadOutput { target } => {
                let c = if matches!(target, Target::Module(_)) {
                    cmd::READ_MODULE_FIXED
                } else {
                    cmd::READ_GROUP_FIXED
                };
                (target, c, [0; 8])
            }
            ModuleRequest::ReadStatus { target } => (target, cmd::READ_STATUS, [0; 8]),
            ModuleRequest::ReadRatings { addr } => {
                (Target::Module(addr), cmd::READ_RATINGS, [0; 8])
            }
            ModuleRequest::ReadModuleCount { group } => {
                (Target::Group(group), cmd::READ_COUNT, [0; 8])
            }
            ModuleRequest::SetGroup { addr, group } => (
                Target::Module(addr),
                cmd::SET_GROUP,
                [group, 0, 0, 0, 0, 0, 0, 0],
            ),
        };
        Ok(CanFrame::with_payload(self.id(target, command)?, data))
    }

    fn decode(&self, frame: &CanFrame) -> Option<ModuleEvent> {
        let id = InfyId::decode(frame.id());
        // EVerest drops short frames and frames not addressed to the controller (section 2.3).
        if frame.dlc() != 8
            || id.dst != self.controller
            || !(id.dev == DEV_SINGLE || id.dev == DEV_GROUP)
        {
            return None;
        }
        if id.err != err::OK {
            return Some(ModuleEvent::Rejected {
                addr: id.src,
                command: id.cmd,
                code: id.err,
            });
        }
        let d = frame.data();
        let source = if id.dev == DEV_GROUP {
            Source::Group(id.src)
        } else {
            Source::Module(id.src)
        };
        match id.cmd {
            cmd::READ_MODULE_FIXED | cmd::READ_GROUP_FIXED => Some(ModuleEvent::Output {
                source,
                volts: f64::from(u32_at(d, 0)) / 1000.0,
                amps: f64::from(u32_at(d, 4)) / 1000.0,
            }),
            cmd::READ_MODULE_FLOAT | cmd::READ_SYSTEM_FLOAT => Some(ModuleEvent::Output {
                source,
                volts: f64::from(f32_at(d, 0)),
                amps: f64::from(f32_at(d, 4)),
            }),
            cmd::READ_STATUS => Some(ModuleEvent::Status {
                addr: id.src,
                group: d[2],
                temperature_c: i8::from_be_bytes([d[4]]),
                flags: status_flags(d[5], d[6], d[7]),
            }),
            cmd::READ_RATINGS => Some(ModuleEvent::Ratings {
                addr: id.src,
                v_max: f64::from(u16_at(d, 0)),
                v_min: f64::from(u16_at(d, 2)),
                i_max: f64::from(u16_at(d, 4)) / 10.0,
                p_max: f64::from(u16_at(d, 6)) * 10.0,
            }),
            cmd::READ_COUNT => Some(ModuleEvent::ModuleCount {
                group: id.src,
                count: d[2],
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drv() -> InfyDriver {
        InfyDriver::default()
    }

    fn hex(f: &CanFrame) -> String {
        f.to_string()
    }

    // Vectors from bayley/infypower-tools-en tests, as listed in reference section 2.1.
    #[test]
    fn set_group_output_vector_512v_40a_group_2() {
        let f = drv()
            .encode(&ModuleRequest::SetOutput {
                target: Target::Group(2),
                volts: 512.0,
                amps: 40.0,
            })
            .unwrap();
        assert_eq!(hex(&f), "02DB02F0#0007D00000009C40");
    }

    #[test]
    fn module_fixed_reply_vector_200v_5a_from_module_0() {
        let f = CanFrame::with_payload(
            0x0289_F000,
            [0x00, 0x03, 0x0D, 0x40, 0x00, 0x00, 0x13, 0x88],
        );
        let ev = drv().decode(&f).unwrap();
        assert_eq!(
            ev,
            ModuleEvent::Output {
                source: Source::Module(0),
                volts: 200.0,
                amps: 5.0
            }
        );
    }

    #[test]
    fn on_off_vectors() {
        let on = drv()
            .encode(&ModuleRequest::OnOff {
                target: Target::Module(1),
                on: true,
            })
            .unwrap();
        assert_eq!(hex(&on), "029A01F0#0000000000000000");
        let off = drv()
            .encode(&ModuleRequest::OnOff {
                target: Target::All,
                on: false,
            })
            .unwrap();
        assert_eq!(hex(&off), "029A3FF0#0100000000000000");
        let g3 = drv()
            .encode(&ModuleRequest::OnOff {
                target: Target::Group(3),
                on: false,
            })
            .unwrap();
        assert_eq!(g3.id(), 0x02DA_03F0);
    }

    #[test]
    fn set_module_output_and_broadcast_group_output_ids() {
        let f = drv()
            .encode(&ModuleRequest::SetOutput {
                target: Target::Module(1),
                volts: 400.5,
                amps: 12.25,
            })
            .unwrap();
        assert_eq!(hex(&f), "029C01F0#00061C7400002FDA");
        let b = drv()
            .encode(&ModuleRequest::SetOutput {
                target: Target::All,
                volts: 0.0,
                amps: 0.0,
            })
            .unwrap();
        assert_eq!(b.id(), 0x029B_3FF0);
    }

    #[test]
    fn reads_carry_eight_zero_bytes_and_reference_ids() {
        let d = drv();
        let cases = [
            (
                ModuleRequest::ReadOutput {
                    target: Target::Module(1),
                },
                0x0289_01F0,
            ),
            (
                ModuleRequest::ReadOutput {
                    target: Target::Group(1),
                },
                0x02C8_01F0,
            ),
            (
                ModuleRequest::ReadStatus {
                    target: Target::Module(1),
                },
                0x0284_01F0,
            ),
            (
                ModuleRequest::ReadStatus {
                    target: Target::Group(1),
                },
                0x02C4_01F0,
            ),
            (ModuleRequest::ReadRatings { addr: 1 }, 0x028A_01F0),
            (ModuleRequest::ReadModuleCount { group: 5 }, 0x02C2_05F0),
        ];
        for (req, id) in cases {
            let f = d.encode(&req).unwrap();
            assert_eq!(f.id(), id, "{req:?}");
            assert_eq!(f.data(), &[0; 8]);
            assert!(req.expects_reply());
        }
        let g = d
            .encode(&ModuleRequest::SetGroup { addr: 1, group: 4 })
            .unwrap();
        assert_eq!(hex(&g), "029601F0#0400000000000000");
    }

    #[test]
    fn decodes_float_status_ratings_count_and_errors() {
        let d = drv();
        let mut data = [0u8; 8];
        data[..4].copy_from_slice(&750.5f32.to_be_bytes());
        data[4..].copy_from_slice(&33.25f32.to_be_bytes());
        let ev = d
            .decode(&CanFrame::with_payload(0x0283_F001, data))
            .unwrap();
        assert_eq!(
            ev,
            ModuleEvent::Output {
                source: Source::Module(1),
                volts: 750.5,
                amps: 33.25
            }
        );

        let st = d
            .decode(&CanFrame::with_payload(
                0x0284_F002,
                [0, 0, 3, 0, 0xF6, 0x01, 0x12, 0x01],
            ))
            .unwrap();
        let ModuleEvent::Status {
            addr,
            group,
            temperature_c,
            flags,
        } = st
        else {
            panic!("{st:?}")
        };
        assert_eq!((addr, group, temperature_c), (2, 3, -10));
        assert!(
            flags.short_circuit && flags.fault && flags.over_temperature && flags.power_limiting
        );
        assert!(!flags.dc_off && flags.is_fault());

        let r = d
            .decode(&CanFrame::with_payload(
                0x028A_F001,
                [0x03, 0xE8, 0x00, 0x96, 0x03, 0xE8, 0x0B, 0xB8],
            ))
            .unwrap();
        assert_eq!(
            r,
            ModuleEvent::Ratings {
                addr: 1,
                v_max: 1000.0,
                v_min: 150.0,
                i_max: 100.0,
                p_max: 30_000.0
            }
        );

        let c = d
            .decode(&CanFrame::with_payload(
                0x02C2_F002,
                [0, 0, 4, 0, 0, 0, 0, 0],
            ))
            .unwrap();
        assert_eq!(c, ModuleEvent::ModuleCount { group: 2, count: 4 });

        let rej = d
            .decode(&CanFrame::with_payload(0x0E9C_F001, [0; 8]))
            .unwrap();
        assert_eq!(
            rej,
            ModuleEvent::Rejected {
                addr: 1,
                command: 0x1C,
                code: 3
            }
        );
    }

    #[test]
    fn ignores_short_frames_and_frames_for_other_controllers() {
        let d = drv();
        assert_eq!(
            d.decode(&CanFrame::new(0x0289_F000, &[0, 3]).unwrap()),
            None
        );
        assert_eq!(d.decode(&CanFrame::with_payload(0x0289_F100, [0; 8])), None);
        assert_eq!(
            d.decode(&CanFrame::with_payload(0x0289_01F0, [0; 8])),
            None,
            "a request, not a reply"
        );
        assert!(InfyDriver::new(0x10).is_err());
        assert!(d
            .encode(&ModuleRequest::ReadRatings { addr: 0x3F })
            .is_err());
    }
}
