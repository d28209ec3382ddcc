//! Every electrical conversion between what the central system limits and what the power
//! stage regulates, in one place.
//!
//! - **Units of a limit** (errata 3.69): `W` is the total power drawn from the grid, `A` the
//!   current per phase; `W = A x V x phases` with the nominal grid voltage (phase to neutral)
//!   and the period's `numberPhases`, absent = the grid's phase count and never more than it
//!   (errata 3.34). See [`ElectricalParams::convert`].
//! - **Grid to DC**: the station draws `P_grid` and its rectifiers deliver
//!   `P_dc = P_grid x efficiency`. Limits are computed on the grid side and only the final
//!   setpoint is converted ([`Electrical::dc_watts`]); ratings given on the DC side (a
//!   connector's and the modules' power) are divided by the efficiency to enter the engine.
//! - **Rounding**: ratings and converted limits are rounded down to tenths, so nothing
//!   converted is ever above what it came from.

use serde::Deserialize;

use crate::error::SmartChargingError;
use crate::params::{ElectricalParams, HardwareLimit};
use crate::profile::Unit;
use crate::stack::check_params;

/// A connector's DC rating.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorRating {
    /// OCPP connector id, from 1.
    pub id: u32,
    /// Highest DC output power, W.
    pub max_power_w: f64,
}

/// The station as its configuration describes it: the grid connection, the conversion
/// efficiency and the DC ratings of modules and connectors.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationRatings {
    /// Nominal grid voltage, phase to neutral, V.
    pub grid_voltage_v: f64,
    /// Grid phases the station draws from (1 to 3).
    pub grid_phases: u8,
    /// Current per phase the grid connection allows, A.
    pub grid_max_current_a: f64,
    /// Fraction of the grid power that reaches the EV (0 < efficiency <= 1).
    pub efficiency: f64,
    /// Rectifier modules in the cabinet.
    pub module_count: u32,
    /// DC output power of one module, W.
    pub module_max_power_w: f64,
    /// The connectors.
    pub connectors: Vec<ConnectorRating>,
}

/// [`StationRatings`] in the engine's grid terms, with what the setpoint conversion needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Electrical {
    params: ElectricalParams,
    efficiency: f64,
    /// What the grid connection allows, tenths of W.
    grid_tenths_w: i64,
    /// What the modules can draw from the grid at full output, tenths of W.
    cabinet_tenths_w: i64,
}

/// A rating in tenths, rounded down (conservative).
fn tenths(value: f64, what: &'static str) -> Result<i64, SmartChargingError> {
    if !(0.0..9e14).contains(&value) {
        return Err(SmartChargingError::InvalidParams(what));
    }
    // Checked finite and in range above.
    #[allow(clippy::cast_possible_truncation)]
    Ok((value * 10.0).floor() as i64)
}

impl Electrical {
    /// The grid-side ratings of `station`: each connector's DC power over the efficiency,
    /// and for the station the lower of the grid connection and what the modules draw.
    ///
    /// # Errors
    /// [`SmartChargingError::InvalidParams`] for a rating, voltage, phase count or efficiency
    /// that is not usable.
    pub fn new(station: &StationRatings) -> Result<Self, SmartChargingError> {
        let eff = station.efficiency;
        if !(eff > 0.0 && eff <= 1.0) {
            return Err(SmartChargingError::InvalidParams(
                "efficiency must be above 0 and at most 1",
            ));
        }
        let volts_phases = station.grid_voltage_v * f64::from(station.grid_phases);
        let grid_w = station.grid_max_current_a * volts_phases;
        let cabinet_w = f64::from(station.module_count) * station.module_max_power_w / eff;
        let station_w = grid_w.min(cabinet_w);
        let rating = |watts: f64| -> Result<HardwareLimit, SmartChargingError> {
            Ok(HardwareLimit {
                current_tenths_a: tenths(watts / volts_phases, "a rating must not be negative")?,
                power_tenths_w: tenths(watts, "a rating must not be negative")?,
            })
        };
        let connectors = station
            .connectors
            .iter()
            .map(|c| Ok((c.id, rating(c.max_power_w / eff)?)))
            .collect::<Result<Vec<_>, SmartChargingError>>()?;
        let params = ElectricalParams {
            grid_voltage_v: station.grid_voltage_v,
            grid_phases: station.grid_phases,
            station: rating(station_w)?,
            connectors,
        };
        check_params(&params)?;
        Ok(Self {
            grid_tenths_w: tenths(grid_w, "the grid connection must not be negative")?,
            cabinet_tenths_w: tenths(cabinet_w, "the modules' power must not be negative")?,
            params,
            efficiency: eff,
        })
    }

