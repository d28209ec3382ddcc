//! Allocation, targets, ramping, sharing and setpoint transmission (reference section 6.2).

use std::time::Duration;

use super::allocation::{allocate, ModuleAvail};
use super::controller::Controller;
use super::events::StageEvent;
use super::limits::{module_capacity_a, ramp, split, target_current, ActiveLimit, LimitInputs};
use super::state::ConnectorState;
use crate::driver::{ModuleRequest, Target};
use crate::error::Result;
use crate::sim::derate_factor;

/// Setpoint changes smaller than these are not worth a frame (the refresh carries them).
const DEADBAND_A: f64 = 0.05;
const DEADBAND_V: f64 = 0.5;
/// A released module must have been off this long, and read below the safe current after
/// that, before its matrix contactor opens (never switch under load, reference 6.5).
const RELEASE_SETTLE: Duration = Duration::from_millis(200);

/// What one module is told this tick.
#[derive(Debug, Clone, Copy, Default)]
struct Command {
    volts: f64,
    amps: f64,
    on: bool,
}

impl Controller {
    fn derate(&self, i: usize) -> f64 {
        self.modules[i].temp_c.map_or(1.0, derate_factor)
    }

    fn needs_w(&self) -> Vec<f64> {
        self.conns
            .iter()
            .map(|c| match (c.state, c.ev) {
                (ConnectorState::Charging, Some(ev)) => {
                    let v = c.limit_voltage();
                    let big = f64::INFINITY;
                    let inp = LimitInputs {
                        ev_request_a: ev.current_a,
                        connector_i_max: c.rating.i_max,
                        connector_p_max: c.rating.p_max,
                        limit_w: c.limit_w,
                        limit_a: c.limit_a,
                        voltage_v: v,
                        modules_a: big,
                        derated_a: big,
                    };
                    target_current(&inp).0 * v
                }
                _ => 0.0,
            })
            .collect()
    }

    fn reallocate(&mut self, now: Duration) -> Result<()> {
        let needs = self.needs_w();
        let avail: Vec<ModuleAvail> = (0..self.modules.len())
            .map(|i| {
                let m = &self.modules[i];
                ModuleAvail {
                    healthy: m.healthy(),
                    owner: if m.releasing { None } else { m.owner },
                    capacity_w: m.rating.p_max * self.derate(i),
                }
            })
            .collect();
        let want = allocate(&needs, &avail, &self.cfg.matrix);
        for (i, desired) in want.into_iter().enumerate() {
            let m = &mut self.modules[i];
            if m.releasing && desired == m.owner {
                m.releasing = false;
            } else if m.owner.is_some() && desired != m.owner && !m.releasing {
                m.releasing = true;
            } else if m.owner.is_none() && desired.is_some() {
                let c = desired.unwrap_or_default();
                m.owner = desired;
                let addr = m.addr;
                self.plant.set_route(i, desired);
                self.send(&ModuleRequest::SetGroup {
                    addr,
                    group: c as u8 + 1,
                })?;
            }
            let m = &self.modules[i];
            if m.releasing {
                let settled = m.off_since.is_some_and(|t| now >= t + RELEASE_SETTLE)
                    && m.meas_at.zip(m.off_since).is_some_and(|(read, off)| {
                        read >= off + RELEASE_SETTLE && m.meas_a < self.cfg.safe_current_a
                    });
                let gone = !m.healthy() && now >= m.phantom_until;
                if settled || gone {
                    let addr = m.addr;
                    let m = &mut self.modules[i];
                    (m.owner, m.releasing) = (None, false);
                    self.plant.set_route(i, None);
                    self.send(&ModuleRequest::SetGroup { addr, group: 0 })?;
                }
            }
        }
        Ok(())
    }

