//! The crate's one error enum; the binding maps it to `chargestack.exceptions.SmartChargingError`.

use thiserror::Error;

/// Why a profile, a request or the electrical parameters were refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SmartChargingError {
    /// The schedule has no period at all.
    #[error("profile {profile_id}: chargingSchedulePeriod is empty")]
    NoPeriods {
        /// `chargingProfileId`.
        profile_id: i32,
    },
    /// Errata 3.43: the first `startPeriod` must be 0.
    #[error("profile {profile_id}: the first startPeriod is {start_s}, not 0")]
    FirstPeriodNotZero {
        /// `chargingProfileId`.
        profile_id: i32,
        /// The offending `startPeriod`.
        start_s: i64,
    },
    /// `startPeriod` values must strictly increase.
    #[error("profile {profile_id}: startPeriod of period {index} does not increase")]
    PeriodsNotIncreasing {
        /// `chargingProfileId`.
        profile_id: i32,
        /// Index of the first period that is not later than its predecessor.
        index: usize,
    },
    /// A limit (or minChargingRate) is negative, not finite or has more than one decimal.
    #[error("limit {value} is not a non-negative number with at most one decimal")]
    InvalidLimit {
        /// The value as received.
        value: String,
    },
    /// More periods than ChargingScheduleMaxPeriods.
    #[error("profile {profile_id}: {count} periods, at most {max} allowed")]
    TooManyPeriods {
        /// `chargingProfileId`.
        profile_id: i32,
        /// Periods in the schedule.
        count: usize,
        /// ChargingScheduleMaxPeriods.
        max: usize,
    },
    /// stackLevel above ChargeProfileMaxStackLevel.
    #[error("profile {profile_id}: stackLevel {stack_level} above the maximum {max}")]
    StackLevelTooHigh {
        /// `chargingProfileId`.
        profile_id: i32,
        /// The requested stackLevel.
        stack_level: u32,
        /// ChargeProfileMaxStackLevel.
        max: u32,
    },
    /// chargingRateUnit not in ChargingScheduleAllowedChargingRateUnit.
    #[error("profile {profile_id}: chargingRateUnit not allowed")]
    UnitNotAllowed {
        /// `chargingProfileId`.
        profile_id: i32,
    },
    /// numberPhases outside 1..=3.
    #[error("profile {profile_id}: numberPhases {number_phases} outside 1..=3")]
    InvalidNumberPhases {
        /// `chargingProfileId`.
        profile_id: i32,
        /// The offending value.
        number_phases: u8,
    },
    /// Fields that contradict the profile's kind or purpose (reason in the message).
    #[error("profile {profile_id}: {reason}")]
    Inconsistent {
        /// `chargingProfileId`.
        profile_id: i32,
        /// Which rule was broken.
        reason: &'static str,
    },
    /// The profile's purpose may not be installed on this connector.
    #[error("profile {profile_id}: purpose not allowed on connector {connector_id}")]
    WrongConnector {
        /// `chargingProfileId`.
        profile_id: i32,
        /// Where it was installed.
        connector_id: u32,
    },
    /// The connector is not one the station has.
    #[error("unknown connector {0}")]
    UnknownConnector(u32),
    /// The requested window is empty, negative or longer than [`crate::MAX_WINDOW_S`].
    #[error("composite window of {0} s is not within 1..=31 622 400 s")]
    InvalidWindow(i64),
    /// Voltage, phases or a hardware rating is not usable.
    #[error("electrical parameters: {0}")]
    InvalidParams(&'static str),
    /// JSON that is not a charging profile, or a value outside its type.
    #[error("invalid charging profile: {0}")]
    InvalidDocument(String),
    /// MaxChargingProfilesInstalled is reached and the new profile replaces none.
    #[error("MaxChargingProfilesInstalled ({max}) reached")]
    TooManyProfiles {
        /// MaxChargingProfilesInstalled.
        max: usize,
    },
}
