//! The JSON forms of an installed profile: the `csChargingProfiles` object as received
//! (OCPP field names, RFC 3339 date-times) and the stored row (the same names, date-times as
//! ms since the epoch, plus `connectorId`). One reader takes both, so a row written by any
//! version of the station reads back; the writer produces the row.
//!
//! Parsing is the only way Python data becomes a profile, and it checks what the engine
//! needs ([`check_computable`]): a parsed profile is never validated again.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::SmartChargingError;
use crate::profile::{
    ChargingProfile, ChargingSchedule, InstalledProfile, Kind, Period, Purpose, Recurrency, Unit,
};
use crate::validate::{check_computable, limit_to_tenths};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    connector_id: Option<u32>,
    charging_profile_id: i32,
    stack_level: u32,
    charging_profile_purpose: Purpose,
    charging_profile_kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    recurrency_kind: Option<Recurrency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_from: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_to: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transaction_id: Option<i32>,
    charging_schedule: ScheduleDoc,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleDoc {
    charging_rate_unit: Unit,
    charging_schedule_period: Vec<PeriodDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duration: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start_schedule: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_charging_rate: Option<f64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PeriodDoc {
    start_period: i64,
    limit: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    number_phases: Option<u8>,
}

/// A date-time in ms since the epoch: read from an RFC 3339 string or an integer, written as
/// the integer.
#[derive(Clone, Copy)]
struct Instant(i64);

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(InstantVisitor)
    }
}

struct InstantVisitor;

impl Visitor<'_> for InstantVisitor {
    type Value = Instant;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an RFC 3339 date-time or ms since the epoch")
    }

    fn visit_i64<E: de::Error>(self, ms: i64) -> Result<Instant, E> {
        Ok(Instant(ms))
    }

    fn visit_u64<E: de::Error>(self, ms: u64) -> Result<Instant, E> {
        i64::try_from(ms)
            .map(Instant)
            .map_err(|_| E::custom("date-time out of range"))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Instant, E> {
        let at = OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|e| E::custom(format!("{text:?} is not an RFC 3339 date-time: {e}")))?;
        // Floor to the millisecond, so an instant never moves later than it was given.
        let ms = at.unix_timestamp_nanos().div_euclid(1_000_000);
        i64::try_from(ms)
            .map(Instant)
            .map_err(|_| E::custom("date-time out of range"))
    }
}

fn from_tenths(tenths: i64) -> f64 {
    // Limits are far below 2^53 tenths, so the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let value = tenths as f64;
    value / 10.0
}

