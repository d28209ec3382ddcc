//! What the control loop drives besides CAN: the module matrix, the connector contactors, and
//! the EV's request (in a real charger it arrives from the ISO 15118 / CHAdeMO stack).

use std::sync::{Arc, Mutex, MutexGuard};

use super::EvModel;

/// What an EV asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvRequest {
    /// Current request, A.
    pub current_a: f64,
    /// Target voltage, V.
    pub target_v: f64,
    /// State of charge, percent, when the EV tells it.
    pub soc: Option<f64>,
    /// The EV ended its charge.
    pub full: bool,
}

/// Switchgear and EV link of a charger.
pub trait Plant: Send {
    /// Connects module `module`'s output to `connector` (or to nothing). The caller only
    /// switches modules that are off and below the safe current (reference section 6.5).
    fn set_route(&mut self, module: usize, connector: Option<usize>);
    /// Closes or opens a connector's DC contactor.
    fn set_contactor(&mut self, connector: usize, closed: bool);
    /// What the contactor's auxiliary contact reports: `true` closed. Current is delivered
    /// only through a contactor reported closed.
    fn contactor_feedback(&self, connector: usize) -> bool;
    /// The EV's valid request on `connector`, `None` when no EV is connected or it asks for
    /// nothing that may be acted on (a stale request counts as none).
    fn ev_request(&self, connector: usize) -> Option<EvRequest>;
    /// Whether an EV is connected, valid request or not (a silent EV is still plugged in).
    fn ev_present(&self, connector: usize) -> bool;
}

/// Shared state of the simulated switchgear and EVs.
#[derive(Debug, Clone, Default)]
pub struct PlantState {
    /// Module -> connector routing.
    pub routes: Vec<Option<usize>>,
    /// Contactor per connector.
    pub contactors: Vec<bool>,
    /// EV per connector.
    pub evs: Vec<Option<EvModel>>,
}

/// The simulated plant, shared by the cabinet model and the controller.
#[derive(Debug, Clone)]
pub struct SimPlant {
    state: Arc<Mutex<PlantState>>,
}

impl SimPlant {
    /// A plant with `modules` unrouted modules and `connectors` open contactors and no EVs.
    pub fn new(modules: usize, connectors: usize) -> Self {
        let state = PlantState {
            routes: vec![None; modules],
            contactors: vec![false; connectors],
            evs: vec![None; connectors],
        };
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// Locks the state (the loop thread and tests are the only users).
    pub fn lock(&self) -> MutexGuard<'_, PlantState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Plant for SimPlant {
    fn set_route(&mut self, module: usize, connector: Option<usize>) {
        if let Some(r) = self.lock().routes.get_mut(module) {
            *r = connector;
        }
    }

    fn set_contactor(&mut self, connector: usize, closed: bool) {
        if let Some(c) = self.lock().contactors.get_mut(connector) {
            *c = closed;
        }
    }

    fn contactor_feedback(&self, connector: usize) -> bool {
        // The simulated contactor does what it is told, at once.
        self.lock()
            .contactors
            .get(connector)
            .copied()
            .unwrap_or(false)
    }

    fn ev_present(&self, connector: usize) -> bool {
        self.lock().evs.get(connector).is_some_and(Option::is_some)
    }

    fn ev_request(&self, connector: usize) -> Option<EvRequest> {
        let st = self.lock();
        let ev = st.evs.get(connector)?.as_ref()?;
        Some(EvRequest {
            current_a: ev.request_a(),
            target_v: ev.target_v(),
            soc: Some(ev.soc),
            full: ev.is_full(),
        })
    }
}
