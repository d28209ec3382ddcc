"""Answers of a charger sold without an optional feature profile.

Where the response of a profile's message has a status for "not supported", the
specification wants that status, not a CALLERROR (OCTT TC_042_1, TC_043_1, TC_048_4,
TC_050_4): ReserveNow Rejected ("not configured to accept reservations"), SendLocalList
NotSupported, GetLocalListVersion -1, SetChargingProfile NotSupported, TriggerMessage
NotImplemented. Messages whose response has no such status keep no handler and are answered
with the CALLERROR NotSupported: CancelReservation (its Rejected means an unknown id),
ClearChargingProfile and GetCompositeSchedule (Unknown and Rejected would claim a lookup that
never happened), UpdateFirmware and GetDiagnostics (no status at all). The Core profile is
always offered.
"""

from __future__ import annotations

from typing import Any

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import on


class ReservationNotOffered:
    @on(Action.RESERVE_NOW)
    async def reserve_now(self, request: m.ReserveNowRequest) -> m.ReserveNowResponse:
        return m.ReserveNowResponse(status=m.ReservationStatus("Rejected"))


class LocalListNotOffered:
    @on(Action.GET_LOCAL_LIST_VERSION)
    async def get_local_list_version(
        self, request: m.GetLocalListVersionRequest
    ) -> m.GetLocalListVersionResponse:
        return m.GetLocalListVersionResponse(list_version=-1)

    @on(Action.SEND_LOCAL_LIST)
    async def send_local_list(self, request: m.SendLocalListRequest) -> m.SendLocalListResponse:
        return m.SendLocalListResponse(status=m.UpdateStatus("NotSupported"))


class SmartChargingNotOffered:
    @on(Action.SET_CHARGING_PROFILE)
    async def set_charging_profile(
        self, request: m.SetChargingProfileRequest
    ) -> m.SetChargingProfileResponse:
        return m.SetChargingProfileResponse(status=m.ChargingProfileStatus("NotSupported"))


class RemoteTriggerNotOffered:
    @on(Action.TRIGGER_MESSAGE)
    async def trigger_message(self, request: m.TriggerMessageRequest) -> m.TriggerMessageResponse:
        return m.TriggerMessageResponse(status=m.TriggerMessageStatus("NotImplemented"))


NOT_OFFERED: dict[str, type[Any]] = {
    "Reservation": ReservationNotOffered,
    "LocalAuthListManagement": LocalListNotOffered,
    "SmartCharging": SmartChargingNotOffered,
    "RemoteTrigger": RemoteTriggerNotOffered,
}
