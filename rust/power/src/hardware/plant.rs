//! The plant of a hardware stage: the EV's request as the supervisor last relayed it, and
//! switchgear that the supervisor drives (the stage raises events) and reports on.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::clock::Clock;
use crate::control::StageEvent;
use crate::error::{PowerError, Result};
use crate::sim::{EvRequest, Plant};

/// How fresh an EV's request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    /// No EV, no request yet, or the EV stopped its charge.
    None,
    /// Renewed within the timeout.
    Fresh,
    /// Not renewed within the timeout: it counts as gone.
    Stale,
}

#[derive(Debug, Clone, Default)]
struct ConnectorLink {
    present: bool,
    request: Option<EvRequest>,
    received: Duration,
    stopped: bool,
    commanded: bool,
    feedback: bool,
}

#[derive(Debug)]
struct LinkState {
    conns: Vec<ConnectorLink>,
    routes: Vec<Option<usize>>,
    events: Vec<StageEvent>,
}

/// Shared between the controller (through [`Plant`]) and the stage that feeds it.
#[derive(Clone)]
pub struct SupervisedPlant {
    state: Arc<Mutex<LinkState>>,
    clock: Arc<dyn Clock>,
    connector_ids: Vec<u32>,
    timeout: Duration,
}

impl SupervisedPlant {
    /// Every contactor open, every module unrouted, no EV; requests older than `timeout`
    /// count as gone.
    pub fn new(
        connector_ids: Vec<u32>,
        modules: usize,
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let state = LinkState {
            conns: vec![ConnectorLink::default(); connector_ids.len()],
            routes: vec![None; modules],
            events: Vec::new(),
        };
        Self {
            state: Arc::new(Mutex::new(state)),
            clock,
            connector_ids,
            timeout,
        }
    }

    fn lock(&self) -> MutexGuard<'_, LinkState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn link<T>(&self, idx: usize, f: impl FnOnce(&mut ConnectorLink) -> T) -> Result<T> {
        let mut st = self.lock();
        let c = st
            .conns
            .get_mut(idx)
            .ok_or(PowerError::UnknownConnector(idx))?;
        Ok(f(c))
    }

    /// An EV arrived (`true`) or left; leaving forgets its request.
    pub fn set_present(&self, idx: usize, present: bool) -> Result<()> {
        self.link(idx, |c| {
            c.present = present;
            if !present {
                (c.request, c.stopped) = (None, false);
            }
        })
    }

    /// A request from the EV on connector index `idx`; it must be present. `true` when it
    /// ends a stop (the EV asks again after it had ended its charge).
    pub fn set_request(&self, idx: usize, request: EvRequest) -> Result<bool> {
        let now = self.clock.now();
        let id = self.connector_ids.get(idx).copied().unwrap_or_default();
        self.link(idx, |c| {
            if !c.present {
                return Err(PowerError::Unsupported(format!(
                    "no EV present on connector {id}"
                )));
            }
            let resumed = c.stopped;
            (c.request, c.received, c.stopped) = (Some(request), now, false);
            Ok(resumed)
        })?
    }

    /// The EV ended its charge; `false` when it had already.
    pub fn stop(&self, idx: usize) -> Result<bool> {
        self.link(idx, |c| {
            let first = c.present && !c.stopped;
            c.stopped = c.present;
            first
        })
    }

    /// The contactor's auxiliary contact reports closed (`true`) or open.
    pub fn set_feedback(&self, idx: usize, closed: bool) -> Result<()> {
        self.link(idx, |c| c.feedback = closed)
    }

    /// How fresh the request on connector index `idx` is now.
    pub fn request_state(&self, idx: usize) -> RequestState {
        let now = self.clock.now();
        let st = self.lock();
        match st.conns.get(idx) {
            Some(c) if c.present && !c.stopped && c.request.is_some() => {
                if now.saturating_sub(c.received) > self.timeout {
                    RequestState::Stale
                } else {
                    RequestState::Fresh
                }
            }
            _ => RequestState::None,
        }
    }

    /// Switchgear events raised since the last call.
    pub fn take_events(&self) -> Vec<StageEvent> {
        std::mem::take(&mut self.lock().events)
    }
}

