//! The description of a stage as it arrives from outside (the station file, a benchmark):
//! plain data that serde reads, every optional field defaulting here and nowhere else.
//!
//! [`StageSpec::build`] turns it into a validated [`StageConfig`]; the binding only converts
//! Python data into this type (the keys are the field names below, unknown keys refused).

use std::time::Duration;

use serde::Deserialize;

use super::config::{ConnectorRating, ModuleRating, StageConfig};
use crate::error::{PowerError, Result};

/// Ratings of a module; absent values are those of [`ModuleRating::reg_30kw`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleSpec {
    /// Rated output power, W.
    pub max_power_w: Option<f64>,
    /// Highest output current, A.
    pub max_current_a: Option<f64>,
    /// Lowest output voltage, V.
    pub min_voltage_v: Option<f64>,
    /// Highest output voltage, V.
    pub max_voltage_v: Option<f64>,
}

impl ModuleSpec {
    fn rating(self) -> ModuleRating {
        let d = ModuleRating::reg_30kw();
        ModuleRating {
            v_min: self.min_voltage_v.unwrap_or(d.v_min),
            v_max: self.max_voltage_v.unwrap_or(d.v_max),
            i_max: self.max_current_a.unwrap_or(d.i_max),
            p_max: self.max_power_w.unwrap_or(d.p_max),
        }
    }
}

/// `count` modules of one rating.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniformModules {
    /// How many.
    pub count: usize,
    /// Rated output power of each, W.
    pub max_power_w: Option<f64>,
    /// Highest output current of each, A.
    pub max_current_a: Option<f64>,
    /// Lowest output voltage, V.
    pub min_voltage_v: Option<f64>,
    /// Highest output voltage, V.
    pub max_voltage_v: Option<f64>,
}

/// The rectifier modules: one rating for all, or one per module (bus address = index).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    untagged,
    expecting = "modules: {count, max_power_w?, ...} or a list of {max_power_w?, ...}"
)]
pub enum ModulesSpec {
    /// `count` identical modules.
    Uniform(UniformModules),
    /// One entry per module.
    Each(Vec<ModuleSpec>),
}

impl ModulesSpec {
    fn ratings(&self) -> Vec<ModuleRating> {
        match self {
            Self::Uniform(u) => {
                let one = ModuleSpec {
                    max_power_w: u.max_power_w,
                    max_current_a: u.max_current_a,
                    min_voltage_v: u.min_voltage_v,
                    max_voltage_v: u.max_voltage_v,
                };
                vec![one.rating(); u.count]
            }
            Self::Each(list) => list.iter().map(|m| m.rating()).collect(),
        }
    }
}

/// One connector; `id` defaults to its position (from 1), the voltage range to 150-1000 V.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorSpec {
    /// OCPP connector id.
    pub id: Option<u32>,
    /// Highest current of connector and cable, A.
    pub max_current_a: f64,
    /// Highest power, W.
    pub max_power_w: f64,
    /// Lowest voltage, V.
    pub min_voltage_v: Option<f64>,
    /// Highest voltage, V.
    pub max_voltage_v: Option<f64>,
}

/// Where a stage's modules are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cabinet {
    /// The simulated cabinet: modules, switchgear and EVs modelled inside the stage.
    Simulated,
    /// Modules on a CAN bus; EV requests and switchgear through the supervisor.
    Hardware(BusInterface),
}

/// The bus of a hardware stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusInterface {
    /// A SocketCAN interface (`can0`).
    SocketCan(String),
    /// The bench: an in-process bus with the Infypower module simulator on it.
    Virtual,
}

/// The `interface` value that selects the bench bus.
pub const VIRTUAL_INTERFACE: &str = "virtual";

/// Default voltage range of a connector whose description gives none.
const CONNECTOR_V_MIN: f64 = 150.0;
const CONNECTOR_V_MAX: f64 = 1000.0;

