//! The installed profiles of a station and the one question the power stage asks of them:
//! every connector's setpoint now, and when any of them next changes.

use serde::{Deserialize, Serialize};

use crate::composite::{composite_schedule, CompositeSchedule, Window};
use crate::electrical::{Electrical, StationRatings};
use crate::error::SmartChargingError;
use crate::limit_at::{first_change, limit_at, LimitNow};
use crate::profile::{InstalledProfile, Purpose, TxContext, Unit};
use crate::sharing::share;
use crate::stack::Stack;
use crate::validate::{validate_profile, ValidationLimits};

/// One connector's setpoint for the power stage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Setpoint {
    /// OCPP connector id.
    pub connector_id: u32,
    /// DC output power limit, W; `None` when only the hardware ratings limit (no profile,
    /// or one at or above the rating).
    pub limit_w: Option<f64>,
    /// False when the limit is 0: the EVSE offers no energy (errata 3.55/3.64: SuspendedEVSE).
    pub offers_energy: bool,
}

/// Every connector's setpoint at an instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setpoints {
    /// In the order of the station's connectors.
    pub connectors: Vec<Setpoint>,
    /// The first later instant (ms) at which any setpoint differs; `None`: never.
    pub next_change_ms: Option<i64>,
}

/// ClearChargingProfile's criteria (OCPP field names); absent fields match anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClearFilter {
    /// `id`: when given, the only criterion (errata 3.25).
    pub id: Option<i32>,
    /// `connectorId`.
    pub connector_id: Option<i64>,
    /// `chargingProfilePurpose`.
    pub charging_profile_purpose: Option<Purpose>,
    /// `stackLevel`.
    pub stack_level: Option<i64>,
}

/// The installed profiles, each checked once when it was installed, and the station's
/// electrical ratings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileSet {
    electrical: Electrical,
    /// Ordered by chargingProfileId, ids unique.
    profiles: Vec<InstalledProfile>,
}

impl ProfileSet {
    /// An empty set for a station rated `station`.
    ///
    /// # Errors
    /// [`SmartChargingError::InvalidParams`] for ratings the engine cannot use.
    pub fn new(station: &StationRatings) -> Result<Self, SmartChargingError> {
        Ok(Self {
            electrical: Electrical::new(station)?,
            profiles: Vec::new(),
        })
    }

    /// The conversions of this station.
    #[must_use]
    pub fn electrical(&self) -> &Electrical {
        &self.electrical
    }

    /// The installed profiles, by chargingProfileId.
    #[must_use]
    pub fn profiles(&self) -> &[InstalledProfile] {
        &self.profiles
    }

    /// Section 5.16: the installed profiles `new` replaces: the same chargingProfileId, or
    /// the same purpose and stackLevel on the same connector.
    #[must_use]
    pub fn replaced_by(&self, new: &InstalledProfile) -> Vec<i32> {
        self.profiles
            .iter()
            .filter(|p| {
                p.profile.id == new.profile.id
                    || (p.profile.purpose == new.profile.purpose
                        && p.profile.stack_level == new.profile.stack_level
                        && p.connector_id == new.connector_id)
            })
            .map(|p| p.profile.id)
            .collect()
    }

    /// SetChargingProfile's rules that need no transaction: the profile's own
    /// ([`validate_profile`]) and MaxChargingProfilesInstalled. Returns what it would replace.
    ///
    /// # Errors
    /// The first rule broken.
    pub fn admit(
        &self,
        new: &InstalledProfile,
        limits: &ValidationLimits,
    ) -> Result<Vec<i32>, SmartChargingError> {
        validate_profile(new.connector_id, &new.profile, limits)?;
        let replaced = self.replaced_by(new);
        if replaced.is_empty() && self.profiles.len() >= limits.max_installed {
            return Err(SmartChargingError::TooManyProfiles {
                max: limits.max_installed,
            });
        }
        Ok(replaced)
    }

    /// Installs `new` in place of the profiles it replaces; returns their ids.
    pub fn install(&mut self, new: InstalledProfile) -> Vec<i32> {
        let replaced = self.replaced_by(&new);
        self.remove(&replaced);
        let at = self
            .profiles
            .partition_point(|p| p.profile.id < new.profile.id);
        self.profiles.insert(at, new);
        replaced
    }

    /// Removes the profiles with these ids; returns how many there were.
    pub fn remove(&mut self, ids: &[i32]) -> usize {
        let before = self.profiles.len();
        self.profiles.retain(|p| !ids.contains(&p.profile.id));
        before - self.profiles.len()
    }

