//! An EV battery: capacity, state of charge, an open-circuit voltage curve and a current
//! request that tapers near full, as a CC/CV charge does.

/// A simulated EV behind a connector.
#[derive(Debug, Clone, PartialEq)]
pub struct EvModel {
    /// Usable capacity, Wh.
    pub battery_wh: f64,
    /// State of charge, percent (0..=100).
    pub soc: f64,
    /// The most current the EV ever asks for, A.
    pub max_current_a: f64,
    /// Paused by the user or the EV (SuspendedEV).
    pub paused: bool,
    /// Pack voltage at 0 % and at 100 % SoC.
    pub v_empty: f64,
    /// Pack voltage at 100 % SoC.
    pub v_full: f64,
    /// Internal resistance, ohm.
    pub r_internal: f64,
}

/// SoC above which the request tapers linearly to zero at 100 % (constant-voltage phase).
const TAPER_FROM: f64 = 80.0;
/// Smallest current an EV asks for before it declares itself full.
const MIN_REQUEST_A: f64 = 2.0;

impl EvModel {
    /// A 400 V class EV.
    pub fn new(battery_wh: f64, soc: f64, max_current_a: f64) -> Self {
        Self {
            battery_wh: battery_wh.max(1.0),
            soc: soc.clamp(0.0, 100.0),
            max_current_a: max_current_a.max(0.0),
            paused: false,
            v_empty: 330.0,
            v_full: 420.0,
            r_internal: 0.05,
        }
    }

    /// Open-circuit pack voltage.
    pub fn open_circuit_v(&self) -> f64 {
        self.v_empty + (self.v_full - self.v_empty) * self.soc / 100.0
    }

    /// The voltage it asks the charger to regulate to: a little above full-pack voltage, so
    /// the current limit, not the voltage, decides the charge (constant-current phase).
    pub fn target_v(&self) -> f64 {
        self.v_full + 10.0
    }

    /// Terminal voltage while `amps` flow in.
    pub fn terminal_v(&self, amps: f64) -> f64 {
        self.open_circuit_v() + amps.max(0.0) * self.r_internal
    }

    /// Whether the charge is complete.
    pub fn is_full(&self) -> bool {
        self.soc >= 100.0 || self.taper_a() < MIN_REQUEST_A
    }

    fn taper_a(&self) -> f64 {
        if self.soc <= TAPER_FROM {
            self.max_current_a
        } else {
            self.max_current_a * ((100.0 - self.soc) / (100.0 - TAPER_FROM)).max(0.0)
        }
    }

    /// The current the EV asks for now.
    pub fn request_a(&self) -> f64 {
        if self.paused || self.is_full() {
            0.0
        } else {
            self.taper_a()
        }
    }

    /// Stores the energy of `amps` flowing for `dt_s` seconds.
    pub fn charge(&mut self, amps: f64, dt_s: f64) {
        let wh = self.terminal_v(amps) * amps.max(0.0) * dt_s / 3600.0;
        self.soc = (self.soc + wh / self.battery_wh * 100.0).min(100.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_tapers_near_full_and_stops_when_paused() {
        let mut ev = EvModel::new(50_000.0, 50.0, 200.0);
        assert_eq!(ev.request_a(), 200.0);
        ev.soc = 90.0;
        assert!((ev.request_a() - 100.0).abs() < 1e-9);
        ev.soc = 99.9;
        assert_eq!(
            ev.request_a(),
            0.0,
            "below the minimum request the EV is full"
        );
        assert!(ev.is_full());
        ev.soc = 50.0;
        ev.paused = true;
        assert_eq!(ev.request_a(), 0.0);
    }

    #[test]
    fn charging_raises_soc_and_voltage() {
        let mut ev = EvModel::new(10_000.0, 10.0, 100.0);
        let v0 = ev.open_circuit_v();
        // 100 A at ~340 V for one hour is ~34 kWh: more than the battery holds.
        ev.charge(100.0, 600.0);
        assert!(ev.soc > 10.0 + 50.0 && ev.soc <= 100.0, "{}", ev.soc);
        assert!(ev.open_circuit_v() > v0);
    }
}
