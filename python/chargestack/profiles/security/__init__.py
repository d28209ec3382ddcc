"""The OCPP 1.6 security whitepaper (edition 3): security profiles, certificates, events,
signed firmware and log upload. Always installed; it is no feature profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chargestack.profiles.security.log_upload import LogUploadService
from chargestack.profiles.security.service import SecurityService
from chargestack.profiles.security.signed_firmware import SignedFirmwareService

if TYPE_CHECKING:
    from chargestack.station.station import Station


def security_services(station: Station) -> list[Any]:
    security = SecurityService(station)
    logs = LogUploadService(station, security.events.log)
    security.logs = logs
    firmware = SignedFirmwareService(station, security.certificates, security.events)
    security.signed_firmware = firmware
    return [security, logs, firmware]


__all__ = ["SecurityService", "security_services"]
