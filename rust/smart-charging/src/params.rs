//! The station's electrical parameters, hardware limits and the A <-> W conversion.

use crate::profile::Unit;

/// A hardware rating, in tenths of A (grid-side current per phase) and tenths of W (grid power).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HardwareLimit {
    /// Grid-side current per phase, tenths of A.
    pub current_tenths_a: i64,
    /// Power drawn from the grid, tenths of W.
    pub power_tenths_w: i64,
}

/// What the engine needs to know about the station's electrical side.
#[derive(Debug, Clone, PartialEq)]
pub struct ElectricalParams {
    /// Nominal grid voltage, phase to neutral, in volts.
    pub grid_voltage_v: f64,
    /// Number of grid phases the station draws from (1 to 3).
    pub grid_phases: u8,
    /// The station's own rating (grid connection, cabinet).
    pub station: HardwareLimit,
    /// The rating of each connector (ids from 1), in any order.
    pub connectors: Vec<(u32, HardwareLimit)>,
}

impl ElectricalParams {
    /// The rating of `connector_id`, if the station has that connector.
    #[must_use]
    pub fn connector(&self, connector_id: u32) -> Option<HardwareLimit> {
        self.connectors
            .iter()
            .find(|(id, _)| *id == connector_id)
            .map(|(_, limit)| *limit)
    }

    /// Phases used to convert a period's limit: its `numberPhases`, but never more than the
    /// grid has (errata 3.34: a larger numberPhases is not used to rescale the limit).
    #[must_use]
    pub fn phases_for(&self, number_phases: Option<u8>) -> u8 {
        number_phases.map_or(self.grid_phases, |n| n.min(self.grid_phases))
    }

    /// Converts `tenths` from `from` into `to` with `phases` phases: W = A x V x phases.
    /// Rounds down, so a converted limit is never above the original one.
    #[must_use]
    pub fn convert(&self, tenths: i64, from: Unit, to: Unit, phases: u8) -> i64 {
        let per_amp = self.grid_voltage_v * f64::from(phases);
        // `as` saturates on overflow and the inputs are validated finite and positive.
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        match (from, to) {
            (Unit::A, Unit::W) => (tenths as f64 * per_amp).floor() as i64,
            (Unit::W, Unit::A) => (tenths as f64 / per_amp).floor() as i64,
            _ => tenths,
        }
    }

    /// A hardware rating expressed in `unit`: the lower of its native value in that unit and
    /// the other rating converted at the grid phase count.
    #[must_use]
    pub fn rating_in(&self, rating: HardwareLimit, unit: Unit) -> i64 {
        let phases = self.grid_phases;
        match unit {
            Unit::A => rating.current_tenths_a.min(self.convert(
                rating.power_tenths_w,
                Unit::W,
                Unit::A,
                phases,
            )),
            Unit::W => rating.power_tenths_w.min(self.convert(
                rating.current_tenths_a,
                Unit::A,
                Unit::W,
                phases,
            )),
        }
    }
}
