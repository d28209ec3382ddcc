//! The arithmetic of one tick: which limit binds, how the current ramps, how it is shared
//! between modules. Pure functions, so the properties of issue 6 are tested directly.

use super::ModuleRating;

/// The limit that decided a connector's target current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveLimit {
    /// Nothing is delivered (connector not charging).
    None,
    /// The EV's own request.
    EvRequest,
    /// Connector or cable rating (current or power).
    Connector,
    /// Smart-charging limit in W, converted at the present voltage.
    SmartChargingPower,
    /// Smart-charging limit in A.
    SmartChargingCurrent,
    /// What the allocated modules can deliver.
    ModuleCapacity,
    /// Module capacity reduced by thermal derating.
    Thermal,
}

impl ActiveLimit {
    /// Telemetry name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::EvRequest => "ev_request",
            Self::Connector => "connector",
            Self::SmartChargingPower => "limit_w",
            Self::SmartChargingCurrent => "limit_a",
            Self::ModuleCapacity => "modules",
            Self::Thermal => "thermal",
        }
    }
}

/// What bounds a connector's current this tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimitInputs {
    /// EV request, A.
    pub ev_request_a: f64,
    /// Connector and cable current rating, A.
    pub connector_i_max: f64,
    /// Connector power rating, W.
    pub connector_p_max: f64,
    /// Smart-charging limit, W.
    pub limit_w: Option<f64>,
    /// Smart-charging limit, A.
    pub limit_a: Option<f64>,
    /// Present (or expected) output voltage, V.
    pub voltage_v: f64,
    /// Allocated modules' current capacity at that voltage without derating, A.
    pub modules_a: f64,
    /// The same with thermal derating, A.
    pub derated_a: f64,
}

/// Converts a power to a current at `volts`; below 1 V the conversion is meaningless and the
/// power limit is taken at 1 V (very low current) rather than ignored.
fn amps_at(watts: f64, volts: f64) -> f64 {
    watts / volts.max(1.0)
}

/// The target current: the smallest of every limit, never negative, and which limit it was.
pub fn target_current(i: &LimitInputs) -> (f64, ActiveLimit) {
    let mut best = (i.ev_request_a, ActiveLimit::EvRequest);
    let mut consider = |a: f64, why: ActiveLimit| {
        // NaN limits are treated as zero: an unknown limit must not open the throttle.
        let a = if a.is_nan() { 0.0 } else { a };
        if a < best.0 {
            best = (a, why);
        }
    };
    consider(i.connector_i_max, ActiveLimit::Connector);
    consider(
        amps_at(i.connector_p_max, i.voltage_v),
        ActiveLimit::Connector,
    );
    if let Some(w) = i.limit_w {
        consider(amps_at(w, i.voltage_v), ActiveLimit::SmartChargingPower);
    }
    if let Some(a) = i.limit_a {
        consider(a, ActiveLimit::SmartChargingCurrent);
    }
    consider(i.modules_a, ActiveLimit::ModuleCapacity);
    consider(i.derated_a, ActiveLimit::Thermal);
    (best.0.max(0.0), best.1)
}

/// Ramps `prev` towards `target`: up by at most `rate_a_per_s * dt_s`, down at once.
pub fn ramp(prev: f64, target: f64, rate_a_per_s: f64, dt_s: f64) -> f64 {
    let target = target.max(0.0);
    if target <= prev {
        target
    } else {
        (prev.max(0.0) + rate_a_per_s * dt_s.max(0.0)).min(target)
    }
}

/// What one module can deliver at `volts` with derating factor `derate` (0..=1).
pub fn module_capacity_a(r: &ModuleRating, volts: f64, derate: f64) -> f64 {
    let d = derate.clamp(0.0, 1.0);
    (r.i_max * d).min(amps_at(r.p_max * d, volts.max(r.v_min)))
}

