"""Limits that reach the power stage: pushed at every change, re-evaluated at the next one.

Units (the crate docs of rust/smart-charging): the engine works in grid terms, an A limit
being AC current per phase and a W limit the power drawn from the grid. This station asks
the engine in W and hands ``PowerControl.set_limit`` that grid power; the power stage
takes the conversion losses off (``grid.efficiency``) and regulates the DC output. The
ratings given to the engine are therefore grid-side too: a connector's DC power rating
divided by the efficiency, and for the station the lower of the grid connection
(``grid.max_current_a`` per phase) and what the rectifier modules can draw.

The ChargePointMaxProfile caps the station as a whole, while the stage takes one limit per
connector: the cap is shared among the connectors with a running transaction (water-filling:
nobody gets more than its own limit, the rest is split evenly), so the sum of the setpoints
never exceeds it.

Nothing is polled: ``limit_at`` tells the instant of the next change and one timer wakes
the applier then (ARCHITECTURE.md, "a change of limit is pushed, not polled").
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chargestack import _core
from chargestack.exceptions import SmartChargingError

if TYPE_CHECKING:
    from chargestack._core import _ElectricalParams
    from chargestack.profiles.core.transactions import ActiveTransaction, TransactionService
    from chargestack.station.settings import StationSettings
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.smart_charging")

Transactions = dict[int, tuple[int, int]]
# The timer fires on the event loop's monotonic clock, the engine counts in wall-clock ms:
# a millisecond of margin keeps a wake-up from landing just before the change it is for.
_MARGIN_S = 0.001


def electrical_params(settings: StationSettings) -> _ElectricalParams:
    """The station's ratings in grid terms, as the engine expects them (module docstring)."""
    grid = settings.grid
    volts_phases = grid.nominal_voltage_v * grid.phases
    modules = settings.power.modules
    station_w = min(
        grid.max_current_a * volts_phases, modules.count * modules.max_power_w / grid.efficiency
    )
    connector_w = {c.id: c.max_power_w / grid.efficiency for c in settings.connectors}
    return {
        "grid_voltage_v": grid.nominal_voltage_v,
        "grid_phases": grid.phases,
        "station_max_a": station_w / volts_phases,
        "station_max_w": station_w,
        "connector_max_a": {cid: w / volts_phases for cid, w in connector_w.items()},
        "connector_max_w": connector_w,
    }


def engine_transactions(
    active: Mapping[int, ActiveTransaction], profiles: Sequence[dict[str, Any]]
) -> Transactions:
    """The engine's ``transactions``: connector -> (transactionId, start ms).

    Until StartTransaction.conf arrives the station does not know the id. It then stands in
    with an id no installed TxProfile names, so a TxProfile bound to a transactionId never
    applies to a transaction that may turn out to be another one.
    """
    named = {p["transactionId"] for p in profiles if p.get("transactionId") is not None}
    lowest = min(named, default=0)
    # transactionId is a 32-bit integer on the wire and in the engine.
    unknown = lowest - 1 if lowest > -(2**31) else max(named) + 1
    return {
        cid: (tx.transaction_id if tx.transaction_id is not None else unknown, tx.start_ms)
        for cid, tx in active.items()
    }


def share_cap(limits: Mapping[int, float], cap: float) -> dict[int, float]:
    """Split ``cap`` over connectors so none exceeds its own limit and the sum stays under it."""
    out: dict[int, float] = {}
    remaining = cap
    pending = sorted(limits, key=lambda cid: limits[cid])
    while pending:
        fair = remaining / len(pending)
        cid = pending[0]
        if limits[cid] <= fair:
            out[cid] = limits[cid]
            remaining -= limits[cid]
            pending.pop(0)
            continue
        # Tenths, rounded down: a share never adds up to more than the cap.
        for rest in pending:
            out[rest] = math.floor(fair * 10) / 10
        break
    return out