/// A whole stage. Absent timings take the defaults of [`StageConfig::new`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    /// The modules.
    pub modules: ModulesSpec,
    /// The connectors.
    pub connectors: Vec<ConnectorSpec>,
    /// Per module, the OCPP ids of the connectors it may serve; absent: every connector.
    #[serde(default)]
    pub matrix: Option<Vec<Vec<u32>>>,
    /// Control period, ms.
    pub loop_period_ms: Option<u64>,
    /// Largest current increase, A/s.
    pub ramp_a_per_s: Option<f64>,
    /// Watchdog period, ms.
    pub watchdog_ms: Option<u64>,
    /// Ticks without a reply before the bus counts as silent.
    pub silent_bus_ticks: Option<u32>,
    /// True (the default): the simulated cabinet, its modules and EVs. False: real modules
    /// on `interface`, the EV's request and the switchgear through the supervisor.
    pub simulated: Option<bool>,
    /// The CAN interface of real modules (`"can0"`), or `"virtual"`: an in-process bus with
    /// the Infypower module simulator on it (a bench running the hardware stage's code).
    pub interface: Option<String>,
    /// The modules' bus addresses, one per module; absent: 0, 1, 2, ...
    pub addresses: Option<Vec<u8>>,
    /// The controller's address on the bus (0xF0-0xF8).
    pub controller_address: Option<u8>,
    /// An EV request not renewed within this time counts as gone, ms.
    pub ev_request_timeout_ms: Option<u64>,
    /// Longest a contactor's feedback may disagree with its command, ms.
    pub contactor_timeout_ms: Option<u64>,
    /// Current below which contactors may open, A.
    pub safe_current_a: Option<f64>,
    /// Longest wait for the current to fall before contactors open anyway, ms.
    pub stop_timeout_ms: Option<u64>,
    /// Keep-alive period of setpoints, ms.
    pub setpoint_refresh_ms: Option<u64>,
    /// Shortest interval between two increases sent to a module, ms.
    pub setpoint_interval_ms: Option<u64>,
    /// Period of group reads, ms.
    pub group_poll_ms: Option<u64>,
    /// Period of per-module reads, ms.
    pub module_poll_ms: Option<u64>,
    /// Silence after which a module is lost, ms.
    pub module_timeout_ms: Option<u64>,
    /// CAN bit rate.
    pub bitrate: Option<u32>,
    /// SCHED_FIFO priority of the loop thread; 0 = a normal thread.
    pub realtime_priority: Option<u8>,
}

impl StageSpec {
    /// The validated configuration, and where its modules are.
    ///
    /// # Errors
    /// [`PowerError::Config`] naming the field that is out of range or inconsistent.
    pub fn build(&self) -> Result<(StageConfig, Cabinet)> {
        let connectors = self
            .connectors
            .iter()
            .zip(1u32..)
            .map(|(c, position)| ConnectorRating {
                id: c.id.unwrap_or(position),
                i_max: c.max_current_a,
                p_max: c.max_power_w,
                v_min: c.min_voltage_v.unwrap_or(CONNECTOR_V_MIN),
                v_max: c.max_voltage_v.unwrap_or(CONNECTOR_V_MAX),
            })
            .collect();
        let mut cfg = StageConfig::new(self.modules.ratings(), connectors);
        if let Some(rows) = &self.matrix {
            cfg.matrix = matrix(rows, &cfg)?;
        }
        let ms = |v: Option<u64>, default: Duration| v.map_or(default, Duration::from_millis);
        cfg.period = ms(self.loop_period_ms, cfg.period);
        cfg.watchdog = ms(self.watchdog_ms, cfg.watchdog);
        cfg.stop_timeout = ms(self.stop_timeout_ms, cfg.stop_timeout);
        cfg.setpoint_refresh = ms(self.setpoint_refresh_ms, cfg.setpoint_refresh);
        cfg.setpoint_interval = ms(self.setpoint_interval_ms, cfg.setpoint_interval);
        cfg.group_poll = ms(self.group_poll_ms, cfg.group_poll);
        cfg.module_poll = ms(self.module_poll_ms, cfg.module_poll);
        cfg.module_timeout = ms(self.module_timeout_ms, cfg.module_timeout);
        cfg.ramp_a_per_s = self.ramp_a_per_s.unwrap_or(cfg.ramp_a_per_s);
        cfg.safe_current_a = self.safe_current_a.unwrap_or(cfg.safe_current_a);
        cfg.silent_bus_ticks = self.silent_bus_ticks.unwrap_or(cfg.silent_bus_ticks);
        cfg.bitrate = self.bitrate.unwrap_or(cfg.bitrate);
        cfg.ev_request_timeout = ms(self.ev_request_timeout_ms, cfg.ev_request_timeout);
        cfg.contactor_timeout = ms(self.contactor_timeout_ms, cfg.contactor_timeout);
        if let Some(a) = &self.addresses {
            cfg.addresses.clone_from(a);
        }
        cfg.controller_address = self.controller_address.unwrap_or(cfg.controller_address);
        if let Some(p) = self.realtime_priority {
            if p > 99 {
                return Err(PowerError::Config(format!(
                    "realtime_priority: {p} (1 to 99, 0 = normal)"
                )));
            }
            cfg.realtime_priority = (p > 0).then_some(p);
        }
        cfg.validate()?;
        Ok((cfg, self.cabinet()?))
    }

    fn cabinet(&self) -> Result<Cabinet> {
        match (self.simulated.unwrap_or(true), self.interface.as_deref()) {
            (true, None) => Ok(Cabinet::Simulated),
            (true, Some(_)) => Err(PowerError::Config(
                "interface: applies only to a hardware stage (simulated = false)".into(),
            )),
            (false, None) => Err(PowerError::Config(
                "interface: a hardware stage needs its CAN interface (or \"virtual\")".into(),
            )),
            (false, Some(VIRTUAL_INTERFACE)) => Ok(Cabinet::Hardware(BusInterface::Virtual)),
            (false, Some(name)) => {
                // Linux interface names are at most 15 bytes (IFNAMSIZ 16 with the NUL).
                if name.is_empty() || name.len() > 15 || name.contains(['/', ' ', '\0']) {
                    return Err(PowerError::Config(format!(
                        "interface: {name:?} is not a network interface name"
                    )));
                }
                Ok(Cabinet::Hardware(BusInterface::SocketCan(name.to_owned())))
            }
        }
    }
}