impl Plant for SupervisedPlant {
    fn set_route(&mut self, module: usize, connector: Option<usize>) {
        let ts_ms = self.clock.unix_ms();
        let id = connector.and_then(|c| self.connector_ids.get(c).copied());
        let mut st = self.lock();
        let Some(route) = st.routes.get_mut(module) else {
            return;
        };
        if *route != connector {
            *route = connector;
            st.events.push(StageEvent::ModuleRoute {
                module,
                connector: id,
                ts_ms,
            });
        }
    }

    fn set_contactor(&mut self, connector: usize, closed: bool) {
        let ts_ms = self.clock.unix_ms();
        let Some(&id) = self.connector_ids.get(connector) else {
            return;
        };
        let mut st = self.lock();
        let c = &mut st.conns[connector];
        if c.commanded != closed {
            c.commanded = closed;
            st.events.push(StageEvent::Contactor {
                connector: id,
                closed,
                ts_ms,
            });
        }
    }

    fn contactor_feedback(&self, connector: usize) -> bool {
        self.lock().conns.get(connector).is_some_and(|c| c.feedback)
    }

    fn ev_request(&self, connector: usize) -> Option<EvRequest> {
        if self.request_state(connector) != RequestState::Fresh {
            return None;
        }
        self.lock().conns.get(connector).and_then(|c| c.request)
    }

    fn ev_present(&self, connector: usize) -> bool {
        self.lock().conns.get(connector).is_some_and(|c| c.present)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn request() -> EvRequest {
        EvRequest {
            current_a: 100.0,
            target_v: 400.0,
            soc: Some(50.0),
            full: false,
        }
    }

    #[test]
    fn a_request_counts_only_while_renewed_and_present() {
        let clock = Arc::new(ManualClock::new(0));
        let plant = SupervisedPlant::new(vec![1], 1, Duration::from_millis(500), clock.clone());
        assert!(plant.set_request(0, request()).is_err(), "no EV present");
        plant.set_present(0, true).unwrap();
        assert!(!plant.set_request(0, request()).unwrap());
        assert_eq!(plant.ev_request(0), Some(request()));
        clock.advance(Duration::from_millis(501));
        assert_eq!(plant.request_state(0), RequestState::Stale);
        assert_eq!(plant.ev_request(0), None);
        assert!(plant.ev_present(0), "a silent EV is still plugged in");
        plant.set_request(0, request()).unwrap();
        assert_eq!(plant.request_state(0), RequestState::Fresh);
        assert!(plant.stop(0).unwrap());
        assert!(!plant.stop(0).unwrap(), "stopped once");
        assert_eq!(plant.ev_request(0), None);
        assert!(
            plant.set_request(0, request()).unwrap(),
            "asks again after its stop"
        );
        plant.set_present(0, false).unwrap();
        assert_eq!(plant.request_state(0), RequestState::None);
    }

    #[test]
    fn switchgear_changes_become_events_once() {
        let clock = Arc::new(ManualClock::new(7));
        let mut plant = SupervisedPlant::new(vec![3, 4], 2, Duration::from_secs(1), clock);
        plant.set_contactor(1, true);
        plant.set_contactor(1, true);
        plant.set_route(0, Some(1));
        plant.set_route(0, Some(1));
        plant.set_route(0, None);
        assert_eq!(
            plant.take_events(),
            vec![
                StageEvent::Contactor {
                    connector: 4,
                    closed: true,
                    ts_ms: 7
                },
                StageEvent::ModuleRoute {
                    module: 0,
                    connector: Some(4),
                    ts_ms: 7
                },
                StageEvent::ModuleRoute {
                    module: 0,
                    connector: None,
                    ts_ms: 7
                },
            ]
        );
        assert!(!plant.contactor_feedback(1), "commanded is not reported");
        plant.set_feedback(1, true).unwrap();
        assert!(plant.contactor_feedback(1));
    }
}
