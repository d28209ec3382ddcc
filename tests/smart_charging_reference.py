"""A deliberately simple reference for the smart-charging composite schedule.

Written from the rules in the `smart-charging` crate docs (OCPP 1.6 section 3.13 and the
errata), not from the Rust code: it asks "which profile is in force at this instant?" from
scratch at every candidate instant, with no sweep, no sorting of stacks and no caching. The
differential tests require the Rust engine to return exactly the same dicts.

Profiles are dicts of the stored-row form ``chargestack._core.ChargingProfile`` reads: the
OCPP JSON field names, date-times in ms and ``connectorId``. ``transactions`` maps a
connector id to ``(transactionId, start_ms)``; ``params`` holds the grid-side ratings that
:func:`grid_params` derives from a ``ProfileSet``'s station description, and
:func:`setpoints` is what ``ProfileSet.setpoints`` must answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

Profile = Mapping[str, Any]
Transactions = Mapping[int, tuple[int | None, int]]
Sample = tuple[int, int | None, int | None]  # limit in tenths, numberPhases, minChargingRate

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
RECURRENCE_MS = {"Daily": DAY_MS, "Weekly": WEEK_MS}


def _tenths(value: float) -> int:
    return round(value * 10)


def _convert(tenths: int, source: str, target: str, phases: int, volts: float) -> int:
    # W = A x V x phases; round down so a converted limit never exceeds its origin.
    if source == target:
        return tenths
    if source == "A":
        return math.floor(tenths * (volts * phases))
    return math.floor(tenths / (volts * phases))


def _rating(amps: float, watts: float, unit: str, params: Mapping[str, Any]) -> int:
    a, w = math.floor(amps * 10), math.floor(watts * 10)
    volts, phases = params["grid_voltage_v"], params["grid_phases"]
    if unit == "A":
        return min(a, _convert(w, "W", "A", phases, volts))
    return min(w, _convert(a, "A", "W", phases, volts))


def _period_in_force(
    profile: Profile, t: int, session_start: int, tx_start: int | None
) -> Mapping[str, Any] | None:
    """The chargingSchedulePeriod of ``profile`` at instant ``t``, or None."""
    schedule = profile["chargingSchedule"]
    if profile.get("validFrom") is not None and t < profile["validFrom"]:
        return None
    if profile.get("validTo") is not None and t >= profile["validTo"]:
        return None
    if profile["chargingProfilePurpose"] == "TxProfile" and (tx_start is None or t < tx_start):
        return None
    duration = schedule.get("duration")
    length = None if duration is None else duration * 1000
    kind = profile["chargingProfileKind"]
    if kind == "Relative":
        origin = session_start
    elif kind == "Absolute":
        origin = schedule["startSchedule"]
    else:
        first = schedule["startSchedule"]
        every = RECURRENCE_MS[profile["recurrencyKind"]]
        if t < first:
            return None
        origin = first + ((t - first) // every) * every
        length = every if length is None else min(length, every)
    elapsed = t - origin
    if elapsed < 0 or (length is not None and elapsed >= length):
        return None
    in_force = None
    for period in schedule["chargingSchedulePeriod"]:
        if period["startPeriod"] <= elapsed // 1000:
            in_force = period
    return in_force


class _Station:
    """Answers "what is the limit at instant t" for one request."""

    def __init__(
        self,
        profiles: Sequence[Profile],
        connector_id: int,
        transactions: Transactions,
        params: Mapping[str, Any],
        unit: str,
        session_start: int,
    ) -> None:
        self.profiles = profiles
        self.transactions = transactions
        self.params = params
        self.unit = unit
        self.session_start = session_start
        self.connectors = sorted(params["connector_max_a"]) if connector_id == 0 else [connector_id]
        self.summed = connector_id == 0

    def _applies(self, profile: Profile, connector: int) -> bool:
        purpose = profile["chargingProfilePurpose"]
        placed = profile["connectorId"]
        if purpose == "TxDefaultProfile":
            return placed in (0, connector)
        if purpose == "TxProfile":
            tx = self.transactions.get(connector)
            wanted = profile.get("transactionId")
            return placed == connector and tx is not None and wanted in (None, tx[0])
        return False

    def _winner(
        self, entries: list[tuple[tuple[Any, ...], Profile]], t: int, connector: int
    ) -> Sample | None:
        """Highest rank in force wins; equal ranks go to the lowest limit, then the first."""
        tx = self.transactions.get(connector)
        session = tx[1] if tx else self.session_start
        found: list[tuple[tuple[Any, ...], Sample]] = []
        for rank, profile in entries:
            period = _period_in_force(profile, t, session, tx[1] if tx else None)
            if period is None:
                continue
            schedule = profile["chargingSchedule"]
            given = period.get("numberPhases")
            phases = (
                self.params["grid_phases"]
                if given is None
                else min(given, self.params["grid_phases"])
            )
            volts = self.params["grid_voltage_v"]
            source = schedule["chargingRateUnit"]
            limit = _convert(_tenths(period["limit"]), source, self.unit, phases, volts)
            rate = schedule.get("minChargingRate")
            rate_tenths = (
                None if rate is None else _convert(_tenths(rate), source, self.unit, phases, volts)
            )
            found.append((rank, (limit, given, rate_tenths)))
        if not found:
            return None
        top = max(rank for rank, _ in found)
        return min((s for rank, s in found if rank == top), key=lambda s: s[0])

    def sample(self, t: int) -> Sample:
        phases: list[int] = []
        total = 0
        min_rate = None
        for connector in self.connectors:
            rating = _rating(
                self.params["connector_max_a"][connector],
                self.params["connector_max_w"][connector],
                self.unit,
                self.params,
            )
            entries = [
                (
                    (
                        p["chargingProfilePurpose"] == "TxProfile",
                        p["stackLevel"],
                        p["connectorId"] == connector,
                    ),
                    p,
                )
                for p in self.profiles
                if self._applies(p, connector)
            ]
            won = self._winner(entries, t, connector)
            total += rating if won is None else min(won[0], rating)
            if won is not None:
                if won[1] is not None:
                    phases.append(won[1])
                min_rate = won[2]
        limit = min(
            total,
            _rating(
                self.params["station_max_a"], self.params["station_max_w"], self.unit, self.params
            ),
        )
        caps = [
            ((p["stackLevel"],), p)
            for p in self.profiles
            if p["chargingProfilePurpose"] == "ChargePointMaxProfile"
        ]
        cap = self._winner(caps, t, 0)
        if cap is not None:
            limit = min(limit, cap[0])
            if cap[1] is not None:
                phases.append(cap[1])
        return (limit, min(phases) if phases else None, None if self.summed else min_rate)

    def instants(self, lo: int, hi: int) -> list[int]:
        """Every instant in [lo, hi) at which some profile might change (a superset)."""
        found = {lo}
        for connector in self.connectors:
            tx = self.transactions.get(connector)
            session = tx[1] if tx else self.session_start
            for p in self.profiles:
                found.update(_edges(p, session, tx[1] if tx else None, lo, hi))
        return sorted(t for t in found if lo <= t < hi)

    def fixed_horizon(self, now: int) -> int:
        """After this instant every profile only repeats itself."""
        horizon = now
        for connector in self.connectors:
            tx = self.transactions.get(connector)
            session = tx[1] if tx else self.session_start
            for p in self.profiles:
                edges = _edges(p, session, tx[1] if tx else None, None, None)
                horizon = max([horizon, *edges])
        return horizon


def _edges(
    profile: Profile, session: int, tx_start: int | None, lo: int | None, hi: int | None
) -> list[int]:
    """Validity edges and period starts/ends; recurring ones only for occurrences near [lo, hi)."""
    schedule = profile["chargingSchedule"]
    edges = [
        e for e in (profile.get("validFrom"), profile.get("validTo"), tx_start) if e is not None
    ]
    starts = [p["startPeriod"] * 1000 for p in schedule["chargingSchedulePeriod"]]
    duration = schedule.get("duration")
    kind = profile["chargingProfileKind"]
    if kind == "Recurring":
        every = RECURRENCE_MS[profile["recurrencyKind"]]
        first = schedule["startSchedule"]
        edges.append(first)
        if lo is None or hi is None:
            return edges
        length = every if duration is None else min(duration * 1000, every)
        k = max(0, (lo - first) // every - 1)
        while first + k * every < hi:
            origin = first + k * every
            edges += [origin + s for s in starts if s < length] + [origin + length]
            k += 1
        return edges
    origin = session if kind == "Relative" else schedule["startSchedule"]
    edges += [origin + s for s in starts] + [origin]
    if duration is not None:
        edges.append(origin + duration * 1000)
    return edges


def composite_schedule(
    profiles: Sequence[Profile],
    connector_id: int,
    start_ms: int,
    duration_s: int,
    transactions: Transactions,
    params: Mapping[str, Any],
    unit: str,
) -> dict[str, Any]:
    """The composite as whole seconds; a second in which limits change gets the lowest."""
    station = _Station(profiles, connector_id, transactions, params, unit, start_ms)
    end = start_ms + duration_s * 1000
    instants = station.instants(start_ms, end)
    inside: dict[int, list[int]] = {}
    for t in instants:
        inside.setdefault((t - start_ms) // 1000, []).append(t)
    seconds: list[tuple[int, int, int | None]] = []
    for second in sorted(set(inside) | {s + 1 for s in inside}):
        if second >= duration_s:
            continue
        at = start_ms + second * 1000
        points = [at] + [t for t in inside.get(second, []) if t > at]
        lowest = min((station.sample(t) for t in points), key=lambda s: s[0])
        seconds.append((second, lowest[0], lowest[1]))
    periods: list[dict[str, Any]] = []
    for second, limit, phases in seconds:
        if (
            periods
            and periods[-1]["limit"] == limit / 10
            and periods[-1].get("numberPhases") == phases
        ):
            continue
        period: dict[str, Any] = {"startPeriod": second, "limit": limit / 10}
        if phases is not None:
            period["numberPhases"] = phases
        periods.append(period)
    result: dict[str, Any] = {
        "scheduleStart": start_ms,
        "duration": duration_s,
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": periods,
    }
    rates = [r for r in (station.sample(t)[2] for t in instants) if r is not None]
    if rates:
        result["minChargingRate"] = max(rates) / 10
    return result


def limit_at(
    profiles: Sequence[Profile],
    connector_id: int,
    now_ms: int,
    transactions: Transactions,
    params: Mapping[str, Any],
    unit: str,
) -> tuple[float, int | None]:
    """The limit at ``now_ms`` and the first later instant where limit or phases differ."""
    station = _Station(profiles, connector_id, transactions, params, unit, now_ms)
    current = station.sample(now_ms)
    horizon = station.fixed_horizon(now_ms) + WEEK_MS + 1
    for t in station.instants(now_ms + 1, horizon):
        sample = station.sample(t)
        if sample[:2] != current[:2]:
            return current[0] / 10, t
    return current[0] / 10, None


def grid_params(station: Mapping[str, Any]) -> dict[str, Any]:
    """The grid-side ratings: DC powers over the efficiency; the station the lower of the
    grid connection and what the modules draw; amperes per phase at the nominal voltage."""
    efficiency = station["efficiency"]
    volts_phases = station["grid_voltage_v"] * station["grid_phases"]
    station_w = min(
        station["grid_max_current_a"] * volts_phases,
        station["module_count"] * station["module_max_power_w"] / efficiency,
    )
    connector_w = {c["id"]: c["max_power_w"] / efficiency for c in station["connectors"]}
    return {
        "grid_voltage_v": station["grid_voltage_v"],
        "grid_phases": station["grid_phases"],
        "station_max_a": station_w / volts_phases,
        "station_max_w": station_w,
        "connector_max_a": {cid: w / volts_phases for cid, w in connector_w.items()},
        "connector_max_w": connector_w,
    }


def install(installed: Sequence[Profile], new: Profile) -> list[Profile]:
    """Section 5.16: ``new`` replaces the same chargingProfileId, or the same purpose and
    stackLevel on the same connector."""

    def replaced(p: Profile) -> bool:
        return p["chargingProfileId"] == new["chargingProfileId"] or (
            (p["chargingProfilePurpose"], p["stackLevel"], p["connectorId"])
            == (new["chargingProfilePurpose"], new["stackLevel"], new["connectorId"])
        )

    return [p for p in installed if not replaced(p)] + [new]


def _water_level(limits: Sequence[int], cap: int) -> int:
    """The highest level L with sum(min(limit, L)) <= cap."""
    low, high = 0, max(limits)
    while low < high:
        mid = (low + high + 1) // 2
        if sum(min(limit, mid) for limit in limits) <= cap:
            low = mid
        else:
            high = mid - 1
    return low


def setpoints(
    profiles: Sequence[Profile],
    now_ms: int,
    transactions: Transactions,
    station: Mapping[str, Any],
) -> dict[str, Any]:
    """Every connector's DC setpoint at ``now_ms`` and the first instant any differs.

    A connector's own limit (grid W, its stack capped by its rating, the station's rating
    and the ChargePointMaxProfile) is shared down to a water level among the connectors
    with a transaction when they could together draw more (at most what the modules draw)
    than the ChargePointMaxProfile and the grid connection allow.
    """
    params = grid_params(station)
    efficiency = station["efficiency"]
    volts_phases = station["grid_voltage_v"] * station["grid_phases"]
    grid = math.floor(station["grid_max_current_a"] * volts_phases * 10)
    cabinet = math.floor(station["module_count"] * station["module_max_power_w"] / efficiency * 10)
    ids = sorted(params["connector_max_w"])
    own = {cid: _Station(profiles, cid, transactions, params, "W", now_ms) for cid in ids}
    whole = _Station(profiles, 0, transactions, params, "W", now_ms)
    caps = [
        ((p["stackLevel"],), p)
        for p in profiles
        if p["chargingProfilePurpose"] == "ChargePointMaxProfile"
    ]
    station_rating = _rating(params["station_max_a"], params["station_max_w"], "W", params)
    # The stage limits a connector to its rating and the modules by itself, not to the grid.
    hardware = station_rating if grid >= cabinet else cabinet

    def outputs(t: int) -> list[dict[str, Any]]:
        limits = {cid: own[cid].sample(t)[0] for cid in ids}
        cap_profile = whole._winner(caps, t, 0)
        cap = grid if cap_profile is None else min(grid, cap_profile[0])
        drawing = [cid for cid in ids if cid in transactions]
        if drawing and min(sum(limits[c] for c in drawing), cabinet) > cap:
            level = _water_level([limits[c] for c in drawing], cap)
            for c in drawing:
                limits[c] = min(limits[c], level)
        out = []
        for cid in ids:
            rating = _rating(
                params["connector_max_a"][cid], params["connector_max_w"][cid], "W", params
            )
            unlimited = min(rating, hardware)
            limit = limits[cid]
            out.append(
                {
                    "connector_id": cid,
                    "limit_w": None if limit >= unlimited else limit / 10 * efficiency,
                    "offers_energy": limit > 0,
                }
            )
        return out

    current = outputs(now_ms)
    horizon = whole.fixed_horizon(now_ms) + WEEK_MS + 1
    for t in whole.instants(now_ms + 1, horizon):
        if outputs(t) != current:
            return {"connectors": current, "next_change_ms": t}
    return {"connectors": current, "next_change_ms": None}
