"""Smart Charging (OCPP 1.6 sections 3.13, 5.5, 5.7, 5.16): profiles in, limits out.

Profiles are written to the store before they take effect (errata 3.37: they persist),
kept in memory as the engine's dicts, and every change (a profile set or cleared, a
transaction starting or ending) re-applies the limits at once through the
:class:`LimitApplier`.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chargestack import _core
from chargestack.exceptions import PropertyConstraintViolationError, SmartChargingError
from chargestack.ocpp import messages as m
from chargestack.ocpp.router import on
from chargestack.profiles.smart_charging.limit_applier import LimitApplier, engine_transactions
from chargestack.profiles.smart_charging.profile_rules import (
    EngineProfile,
    ProfileLimits,
    engine_profile,
    matches_clear,
    replaced_ids,
    static_violation,
)
from chargestack.station.clock import from_ms
from chargestack.store.charging_profiles import ChargingProfiles

if TYPE_CHECKING:
    from chargestack.profiles.core.transactions import ActiveTransaction, TransactionService
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.smart_charging")

# composite_schedule's longest window (rust/smart-charging MAX_WINDOW_S): 366 days.
_MAX_WINDOW_S = 366 * 86_400


class SmartChargingService:
    def __init__(self, station: Station) -> None:
        self.station = station
        self.transactions: TransactionService = station.transactions  # type: ignore[attr-defined]
        self._profiles: dict[int, EngineProfile] = {}
        self._pending_remote: dict[int, m.ChargingProfile] = {}
        self.applier = LimitApplier(station, self.installed, self.transactions)
        # The hooks of RemoteStartTransaction and of the transactions (transactions.py).
        station.smart_charging = self  # type: ignore[attr-defined]

    @property
    def _store(self) -> ChargingProfiles:
        return ChargingProfiles(self.station.store)

    def installed(self) -> list[EngineProfile]:
        return list(self._profiles.values())

    def _limits(self) -> ProfileLimits:
        return ProfileLimits.from_config(self.station.config, len(self.station.connectors))

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        # No transaction survives a restart (the journal closes them with PowerLoss), so
        # neither do TxProfiles; every other profile is re-applied (errata 3.37).
        self._store.delete_tx_profiles()
        self._profiles = {p["chargingProfileId"]: p for p in self._store.all()}
        self.applier.apply()

    async def stop(self) -> None:
        self.applier.stop()

    def on_registered(self, reconnect: bool) -> None:
        # BootNotification's currentTime may have moved the station clock: limits and the
        # next-change timer are re-evaluated on the corrected time.
        self.applier.apply()

    # -- SetChargingProfile ----------------------------------------------------------------

    @on("SetChargingProfile")
    async def set_charging_profile(
        self, request: m.SetChargingProfileRequest
    ) -> m.SetChargingProfileResponse:
        cid = request.connector_id
        if not 0 <= cid <= len(self.station.connectors):
            # Errata 3.39: an invalid connectorId is a CALLERROR, not a Rejected.
            raise PropertyConstraintViolationError(f"connectorId {cid} does not exist")
        body = engine_profile(request.cs_charging_profiles, cid)
        reason = self._refusal(body)
        if reason is not None:
            log.info("SetChargingProfile %d rejected: %s", body["chargingProfileId"], reason)
            return _set_status("Rejected")
        self._install(body)
        return _set_status("Accepted")

    def _refusal(self, body: EngineProfile) -> str | None:
        limits = self._limits()
        violation = static_violation(body, limits)
        if violation is not None:
            return violation
        if body["chargingProfilePurpose"] == "TxProfile":
            tx = self.transactions.active_on(body["connectorId"])
            if tx is None:
                return "a TxProfile needs a transaction running on its connector"
            wanted = body.get("transactionId")
            if wanted is not None and wanted != tx.transaction_id:
                # Also while the id is not yet known: it cannot be shown to match.
                return f"transactionId {wanted} is not the running transaction"
        replaced = replaced_ids(body, self._profiles.values())
        if not replaced and len(self._profiles) >= limits.max_installed:
            return f"MaxChargingProfilesInstalled ({limits.max_installed}) reached"
        return None

    def _install(self, body: EngineProfile) -> None:
        replaced = replaced_ids(body, self._profiles.values())
        self._store.install(body, replaced, self.station.clock.now_ms())
        for profile_id in replaced:
            self._profiles.pop(profile_id, None)
        self._profiles[body["chargingProfileId"]] = body
        self.applier.apply()

    # -- ClearChargingProfile --------------------------------------------------------------

    @on("ClearChargingProfile")
    async def clear_charging_profile(
        self, request: m.ClearChargingProfileRequest
    ) -> m.ClearChargingProfileResponse:
        matched = [pid for pid, p in self._profiles.items() if matches_clear(p, request)]
        if not matched:
            return m.ClearChargingProfileResponse(status=m.ClearChargingProfileStatus("Unknown"))
        self._store.delete(matched)
        for profile_id in matched:
            del self._profiles[profile_id]
        self.applier.apply()
        return m.ClearChargingProfileResponse(status=m.ClearChargingProfileStatus("Accepted"))

    # -- GetCompositeSchedule ----------------------------------------------------------------

    @on("GetCompositeSchedule")
    async def get_composite_schedule(
        self, request: m.GetCompositeScheduleRequest
    ) -> m.GetCompositeScheduleResponse:
        # Errata 3.29: the schedule covers [receipt time, receipt time + duration].
        now_ms = self.station.clock.now_ms()
        cid = request.connector_id
        if not 0 <= cid <= len(self.station.connectors) or request.duration < 1:
            return m.GetCompositeScheduleResponse(status=m.GetCompositeScheduleStatus("Rejected"))
        unit = self._composite_unit(request.charging_rate_unit)
        try:
            schedule = _core.composite_schedule(
                self.installed(),
                cid,
                now_ms,
                min(request.duration, _MAX_WINDOW_S),
                engine_transactions(self.transactions.active, self.installed()),
                self.applier.params,
                unit,
            )
        except SmartChargingError:
            log.exception("composite schedule of connector %d failed", cid)
            return m.GetCompositeScheduleResponse(status=m.GetCompositeScheduleStatus("Rejected"))
        return m.GetCompositeScheduleResponse(
            status=m.GetCompositeScheduleStatus("Accepted"),
            connector_id=cid,
            schedule_start=from_ms(schedule["scheduleStart"]),
            charging_schedule=_charging_schedule(dict(schedule)),
        )

    def _composite_unit(self, requested: m.ChargingRateUnitType | None) -> Any:
        if requested is not None:
            return requested.value
        # Not asked for: the first unit ChargingScheduleAllowedChargingRateUnit names.
        allowed = self._limits().allowed_units
        return allowed[0] if allowed else "W"

    # -- hooks called by the transaction service ---------------------------------------------

    def accepts_remote_start_profile(self, profile: m.ChargingProfile) -> bool:
        """Errata 3.41: a RemoteStartTransaction profile is a TxProfile without transactionId."""
        if profile.charging_profile_purpose.value != "TxProfile":
            return False
        if profile.transaction_id is not None:
            return False
        # Validated as it will be installed: on a connector (the first; placement of a
        # TxProfile only excludes connector 0).
        body = engine_profile(profile, 1)
        violation = static_violation(body, self._limits())
        if violation is not None:
            log.info("RemoteStartTransaction profile rejected: %s", violation)
            return False
        return True

    def pending_remote_profile(self, connector_id: int, profile: m.ChargingProfile | None) -> None:
        if profile is None:
            self._pending_remote.pop(connector_id, None)
        else:
            self._pending_remote[connector_id] = profile

    def transaction_started(self, connector_id: int, tx: ActiveTransaction) -> None:
        profile = self._pending_remote.pop(connector_id, None)
        if profile is not None:
            # Errata 3.42: installed like any TxProfile, so a later SetChargingProfile with
            # the same stackLevel for this transaction replaces it.
            self._install(engine_profile(profile, connector_id))
        else:
            self.applier.apply()

    def transaction_ended(self, connector_id: int) -> None:
        ended = [
            pid
            for pid, p in self._profiles.items()
            if p["chargingProfilePurpose"] == "TxProfile" and p["connectorId"] == connector_id
        ]
        self._store.delete_tx_profiles(connector_id)
        for profile_id in ended:
            del self._profiles[profile_id]
        self.applier.transaction_ended(connector_id)
        self.applier.apply()


def _set_status(status: str) -> m.SetChargingProfileResponse:
    return m.SetChargingProfileResponse(status=m.ChargingProfileStatus(status))


def _charging_schedule(schedule: dict[str, Any]) -> m.ChargingSchedule:
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
