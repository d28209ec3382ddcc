"""Smart Charging (OCPP 1.6 sections 3.13, 5.5, 5.7, 5.16): profiles in, limits out.

Profiles are parsed and checked once, into the station's ``ProfileSet`` (rust/smart-charging),
written to the store before they take effect (errata 3.37: they persist), and every change
(a profile set or cleared, a transaction starting or ending) re-applies the limits at once
through the :class:`LimitApplier`. The service hears of transactions as a
``TransactionObserver`` and takes a RemoteStartTransaction's profile as the Core profile's
``LimitSource``.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from chargestack import _core
from chargestack.exceptions import PropertyConstraintViolationError, SmartChargingError
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Refuse, on
from chargestack.profiles.smart_charging.limit_applier import LimitApplier
from chargestack.profiles.smart_charging.profile_rules import clear_criteria, profile_limits
from chargestack.station.block import Block
from chargestack.station.clock import Clock, from_ms
from chargestack.station.configuration import Configuration
from chargestack.station.extension_points import TransactionInfo
from chargestack.station.ports import ConnectorBoard
from chargestack.store import Store
from chargestack.store.charging_profiles import ChargingProfiles

if TYPE_CHECKING:
    from chargestack._core import _CompositeSchedule, _ProfileLimits, _StationRatings, _Unit
    from chargestack.hardware.interfaces import PowerControl

log = logging.getLogger("chargestack.smart_charging")

# composite_schedule's longest window (rust/smart-charging MAX_WINDOW_S): 366 days.
_MAX_WINDOW_S = 366 * 86_400


class SmartChargingService(Block):
    """Implements ``TransactionObserver`` and ``LimitSource`` (station/extension_points)."""

    def __init__(
        self,
        *,
        ratings: _StationRatings,
        board: ConnectorBoard,
        power: PowerControl,
        store: Store,
        config: Configuration,
        clock: Clock,
    ) -> None:
        self._board = board
        self._config = config
        self._clock = clock
        self._store = ChargingProfiles(store)
        self.profiles = _core.ProfileSet(ratings)
        self._pending_remote: dict[int, m.ChargingProfile] = {}
        # The transactions running now (live: their transactionId arrives later).
        self._running: dict[int, TransactionInfo] = {}
        self.applier = LimitApplier(
            board=board, power=power, clock=clock, profiles=self.profiles, running=self._running
        )

    def _limits(self) -> _ProfileLimits:
        return profile_limits(self._config, len(self._board.connectors))

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        # No transaction survives a restart (the journal closes them with PowerLoss), so
        # neither do TxProfiles; every other profile is re-applied (errata 3.37).
        self._store.delete_tx_profiles()
        for row in self._store.all():
            try:
                self.profiles.install(_core.ChargingProfile(row))
            except SmartChargingError:
                # Kept in the store, where it can be inspected; the others still apply.
                log.exception("a stored charging profile cannot be read: %s", row)
        self.applier.apply()

    async def stop(self) -> None:
        self.applier.stop()

    def on_registered(self, reconnect: bool) -> None:
        # BootNotification's currentTime may have moved the station clock: limits and the
        # next-change timer are re-evaluated on the corrected time.
        self.applier.apply()

    # -- SetChargingProfile ----------------------------------------------------------------

    @on(
        Action.SET_CHARGING_PROFILE,
        without_storage=Refuse(
            m.SetChargingProfileResponse(status=m.ChargingProfileStatus("Rejected"))
        ),
    )
    async def set_charging_profile(
        self, request: m.SetChargingProfileRequest
    ) -> m.SetChargingProfileResponse:
        cid = request.connector_id
        if not 0 <= cid <= len(self._board.connectors):
            # Errata 3.39: an invalid connectorId is a CALLERROR, not a Rejected.
            raise PropertyConstraintViolationError(f"connectorId {cid} does not exist")
        wire = request.cs_charging_profiles
        try:
            profile = _core.ChargingProfile(_profile_json(wire), cid)
            replaced = self.profiles.admit(profile, self._limits())
        except SmartChargingError as exc:
            # Any violation rejects the profile whole, nothing of it installed.
            log.info("SetChargingProfile %d rejected: %s", wire.charging_profile_id, exc)
            return _set_status("Rejected")
        reason = self._transaction_refusal(profile)
        if reason is not None:
            log.info("SetChargingProfile %d rejected: %s", profile.id, reason)
            return _set_status("Rejected")
        self._install(profile, replaced)
        return _set_status("Accepted")

    def _transaction_refusal(self, profile: _core.ChargingProfile) -> str | None:
        """A TxProfile needs a running transaction with a matching id (errata 3.41)."""
        if profile.purpose != "TxProfile":
            return None
        tx = self._running.get(profile.connector_id)
        if tx is None:
            return "a TxProfile needs a transaction running on its connector"
        wanted = profile.transaction_id
        if wanted is not None and wanted != tx.transaction_id:
            # Also while the id is not yet known: it cannot be shown to match.
            return f"transactionId {wanted} is not the running transaction"
        return None

    def _install(self, profile: _core.ChargingProfile, replaced: list[int]) -> None:
        self._store.install(profile, replaced, self._clock.now_ms())
        self.profiles.install(profile)
        self.applier.apply()

    # -- ClearChargingProfile --------------------------------------------------------------

    @on(
        Action.CLEAR_CHARGING_PROFILE,
        without_storage=Refuse(
            m.ClearChargingProfileResponse(status=m.ClearChargingProfileStatus("Unknown"))
        ),
    )
    async def clear_charging_profile(
        self, request: m.ClearChargingProfileRequest
    ) -> m.ClearChargingProfileResponse:
        matched = self.profiles.matching(clear_criteria(request))
        if not matched:
            return m.ClearChargingProfileResponse(status=m.ClearChargingProfileStatus("Unknown"))
        self._store.delete(matched)
        self.profiles.remove(matched)
        self.applier.apply()
        return m.ClearChargingProfileResponse(status=m.ClearChargingProfileStatus("Accepted"))

    # -- GetCompositeSchedule ----------------------------------------------------------------

    @on(Action.GET_COMPOSITE_SCHEDULE)
    async def get_composite_schedule(
        self, request: m.GetCompositeScheduleRequest
    ) -> m.GetCompositeScheduleResponse:
        # Errata 3.29: the schedule covers [receipt time, receipt time + duration]. The
        # receipt time is floored to the second: periods are whole seconds (7.13, startPeriod
        # an integer), so a profile on whole seconds is then reported on its own seconds.
        # From a mid-second start every change would share a second with its neighbour (the
        # lower limit winning it), and a remainder under a second after the last profile
        # ends would vanish instead of showing the station's own limit (TC_056).
        now_ms = self._clock.now_ms() // 1000 * 1000
        cid = request.connector_id
        if not 0 <= cid <= len(self._board.connectors) or request.duration < 1:
            return m.GetCompositeScheduleResponse(status=m.GetCompositeScheduleStatus("Rejected"))
        unit = self._composite_unit(request.charging_rate_unit)
        try:
            schedule = self.profiles.composite_schedule(
                cid,
                now_ms,
                min(request.duration, _MAX_WINDOW_S),
                # Section 5.7: the schedule the station executes, so a Relative profile
                # counts the time its transaction really ran across clock adjustments.
                self.applier.transactions(),
                unit,
            )
        except SmartChargingError:
            log.exception("composite schedule of connector %d failed", cid)
            return m.GetCompositeScheduleResponse(status=m.GetCompositeScheduleStatus("Rejected"))
        return m.GetCompositeScheduleResponse(
            status=m.GetCompositeScheduleStatus("Accepted"),
            connector_id=cid,
            schedule_start=from_ms(schedule["scheduleStart"]),
            charging_schedule=_charging_schedule(schedule),
        )

    def _composite_unit(self, requested: m.ChargingRateUnitType | None) -> _Unit:
        if requested is not None:
            return "A" if requested.value == "A" else "W"
        # Not asked for: the first unit ChargingScheduleAllowedChargingRateUnit names.
        allowed = self._limits()["allowed_units"]
        return allowed[0] if allowed else "W"

    # -- LimitSource ---------------------------------------------------------------------------

    def accepts_remote_start_profile(self, profile: m.ChargingProfile) -> bool:
        """Errata 3.41: a RemoteStartTransaction profile is a TxProfile without transactionId."""
        if profile.charging_profile_purpose.value != "TxProfile":
            return False
        if profile.transaction_id is not None:
            return False
        # Validated as it will be installed: on a connector (the first; placement of a
        # TxProfile only excludes connector 0).
        try:
            _core.ChargingProfile(_profile_json(profile), 1).check(self._limits())
        except SmartChargingError as exc:
            log.info("RemoteStartTransaction profile rejected: %s", exc)
            return False
        return True

    def pending_remote_profile(self, connector_id: int, profile: m.ChargingProfile | None) -> None:
        if profile is None:
            self._pending_remote.pop(connector_id, None)
        else:
            self._pending_remote[connector_id] = profile

    # -- TransactionObserver -------------------------------------------------------------------

    def transaction_started(self, tx: TransactionInfo) -> None:
        connector_id = tx.connector_id
        self._running[connector_id] = tx
        pending = self._pending_remote.pop(connector_id, None)
        if pending is None:
            self.applier.apply()
            return
        try:
            profile = _core.ChargingProfile(_profile_json(pending), connector_id)
        except SmartChargingError:
            # It passed the same parse when RemoteStartTransaction was accepted.
            log.exception("RemoteStartTransaction profile cannot be installed")
            self.applier.apply()
            return
        # Errata 3.42: installed like any TxProfile, so a later SetChargingProfile with
        # the same stackLevel for this transaction replaces it.
        self._install(profile, self.profiles.replaced_by(profile))

    def transaction_ended(self, connector_id: int) -> None:
        self._running.pop(connector_id, None)
        self._store.delete_tx_profiles(connector_id)
        self.profiles.remove(self.profiles.tx_profiles_on(connector_id))
        self.applier.transaction_ended(connector_id)
        self.applier.apply()


def _set_status(status: str) -> m.SetChargingProfileResponse:
    return m.SetChargingProfileResponse(status=m.ChargingProfileStatus(status))


def _profile_json(profile: m.ChargingProfile) -> str:
    """The ``csChargingProfiles`` object as JSON, the form ``_core.ChargingProfile`` reads."""
    return profile.model_dump_json(by_alias=True, exclude_none=True)


def _charging_schedule(schedule: _CompositeSchedule) -> m.ChargingSchedule:
    """Errata 3.57: startSchedule is omitted inside; the top-level scheduleStart says it."""
    rate = schedule.get("minChargingRate")
    return m.ChargingSchedule(
        charging_rate_unit=m.ChargingRateUnitType(schedule["chargingRateUnit"]),
        charging_schedule_period=[
            m.ChargingSchedulePeriod(
                start_period=p["startPeriod"],
                limit=Decimal(repr(p["limit"])),
                number_phases=p.get("numberPhases"),
            )
            for p in schedule["chargingSchedulePeriod"]
        ],
        duration=schedule["duration"],
        min_charging_rate=None if rate is None else Decimal(repr(rate)),
    )
