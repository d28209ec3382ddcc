//! Ingesting replies and judging module health: a fault bit or a silence longer than the
//! module timeout takes a module out of service within the tick that notices it.

use std::time::Duration;

use super::controller::Controller;
use super::events::StageEvent;
use super::state::ModState;
use crate::driver::{ModuleEvent, ModuleRequest, Source, StatusFlags, Target};
use crate::error::Result;
use crate::sim::COMM_LOSS_SELF_OFF;

/// Margin past a lost module's self-off time before its current is assumed gone.
const PHANTOM_MARGIN: Duration = Duration::from_secs(2);

impl Controller {
    pub(crate) fn ingest(&mut self, now: Duration) -> Result<()> {
        while let Some(frame) = self.bus.try_recv()? {
            self.count(&frame);
            self.frames_rx += 1;
            let Some(ev) = self.driver.decode(&frame) else {
                continue;
            };
            self.outstanding_since = None;
            let module =
                |addr: u8, mods: &mut Vec<ModState>| mods.iter_mut().position(|m| m.addr == addr);
            match ev {
                ModuleEvent::Output {
                    source: Source::Module(a),
                    volts,
                    amps,
                } => {
                    if let Some(i) = module(a, &mut self.modules) {
                        let m = &mut self.modules[i];
                        (m.meas_v, m.meas_a, m.meas_at, m.last_reply) =
                            (volts, amps, Some(now), now);
                    }
                }
                ModuleEvent::Output {
                    source: Source::Group(g),
                    volts,
                    amps,
                } => {
                    if let Some(c) = self.conns.get_mut(usize::from(g).wrapping_sub(1)) {
                        (c.meas_v, c.meas_a, c.meas_at) = (volts, amps, Some(now));
                    }
                }
                ModuleEvent::Status {
                    addr,
                    temperature_c,
                    flags,
                    ..
                } => {
                    if let Some(i) = module(addr, &mut self.modules) {
                        let m = &mut self.modules[i];
                        (m.flags, m.temp_c, m.last_reply) =
                            (flags, Some(f64::from(temperature_c)), now);
                    }
                }
                ModuleEvent::Ratings {
                    addr,
                    v_max,
                    v_min,
                    i_max,
                    p_max,
                } => {
                    if let Some(i) = module(addr, &mut self.modules) {
                        // Never trust a module beyond what the station file allows.
                        let m = &mut self.modules[i];
                        let r = &mut m.rating;
                        (r.v_max, r.v_min, r.i_max, r.p_max) = (
                            r.v_max.min(v_max),
                            r.v_min.max(v_min),
                            r.i_max.min(i_max),
                            r.p_max.min(p_max),
                        );
                        m.last_reply = now;
                    }
                }
                ModuleEvent::ModuleCount { .. } => {}
                ModuleEvent::Rejected { addr, .. } => {
                    if let Some(i) = module(addr, &mut self.modules) {
                        self.modules[i].last_reply = now;
                    }
                }
            }
        }
        Ok(())
    }

    fn fault_reason(flags: &StatusFlags) -> Option<&'static str> {
        let reasons = [
            (flags.over_temperature, "OverTemperature"),
            (flags.short_circuit, "OutputShort"),
            (flags.over_voltage, "OverVoltage"),
            (flags.fan_fault, "FanFault"),
            (flags.duplicate_address, "DuplicateAddress"),
            (flags.fault || flags.protection, "Fault"),
        ];
        reasons.iter().find(|(on, _)| *on).map(|(_, r)| *r)
    }

    pub(crate) fn check_modules(&mut self, now: Duration) -> Result<()> {
        for i in 0..self.modules.len() {
            let m = &self.modules[i];
            let lost = now.saturating_sub(m.last_reply) > self.cfg.module_timeout;
            let reason = if lost {
                Some("CommLoss")
            } else {
                Self::fault_reason(&m.flags)
            };
            let was_healthy = m.healthy();
            let m = &mut self.modules[i];
            m.lost = lost;
            m.fault = reason.map(str::to_owned);
            if was_healthy && !m.healthy() {
                if lost && m.owner.is_some() {
                    // It may still deliver its last setpoint until its own 10 s self-off.
                    m.phantom_a = m.sent_a;
                    m.phantom_until = now + COMM_LOSS_SELF_OFF + PHANTOM_MARGIN;
                }
                let addr = m.addr;
                self.events.push(StageEvent::ModuleFault {
                    module: i,
                    reason: reason.unwrap_or("Fault").to_owned(),
                    ts_ms: self.ts(now),
                });
                // It may still hear us even if we do not hear it.
                self.send(&ModuleRequest::OnOff {
                    target: Target::Module(addr),
                    on: false,
                })?;
                self.modules[i].on = false;
            } else if !was_healthy && m.healthy() {
                m.phantom_a = 0.0;
                self.events.push(StageEvent::ModuleRecovered {
                    module: i,
                    ts_ms: self.ts(now),
                });
            }
        }
        Ok(())
    }
}
