//! Configuration of a power stage: modules, connectors, the switch matrix and loop timing.

use std::time::Duration;

use crate::error::{PowerError, Result};

/// Ratings of one rectifier module.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModuleRating {
    /// Lowest output voltage, V.
    pub v_min: f64,
    /// Highest output voltage, V.
    pub v_max: f64,
    /// Highest output current, A.
    pub i_max: f64,
    /// Rated output power, W.
    pub p_max: f64,
}

impl ModuleRating {
    /// A 30 kW, 150-1000 V, 100 A module (Infypower REG1K0100G class).
    pub fn reg_30kw() -> Self {
        Self {
            v_min: 150.0,
            v_max: 1000.0,
            i_max: 100.0,
            p_max: 30_000.0,
        }
    }
}

/// Ratings of one connector (outlet and cable).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConnectorRating {
    /// OCPP connector id (1-based) used at the API.
    pub id: u32,
    /// Highest current of connector and cable, A.
    pub i_max: f64,
    /// Highest power, W.
    pub p_max: f64,
    /// Lowest voltage, V.
    pub v_min: f64,
    /// Highest voltage, V.
    pub v_max: f64,
}

/// Everything the stage needs to run.
#[derive(Debug, Clone, PartialEq)]
pub struct StageConfig {
    /// One rating per module; module n has bus address n.
    pub modules: Vec<ModuleRating>,
    /// The connectors.
    pub connectors: Vec<ConnectorRating>,
    /// `matrix[m][c]`: module m may be switched to connector index c.
    pub matrix: Vec<Vec<bool>>,
    /// Control period.
    pub period: Duration,
    /// Largest current increase per second; decreases are immediate (EVerest's rule).
    pub ramp_a_per_s: f64,
    /// The supervisor must call `feed_watchdog` at least this often.
    pub watchdog: Duration,
    /// Ticks without any reply to an outstanding request before the bus counts as silent.
    pub silent_bus_ticks: u32,
    /// Current below which contactors may open and "off" is reported.
    pub safe_current_a: f64,
    /// Longest wait for the current to fall before contactors open anyway.
    pub stop_timeout: Duration,
    /// Setpoints are re-sent at least this often (keep-alive, recovers reset modules).
    pub setpoint_refresh: Duration,
    /// Increases are sent to a module at most this often, so a slow ramp at a short period
    /// does not flood the bus; decreases and new limits go out at once.
    pub setpoint_interval: Duration,
    /// Period of group V/I reads per active connector.
    pub group_poll: Duration,
    /// Period of per-module status and V/I reads.
    pub module_poll: Duration,
    /// A module that answered nothing for this long is lost.
    pub module_timeout: Duration,
    /// CAN bit rate of the (virtual) bus.
    pub bitrate: u32,
    /// SCHED_FIFO priority of the loop thread (1-99) when the OS permits; `None`: normal.
    pub realtime_priority: Option<u8>,
    /// Smallest current a module accepts (Infypower rejects 0 A, reference 2.3).
    pub module_min_a: f64,
    /// Bus address of each module (module n is `addresses[n]`): set by the modules' DIP
    /// switches, 0x00-0x3E (reference 2.1).
    pub addresses: Vec<u8>,
    /// The controller's own address, 0xF0-0xF8 (several controllers may share a bus).
    pub controller_address: u8,
    /// An EV request (hardware stage) not renewed within this time counts as gone: the
    /// connector ramps down and its contactor opens (loss of EV data, reference 6.4).
    pub ev_request_timeout: Duration,
    /// Longest a contactor's feedback may disagree with its command before the connector is
    /// stopped with `PowerSwitchFailure`.
    pub contactor_timeout: Duration,
}

impl StageConfig {
    /// Defaults of issue 6 around the given modules and connectors, every module allowed
    /// on every connector.
    pub fn new(modules: Vec<ModuleRating>, connectors: Vec<ConnectorRating>) -> Self {
        let matrix = vec![vec![true; connectors.len()]; modules.len()];
        let addresses = (0..modules.len()).map(|i| i as u8).collect();
        Self {
            modules,
            connectors,
            matrix,
            period: Duration::from_millis(50),
            ramp_a_per_s: 25.0,
            watchdog: Duration::from_secs(1),
            silent_bus_ticks: 10,
            safe_current_a: 5.0,
            stop_timeout: Duration::from_secs(1),
            setpoint_refresh: Duration::from_secs(1),
            setpoint_interval: Duration::from_millis(100),
            group_poll: Duration::from_millis(100),
            module_poll: Duration::from_secs(1),
            module_timeout: Duration::from_secs(3),
            bitrate: crate::can::DEFAULT_BITRATE,
            module_min_a: 1.0,
            realtime_priority: Some(40),
            addresses,
            controller_address: crate::driver::infy_id::CONTROLLER,
            ev_request_timeout: Duration::from_secs(1),
            contactor_timeout: Duration::from_millis(500),
        }
    }

