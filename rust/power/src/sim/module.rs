//! One simulated rectifier module: ratings, first-order output, temperature with derating,
//! the 10 s communication-loss self-off of Infypower modules, and injectable faults.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::control::ModuleRating;
use crate::driver::infy_module_side::StatusBytes;
use crate::error::PowerError;

/// Infypower modules switch their output off after 10 s without CAN traffic (reference 0).
pub const COMM_LOSS_SELF_OFF: Duration = Duration::from_secs(10);
/// Output current time constant.
const TAU_OUTPUT_S: f64 = 0.05;
/// Thermal time constant and temperature rise at rated power.
const TAU_THERMAL_S: f64 = 120.0;
const RISE_AT_RATED_C: f64 = 40.0;
const AMBIENT_C: f64 = 25.0;
/// Derating starts at 75 C and reaches zero output at 95 C; 100 C trips over-temperature.
pub const DERATE_START_C: f64 = 75.0;
/// Temperature of zero available power.
pub const DERATE_END_C: f64 = 95.0;
const TRIP_C: f64 = 100.0;

/// A fault injected into a simulated module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModuleFault {
    /// Hot: reports over-temperature and switches its output off.
    OverTemperature,
    /// Output short circuit: reports it and switches off.
    OutputShort,
    /// Hears nothing and says nothing; keeps its output until the 10 s self-off.
    CommLoss,
    /// No output, no replies.
    Dead,
}

impl ModuleFault {
    /// The wire name (control API and Python binding).
    pub fn name(&self) -> &'static str {
        match self {
            Self::OverTemperature => "OverTemperature",
            Self::OutputShort => "OutputShort",
            Self::CommLoss => "CommLoss",
            Self::Dead => "Dead",
        }
    }
}

impl fmt::Display for ModuleFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModuleFault {
    type Err = PowerError;
    fn from_str(s: &str) -> Result<Self, PowerError> {
        match s {
            "OverTemperature" => Ok(Self::OverTemperature),
            "OutputShort" => Ok(Self::OutputShort),
            "CommLoss" => Ok(Self::CommLoss),
            "Dead" => Ok(Self::Dead),
            other => Err(PowerError::UnknownFault(other.to_owned())),
        }
    }
}

/// Fraction of rated output available at `temp_c`.
pub fn derate_factor(temp_c: f64) -> f64 {
    ((DERATE_END_C - temp_c) / (DERATE_END_C - DERATE_START_C)).clamp(0.0, 1.0)
}

/// A simulated module.
#[derive(Debug, Clone)]
pub struct SimModule {
    /// Bus address.
    pub addr: u8,
    /// Group number (set over CAN).
    pub group: u8,
    /// Ratings.
    pub rating: ModuleRating,
    /// Output switched on.
    pub on: bool,
    /// Voltage setpoint, V.
    pub set_v: f64,
    /// Current limit, A.
    pub set_a: f64,
    /// Output current, A.
    pub out_a: f64,
    /// Output voltage, V.
    pub out_v: f64,
    /// Heat-sink temperature, C.
    pub temp_c: f64,
    /// Last time any controller frame reached it.
    pub last_heard: Duration,
    /// Injected fault.
    pub fault: Option<ModuleFault>,
}

impl SimModule {
    /// A cold module that is off.
    pub fn new(addr: u8, rating: ModuleRating) -> Self {
        Self {
            addr,
            group: 0,
            rating,
            on: false,
            set_v: 0.0,
            set_a: 0.0,
            out_a: 0.0,
            out_v: 0.0,
            temp_c: AMBIENT_C,
            last_heard: Duration::ZERO,
            fault: None,
        }
    }

    /// Whether it hears and answers frames.
    pub fn communicates(&self) -> bool {
        !matches!(self.fault, Some(ModuleFault::CommLoss | ModuleFault::Dead))
    }

    /// Injects a fault.
    pub fn inject(&mut self, fault: ModuleFault) {
        self.fault = Some(fault);
        if fault == ModuleFault::OverTemperature {
            self.temp_c = self.temp_c.max(TRIP_C + 5.0);
        }
    }

    /// Clears the fault; an overheated module is back at a warm but usable temperature.
    pub fn clear(&mut self) {
        if self.fault == Some(ModuleFault::OverTemperature) {
            self.temp_c = 60.0;
        }
        self.fault = None;
    }

    fn can_deliver(&self, now: Duration) -> bool {
        let silent_too_long = now.saturating_sub(self.last_heard) > COMM_LOSS_SELF_OFF;
        self.on
            && !silent_too_long
            && matches!(self.fault, None | Some(ModuleFault::CommLoss))
            && self.temp_c < TRIP_C
    }

