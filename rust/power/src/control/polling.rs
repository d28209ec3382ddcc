//! Status polling: group V/I reads per active connector at a fast rate, per-module status and
//! V/I at a slow rate (reference section 6.1: group reads at 4-10 Hz, modules at 1 Hz).

use std::time::Duration;

use super::controller::Controller;
use super::state::ConnectorState;
use crate::driver::{ModuleRequest, Target};
use crate::error::Result;

/// A module that was just switched off is read again this soon, so that its matrix contactor
/// can open without waiting for the slow poll.
const RELEASE_READ: Duration = Duration::from_millis(250);

impl Controller {
    pub(crate) fn poll(&mut self, now: Duration) -> Result<()> {
        for idx in 0..self.conns.len() {
            let serving = self.modules.iter().any(|m| m.owner == Some(idx));
            let c = &self.conns[idx];
            if (serving || c.state == ConnectorState::Stopping) && now >= c.next_group_poll {
                self.conns[idx].next_group_poll = now + self.cfg.group_poll;
                self.send(&ModuleRequest::ReadOutput {
                    target: Target::Group(idx as u8 + 1),
                })?;
            }
        }
        for i in 0..self.modules.len() {
            let m = &self.modules[i];
            let release_read = m.releasing
                && m.off_since.is_some_and(|t| now >= t + RELEASE_READ)
                && m.meas_at
                    .zip(m.off_since)
                    .is_none_or(|(r, o)| r < o + RELEASE_READ);
            if now >= m.next_poll || release_read {
                let addr = m.addr;
                self.modules[i].next_poll = if release_read {
                    self.modules[i].next_poll
                } else {
                    now + self.cfg.module_poll
                };
                self.send(&ModuleRequest::ReadStatus {
                    target: Target::Module(addr),
                })?;
                self.send(&ModuleRequest::ReadOutput {
                    target: Target::Module(addr),
                })?;
            }
        }
        self.finish_stops(now);
        Ok(())
    }

    /// "Off" is reached only when the current is below the safe threshold, measured after the
    /// stop began (EVerest's setMode(Off) contract); a dead bus cannot confirm it, so the
    /// contactor opens anyway once the stop timeout has passed.
    fn finish_stops(&mut self, now: Duration) {
        for idx in 0..self.conns.len() {
            let c = &self.conns[idx];
            if c.state != ConnectorState::Stopping {
                continue;
            }
            let Some(started) = c.stop_started else {
                continue;
            };
            let confirmed = c.meas_at.is_some_and(|t| t > started)
                && c.meas_a < self.cfg.safe_current_a
                && c.target_a <= 0.0;
            let nothing_serves = !self.modules.iter().any(|m| m.owner == Some(idx));
            if confirmed || nothing_serves || now >= started + self.cfg.stop_timeout {
                self.plant.set_contactor(idx, false);
                let ts_ms = self.ts(now);
                let c = &mut self.conns[idx];
                c.contactor = false;
                c.stop_started = None;
                c.target_a = 0.0;
                c.mismatch_since = None;
                c.state = c.resting_state();
                let connector = c.rating.id;
                self.events
                    .push(crate::control::StageEvent::ConnectorOff { connector, ts_ms });
            }
        }
    }
}