    /// Index of the connector with OCPP id `id`.
    pub fn connector_index(&self, id: u32) -> Result<usize> {
        self.connectors
            .iter()
            .position(|c| c.id == id)
            .ok_or(PowerError::UnknownConnector(id as usize))
    }

    /// Checks ranges and shapes; the message names the offending field.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(PowerError::Config(m));
        if self.modules.is_empty() || self.modules.len() > 60 {
            return bad(format!(
                "modules: {} (1 to 60 on one bus)",
                self.modules.len()
            ));
        }
        if self.connectors.is_empty() {
            return bad("connectors: none".into());
        }
        for (i, m) in self.modules.iter().enumerate() {
            let ok = m.v_min >= 0.0 && m.v_max > m.v_min && m.i_max > 0.0 && m.p_max > 0.0;
            if !ok
                || ![m.v_min, m.v_max, m.i_max, m.p_max]
                    .iter()
                    .all(|x| x.is_finite())
            {
                return bad(format!("modules[{i}]: ratings {m:?}"));
            }
        }
        for (i, c) in self.connectors.iter().enumerate() {
            if !(c.i_max > 0.0
                && c.p_max > 0.0
                && c.v_max > c.v_min
                && c.i_max.is_finite()
                && c.p_max.is_finite())
            {
                return bad(format!("connectors[{i}]: ratings {c:?}"));
            }
            if self.connectors.iter().filter(|o| o.id == c.id).count() > 1 {
                return bad(format!("connectors[{i}]: duplicate id {}", c.id));
            }
        }
        if self.matrix.len() != self.modules.len()
            || self.matrix.iter().any(|r| r.len() != self.connectors.len())
        {
            return bad(format!(
                "matrix: must be {} rows of {} entries",
                self.modules.len(),
                self.connectors.len()
            ));
        }
        if self.period < Duration::from_millis(1) || self.period > Duration::from_secs(1) {
            return bad(format!("loop_period_ms: {:?} (1 to 1000 ms)", self.period));
        }
        if !(self.ramp_a_per_s > 0.0 && self.ramp_a_per_s.is_finite()) {
            return bad(format!("ramp_a_per_s: {}", self.ramp_a_per_s));
        }
        if self.watchdog < self.period {
            return bad("watchdog_ms: shorter than the loop period".into());
        }
        if self.silent_bus_ticks == 0 {
            return bad("silent_bus_ticks: 0".into());
        }
        self.validate_addresses()?;
        if self.ev_request_timeout < self.period {
            return bad("ev_request_timeout_ms: shorter than the loop period".into());
        }
        if self.contactor_timeout < self.period {
            return bad("contactor_timeout_ms: shorter than the loop period".into());
        }
        Ok(())
    }

    fn validate_addresses(&self) -> Result<()> {
        let bad = |m: String| Err(PowerError::Config(m));
        if self.addresses.len() != self.modules.len() {
            return bad(format!(
                "addresses: {} for {} modules",
                self.addresses.len(),
                self.modules.len()
            ));
        }
        for (i, a) in self.addresses.iter().enumerate() {
            if *a >= crate::driver::infy_id::BROADCAST {
                return bad(format!("addresses[{i}]: {a:#04x} (0x00 to 0x3E)"));
            }
            if self.addresses[..i].contains(a) {
                return bad(format!("addresses[{i}]: {a:#04x} given twice"));
            }
        }
        if !(0xF0..=0xF8).contains(&self.controller_address) {
            return bad(format!(
                "controller_address: {:#04x} (0xF0 to 0xF8)",
                self.controller_address
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(id: u32) -> ConnectorRating {
        ConnectorRating {
            id,
            i_max: 200.0,
            p_max: 150_000.0,
            v_min: 150.0,
            v_max: 920.0,
        }
    }

    #[test]
    fn defaults_validate_and_errors_name_the_field() {
        let cfg = StageConfig::new(vec![ModuleRating::reg_30kw(); 8], vec![conn(1), conn(2)]);
        cfg.validate().unwrap();
        assert_eq!(cfg.connector_index(2).unwrap(), 1);
        assert!(cfg.connector_index(3).is_err());
        let mut bad = cfg.clone();
        bad.matrix.pop();
        assert!(bad.validate().unwrap_err().to_string().contains("matrix"));
        let mut bad = cfg.clone();
        bad.connectors[1].id = 1;
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("duplicate"));
        let mut bad = cfg.clone();
        bad.addresses[5] = 2;
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("addresses[5]: 0x02 given twice"));
        let mut bad = cfg.clone();
        bad.addresses[0] = 0x3F;
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("addresses[0]"));
        let mut bad = cfg;
        bad.modules[3].i_max = f64::NAN;
        assert!(bad
            .validate()
            .unwrap_err()
            .to_string()
            .contains("modules[3]"));
    }
}
