"""The Smart Charging profile: charging profiles, composite schedules, limits to the power stage."""

from chargestack.profiles.smart_charging.service import SmartChargingService

__all__ = ["SmartChargingService"]
