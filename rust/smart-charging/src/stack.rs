//! Stacking: which profile wins at an instant, and the resulting limit of a connector or of
//! the station.

use crate::error::SmartChargingError;
use crate::params::ElectricalParams;
use crate::profile::{InstalledProfile, Purpose, TxContext, Unit};
use crate::timeline::Timed;
use crate::validate::check_computable;

/// The limit in force at one instant, in the requested unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    pub limit_tenths: i64,
    pub number_phases: Option<u8>,
    pub min_rate_tenths: Option<i64>,
}

/// The winning period of one stack at one instant, converted to the requested unit.
#[derive(Debug, Clone, Copy)]
struct Winner {
    limit: i64,
    phases: Option<u8>,
    min_rate: Option<i64>,
}

struct ConnectorStack<'a> {
    id: u32,
    rating: i64,
    /// TxProfiles before TxDefaultProfiles, each by stackLevel (highest first), then
    /// connector-specific before connector 0.
    demand: Vec<Timed<'a>>,
}

/// Every profile that can limit the asked-for connector (or, for connector 0, the station).
pub(crate) struct Stack<'a> {
    params: &'a ElectricalParams,
    unit: Unit,
    /// ChargePointMaxProfiles, highest stackLevel first.
    cap: Vec<Timed<'a>>,
    station_rating: i64,
    connectors: Vec<ConnectorStack<'a>>,
    /// Connector 0: the station total is the sum over connectors.
    summed: bool,
}

impl<'a> Stack<'a> {
    /// `session_start` anchors Relative profiles on connectors without a transaction.
    pub fn build(
        profiles: &'a [InstalledProfile],
        connector_id: u32,
        transactions: &[TxContext],
        params: &'a ElectricalParams,
        unit: Unit,
        session_start: i64,
    ) -> Result<Self, SmartChargingError> {
        check_params(params)?;
        profiles.iter().try_for_each(check_computable)?;
        Self::assemble(
            profiles,
            connector_id,
            transactions,
            params,
            unit,
            session_start,
        )
    }

    /// As [`Self::build`] for profiles and parameters that were checked when they were
    /// installed (a [`crate::ProfileSet`]).
    pub fn assemble(
        profiles: &'a [InstalledProfile],
        connector_id: u32,
        transactions: &[TxContext],
        params: &'a ElectricalParams,
        unit: Unit,
        session_start: i64,
    ) -> Result<Self, SmartChargingError> {
        let ids: Vec<u32> = if connector_id == 0 {
            params.connectors.iter().map(|(id, _)| *id).collect()
        } else {
            params
                .connector(connector_id)
                .ok_or(SmartChargingError::UnknownConnector(connector_id))?;
            vec![connector_id]
        };
        let mut cap: Vec<Timed<'a>> = profiles
            .iter()
            .filter(|i| i.profile.purpose == Purpose::ChargePointMaxProfile)
            .map(|i| Timed::new(&i.profile, false, session_start, None))
            .collect();
        cap.sort_by_key(|t| std::cmp::Reverse(t.profile.stack_level));
        let connectors = ids
            .into_iter()
            .map(|id| {
                let tx = transactions.iter().find(|tx| tx.connector_id == id);
                let rating = params
                    .connector(id)
                    .map_or(0, |r| params.rating_in(r, unit));
                ConnectorStack {
                    id,
                    rating,
                    demand: demand_profiles(profiles, id, tx, session_start),
                }
            })
            .collect();
        Ok(Self {
            params,
            unit,
            cap,
            station_rating: params.rating_in(params.station, unit),
            connectors,
            summed: connector_id == 0,
        })
    }

