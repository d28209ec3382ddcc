"""Limits that reach the power stage: pushed at every change, re-evaluated at the next one.

The station's ``ProfileSet`` (rust/smart-charging) answers, for an instant, every
connector's DC setpoint and the instant any of them next changes: the profiles stacked per
connector on the grid side, the ChargePointMaxProfile and the grid connection shared
between the connectors with a transaction, and the conversion to the DC output the stage
regulates (phases, nominal voltage, efficiency: the crate's ``electrical.rs``). This module
only hands the answer to the power stage and arms one timer for the next change
(ARCHITECTURE.md, "a change of limit is pushed, not polled"). The change is an instant of
the station clock, so the timer is the clock's: an adjustment of the clock, either way, ends
it at once and the setpoints are worked out anew for the adjusted time (issue 17 item 4).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from chargestack.exceptions import SmartChargingError

if TYPE_CHECKING:
    from chargestack._core import ProfileSet, _Setpoint, _StationRatings, _Transactions
    from chargestack.hardware.interfaces import PowerControl
    from chargestack.settings import StationSettings
    from chargestack.station.clock import Clock, WallTimer
    from chargestack.station.extension_points import TransactionInfo
    from chargestack.station.ports import ConnectorBoard

log = logging.getLogger("chargestack.smart_charging")


def station_ratings(settings: StationSettings) -> _StationRatings:
    """The station file's electrical description, as ``ProfileSet`` takes it."""
    grid = settings.grid
    modules = settings.power.modules
    return {
        "grid_voltage_v": grid.nominal_voltage_v,
        "grid_phases": grid.phases,
        "grid_max_current_a": grid.max_current_a,
        "efficiency": grid.efficiency,
        "module_count": modules.count,
        "module_max_power_w": modules.max_power_w,
        "connectors": [{"id": c.id, "max_power_w": c.max_power_w} for c in settings.connectors],
    }


def engine_transactions(
    active: Mapping[int, TransactionInfo], moved_ms: Mapping[int, int] | None = None
) -> _Transactions:
    """connector -> (transactionId, None until StartTransaction.conf told it; start ms).

    ``moved_ms``: how far the station clock was adjusted since each transaction started;
    its start on the adjusted clock is that much later (a Relative TxProfile counts the
    time the transaction really ran)."""
    moved = moved_ms or {}
    return {cid: (tx.transaction_id, tx.start_ms + moved.get(cid, 0)) for cid, tx in active.items()}


class LimitApplier:
    """Pushes every connector's setpoint to the power stage, arms the next re-evaluation."""

    def __init__(
        self,
        *,
        board: ConnectorBoard,
        power: PowerControl,
        clock: Clock,
        profiles: ProfileSet,
        running: Mapping[int, TransactionInfo],
    ) -> None:
        self._board = board
        self._power = power
        self._clock = clock
        self._profiles = profiles
        # The transactions running now, as the smart charging service hears of them.
        self._running = running
        self.applied: dict[int, float | None] = {}
        self._suspended: set[int] = set()
        self._timer: WallTimer | None = None
        # The clock's offset when each running transaction was first seen here.
        self._offset_at_start: dict[int, float] = {}

    def apply(self) -> None:
        """Re-evaluate now; call after any change of profiles or transactions."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        now_ms = self._clock.now_ms()
        try:
            answer = self._profiles.setpoints(now_ms, self.transactions())
        except SmartChargingError:
            # Installed profiles were checked at installation; an engine refusal here is a
            # bug, and the previous setpoints (never above a limit that was in force) stay.
            log.exception("setpoints could not be computed")
            return
        for setpoint in answer["connectors"]:
            self._push(setpoint)
        # Armed even without a next change: an adjustment of the clock may bring one back.
        self._timer = self._clock.call_at_ms(answer["next_change_ms"], self.apply)

    def transactions(self) -> _Transactions:
        """The running transactions as the engine takes them, each started where it did on
        the adjusted clock: what the stage executes and what a composite reports agree."""
        offset = self._clock.offset_s
        moved_ms = {
            cid: round((offset - self._offset_at_start.setdefault(cid, offset)) * 1000)
            for cid in self._running
        }
        return engine_transactions(self._running, moved_ms)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def transaction_ended(self, connector_id: int) -> None:
        # The transaction lifecycle clears evse_suspended itself when a transaction closes.
        self._suspended.discard(connector_id)
        self._offset_at_start.pop(connector_id, None)

    def _push(self, setpoint: _Setpoint) -> None:
        cid, limit_w = setpoint["connector_id"], setpoint["limit_w"]
        if cid not in self.applied or self.applied[cid] != limit_w:
            self._power.set_limit(cid, limit_w)
            self.applied[cid] = limit_w
            log.info("connector %d limit %s W (DC)", cid, "none" if limit_w is None else limit_w)
        self._suspend(cid, not setpoint["offers_energy"])

    def _suspend(self, cid: int, zero: bool) -> None:
        """Errata 3.55/3.64: a limit of 0 means the EVSE offers no energy (SuspendedEVSE)."""
        facts = self._board.connector(cid).facts
        if zero and facts.in_transaction and cid not in self._suspended:
            self._suspended.add(cid)
            facts.evse_suspended = True
            self._board.refresh(cid)
        elif not zero and cid in self._suspended:
            self._suspended.discard(cid)
            tx = self._running.get(cid)
            # MaxEnergyOnInvalidId (errata 3.5) may be holding the energy off as well.
            if tx is None or not tx.deauthorized:
                facts.evse_suspended = False
                self._board.refresh(cid)
