"""Every handler that writes to the store says what its CALL gets while the store cannot
write (``@on(..., without_storage=...)``, ``ocpp/storage_answers.py``).

The audit below was made by reading each handler. A handler missing from it fails here
until somebody has read it and put it in one of the three tables: a new handler cannot
forget to say what it does on a full disk. Those said to write nothing are run once and
must not have written.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chargestack.assembly import AssembledStation
from chargestack.ocpp.messages import RESPONSES, Action, dump_payload, parse_request
from chargestack.ocpp.router import FROM_MEMORY, Refuse

#: Handler -> its answer while the store cannot write (None: a CALLERROR InternalError,
#: for UpdateFirmware.conf has no status).
REFUSED: dict[str, dict[str, Any] | None] = {
    "ConfigurationService.change_configuration": {"status": "Rejected"},
    "AvailabilityService.change_availability": {"status": "Rejected"},
    "AuthorizationService.clear_cache": {"status": "Rejected"},
    # The tag's parent may be asked for (Authorize) and remembered in the cache.
    "AuthorizationWait.remote_start": {"status": "Rejected"},
    "SmartChargingService.set_charging_profile": {"status": "Rejected"},
    "SmartChargingService.clear_charging_profile": {"status": "Unknown"},
    "LocalListService.send_local_list": {"status": "Failed"},
    # Section 5.13: the Charge Point is Unavailable (connector 0) while it cannot store.
    "ReservationService.reserve_now": {"status": "Unavailable"},
    "ReservationService.cancel_reservation": {"status": "Rejected"},
    # Section 5.9: no fileName, no diagnostics will be uploaded.
    "DiagnosticsService.get_diagnostics": {},
    "FirmwareService.update_firmware": None,
    "SecurityService.install_certificate": {"status": "Failed"},
    "SecurityService.delete_certificate": {"status": "Failed"},
    "SecurityService.certificate_signed": {"status": "Rejected"},
    "LogUploadService.get_log": {"status": "Rejected"},
    "SignedFirmwareService.signed_update_firmware": {"status": "Rejected"},
}

#: Handlers a driver or safety needs: they work while the disk is full.
IN_MEMORY = {"UnlockService.unlock_connector"}

#: Handler -> a request it is run with: it writes nothing (what follows the answer is an
#: after-hook, not the handler's own write).
WRITES_NOTHING: dict[str, dict[str, Any]] = {
    "ConfigurationService.get_configuration": {},
    # The restart is the after-hook; a stop writes what is queued through Store.aclose.
    "ResetService.reset": {"type": "Soft"},
    # The stop is the after-hook, which works from memory.
    "AuthorizationWait.remote_stop": {"transactionId": 1},
    # Vendor handlers that store say so at registration (DataTransferService.register).
    "DataTransferService.data_transfer": {"vendorId": "Nobody"},
    "SmartChargingService.get_composite_schedule": {"connectorId": 0, "duration": 60},
    "LocalListService.get_local_list_version": {},
    "ExtendedTriggerService.extended_trigger_message": {"requestedMessage": "Heartbeat"},
    "TriggerService.trigger_message": {"requestedMessage": "Heartbeat"},
    "SecurityService.get_installed_certificate_ids": {
        "certificateType": "ManufacturerRootCertificate"
    },
    "ReservationNotOffered.reserve_now": {
        "connectorId": 1,
        "expiryDate": "2030-01-01T00:00:00Z",
        "idTag": "TAG",
        "reservationId": 1,
    },
    "LocalListNotOffered.get_local_list_version": {},
    "LocalListNotOffered.send_local_list": {"listVersion": 1, "updateType": "Full"},
    "SmartChargingNotOffered.set_charging_profile": {
        "connectorId": 0,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": {
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}],
            },
        },
    },
    "RemoteTriggerNotOffered.trigger_message": {"requestedMessage": "Heartbeat"},
}


def test_the_audit_names_each_handler_once() -> None:
    assert not set(REFUSED) & IN_MEMORY
    assert not (set(REFUSED) | IN_MEMORY) & set(WRITES_NOTHING)


async def test_every_handler_that_writes_says_what_it_does_without_storage(
    assembled_station: AssembledStation,
) -> None:
    router = assembled_station.router
    for action, handler in router.handlers.items():
        name = handler.__func__.__qualname__  # type: ignore[attr-defined]
        policy = router.storage_policy(action)
        if name in REFUSED:
            assert isinstance(policy, Refuse), f"{name} declares no refusal"
            answer = policy.answer
            if answer is None:
                assert REFUSED[name] is None, name
            else:
                assert type(answer) is RESPONSES[Action(action)], name
                assert json.loads(dump_payload(answer)) == REFUSED[name], name
        elif name in IN_MEMORY:
            assert policy is FROM_MEMORY, f"{name} does not work from memory"
        elif name in WRITES_NOTHING:
            assert policy is None, f"{name} declares {policy} but writes nothing"
            before = assembled_station.store.written
            await handler(parse_request(action, json.dumps(WRITES_NOTHING[name])))
            assert assembled_station.store.written == before, f"{name} wrote to the store"
        else:
            pytest.fail(
                f"{name} ({action}) is not audited: read it, and if it writes to the "
                "store declare @on(..., without_storage=...) and list it here"
            )