    /// Every profile placed on the time axis, for the callers that collect boundaries.
    pub fn timed(&self) -> impl Iterator<Item = &Timed<'a>> {
        self.cap
            .iter()
            .chain(self.connectors.iter().flat_map(|c| c.demand.iter()))
    }

    /// The limit at `t`: TxProfile over TxDefaultProfile, capped by the connector's rating,
    /// summed over connectors for connector 0, then capped by the ChargePointMaxProfile and
    /// the station's rating. Where no profile applies, the ratings alone limit.
    pub fn sample(&self, t: i64) -> Sample {
        let mut phases: Option<u8> = None;
        let mut min_rate = None;
        let mut total: i64 = 0;
        for connector in &self.connectors {
            let winner = self.winner(&connector.demand, t);
            let limit = winner.map_or(connector.rating, |w| w.limit.min(connector.rating));
            total = total.saturating_add(limit);
            if let Some(w) = winner {
                phases = min_phases(phases, w.phases);
                min_rate = w.min_rate;
            }
        }
        let mut limit = total.min(self.station_rating);
        if let Some(w) = self.winner(&self.cap, t) {
            limit = limit.min(w.limit);
            phases = min_phases(phases, w.phases);
        }
        Sample {
            limit_tenths: limit,
            number_phases: phases,
            // A minimum rate belongs to one EV; a station total has none.
            min_rate_tenths: if self.summed { None } else { min_rate },
        }
    }

    /// Each connector's own limit at `t` (connector 0's stack: every connector): its
    /// TxProfile/TxDefaultProfile or its rating, capped by the station's rating and the
    /// ChargePointMaxProfile. In the order of the station's connectors.
    pub fn connector_limits(&self, t: i64) -> impl Iterator<Item = (u32, i64)> + '_ {
        let cap = self
            .cap_at(t)
            .map_or(self.station_rating, |c| c.min(self.station_rating));
        self.connectors.iter().map(move |connector| {
            let own = self
                .winner(&connector.demand, t)
                .map_or(connector.rating, |w| w.limit.min(connector.rating));
            (connector.id, own.min(cap))
        })
    }

    /// The ChargePointMaxProfile's limit at `t`, if one covers `t`.
    pub fn cap_at(&self, t: i64) -> Option<i64> {
        self.winner(&self.cap, t).map(|w| w.limit)
    }

    /// The first covering profile of a sorted stack wins; an exact tie of purpose, stackLevel
    /// and placement (which replacement on installation should prevent) goes to the lower limit.
    fn winner(&self, stack: &[Timed<'a>], t: i64) -> Option<Winner> {
        let mut best: Option<(Winner, &Timed<'a>)> = None;
        for timed in stack {
            if let Some((_, first)) = best {
                if rank(first) != rank(timed) {
                    break;
                }
            }
            let Some(period) = timed.period_at(t) else {
                continue;
            };
            let from = timed.profile.schedule.unit;
            let phases = self.params.phases_for(period.number_phases);
            let candidate = Winner {
                limit: self
                    .params
                    .convert(period.limit_tenths, from, self.unit, phases),
                phases: period.number_phases,
                min_rate: timed
                    .profile
                    .schedule
                    .min_charging_rate_tenths
                    .map(|r| self.params.convert(r, from, self.unit, phases)),
            };
            if best.is_none_or(|(b, _)| candidate.limit < b.limit) {
                best = Some((candidate, timed));
            }
        }
        best.map(|(w, _)| w)
    }
}

fn rank(timed: &Timed<'_>) -> (bool, u32, bool) {
    (
        timed.profile.purpose == Purpose::TxProfile,
        timed.profile.stack_level,
        timed.specific,
    )
}

fn min_phases(a: Option<u8>, b: Option<u8>) -> Option<u8> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        _ => a.or(b),
    }
}

/// The TxProfiles and TxDefaultProfiles that apply to connector `id`. TxDefaultProfiles on
/// connector 0 apply to every connector (errata 3.53); a TxProfile applies only while its
/// transaction runs on its connector, and only when its transactionId is absent or matches.
fn demand_profiles<'a>(
    profiles: &'a [InstalledProfile],
    id: u32,
    tx: Option<&TxContext>,
    session_start: i64,
) -> Vec<Timed<'a>> {
    let anchor = tx.map_or(session_start, |tx| tx.start_ms);
    let mut demand: Vec<Timed<'a>> = profiles
        .iter()
        .filter(|i| match i.profile.purpose {
            Purpose::TxDefaultProfile => i.connector_id == 0 || i.connector_id == id,
            Purpose::TxProfile => {
                i.connector_id == id
                    && tx.is_some_and(|tx| {
                        i.profile
                            .transaction_id
                            .is_none_or(|want| Some(want) == tx.transaction_id)
                    })
            }
            Purpose::ChargePointMaxProfile => false,
        })
        .map(|i| {
            Timed::new(
                &i.profile,
                i.connector_id == id,
                anchor,
                tx.map(|tx| tx.start_ms),
            )
        })
        .collect();
    demand.sort_by_key(|t| std::cmp::Reverse(rank(t)));
    demand
}

pub(crate) fn check_params(params: &ElectricalParams) -> Result<(), SmartChargingError> {
    let invalid = |why| Err(SmartChargingError::InvalidParams(why));
    if !(params.grid_voltage_v.is_finite() && params.grid_voltage_v > 0.0) {
        return invalid("grid voltage must be a positive number");
    }
    if !(1..=3).contains(&params.grid_phases) {
        return invalid("grid phases must be 1, 2 or 3");
    }
    let ratings = std::iter::once(&params.station).chain(params.connectors.iter().map(|(_, r)| r));
    if ratings
        .into_iter()
        .any(|r| r.current_tenths_a < 0 || r.power_tenths_w < 0)
    {
        return invalid("hardware ratings must not be negative");
    }
    if params.connectors.iter().any(|(id, _)| *id == 0) {
        return invalid("connector ids start at 1");
    }
    Ok(())
}
