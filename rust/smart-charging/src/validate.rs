//! Checks applied before a profile is installed (SetChargingProfile, RemoteStartTransaction)
//! and the structural subset the engine re-checks before computing.

use serde::Deserialize;

use crate::error::SmartChargingError;
use crate::profile::{ChargingProfile, InstalledProfile, Kind, Purpose, Unit};

/// The station's configuration keys that bound what SetChargingProfile accepts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationLimits {
    /// ChargeProfileMaxStackLevel.
    pub max_stack_level: u32,
    /// ChargingScheduleMaxPeriods.
    pub max_periods: usize,
    /// ChargingScheduleAllowedChargingRateUnit (errata 3.88: Current = A, Power = W).
    pub allowed_units: Vec<Unit>,
    /// NumberOfConnectors: valid connector ids are 0..=this.
    pub connector_count: u32,
    /// MaxChargingProfilesInstalled ([`crate::ProfileSet::admit`]).
    pub max_installed: usize,
}

/// Converts a wire `limit` or `minChargingRate` to tenths. The schema says `multipleOf 0.1`;
/// NaN, infinities and negative values are refused, and so is a second decimal (a tolerance
/// of 1e-6 tenths absorbs the binary representation of values like 0.3).
///
/// # Errors
/// [`SmartChargingError::InvalidLimit`] for anything else than a non-negative one-decimal number.
pub fn limit_to_tenths(value: f64) -> Result<i64, SmartChargingError> {
    let tenths = value * 10.0;
    let rounded = tenths.round();
    // 9e15 keeps the value exactly representable and far from i64 overflow.
    if !value.is_finite() || value < 0.0 || (tenths - rounded).abs() > 1e-6 || rounded > 9e15 {
        return Err(SmartChargingError::InvalidLimit {
            value: value.to_string(),
        });
    }
    // Checked above: finite, non-negative, below 9e15.
    #[allow(clippy::cast_possible_truncation)]
    Ok(rounded as i64)
}

/// Everything SetChargingProfile must check on the profile itself; a profile that fails is
/// Rejected as a whole. Stateful rules (a TxProfile needs a running transaction with a matching
/// transactionId, MaxChargingProfilesInstalled) belong to the caller.
///
/// # Errors
/// The first rule broken, as a specific [`SmartChargingError`] variant.
pub fn validate_profile(
    connector_id: u32,
    profile: &ChargingProfile,
    limits: &ValidationLimits,
) -> Result<(), SmartChargingError> {
    let profile_id = profile.id;
    if connector_id > limits.connector_count {
        return Err(SmartChargingError::UnknownConnector(connector_id));
    }
    if profile.stack_level > limits.max_stack_level {
        return Err(SmartChargingError::StackLevelTooHigh {
            profile_id,
            stack_level: profile.stack_level,
            max: limits.max_stack_level,
        });
    }
    if !limits.allowed_units.contains(&profile.schedule.unit) {
        return Err(SmartChargingError::UnitNotAllowed { profile_id });
    }
    let count = profile.schedule.periods.len();
    if count > limits.max_periods {
        return Err(SmartChargingError::TooManyPeriods {
            profile_id,
            count,
            max: limits.max_periods,
        });
    }
    check_computable(&InstalledProfile {
        connector_id,
        profile: profile.clone(),
    })
}

/// The rules without which a composite cannot be computed: periods, kinds, placement.
///
/// # Errors
/// The first rule broken.
pub fn check_computable(installed: &InstalledProfile) -> Result<(), SmartChargingError> {
    let profile = &installed.profile;
    let profile_id = profile.id;
    let inconsistent = |reason| Err(SmartChargingError::Inconsistent { profile_id, reason });
    check_periods(profile)?;
    let schedule = &profile.schedule;
    if schedule.duration_s.is_some_and(|d| d < 0) {
        return inconsistent("duration is negative");
    }
    if schedule.min_charging_rate_tenths.is_some_and(|r| r < 0) {
        return inconsistent("minChargingRate is negative");
    }
    match profile.kind {
        Kind::Absolute | Kind::Recurring if schedule.start_schedule.is_none() => {
            return inconsistent("Absolute and Recurring profiles need startSchedule");
        }
        Kind::Recurring if profile.recurrency.is_none() => {
            return inconsistent("a Recurring profile needs recurrencyKind");
        }
        // Errata 3.56: recurrencyKind only with chargingProfileKind Recurring.
        Kind::Absolute | Kind::Relative if profile.recurrency.is_some() => {
            return inconsistent("recurrencyKind is only allowed on Recurring profiles");
        }
        _ => {}
    }
    if profile.transaction_id.is_some() && profile.purpose != Purpose::TxProfile {
        return inconsistent("transactionId is only allowed on a TxProfile");
    }
    let wrong_connector = match profile.purpose {
        // Section 3.13.1: the ChargePointMaxProfile is for the station as a whole, which has
        // no transaction to be relative to.
        Purpose::ChargePointMaxProfile if profile.kind == Kind::Relative => {
            return inconsistent("a ChargePointMaxProfile cannot be Relative");
        }
        Purpose::ChargePointMaxProfile => installed.connector_id != 0,
        Purpose::TxProfile => installed.connector_id == 0,
        Purpose::TxDefaultProfile => false,
    };
    if wrong_connector {
        return Err(SmartChargingError::WrongConnector {
            profile_id,
            connector_id: installed.connector_id,
        });
    }
    Ok(())
}

fn check_periods(profile: &ChargingProfile) -> Result<(), SmartChargingError> {
    let profile_id = profile.id;
    let periods = &profile.schedule.periods;
    let first = periods
        .first()
        .ok_or(SmartChargingError::NoPeriods { profile_id })?;
    if first.start_s != 0 {
        return Err(SmartChargingError::FirstPeriodNotZero {
            profile_id,
            start_s: first.start_s,
        });
    }
    if let Some(index) = periods
        .windows(2)
        .position(|w| w[1].start_s <= w[0].start_s)
    {
        return Err(SmartChargingError::PeriodsNotIncreasing {
            profile_id,
            index: index + 1,
        });
    }
    for period in periods {
        if period.limit_tenths < 0 {
            return Err(SmartChargingError::InvalidLimit {
                value: format!("{} tenths", period.limit_tenths),
            });
        }
        if let Some(n) = period.number_phases.filter(|n| !(1..=3).contains(n)) {
            return Err(SmartChargingError::InvalidNumberPhases {
                profile_id,
                number_phases: n,
            });
        }
    }
    Ok(())
}
