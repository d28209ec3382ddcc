"""The OCPP 1.6 security whitepaper (edition 3): security profiles, certificates, events,
signed firmware and log upload. Always installed; it is no feature profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chargestack.profiles.security.service import SecurityService

if TYPE_CHECKING:
    from chargestack.station.station import Station


def security_services(station: Station) -> list[Any]:
    return [SecurityService(station)]


__all__ = ["SecurityService", "security_services"]