impl InstalledProfile {
    /// Reads a profile from its JSON (either form), installed on `connector_id`, or where
    /// the row's `connectorId` says when `None`. Checks what the engine needs to compute.
    ///
    /// # Errors
    /// [`SmartChargingError::InvalidDocument`] for JSON of another shape or a value outside
    /// its type (a negative stackLevel), [`SmartChargingError::InvalidLimit`] for a limit
    /// with two decimals, and the rules of [`check_computable`].
    pub fn from_json(text: &[u8], connector_id: Option<u32>) -> Result<Self, SmartChargingError> {
        // The error names the field (`chargingSchedule.chargingSchedulePeriod[1].limit: ...`).
        let doc: ProfileDoc =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(text))
                .map_err(|e| SmartChargingError::InvalidDocument(e.to_string()))?;
        let connector_id = connector_id
            .or(doc.connector_id)
            .ok_or_else(|| SmartChargingError::InvalidDocument("no connectorId".into()))?;
        let schedule = doc.charging_schedule;
        let periods = schedule
            .charging_schedule_period
            .into_iter()
            .map(|p| {
                Ok(Period {
                    start_s: p.start_period,
                    limit_tenths: limit_to_tenths(p.limit)?,
                    number_phases: p.number_phases,
                })
            })
            .collect::<Result<Vec<_>, SmartChargingError>>()?;
        let installed = Self {
            connector_id,
            profile: ChargingProfile {
                id: doc.charging_profile_id,
                stack_level: doc.stack_level,
                purpose: doc.charging_profile_purpose,
                kind: doc.charging_profile_kind,
                recurrency: doc.recurrency_kind,
                valid_from: doc.valid_from.map(|i| i.0),
                valid_to: doc.valid_to.map(|i| i.0),
                transaction_id: doc.transaction_id,
                schedule: ChargingSchedule {
                    duration_s: schedule.duration,
                    start_schedule: schedule.start_schedule.map(|i| i.0),
                    unit: schedule.charging_rate_unit,
                    periods,
                    min_charging_rate_tenths: schedule
                        .min_charging_rate
                        .map(limit_to_tenths)
                        .transpose()?,
                },
            },
        };
        check_computable(&installed)?;
        Ok(installed)
    }

    /// The stored row: OCPP field names, date-times in ms, and `connectorId`.
    #[must_use]
    pub fn to_json(&self) -> String {
        let p = &self.profile;
        let s = &p.schedule;
        let doc = ProfileDoc {
            connector_id: Some(self.connector_id),
            charging_profile_id: p.id,
            stack_level: p.stack_level,
            charging_profile_purpose: p.purpose,
            charging_profile_kind: p.kind,
            recurrency_kind: p.recurrency,
            valid_from: p.valid_from.map(Instant),
            valid_to: p.valid_to.map(Instant),
            transaction_id: p.transaction_id,
            charging_schedule: ScheduleDoc {
                charging_rate_unit: s.unit,
                charging_schedule_period: s
                    .periods
                    .iter()
                    .map(|period| PeriodDoc {
                        start_period: period.start_s,
                        limit: from_tenths(period.limit_tenths),
                        number_phases: period.number_phases,
                    })
                    .collect(),
                duration: s.duration_s,
                start_schedule: s.start_schedule.map(Instant),
                min_charging_rate: s.min_charging_rate_tenths.map(from_tenths),
            },
        };
        serde_json::to_string(&doc).expect("a profile always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIRE: &str = r#"{"chargingProfileId": 7, "stackLevel": 2,
        "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
        "validFrom": "2023-11-14T23:13:20.5+01:00",
        "chargingSchedule": {"chargingRateUnit": "A", "startSchedule": "2023-11-14T22:13:20.000Z",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.1},
                                       {"startPeriod": 60, "limit": 8, "numberPhases": 1}],
            "minChargingRate": 6.0}}"#;

    #[test]
    fn the_wire_form_reads_and_the_row_reads_back_the_same() {
        let read = InstalledProfile::from_json(WIRE.as_bytes(), Some(2)).unwrap();
        assert_eq!(read.connector_id, 2);
        let p = &read.profile;
        assert_eq!(
            (p.id, p.stack_level, p.purpose),
            (7, 2, Purpose::TxDefaultProfile)
        );
        assert_eq!(p.valid_from, Some(1_700_000_000_500));
        assert_eq!(p.schedule.start_schedule, Some(1_700_000_000_000));
        assert_eq!(p.schedule.periods[0].limit_tenths, 161);
        assert_eq!(p.schedule.periods[1].number_phases, Some(1));
        assert_eq!(p.schedule.min_charging_rate_tenths, Some(60));
        let row = read.to_json();
        assert!(row.contains(r#""validFrom":1700000000500"#), "{row}");
        assert!(row.contains(r#""connectorId":2"#), "{row}");
        assert_eq!(
            InstalledProfile::from_json(row.as_bytes(), None).unwrap(),
            read
        );
    }

    #[test]
    fn bad_documents_say_what_is_wrong() {
        let error = |text: &str, connector| {
            InstalledProfile::from_json(text.as_bytes(), connector)
                .unwrap_err()
                .to_string()
        };
        assert!(error(WIRE, None).contains("no connectorId"));
        let negative = WIRE.replace(r#""stackLevel": 2"#, r#""stackLevel": -1"#);
        assert!(error(&negative, Some(1)).contains("stackLevel: invalid value"));
        let two_decimals = WIRE.replace("16.1", "16.15");
        assert!(error(&two_decimals, Some(1)).contains("at most one decimal"));
        let bad_time = WIRE.replace("2023-11-14T22:13:20.000Z", "yesterday");
        assert!(error(&bad_time, Some(1)).contains("RFC 3339"));
        // check_computable runs on every parse.
        let late_start = WIRE.replace(r#""startPeriod": 0"#, r#""startPeriod": 5"#);
        assert!(error(&late_start, Some(1)).contains("not 0"));
    }
}
