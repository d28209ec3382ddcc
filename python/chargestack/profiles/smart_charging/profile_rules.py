"""What the station's configuration and requests tell the ``ProfileSet`` (OCPP 1.6 sections
3.13, 5.5, 5.16).

The rules themselves live in rust/smart-charging: the profile's own (periods, kinds, units,
stack level, placement) in ``ChargingProfile.check``, replacement and
MaxChargingProfilesInstalled in ``ProfileSet.admit``, clearing in ``ProfileSet.matching``.
What needs the station's transactions stays with the service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chargestack.ocpp import messages as m

if TYPE_CHECKING:
    from chargestack._core import _ClearCriteria, _ProfileLimits, _Unit
    from chargestack.station.configuration import Configuration

# Errata 3.88: ChargingScheduleAllowedChargingRateUnit says Current / Power for A / W.
_UNIT_OF_KEY: dict[str, _Unit] = {"Current": "A", "Power": "W"}


def profile_limits(config: Configuration, connector_count: int) -> _ProfileLimits:
    """The configuration keys that bound what the station installs (section 9.4); a
    negative value allows nothing."""
    return {
        "max_stack_level": max(0, config.get_int("ChargeProfileMaxStackLevel")),
        "max_periods": max(0, config.get_int("ChargingScheduleMaxPeriods")),
        "allowed_units": [
            _UNIT_OF_KEY[u]
            for u in config.get_csl("ChargingScheduleAllowedChargingRateUnit")
            if u in _UNIT_OF_KEY
        ],
        "connector_count": connector_count,
        "max_installed": max(0, config.get_int("MaxChargingProfilesInstalled")),
    }


def clear_criteria(request: m.ClearChargingProfileRequest) -> _ClearCriteria:
    purpose = request.charging_profile_purpose
    return {
        "id": request.id,
        "connectorId": request.connector_id,
        "chargingProfilePurpose": None if purpose is None else purpose.value,
        "stackLevel": request.stack_level,
    }
