"""The action registry against the feature-profile table of OCPP 1.6 section 3.3 (errata 3.2)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from chargestack.ocpp import messages
from chargestack.ocpp.messages import (
    ACTIONS,
    CENTRAL_SYSTEM_INITIATED,
    CHARGE_POINT_INITIATED,
    REQUESTS,
    RESPONSES,
    Action,
    AuthorizeResponse,
    FeatureProfile,
    HeartbeatRequest,
    IdTagInfo,
    Initiator,
    action_of,
    initiated_by,
)

CP = Initiator.CHARGE_POINT
CS = Initiator.CENTRAL_SYSTEM

# Section 3.3 as corrected by errata 3.2, plus the 11 whitepaper actions; written out from the
# specification, not from the registry.
SPEC_TABLE: dict[FeatureProfile, dict[Initiator, set[str]]] = {
    FeatureProfile.CORE: {
        CP: {
            "Authorize",
            "BootNotification",
            "DataTransfer",
            "Heartbeat",
            "MeterValues",
            "StartTransaction",
            "StatusNotification",
            "StopTransaction",
        },
        CS: {
            "ChangeAvailability",
            "ChangeConfiguration",
            "ClearCache",
            "DataTransfer",
            "GetConfiguration",
            "RemoteStartTransaction",
            "RemoteStopTransaction",
            "Reset",
            "UnlockConnector",
        },
    },
    FeatureProfile.FIRMWARE_MANAGEMENT: {
        CP: {"DiagnosticsStatusNotification", "FirmwareStatusNotification"},
        CS: {"GetDiagnostics", "UpdateFirmware"},
    },
    FeatureProfile.LOCAL_AUTH_LIST_MANAGEMENT: {
        CP: set(),
        CS: {"GetLocalListVersion", "SendLocalList"},
    },
    FeatureProfile.RESERVATION: {CP: set(), CS: {"CancelReservation", "ReserveNow"}},
    FeatureProfile.SMART_CHARGING: {
        CP: set(),
        CS: {"ClearChargingProfile", "GetCompositeSchedule", "SetChargingProfile"},
    },
    FeatureProfile.REMOTE_TRIGGER: {CP: set(), CS: {"TriggerMessage"}},
    FeatureProfile.SECURITY: {
        CP: {
            "LogStatusNotification",
            "SecurityEventNotification",
            "SignCertificate",
            "SignedFirmwareStatusNotification",
        },
        CS: {
            "CertificateSigned",
            "DeleteCertificate",
            "ExtendedTriggerMessage",
            "GetInstalledCertificateIds",
            "GetLog",
            "InstallCertificate",
            "SignedUpdateFirmware",
        },
    },
}


def test_there_are_28_core_and_11_whitepaper_actions() -> None:
    assert len(Action) == 39
    security = [spec for spec in ACTIONS.values() if spec.profile is FeatureProfile.SECURITY]
    assert len(security) == 11
    assert set(REQUESTS) == set(RESPONSES) == set(ACTIONS) == set(Action)


@pytest.mark.parametrize("profile", list(FeatureProfile))
@pytest.mark.parametrize("initiator", list(Initiator))
def test_profiles_and_initiators_follow_the_specification(
    profile: FeatureProfile, initiator: Initiator
) -> None:
    registered = {
        spec.action.value
        for spec in ACTIONS.values()
        if spec.profile is profile and initiated_by(spec.action, initiator)
    }
    assert registered == SPEC_TABLE[profile][initiator]


@pytest.mark.parametrize("action", list(Action))
def test_models_are_named_after_their_action(action: Action) -> None:
    assert REQUESTS[action].__name__ == f"{action.value}Request"
    assert RESPONSES[action].__name__ == f"{action.value}Response"
    assert getattr(messages, f"{action.value}Request") is REQUESTS[action]
    assert getattr(messages, f"{action.value}Response") is RESPONSES[action]


def test_models_are_distinct_per_action() -> None:
    models: list[type[BaseModel]] = [*REQUESTS.values(), *RESPONSES.values()]
    assert len(set(models)) == 78


def test_action_of_a_request() -> None:
    assert action_of(HeartbeatRequest()) is Action.HEARTBEAT
    with pytest.raises(TypeError):
        action_of(
            AuthorizeResponse(id_tag_info=IdTagInfo(status=messages.AuthorizationStatus.ACCEPTED))
        )


def test_initiator_sets_split_the_actions() -> None:
    sent, handled = CHARGE_POINT_INITIATED, CENTRAL_SYSTEM_INITIATED
    assert sent & handled == {Action.DATA_TRANSFER}
    assert sent | handled == set(Action)
    assert len(sent) == 8 + 2 + 4
    assert len(handled) == 9 + 2 + 2 + 2 + 3 + 1 + 7
