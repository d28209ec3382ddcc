//! OCPP 1.6 smart charging for a DC charger: profile validation, stacking and the composite
//! schedule, in plain Rust (no Python types; `chargestack-py` binds it).
//!
//! # Units
//! Limits are fixed-point tenths of A or W, as the schema allows one decimal. For this DC
//! charger an **A limit is grid-side AC current per phase** and a **W limit is the power drawn
//! from the grid** (errata 3.69: A per phase, W total). The two convert as
//! `W = A x V x phases` with the configured nominal grid voltage (phase to neutral) and, per
//! period, its `numberPhases` capped at the grid phase count (absent: the grid phase count;
//! errata 3.34). The power stage regulates DC output: the setpoint is the grid-side limit
//! times the efficiency, and DC ratings enter divided by it. Every one of these conversions
//! is in [`Electrical`] (`electrical.rs`); they round down, so a converted limit is never
//! above the one it came from.
//!
//! # The profile set
//! [`ProfileSet`] holds the installed profiles, each parsed from its JSON and checked once
//! ([`InstalledProfile::from_json`]), applies the replacement and clearing rules, and answers
//! in one call every connector's DC setpoint at an instant and the next instant any of them
//! changes ([`ProfileSet::setpoints`]): the ChargePointMaxProfile and the grid connection are
//! shared between the connectors with a transaction when they could together draw more.
//!
//! # Rules
//! - Within one purpose the highest `stackLevel` whose profile is valid (`validFrom`
//!   inclusive, `validTo` exclusive) and whose schedule covers the instant wins; after a
//!   schedule's `duration` the next lower level applies (errata 3.45). At the same level a
//!   profile installed on the connector itself beats one installed on connector 0 (the
//!   OCPP 2.0.1 K01 rule; 1.6 is silent, and 1.6 replacement keeps both when their
//!   connectors differ).
//! - Any covering TxProfile beats every TxDefaultProfile. A TxProfile applies only on its
//!   connector, while a transaction runs there, from that transaction's start, and only if
//!   its `transactionId` is absent or equal (errata 3.41). A TxDefaultProfile on connector 0
//!   applies to every connector (errata 3.53), also during a transaction (errata 3.8).
//! - The ChargePointMaxProfile (connector 0 only) caps the result, as do the hardware ratings
//!   of the connector and of the station ([`ElectricalParams`]). Where no profile covers an
//!   instant the ratings are the limit: nothing is invented.
//! - Connector 0 asks for the station total: the sum over connectors of each connector's
//!   TxProfile/TxDefaultProfile limit (or rating), capped by the ChargePointMaxProfile and
//!   the station rating.
//! - Relative profiles start with the connector's transaction, or at the window start (the
//!   instant asked about for [`limit_at`]) when none runs. Recurring profiles repeat every
//!   86 400 s or 604 800 s of UTC from `startSchedule`, never before it; an occurrence that
//!   began before the window carries over into it, and a `duration` longer than the
//!   recurrence is cut at the next occurrence.
//! - No wall clock is read: every instant is a parameter, so any window can be computed.

mod composite;
mod document;
mod electrical;
mod error;
mod limit_at;
mod params;
mod profile;
mod profile_set;
mod sharing;
mod stack;
mod timeline;
mod validate;

pub use composite::{composite_schedule, CompositePeriod, CompositeSchedule, Window, MAX_WINDOW_S};
pub use electrical::{ConnectorRating, Electrical, StationRatings};
pub use error::SmartChargingError;
pub use limit_at::{limit_at, LimitNow};
pub use params::{ElectricalParams, HardwareLimit};
pub use profile::{
    ChargingProfile, ChargingSchedule, InstalledProfile, Kind, Period, Purpose, Recurrency,
    TxContext, Unit,
};
pub use profile_set::{ClearFilter, ProfileSet, Setpoint, Setpoints};
pub use validate::{check_computable, limit_to_tenths, validate_profile, ValidationLimits};
