"""OCPP 1.6 feature profiles: each registers its handlers on the station's router.

A profile the station file does not offer registers the answers the specification gives
for an unsupported profile (``not_offered``); its other actions are answered with the
CALLERROR NotSupported (OCPP-J 1.6 section 4.2.3: recognised but not supported).
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
    if "Reservation" in offered:
        from chargestack.profiles.reservation import ReservationService

        services.append(ReservationService(station))
    # -- LocalAuthListManagement --
    if "LocalAuthListManagement" in offered:
        from chargestack.profiles.local_auth import LocalListService

        services.append(LocalListService(station))
    # -- RemoteTrigger --
    from chargestack.profiles.trigger import ExtendedTriggerService, TriggerService

    # Without the profile, the security extension's ExtendedTriggerMessage is still answered.
    trigger = TriggerService if "RemoteTrigger" in offered else ExtendedTriggerService
    services.append(trigger(station))
    # -- FirmwareManagement --
    if "FirmwareManagement" in offered:
        from chargestack.profiles.firmware import firmware_services

        services.extend(firmware_services(station))
    # -- Security --
    # The security whitepaper is no feature profile: always installed.
    from chargestack.profiles.security import security_services

    services.extend(security_services(station))
    from chargestack.profiles.not_offered import NOT_OFFERED

    for profile, answers in NOT_OFFERED.items():
        if profile not in offered:
            station.router.register_object(answers())
    for service in services:
        station.router.register_object(service)
    return services