    /// Errata 3.25/3.26: `id` alone decides when given; otherwise every given field must
    /// match (logical AND), and no field at all matches everything.
    #[must_use]
    pub fn matching(&self, filter: &ClearFilter) -> Vec<i32> {
        self.profiles
            .iter()
            .filter(|p| match filter.id {
                Some(id) => p.profile.id == id,
                None => {
                    filter
                        .connector_id
                        .is_none_or(|c| c == i64::from(p.connector_id))
                        && filter
                            .charging_profile_purpose
                            .is_none_or(|purpose| purpose == p.profile.purpose)
                        && filter
                            .stack_level
                            .is_none_or(|s| s == i64::from(p.profile.stack_level))
                }
            })
            .map(|p| p.profile.id)
            .collect()
    }

    /// The TxProfiles installed on `connector_id` (they end with its transaction).
    #[must_use]
    pub fn tx_profiles_on(&self, connector_id: u32) -> Vec<i32> {
        self.profiles
            .iter()
            .filter(|p| p.profile.purpose == Purpose::TxProfile && p.connector_id == connector_id)
            .map(|p| p.profile.id)
            .collect()
    }

    /// Every connector's setpoint at `now_ms` and the instant any of them next changes.
    ///
    /// A connector's limit is its TxProfile/TxDefaultProfile (or rating), capped by its own
    /// rating, the station's rating and the ChargePointMaxProfile. The station-wide cap (the
    /// ChargePointMaxProfile and the grid connection) is then shared between the connectors
    /// with a transaction (water-filling) when they could together draw more than it; what the
    /// modules cannot deliver anyway is left to the power stage, which allocates them
    /// itself, so that an EV drawing less than its share strands nothing.
    ///
    /// # Errors
    /// None in practice: the profiles and ratings were checked when they were given.
    pub fn setpoints(
        &self,
        now_ms: i64,
        transactions: &[TxContext],
    ) -> Result<Setpoints, SmartChargingError> {
        let params = self.electrical.params();
        let stack = Stack::assemble(&self.profiles, 0, transactions, params, Unit::W, now_ms)?;
        let current = self.at(&stack, now_ms, transactions);
        let next_change_ms = first_change(&stack, now_ms, |t| {
            self.at(&stack, t, transactions) == current
        });
        Ok(Setpoints {
            connectors: current,
            next_change_ms,
        })
    }

    fn at(&self, stack: &Stack<'_>, t: i64, transactions: &[TxContext]) -> Vec<Setpoint> {
        let e = &self.electrical;
        let mut limits: Vec<(u32, i64)> = stack.connector_limits(t).collect();
        let cap = stack
            .cap_at(t)
            .map_or(e.grid_tenths_w(), |c| c.min(e.grid_tenths_w()));
        let mut drawing: Vec<(u32, i64)> = limits
            .iter()
            .copied()
            .filter(|(id, _)| transactions.iter().any(|tx| tx.connector_id == *id))
            .collect();
        let demand: i64 = drawing.iter().map(|(_, l)| l).sum();
        if demand.min(e.cabinet_tenths_w()) > cap {
            share(&mut drawing, cap);
            for (id, limit) in &mut limits {
                if let Some((_, shared)) = drawing.iter().find(|(d, _)| d == id) {
                    *limit = *shared;
                }
            }
        }
        // "No limit" leaves the connector to the stage's own limits: its rating and the
        // modules. Where the grid connection is below what the modules draw, the stage does
        // not know it, so only a limit at the modules' (or the connector's) rating may go.
        let hardware = if e.grid_tenths_w() >= e.cabinet_tenths_w() {
            e.station_rating_tenths_w()
        } else {
            e.cabinet_tenths_w()
        };
        limits
            .into_iter()
            .map(|(connector_id, limit)| {
                let unlimited = e.connector_rating_tenths_w(connector_id).min(hardware);
                Setpoint {
                    connector_id,
                    limit_w: (limit < unlimited).then(|| e.dc_watts(limit)),
                    offers_energy: limit > 0,
                }
            })
            .collect()
    }

    /// GetCompositeSchedule of `connector_id` (0: the station total) over `window`.
    ///
    /// # Errors
    /// As [`composite_schedule`].
    pub fn composite_schedule(
        &self,
        connector_id: u32,
        window: Window,
        transactions: &[TxContext],
        unit: Unit,
    ) -> Result<CompositeSchedule, SmartChargingError> {
        let params = self.electrical.params();
        composite_schedule(
            &self.profiles,
            connector_id,
            window,
            transactions,
            params,
            unit,
        )
    }

    /// The limit of `connector_id` (0: the station total) at `now_ms` and its next change.
    ///
    /// # Errors
    /// As [`limit_at`].
    pub fn limit_at(
        &self,
        connector_id: u32,
        now_ms: i64,
        transactions: &[TxContext],
        unit: Unit,
    ) -> Result<LimitNow, SmartChargingError> {
        let params = self.electrical.params();
        limit_at(
            &self.profiles,
            connector_id,
            now_ms,
            transactions,
            params,
            unit,
        )
    }
}
