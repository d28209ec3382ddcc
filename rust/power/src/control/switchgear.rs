//! The contactors' feedback against their commands: a contactor that does not close when
//! told (stuck open) or does not open (welded) stops its connector with the OCPP error code
//! `PowerSwitchFailure`; the fault clears once feedback and command agree again.

use std::time::Duration;

use super::controller::Controller;
use super::events::StageEvent;
use super::state::ConnectorState;

/// OCPP 1.6 ChargePointErrorCode of a contactor that does not follow its command.
pub const POWER_SWITCH_FAILURE: &str = "PowerSwitchFailure";

impl Controller {
    pub(crate) fn check_contactors(&mut self, now: Duration) {
        for idx in 0..self.conns.len() {
            let closed = self.plant.contactor_feedback(idx);
            let ts_ms = self.ts(now);
            let c = &mut self.conns[idx];
            let connector = c.rating.id;
            if closed == c.contactor {
                c.mismatch_since = None;
                if c.switch_fault.take().is_some() {
                    if c.state == ConnectorState::Faulted {
                        c.state = c.resting_state();
                    }
                    self.events
                        .push(StageEvent::FaultCleared { connector, ts_ms });
                }
                continue;
            }
            let since = *c.mismatch_since.get_or_insert(now);
            if c.switch_fault.is_some() || now < since + self.cfg.contactor_timeout {
                continue;
            }
            let info = format!(
                "contactor {}, commanded {}",
                if closed { "closed" } else { "open" },
                if c.contactor { "closed" } else { "open" }
            );
            c.switch_fault = Some(info.clone());
            c.enabled = false;
            match c.state {
                // Ramp down; the contactor is told to open once the current has fallen.
                ConnectorState::Charging | ConnectorState::Stopping => {
                    c.state = ConnectorState::Stopping;
                    c.stop_started.get_or_insert(now);
                }
                _ => c.state = ConnectorState::Faulted,
            }
            self.events.push(StageEvent::Fault {
                connector,
                error_code: POWER_SWITCH_FAILURE,
                info,
                ts_ms,
            });
        }
    }
}
