"""OCPP 1.6 feature profiles: each registers its handlers on the station's router.

A profile the station file does not offer registers nothing, so its actions are answered
NotSupported (OCPP-J 1.6 section 4.2.3: recognised but not supported).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chargestack.station.station import Station


def install_profiles(station: Station) -> list[Any]:
    """Create every service of the offered profiles, register their handlers, return them."""
    from chargestack.profiles.core import core_services

    offered = set(station.settings.feature_profiles)
    services: list[Any] = list(core_services(station))
    # Each optional profile adds its services below, only when the station offers it.
    # -- SmartCharging --
    if "SmartCharging" in offered:
        from chargestack.profiles.smart_charging import SmartChargingService

        services.append(SmartChargingService(station))
    # -- Reservation --
    # -- LocalAuthListManagement --
    # -- RemoteTrigger --
    # -- FirmwareManagement --
    # -- Security --
    del offered
    for service in services:
        station.router.register_object(service)
    return services
