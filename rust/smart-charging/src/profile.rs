//! Owned charging-profile data, shaped after the OCPP 1.6 `ChargingProfile` type (section 7.8).
//!
//! Limits are fixed-point tenths (the schema allows one decimal: `multipleOf 0.1`), times are
//! milliseconds since the Unix epoch in UTC, and schedule offsets are whole seconds. The
//! enums read and write their OCPP wire names; the JSON forms are in `document.rs`.

use serde::{Deserialize, Serialize};

/// `chargingProfilePurpose`: which stack a profile belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Purpose {
    /// Caps the whole station; installed on connector 0 only.
    ChargePointMaxProfile,
    /// Default for transactions; on connector 0 it applies to every connector.
    TxDefaultProfile,
    /// Bound to one running transaction; overrides every TxDefaultProfile.
    TxProfile,
}

/// `chargingProfileKind`: how the schedule is anchored in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// Anchored at `startSchedule`.
    Absolute,
    /// Anchored at `startSchedule`, repeated every day or week.
    Recurring,
    /// Anchored at the start of the transaction.
    Relative,
}

/// `recurrencyKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Recurrency {
    /// Every 24 h (86 400 s) after `startSchedule`, in UTC.
    Daily,
    /// Every 7 days (604 800 s) after `startSchedule`, in UTC.
    Weekly,
}

impl Recurrency {
    /// Length of one occurrence in milliseconds.
    #[must_use]
    pub const fn period_ms(self) -> i64 {
        match self {
            Self::Daily => 86_400_000,
            Self::Weekly => 604_800_000,
        }
    }
}

/// `chargingRateUnit`: amperes per phase or watts in total (errata 3.69).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    /// Current per phase, grid side.
    A,
    /// Total power drawn from the grid.
    W,
}

/// `ChargingSchedulePeriod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// `startPeriod`: seconds after the start of the schedule.
    pub start_s: i64,
    /// `limit` in tenths of the schedule's unit.
    pub limit_tenths: i64,
    /// `numberPhases`; absent means the grid phase count.
    pub number_phases: Option<u8>,
}

/// `ChargingSchedule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargingSchedule {
    /// `duration` in seconds; absent means the last period lasts forever (or, for a
    /// recurring profile, until the next occurrence).
    pub duration_s: Option<i64>,
    /// `startSchedule` in ms since the epoch; required for Absolute and Recurring.
    pub start_schedule: Option<i64>,
    /// `chargingRateUnit`.
    pub unit: Unit,
    /// `chargingSchedulePeriod`, first at 0, strictly increasing.
    pub periods: Vec<Period>,
    /// `minChargingRate` in tenths of the schedule's unit.
    pub min_charging_rate_tenths: Option<i64>,
}

/// `ChargingProfile` (`csChargingProfiles`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargingProfile {
    /// `chargingProfileId`.
    pub id: i32,
    /// `stackLevel`: the higher level wins within one purpose.
    pub stack_level: u32,
    /// `chargingProfilePurpose`.
    pub purpose: Purpose,
    /// `chargingProfileKind`.
    pub kind: Kind,
    /// `recurrencyKind`, only with [`Kind::Recurring`] (errata 3.56).
    pub recurrency: Option<Recurrency>,
    /// `validFrom` in ms, inclusive.
    pub valid_from: Option<i64>,
    /// `validTo` in ms, exclusive.
    pub valid_to: Option<i64>,
    /// `transactionId`, only for [`Purpose::TxProfile`].
    pub transaction_id: Option<i32>,
    /// `chargingSchedule`.
    pub schedule: ChargingSchedule,
}

/// A profile as installed by SetChargingProfile, with the connector it was installed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledProfile {
    /// 0 is the station as a whole.
    pub connector_id: u32,
    /// The profile itself.
    pub profile: ChargingProfile,
}

/// A transaction running on a connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxContext {
    /// The connector the transaction runs on (never 0).
    pub connector_id: u32,
    /// `transactionId` given by the central system; `None` until StartTransaction.conf has
    /// told it, when a TxProfile bound to a transactionId cannot be shown to apply.
    pub transaction_id: Option<i32>,
    /// When the transaction started, ms since the epoch; Relative profiles start here.
    pub start_ms: i64,
}