    pub(crate) fn regulate(&mut self, now: Duration, dt: Duration) -> Result<()> {
        self.reallocate(now)?;
        let mut commands = vec![Command::default(); self.modules.len()];
        for idx in 0..self.conns.len() {
            let c = &self.conns[idx];
            let v = c.limit_voltage();
            let active: Vec<usize> = (0..self.modules.len())
                .filter(|&i| {
                    self.modules[i].owner == Some(idx)
                        && !self.modules[i].releasing
                        && self.modules[i].healthy()
                })
                .collect();
            let caps: Vec<f64> = active
                .iter()
                .map(|&i| module_capacity_a(&self.modules[i].rating, v, self.derate(i)))
                .collect();
            let undrated: f64 = active
                .iter()
                .map(|&i| module_capacity_a(&self.modules[i].rating, v, 1.0))
                .sum();
            let phantom: f64 = (0..self.modules.len())
                .filter(|&i| {
                    self.modules[i].owner == Some(idx)
                        && !self.modules[i].healthy()
                        && now < self.modules[i].phantom_until
                })
                .map(|i| self.modules[i].phantom_a)
                .sum();
            // No current through a contactor that has not reported closed (a contactor is
            // never closed or opened under load).
            let closed = self.plant.contactor_feedback(idx);
            let (target, why) = match (c.state, c.ev) {
                (ConnectorState::Charging, Some(ev)) if closed => target_current(&LimitInputs {
                    ev_request_a: ev.current_a,
                    connector_i_max: c.rating.i_max,
                    connector_p_max: c.rating.p_max,
                    limit_w: c.limit_w,
                    limit_a: c.limit_a,
                    voltage_v: v,
                    modules_a: undrated + phantom,
                    derated_a: caps.iter().sum::<f64>() + phantom,
                }),
                _ => (0.0, ActiveLimit::None),
            };
            let ramped = ramp(c.target_a, target, self.cfg.ramp_a_per_s, dt.as_secs_f64());
            let volts = c.ev.map_or(0.0, |e| e.target_v);
            let shares = split(ramped - phantom, &caps, self.cfg.module_min_a);
            for (&i, &a) in active.iter().zip(&shares) {
                let r = &self.modules[i].rating;
                commands[i] = Command {
                    volts: volts.clamp(r.v_min, r.v_max),
                    amps: a,
                    on: a > 0.0,
                };
            }
            let c = &mut self.conns[idx];
            (c.target_a, c.offered_a, c.active) = (ramped, target, why);
        }
        self.transmit(now, &commands)
    }

    fn transmit(&mut self, now: Duration, commands: &[Command]) -> Result<()> {
        let refresh = self.cfg.setpoint_refresh;
        let stale = |t: Option<Duration>| t.is_none_or(|t| now >= t + refresh);
        for (i, cmd) in commands.iter().enumerate() {
            let m = &self.modules[i];
            let owner = m.owner;
            let force = owner.is_some_and(|c| self.conns[c].force_send);
            let addr = m.addr;
            if cmd.on {
                let lower = cmd.amps < m.sent_a - DEADBAND_A;
                let changed =
                    cmd.amps > m.sent_a + DEADBAND_A || (cmd.volts - m.sent_v).abs() > DEADBAND_V;
                let due = m
                    .last_setpoint
                    .is_none_or(|t| now >= t + self.cfg.setpoint_interval);
                if lower || force || (changed && due) || stale(m.last_setpoint) || !m.on {
                    // The setpoint goes before "on" so a module never starts at a stale one.
                    self.send(&ModuleRequest::SetOutput {
                        target: Target::Module(addr),
                        volts: cmd.volts,
                        amps: cmd.amps,
                    })?;
                    let m = &mut self.modules[i];
                    (m.sent_v, m.sent_a, m.last_setpoint) = (cmd.volts, cmd.amps, Some(now));
                    self.limit_frame_sent(owner, now);
                }
            }
            let m = &self.modules[i];
            let keep_alive = owner.is_some() && stale(m.last_onoff);
            if cmd.on != m.on || keep_alive {
                self.send(&ModuleRequest::OnOff {
                    target: Target::Module(addr),
                    on: cmd.on,
                })?;
                let m = &mut self.modules[i];
                if cmd.on != m.on {
                    m.off_since = if cmd.on { None } else { Some(now) };
                }
                if !cmd.on {
                    m.sent_a = 0.0;
                    if force {
                        self.limit_frame_sent(owner, now);
                    }
                }
                let m = &mut self.modules[i];
                (m.on, m.last_onoff) = (cmd.on, Some(now));
            }
        }
        for idx in 0..self.conns.len() {
            self.conns[idx].force_send = false;
            if let Some(issued) = self.conns[idx].pending_limit.take() {
                let _ = issued;
                let c = &self.conns[idx];
                let (connector, limit_w, limit_a) = (c.rating.id, c.limit_w, c.limit_a);
                self.events.push(StageEvent::LimitApplied {
                    connector,
                    limit_w,
                    limit_a,
                    frame_ts_ms: None,
                    latency_ms: None,
                    ts_ms: self.ts(now),
                });
            }
        }
        Ok(())
    }

    fn limit_frame_sent(&mut self, owner: Option<usize>, now: Duration) {
        let Some(idx) = owner else { return };
        let Some(issued) = self.conns[idx].pending_limit.take() else {
            return;
        };
        // The frame goes on the wire now; the clock is read again so the latency includes
        // the work of this tick up to the send.
        let sent = self.clock.now().max(now);
        let c = &self.conns[idx];
        let latency = sent.saturating_sub(issued).as_secs_f64() * 1000.0;
        self.events.push(StageEvent::LimitApplied {
            connector: c.rating.id,
            limit_w: c.limit_w,
            limit_a: c.limit_a,
            frame_ts_ms: Some(self.ts(sent)),
            latency_ms: Some(latency),
            ts_ms: self.ts(sent),
        });
    }
}