class LimitApplier:
    """Computes every connector's limit now, pushes changes, arms the next re-evaluation."""

    def __init__(
        self,
        station: Station,
        profiles: Callable[[], Sequence[dict[str, Any]]],
        transactions: TransactionService,
    ) -> None:
        self.station = station
        self._profiles = profiles
        self._transactions = transactions
        self.params = electrical_params(station.settings)
        self._connectors = sorted(station.connectors)
        self.applied: dict[int, float | None] = {}
        self.limits_w: dict[int, float] = {}
        self._suspended: set[int] = set()
        self._timer: asyncio.TimerHandle | None = None
        # With no profile at all, the engine's answer is the hardware rating: the value that
        # means "no smart-charging limit" (sent to the stage as None).
        self._ratings = {
            cid: _core.limit_at([], cid, 0, {}, self.params, "W")[0] for cid in self._connectors
        }
        self._station_rating = _core.limit_at([], 0, 0, {}, self.params, "W")[0]

    def apply(self) -> None:
        """Re-evaluate now; call after any change of profiles or transactions."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        now_ms = self.station.clock.now_ms()
        try:
            limits, next_ms = self._evaluate(now_ms)
        except SmartChargingError:
            # Installed profiles passed validation; an engine refusal here is a bug, and
            # the previous setpoints (never above a limit that was in force) stay.
            log.exception("composite limit could not be computed")
            return
        for cid, limit_w in limits.items():
            self._push(cid, limit_w)
        if next_ms is not None:
            delay = max(0.0, (next_ms - now_ms) / 1000) + _MARGIN_S
            self._timer = asyncio.get_running_loop().call_later(delay, self.apply)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def transaction_ended(self, connector_id: int) -> None:
        # The transaction service clears evse_suspended itself when a transaction closes.
        self._suspended.discard(connector_id)

    def _evaluate(self, now_ms: int) -> tuple[dict[int, float], int | None]:
        profiles = self._profiles()
        txs = engine_transactions(self._transactions.active, profiles)
        changes: list[int] = []
        limits: dict[int, float] = {}
        for cid in self._connectors:
            limit, change = _core.limit_at(profiles, cid, now_ms, txs, self.params, "W")
            limits[cid] = limit
            if change is not None:
                changes.append(change)
        caps = [p for p in profiles if p["chargingProfilePurpose"] == "ChargePointMaxProfile"]
        cap, change = _core.limit_at(caps, 0, now_ms, txs, self.params, "W")
        if change is not None:
            changes.append(change)
        charging = {cid: limits[cid] for cid in txs if cid in limits}
        # Without a ChargePointMaxProfile in force the stage allocates its modules itself;
        # splitting the bare station rating here would strand power an EV leaves unused.
        if cap < self._station_rating and sum(charging.values()) > cap:
            limits.update(share_cap(charging, cap))
        self.limits_w = limits
        return limits, min(changes) if changes else None

    def _push(self, cid: int, limit_w: float) -> None:
        setpoint = None if limit_w >= self._ratings[cid] else limit_w
        if cid not in self.applied or self.applied[cid] != setpoint:
            self.station.hardware.power.set_limit(cid, setpoint)
            self.applied[cid] = setpoint
            log.info("connector %d limit %s W", cid, "none" if setpoint is None else setpoint)
        self._suspend(cid, limit_w <= 0)

    def _suspend(self, cid: int, zero: bool) -> None:
        """Errata 3.55/3.64: a limit of 0 means the EVSE offers no energy (SuspendedEVSE)."""
        facts = self.station.connectors[cid].facts
        if zero and facts.in_transaction and cid not in self._suspended:
            self._suspended.add(cid)
            facts.evse_suspended = True
            self.station.refresh(cid)
        elif not zero and cid in self._suspended:
            self._suspended.discard(cid)
            tx = self._transactions.active_on(cid)
            # MaxEnergyOnInvalidId (errata 3.5) may be holding the energy off as well.
            if tx is None or not tx.deauthorized:
                facts.evse_suspended = False
                self.station.refresh(cid)
