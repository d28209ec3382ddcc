"""Every OCPP 1.6J action: its wire name, payload models, initiator and feature profile.

The profile assignment follows OCPP 1.6 section 3.3 with the column fix of errata 3.2; the 11
security-whitepaper actions form their own group (the whitepaper defines no profile token).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from pydantic import BaseModel

from chargestack.ocpp.messages import (
    core,
    core_remote,
    firmware,
    local_auth,
    reservation,
    security,
    smart_charging,
    trigger,
)


class Action(StrEnum):
    """The CALL action names, exactly as on the wire (case-sensitive, OCPP-J section 4.2.1)."""

    AUTHORIZE = "Authorize"
    BOOT_NOTIFICATION = "BootNotification"
    CANCEL_RESERVATION = "CancelReservation"
    CERTIFICATE_SIGNED = "CertificateSigned"
    CHANGE_AVAILABILITY = "ChangeAvailability"
    CHANGE_CONFIGURATION = "ChangeConfiguration"
    CLEAR_CACHE = "ClearCache"
    CLEAR_CHARGING_PROFILE = "ClearChargingProfile"
    DATA_TRANSFER = "DataTransfer"
    DELETE_CERTIFICATE = "DeleteCertificate"
    DIAGNOSTICS_STATUS_NOTIFICATION = "DiagnosticsStatusNotification"
    EXTENDED_TRIGGER_MESSAGE = "ExtendedTriggerMessage"
    FIRMWARE_STATUS_NOTIFICATION = "FirmwareStatusNotification"
    GET_COMPOSITE_SCHEDULE = "GetCompositeSchedule"
    GET_CONFIGURATION = "GetConfiguration"
    GET_DIAGNOSTICS = "GetDiagnostics"
    GET_INSTALLED_CERTIFICATE_IDS = "GetInstalledCertificateIds"
    GET_LOCAL_LIST_VERSION = "GetLocalListVersion"
    GET_LOG = "GetLog"
    HEARTBEAT = "Heartbeat"
    INSTALL_CERTIFICATE = "InstallCertificate"
    LOG_STATUS_NOTIFICATION = "LogStatusNotification"
    METER_VALUES = "MeterValues"
    REMOTE_START_TRANSACTION = "RemoteStartTransaction"
    REMOTE_STOP_TRANSACTION = "RemoteStopTransaction"
    RESERVE_NOW = "ReserveNow"
    RESET = "Reset"
    SECURITY_EVENT_NOTIFICATION = "SecurityEventNotification"
    SEND_LOCAL_LIST = "SendLocalList"
    SET_CHARGING_PROFILE = "SetChargingProfile"
    SIGN_CERTIFICATE = "SignCertificate"
    SIGNED_FIRMWARE_STATUS_NOTIFICATION = "SignedFirmwareStatusNotification"
    SIGNED_UPDATE_FIRMWARE = "SignedUpdateFirmware"
    START_TRANSACTION = "StartTransaction"
    STATUS_NOTIFICATION = "StatusNotification"
    STOP_TRANSACTION = "StopTransaction"
    TRIGGER_MESSAGE = "TriggerMessage"
    UNLOCK_CONNECTOR = "UnlockConnector"
    UPDATE_FIRMWARE = "UpdateFirmware"


class FeatureProfile(StrEnum):
    """``SupportedFeatureProfiles`` tokens (section 3.3), plus ``Security`` for the whitepaper."""

    CORE = "Core"
    FIRMWARE_MANAGEMENT = "FirmwareManagement"
    LOCAL_AUTH_LIST_MANAGEMENT = "LocalAuthListManagement"
    RESERVATION = "Reservation"
    SMART_CHARGING = "SmartCharging"
    REMOTE_TRIGGER = "RemoteTrigger"
    SECURITY = "Security"


class Initiator(StrEnum):
    """Who sends the CALL of an action."""

    CHARGE_POINT = "ChargePoint"
    CENTRAL_SYSTEM = "CentralSystem"


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """What the registry knows of one action."""

    action: Action
    request: type[BaseModel]
    response: type[BaseModel]
    initiators: frozenset[Initiator]
    profile: FeatureProfile


_CP = frozenset({Initiator.CHARGE_POINT})
_CS = frozenset({Initiator.CENTRAL_SYSTEM})
_BOTH = _CP | _CS
_F = FeatureProfile

# fmt: off
_TABLE: tuple[tuple[Action, type[BaseModel], type[BaseModel], frozenset[Initiator], _F], ...] = (
    # Core, charge point to central system.
    (Action.AUTHORIZE, core.AuthorizeRequest, core.AuthorizeResponse, _CP, _F.CORE),
    (Action.BOOT_NOTIFICATION, core.BootNotificationRequest, core.BootNotificationResponse, _CP, _F.CORE),
    (Action.DATA_TRANSFER, core.DataTransferRequest, core.DataTransferResponse, _BOTH, _F.CORE),
    (Action.HEARTBEAT, core.HeartbeatRequest, core.HeartbeatResponse, _CP, _F.CORE),
    (Action.METER_VALUES, core.MeterValuesRequest, core.MeterValuesResponse, _CP, _F.CORE),
    (Action.START_TRANSACTION, core.StartTransactionRequest, core.StartTransactionResponse, _CP, _F.CORE),
    (Action.STATUS_NOTIFICATION, core.StatusNotificationRequest, core.StatusNotificationResponse, _CP, _F.CORE),
    (Action.STOP_TRANSACTION, core.StopTransactionRequest, core.StopTransactionResponse, _CP, _F.CORE),
    # Core, central system to charge point.
    (Action.CHANGE_AVAILABILITY, core_remote.ChangeAvailabilityRequest, core_remote.ChangeAvailabilityResponse, _CS, _F.CORE),
    (Action.CHANGE_CONFIGURATION, core_remote.ChangeConfigurationRequest, core_remote.ChangeConfigurationResponse, _CS, _F.CORE),
    (Action.CLEAR_CACHE, core_remote.ClearCacheRequest, core_remote.ClearCacheResponse, _CS, _F.CORE),
    (Action.GET_CONFIGURATION, core_remote.GetConfigurationRequest, core_remote.GetConfigurationResponse, _CS, _F.CORE),
    (Action.REMOTE_START_TRANSACTION, core_remote.RemoteStartTransactionRequest, core_remote.RemoteStartTransactionResponse, _CS, _F.CORE),
    (Action.REMOTE_STOP_TRANSACTION, core_remote.RemoteStopTransactionRequest, core_remote.RemoteStopTransactionResponse, _CS, _F.CORE),
    (Action.RESET, core_remote.ResetRequest, core_remote.ResetResponse, _CS, _F.CORE),
    (Action.UNLOCK_CONNECTOR, core_remote.UnlockConnectorRequest, core_remote.UnlockConnectorResponse, _CS, _F.CORE),
    # Firmware Management.
    (Action.DIAGNOSTICS_STATUS_NOTIFICATION, firmware.DiagnosticsStatusNotificationRequest, firmware.DiagnosticsStatusNotificationResponse, _CP, _F.FIRMWARE_MANAGEMENT),
    (Action.FIRMWARE_STATUS_NOTIFICATION, firmware.FirmwareStatusNotificationRequest, firmware.FirmwareStatusNotificationResponse, _CP, _F.FIRMWARE_MANAGEMENT),
    (Action.GET_DIAGNOSTICS, firmware.GetDiagnosticsRequest, firmware.GetDiagnosticsResponse, _CS, _F.FIRMWARE_MANAGEMENT),
    (Action.UPDATE_FIRMWARE, firmware.UpdateFirmwareRequest, firmware.UpdateFirmwareResponse, _CS, _F.FIRMWARE_MANAGEMENT),
    # Local Auth List Management.
    (Action.GET_LOCAL_LIST_VERSION, local_auth.GetLocalListVersionRequest, local_auth.GetLocalListVersionResponse, _CS, _F.LOCAL_AUTH_LIST_MANAGEMENT),
    (Action.SEND_LOCAL_LIST, local_auth.SendLocalListRequest, local_auth.SendLocalListResponse, _CS, _F.LOCAL_AUTH_LIST_MANAGEMENT),
    # Reservation.
    (Action.CANCEL_RESERVATION, reservation.CancelReservationRequest, reservation.CancelReservationResponse, _CS, _F.RESERVATION),
    (Action.RESERVE_NOW, reservation.ReserveNowRequest, reservation.ReserveNowResponse, _CS, _F.RESERVATION),
    # Smart Charging.
    (Action.CLEAR_CHARGING_PROFILE, smart_charging.ClearChargingProfileRequest, smart_charging.ClearChargingProfileResponse, _CS, _F.SMART_CHARGING),
    (Action.GET_COMPOSITE_SCHEDULE, smart_charging.GetCompositeScheduleRequest, smart_charging.GetCompositeScheduleResponse, _CS, _F.SMART_CHARGING),
    (Action.SET_CHARGING_PROFILE, smart_charging.SetChargingProfileRequest, smart_charging.SetChargingProfileResponse, _CS, _F.SMART_CHARGING),
    # Remote Trigger.
    (Action.TRIGGER_MESSAGE, trigger.TriggerMessageRequest, trigger.TriggerMessageResponse, _CS, _F.REMOTE_TRIGGER),
    # Security whitepaper, charge point to central system.
    (Action.LOG_STATUS_NOTIFICATION, security.LogStatusNotificationRequest, security.LogStatusNotificationResponse, _CP, _F.SECURITY),
    (Action.SECURITY_EVENT_NOTIFICATION, security.SecurityEventNotificationRequest, security.SecurityEventNotificationResponse, _CP, _F.SECURITY),
    (Action.SIGN_CERTIFICATE, security.SignCertificateRequest, security.SignCertificateResponse, _CP, _F.SECURITY),
    (Action.SIGNED_FIRMWARE_STATUS_NOTIFICATION, security.SignedFirmwareStatusNotificationRequest, security.SignedFirmwareStatusNotificationResponse, _CP, _F.SECURITY),
    # Security whitepaper, central system to charge point.
    (Action.CERTIFICATE_SIGNED, security.CertificateSignedRequest, security.CertificateSignedResponse, _CS, _F.SECURITY),
    (Action.DELETE_CERTIFICATE, security.DeleteCertificateRequest, security.DeleteCertificateResponse, _CS, _F.SECURITY),
    (Action.EXTENDED_TRIGGER_MESSAGE, security.ExtendedTriggerMessageRequest, security.ExtendedTriggerMessageResponse, _CS, _F.SECURITY),
    (Action.GET_INSTALLED_CERTIFICATE_IDS, security.GetInstalledCertificateIdsRequest, security.GetInstalledCertificateIdsResponse, _CS, _F.SECURITY),
    (Action.GET_LOG, security.GetLogRequest, security.GetLogResponse, _CS, _F.SECURITY),
    (Action.INSTALL_CERTIFICATE, security.InstallCertificateRequest, security.InstallCertificateResponse, _CS, _F.SECURITY),
    (Action.SIGNED_UPDATE_FIRMWARE, security.SignedUpdateFirmwareRequest, security.SignedUpdateFirmwareResponse, _CS, _F.SECURITY),
)
# fmt: on

ACTIONS: Mapping[Action, ActionSpec] = MappingProxyType(
    {row[0]: ActionSpec(*row) for row in _TABLE}
)
"""Everything the registry knows, by action."""

REQUESTS: dict[Action, type[BaseModel]] = {spec.action: spec.request for spec in ACTIONS.values()}
"""The CALL payload model of each action."""

RESPONSES: dict[Action, type[BaseModel]] = {spec.action: spec.response for spec in ACTIONS.values()}
"""The CALLRESULT payload model of each action."""

CHARGE_POINT_INITIATED: frozenset[Action] = frozenset(
    spec.action for spec in ACTIONS.values() if Initiator.CHARGE_POINT in spec.initiators
)
"""Actions whose CALL the charge point sends (DataTransfer is in both sets)."""

CENTRAL_SYSTEM_INITIATED: frozenset[Action] = frozenset(
    spec.action for spec in ACTIONS.values() if Initiator.CENTRAL_SYSTEM in spec.initiators
)
"""Actions whose CALL the central system sends: the ones a charge point handles."""

_ACTION_OF_REQUEST: dict[type[BaseModel], Action] = {
    model: action for action, model in REQUESTS.items()
}


def action_of(request: BaseModel) -> Action:
    """The action whose CALL payload ``request`` is; ``TypeError`` for any other model."""
    try:
        return _ACTION_OF_REQUEST[type(request)]
    except KeyError:
        raise TypeError(f"{type(request).__name__} is not an OCPP 1.6 request payload") from None


def initiated_by(action: Action, initiator: Initiator) -> bool:
    """Whether ``initiator`` may send the CALL of ``action`` (DataTransfer: both sides)."""
    return initiator in ACTIONS[action].initiators
