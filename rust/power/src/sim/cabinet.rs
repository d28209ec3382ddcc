//! The simulated cabinet: every module listens on the virtual bus, acts on what it hears and
//! answers reads; module outputs flow through the matrix and the contactors into the EVs.

use std::time::Duration;

use super::module::{ModuleFault, SimModule};
use super::plant::SimPlant;
use crate::can::{CanBus, CanFrame, VirtualNode};
use crate::control::ModuleRating;
use crate::driver::infy_id::err;
use crate::driver::infy_module_side::{
    decode_request, reply_count, reply_error, reply_group_output, reply_output, reply_ratings,
    reply_status, Addressed, Addressee, InfyRequest,
};
use crate::error::{PowerError, Result};

/// The modules of a cabinet on one bus node.
pub struct SimCabinet {
    node: VirtualNode,
    plant: SimPlant,
    modules: Vec<SimModule>,
    last_step: Option<Duration>,
}

impl SimCabinet {
    /// Modules at the given bus addresses (one per rating) in group 0, all off.
    pub fn new(
        node: VirtualNode,
        plant: SimPlant,
        ratings: &[ModuleRating],
        addresses: &[u8],
    ) -> Self {
        let modules = ratings
            .iter()
            .zip(addresses)
            .map(|(r, a)| SimModule::new(*a, *r))
            .collect();
        Self {
            node,
            plant,
            modules,
            last_step: None,
        }
    }

    /// The module models (for telemetry and tests).
    pub fn modules(&self) -> &[SimModule] {
        &self.modules
    }

    /// Injects a fault into module `n`.
    pub fn inject(&mut self, n: usize, fault: ModuleFault) -> Result<()> {
        self.modules
            .get_mut(n)
            .ok_or(PowerError::UnknownModule(n))?
            .inject(fault);
        Ok(())
    }

    /// Clears the fault of module `n`.
    pub fn clear(&mut self, n: usize) -> Result<()> {
        self.modules
            .get_mut(n)
            .ok_or(PowerError::UnknownModule(n))?
            .clear();
        Ok(())
    }

    fn addressed(m: &SimModule, to: Addressee) -> bool {
        match to {
            Addressee::Module(a) => a == m.addr,
            Addressee::Group(g) => g == m.group,
            Addressee::Broadcast => true,
        }
    }

    fn act(&mut self, req: &Addressed, now: Duration) {
        let members = self
            .modules
            .iter()
            .filter(|m| m.communicates() && Self::addressed(m, req.to))
            .count()
            .max(1);
        for m in self
            .modules
            .iter_mut()
            .filter(|m| m.communicates() && Self::addressed(m, req.to))
        {
            m.last_heard = now;
            match req.request {
                InfyRequest::SetModuleOutput { mv, ma } => {
                    m.set_v = f64::from(mv) / 1000.0;
                    m.set_a = f64::from(ma) / 1000.0;
                }
                InfyRequest::SetGroupOutput { mv, ma } => {
                    m.set_v = f64::from(mv) / 1000.0;
                    m.set_a = f64::from(ma) / 1000.0 / members as f64;
                }
                InfyRequest::OnOff(on) => m.on = on,
                InfyRequest::SetGroup(g) => m.group = g,
                _ => {}
            }
        }
    }

    fn answer(&self, req: &Addressed, out: &mut Vec<CanFrame>) {
        let talking = || {
            self.modules
                .iter()
                .filter(|m| m.communicates() && Self::addressed(m, req.to))
        };
        match req.request {
            InfyRequest::ReadGroupOutput | InfyRequest::ReadCount => {
                let Addressee::Group(g) = req.to else { return };
                let members: Vec<&SimModule> = talking().collect();
                let Some(first) = members.first() else { return };
                if req.request == InfyRequest::ReadCount {
                    out.push(reply_count(req, g, members.len() as u8));
                } else {
                    let amps = members.iter().map(|m| m.out_a).sum();
                    out.push(reply_group_output(req, g, first.out_v, amps));
                }
            }
            InfyRequest::ReadModuleOutput { float } => {
                out.extend(talking().map(|m| reply_output(req, m.addr, m.out_v, m.out_a, float)))
            }
            InfyRequest::ReadStatus => out.extend(talking().map(|m| {
                reply_status(
                    req,
                    m.addr,
                    m.group,
                    m.temp_c.round().clamp(-128.0, 127.0) as i8,
                    m.status(),
                )
            })),
            InfyRequest::ReadRatings => {
                out.extend(talking().map(|m| {
                    reply_ratings(
                        req,
                        m.addr,
                        m.rating.v_max,
                        m.rating.v_min,
                        m.rating.i_max,
                        m.rating.p_max,
                    )
                }));
            }
            InfyRequest::Other(_) => {
                out.extend(talking().map(|m| reply_error(req, m.addr, err::COMMAND_INVALID)))
            }
            _ => {}
        }
    }

    fn physics(&mut self, now: Duration, dt: Duration) {
        let mut plant = self.plant.lock();
        let connectors = plant.contactors.len();
        for c in 0..connectors {
            let closed = plant.contactors[c];
            let routed: Vec<usize> = (0..self.modules.len())
                .filter(|&i| plant.routes.get(i).copied().flatten() == Some(c))
                .collect();
            let flowing: f64 = routed.iter().map(|&i| self.modules[i].out_a).sum();
            let load_v = match (&plant.evs[c], closed) {
                (Some(ev), true) => Some(ev.terminal_v(flowing)),
                _ => None,
            };
            for &i in &routed {
                let target = load_v.map_or(0.0, |v| self.modules[i].available_a(now, v));
                self.modules[i].advance(now, dt, target, load_v);
            }
            let delivered: f64 = routed.iter().map(|&i| self.modules[i].out_a).sum();
            if let (Some(ev), true) = (plant.evs[c].as_mut(), closed) {
                ev.charge(delivered, dt.as_secs_f64());
            }
        }
        for (i, m) in self.modules.iter_mut().enumerate() {
            if plant.routes.get(i).copied().flatten().is_none() {
                m.advance(now, dt, 0.0, None);
            }
            if m.fault == Some(ModuleFault::Dead) {
                m.out_a = 0.0;
                m.out_v = 0.0;
            }
        }
    }

    /// Handles every frame heard up to `now`, advances the physics and sends the replies.
    pub fn step(&mut self, now: Duration) -> Result<()> {
        let dt = self
            .last_step
            .map_or(Duration::ZERO, |t| now.saturating_sub(t));
        self.last_step = Some(now);
        let mut requests = Vec::new();
        while let Some(f) = self.node.try_recv()? {
            if let Some(req) = decode_request(&f) {
                self.act(&req, now);
                if req.request != InfyRequest::OnOff(true)
                    && req.request != InfyRequest::OnOff(false)
                {
                    requests.push(req);
                }
            }
        }
        self.physics(now, dt);
        let mut out = Vec::new();
        for req in &requests {
            self.answer(req, &mut out);
        }
        for f in &out {
            self.node.send(f)?;
        }
        Ok(())
    }
}