    /// The current it would deliver into `load_v` if the load took all of it.
    pub fn available_a(&self, now: Duration, load_v: f64) -> f64 {
        if !self.can_deliver(now) {
            return 0.0;
        }
        let d = derate_factor(self.temp_c);
        let by_power = if load_v > 1.0 {
            self.rating.p_max * d / load_v
        } else {
            f64::INFINITY
        };
        self.set_a.min(self.rating.i_max * d).min(by_power).max(0.0)
    }

    /// Advances output and temperature by `dt` towards `target_a` into a load at `load_v`
    /// (`None`: open circuit, the output follows the voltage setpoint).
    pub fn advance(&mut self, now: Duration, dt: Duration, target_a: f64, load_v: Option<f64>) {
        let dts = dt.as_secs_f64();
        if now.saturating_sub(self.last_heard) > COMM_LOSS_SELF_OFF {
            self.on = false;
        }
        let deliver = self.can_deliver(now);
        let alpha = 1.0 - (-dts / TAU_OUTPUT_S).exp();
        let want_a = if deliver && load_v.is_some() {
            target_a
        } else {
            0.0
        };
        self.out_a += (want_a - self.out_a) * alpha;
        let want_v = match load_v {
            Some(v) => v,
            None if deliver => self.set_v.clamp(self.rating.v_min, self.rating.v_max),
            None => 0.0,
        };
        self.out_v += (want_v - self.out_v) * alpha;
        let p_frac = (self.out_a * self.out_v / self.rating.p_max).clamp(0.0, 1.5);
        let steady = AMBIENT_C + RISE_AT_RATED_C * p_frac;
        if self.fault != Some(ModuleFault::OverTemperature) {
            self.temp_c += (steady - self.temp_c) * (1.0 - (-dts / TAU_THERMAL_S).exp());
        }
    }

    /// The status bytes it reports (reference section 2.2).
    pub fn status(&self) -> StatusBytes {
        let mut s = StatusBytes::default();
        if !self.on || self.fault.is_some() {
            s.status1 |= 1; // DC side off
        }
        if self.fault == Some(ModuleFault::OutputShort) {
            s.status0 |= 1;
        }
        if self.fault == Some(ModuleFault::OverTemperature) || self.temp_c >= TRIP_C {
            s.status1 |= 1 << 4;
        }
        if self.temp_c > DERATE_START_C {
            s.status2 |= 1; // power limiting
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating() -> ModuleRating {
        ModuleRating {
            v_min: 150.0,
            v_max: 1000.0,
            i_max: 100.0,
            p_max: 30_000.0,
        }
    }

    #[test]
    fn output_follows_first_order_and_respects_power_rating() {
        let mut m = SimModule::new(1, rating());
        m.on = true;
        m.set_a = 100.0;
        let avail = m.available_a(Duration::ZERO, 400.0);
        assert!(
            (avail - 75.0).abs() < 1e-9,
            "30 kW at 400 V is 75 A: {avail}"
        );
        let dt = Duration::from_millis(10);
        m.advance(dt, dt, avail, Some(400.0));
        assert!(m.out_a > 0.0 && m.out_a < 75.0);
        for i in 0..100 {
            m.advance(dt * (i + 2), dt, avail, Some(400.0));
        }
        assert!((m.out_a - 75.0).abs() < 0.5);
    }

    #[test]
    fn switches_off_after_ten_seconds_without_a_command() {
        let mut m = SimModule::new(1, rating());
        m.on = true;
        m.set_a = 10.0;
        m.advance(
            Duration::from_secs(11),
            Duration::from_millis(10),
            10.0,
            Some(400.0),
        );
        assert!(!m.on);
        assert_eq!(m.available_a(Duration::from_secs(11), 400.0), 0.0);
    }

    #[test]
    fn faults_show_in_status_and_stop_output() {
        let mut m = SimModule::new(1, rating());
        m.on = true;
        m.set_a = 50.0;
        m.inject(ModuleFault::OverTemperature);
        assert_ne!(m.status().status1 & 0x10, 0);
        assert_eq!(m.available_a(Duration::ZERO, 400.0), 0.0);
        m.clear();
        assert!(m.available_a(Duration::ZERO, 400.0) > 0.0);
        m.inject(ModuleFault::OutputShort);
        assert_eq!(m.status().status0 & 1, 1);
        m.inject(ModuleFault::CommLoss);
        assert!(!m.communicates());
        assert!(
            m.available_a(Duration::ZERO, 400.0) > 0.0,
            "comm loss keeps delivering until self-off"
        );
        assert!("Melted".parse::<ModuleFault>().is_err());
        assert_eq!("Dead".parse::<ModuleFault>().unwrap(), ModuleFault::Dead);
    }

    #[test]
    fn derating_is_linear_between_75_and_95_c() {
        assert_eq!(derate_factor(40.0), 1.0);
        assert!((derate_factor(85.0) - 0.5).abs() < 1e-9);
        assert_eq!(derate_factor(99.0), 0.0);
    }
}