    /// The engine's grid-side parameters.
    #[must_use]
    pub fn params(&self) -> &ElectricalParams {
        &self.params
    }

    /// What the grid connection allows, tenths of W.
    #[must_use]
    pub fn grid_tenths_w(&self) -> i64 {
        self.grid_tenths_w
    }

    /// What the modules draw from the grid at full output, tenths of W.
    #[must_use]
    pub fn cabinet_tenths_w(&self) -> i64 {
        self.cabinet_tenths_w
    }

    /// A connector's own grid-side rating in W, tenths (0 for a connector the station lacks).
    #[must_use]
    pub fn connector_rating_tenths_w(&self, connector_id: u32) -> i64 {
        self.params
            .connector(connector_id)
            .map_or(0, |r| self.params.rating_in(r, Unit::W))
    }

    /// The station's grid-side rating in W, tenths.
    #[must_use]
    pub fn station_rating_tenths_w(&self) -> i64 {
        self.params.rating_in(self.params.station, Unit::W)
    }

    /// The DC output power, W, that draws `grid_tenths_w` tenths of W from the grid.
    #[must_use]
    pub fn dc_watts(&self, grid_tenths_w: i64) -> f64 {
        // Limits are far below 2^53 tenths, so the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        let grid_w = grid_tenths_w.max(0) as f64 / 10.0;
        grid_w * self.efficiency
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station() -> StationRatings {
        StationRatings {
            grid_voltage_v: 230.0,
            grid_phases: 3,
            grid_max_current_a: 315.0,
            efficiency: 0.95,
            module_count: 6,
            module_max_power_w: 30_000.0,
            connectors: vec![ConnectorRating {
                id: 1,
                max_power_w: 150_000.0,
            }],
        }
    }

    #[test]
    fn dc_ratings_enter_grid_side_and_the_setpoint_leaves_dc_side() {
        let e = Electrical::new(&station()).unwrap();
        // 150 kW DC at 95 % is 157 894.7 W from the grid: 228.8 A per phase at 690 W/A,
        // and the rating in W is the lower of the two: 228.8 x 690 = 157 872 W.
        let rating = e.params().connector(1).unwrap();
        assert_eq!(rating.power_tenths_w, 1_578_947);
        assert_eq!(rating.current_tenths_a, 2288);
        assert_eq!(e.connector_rating_tenths_w(1), 1_578_720);
        // The station: 6 x 30 kW / 0.95 = 189 473.6 W, below the grid's 315 A x 690 W/A;
        // 274.5 A per phase, so 189 405 W once the current rating binds as well.
        assert_eq!(e.params().station.power_tenths_w, 1_894_736);
        assert_eq!(e.station_rating_tenths_w(), 1_894_050);
        assert_eq!(e.grid_tenths_w(), 2_173_500);
        assert!((e.dc_watts(69_000) - 6_555.0).abs() < 1e-9);
        assert_eq!(e.dc_watts(-5), 0.0);
    }

    #[test]
    fn unusable_ratings_are_refused() {
        let mut s = station();
        s.efficiency = 0.0;
        assert!(Electrical::new(&s).is_err());
        let mut s = station();
        s.connectors[0].max_power_w = -1.0;
        assert!(Electrical::new(&s).is_err());
        let mut s = station();
        s.grid_phases = 4;
        assert!(Electrical::new(&s).is_err());
    }
}