/// Shares `total` over modules with capacities `caps`: as few modules as keep each at or above
/// `min_a` (Infypower rejects tiny setpoints), equal shares, each capped at its capacity with
/// the rest spread over the others. Unused modules get 0.
pub fn split(total: f64, caps: &[f64], min_a: f64) -> Vec<f64> {
    let mut out = vec![0.0; caps.len()];
    let usable: f64 = caps.iter().map(|c| c.max(0.0)).sum();
    let mut remaining = total.max(0.0).min(usable);
    if remaining <= 0.0 {
        return out;
    }
    let mut order: Vec<usize> = (0..caps.len()).filter(|&i| caps[i] > 0.0).collect();
    order.sort_by(|&a, &b| caps[b].total_cmp(&caps[a]).then(a.cmp(&b)));
    let wanted = if min_a > 0.0 {
        (remaining / min_a).floor() as usize
    } else {
        order.len()
    };
    let mut used = order.len().min(wanted.max(1));
    // Never use fewer modules than needed to carry the total.
    while used < order.len() && order[..used].iter().map(|&i| caps[i]).sum::<f64>() < remaining {
        used += 1;
    }
    let mut open: Vec<usize> = order[..used].to_vec();
    // Water-filling: the smallest capacities saturate first.
    open.sort_by(|&a, &b| caps[a].total_cmp(&caps[b]));
    while let Some((&i, rest)) = open.split_first() {
        let share = remaining / (rest.len() + 1) as f64;
        let give = share.min(caps[i]);
        out[i] = give;
        remaining -= give;
        open.remove(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> LimitInputs {
        LimitInputs {
            ev_request_a: 300.0,
            connector_i_max: 200.0,
            connector_p_max: 150_000.0,
            limit_w: None,
            limit_a: None,
            voltage_v: 400.0,
            modules_a: 300.0,
            derated_a: 300.0,
        }
    }

    #[test]
    fn picks_the_binding_limit() {
        assert_eq!(target_current(&inputs()), (200.0, ActiveLimit::Connector));
        let i = LimitInputs {
            limit_w: Some(40_000.0),
            ..inputs()
        };
        assert_eq!(target_current(&i), (100.0, ActiveLimit::SmartChargingPower));
        let i = LimitInputs {
            limit_a: Some(32.0),
            ..i
        };
        assert_eq!(
            target_current(&i),
            (32.0, ActiveLimit::SmartChargingCurrent)
        );
        let i = LimitInputs {
            derated_a: 20.0,
            ..i
        };
        assert_eq!(target_current(&i), (20.0, ActiveLimit::Thermal));
        let i = LimitInputs {
            ev_request_a: 10.0,
            ..i
        };
        assert_eq!(target_current(&i), (10.0, ActiveLimit::EvRequest));
        let i = LimitInputs {
            limit_w: Some(f64::NAN),
            ..inputs()
        };
        assert_eq!(target_current(&i).0, 0.0);
    }

    #[test]
    fn ramps_up_slowly_and_down_at_once() {
        assert_eq!(ramp(0.0, 100.0, 25.0, 0.05), 1.25);
        assert_eq!(ramp(99.0, 100.0, 25.0, 0.05), 100.0);
        assert_eq!(ramp(80.0, 10.0, 25.0, 0.05), 10.0);
        assert_eq!(ramp(5.0, -3.0, 25.0, 0.05), 0.0);
    }

    #[test]
    fn module_capacity_is_current_or_power_bound() {
        let r = ModuleRating::reg_30kw();
        assert_eq!(module_capacity_a(&r, 200.0, 1.0), 100.0);
        assert_eq!(module_capacity_a(&r, 600.0, 1.0), 50.0);
        assert_eq!(module_capacity_a(&r, 600.0, 0.5), 25.0);
    }

    #[test]
    fn split_uses_few_modules_for_small_currents_and_spreads_overflow() {
        assert_eq!(split(1.5, &[100.0, 100.0, 100.0], 1.0), vec![1.5, 0.0, 0.0]);
        assert_eq!(split(0.4, &[100.0, 100.0], 1.0), vec![0.4, 0.0]);
        let s = split(150.0, &[20.0, 100.0, 100.0], 1.0);
        assert_eq!(s, vec![20.0, 65.0, 65.0]);
        assert_eq!(split(500.0, &[50.0, 50.0], 1.0), vec![50.0, 50.0]);
        assert_eq!(split(10.0, &[0.0, 50.0], 1.0), vec![0.0, 10.0]);
    }
}