/// `rows[m]` lists the OCPP ids of the connectors module m may serve.
fn matrix(rows: &[Vec<u32>], cfg: &StageConfig) -> Result<Vec<Vec<bool>>> {
    if rows.len() != cfg.modules.len() {
        return Err(PowerError::Config(format!(
            "matrix: {} rows for {} modules",
            rows.len(),
            cfg.modules.len()
        )));
    }
    rows.iter()
        .enumerate()
        .map(|(m, ids)| {
            let mut row = vec![false; cfg.connectors.len()];
            for &id in ids {
                let c = cfg.connector_index(id).map_err(|_| {
                    PowerError::Config(format!("matrix[{m}]: unknown connector {id}"))
                })?;
                row[c] = true;
            }
            Ok(row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> StageSpec {
        serde_json::from_str(json).expect("a valid description")
    }

    #[test]
    fn absent_values_take_the_crate_defaults() {
        let (cfg, cabinet) = spec(
            r#"{"modules": {"count": 2}, "connectors": [{"max_current_a": 200, "max_power_w": 1e5}]}"#,
        )
        .build()
        .unwrap();
        assert_eq!(cabinet, Cabinet::Simulated);
        assert_eq!(cfg.modules, vec![ModuleRating::reg_30kw(); 2]);
        let c = cfg.connectors[0];
        assert_eq!((c.id, c.v_min, c.v_max), (1, 150.0, 1000.0));
        let defaults = StageConfig::new(cfg.modules.clone(), cfg.connectors.clone());
        assert_eq!(cfg, defaults);
    }

    #[test]
    fn given_values_and_the_matrix_reach_the_config() {
        let (cfg, _) = spec(
            r#"{"modules": [{"max_power_w": 20000}, {}],
                "connectors": [{"id": 3, "max_current_a": 100, "max_power_w": 5e4},
                               {"id": 7, "max_current_a": 100, "max_power_w": 5e4}],
                "matrix": [[7], [3, 7]], "loop_period_ms": 10, "realtime_priority": 0}"#,
        )
        .build()
        .unwrap();
        assert_eq!(cfg.modules[0].p_max, 20_000.0);
        assert_eq!(cfg.modules[1], ModuleRating::reg_30kw());
        assert_eq!(cfg.matrix, vec![vec![false, true], vec![true, true]]);
        assert_eq!(cfg.period, Duration::from_millis(10));
        assert_eq!(cfg.realtime_priority, None);
    }

    #[test]
    fn bad_descriptions_are_refused_with_the_field_named() {
        let unknown = serde_json::from_str::<StageSpec>(
            r#"{"modules": {"count": 1}, "connectors": [], "colour": "red"}"#,
        );
        assert!(unknown.unwrap_err().to_string().contains("colour"));
        let err = spec(r#"{"modules": {"count": 1}, "connectors": [{"max_current_a": 1, "max_power_w": 1}], "matrix": [[2]]}"#)
            .build()
            .unwrap_err();
        assert!(
            err.to_string().contains("matrix[0]: unknown connector 2"),
            "{err}"
        );
        let err = spec(r#"{"modules": {"count": 1}, "connectors": [{"max_current_a": 1, "max_power_w": 1}], "realtime_priority": 120}"#)
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("realtime_priority"), "{err}");
    }

    #[test]
    fn a_hardware_stage_names_its_interface_and_addresses() {
        let base =
            r#""modules": {"count": 2}, "connectors": [{"max_current_a": 1, "max_power_w": 1}]"#;
        let build = |extra: &str| spec(&format!("{{{base}, {extra}}}")).build();
        let (cfg, cabinet) = build(r#""simulated": false, "interface": "can0", "addresses": [4, 9], "controller_address": 241, "ev_request_timeout_ms": 300"#).unwrap();
        assert_eq!(
            cabinet,
            Cabinet::Hardware(BusInterface::SocketCan("can0".into()))
        );
        assert_eq!(cfg.addresses, vec![4, 9]);
        assert_eq!(cfg.controller_address, 0xF1);
        assert_eq!(cfg.ev_request_timeout, Duration::from_millis(300));
        let (_, cabinet) = build(r#""simulated": false, "interface": "virtual""#).unwrap();
        assert_eq!(cabinet, Cabinet::Hardware(BusInterface::Virtual));
        for (extra, named) in [
            (r#""simulated": false"#, "interface: a hardware stage needs"),
            (r#""interface": "can0""#, "interface: applies only"),
            (
                r#""simulated": false, "interface": "../x/y""#,
                "not a network interface",
            ),
            (
                r#""simulated": false, "interface": "can0", "addresses": [1]"#,
                "addresses: 1 for 2 modules",
            ),
        ] {
            let err = build(extra).unwrap_err().to_string();
            assert!(err.contains(named), "{extra}: {err}");
        }
    }
}
