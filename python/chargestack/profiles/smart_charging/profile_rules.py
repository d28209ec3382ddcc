"""The rules of installing and clearing charging profiles (OCPP 1.6 sections 3.13, 5.5, 5.16).

The profile's own rules (periods, kinds, units, stack level, placement) are the Rust
engine's ``validate_charging_profile``; this module adds what needs the station's state:
a TxProfile needs a running transaction with a matching id, MaxChargingProfilesInstalled,
and which installed profiles a new one replaces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chargestack import _core
from chargestack.exceptions import SmartChargingError
from chargestack.ocpp import messages as m
from chargestack.station.clock import to_ms

if TYPE_CHECKING:
    from chargestack.station.configuration import Configuration

EngineProfile = dict[str, Any]

# Errata 3.88: ChargingScheduleAllowedChargingRateUnit says Current / Power for A / W.
_UNIT_OF_KEY = {"Current": "A", "Power": "W"}


@dataclass(frozen=True)
class ProfileLimits:
    """The configuration keys that bound what the station installs (section 9.4)."""

    max_stack_level: int
    max_periods: int
    allowed_units: tuple[str, ...]
    max_installed: int
    connector_count: int

    @classmethod
    def from_config(cls, config: Configuration, connector_count: int) -> ProfileLimits:
        return cls(
            max_stack_level=config.get_int("ChargeProfileMaxStackLevel"),
            max_periods=config.get_int("ChargingScheduleMaxPeriods"),
            allowed_units=tuple(
                _UNIT_OF_KEY[u]
                for u in config.get_csl("ChargingScheduleAllowedChargingRateUnit")
                if u in _UNIT_OF_KEY
            ),
            max_installed=config.get_int("MaxChargingProfilesInstalled"),
            connector_count=connector_count,
        )


def engine_profile(profile: m.ChargingProfile, connector_id: int) -> EngineProfile:
    """The engine's dict of a profile installed on ``connector_id``: wire names, times in ms."""
    body: EngineProfile = profile.model_dump(mode="json", by_alias=True, exclude_none=True)
    if profile.valid_from is not None:
        body["validFrom"] = to_ms(profile.valid_from)
    if profile.valid_to is not None:
        body["validTo"] = to_ms(profile.valid_to)
    start = profile.charging_schedule.start_schedule
    if start is not None:
        body["chargingSchedule"]["startSchedule"] = to_ms(start)
    body["connectorId"] = connector_id
    return body


def static_violation(body: EngineProfile, limits: ProfileLimits) -> str | None:
    """Why the profile itself is invalid, or None. Any violation rejects it whole."""
    try:
        _core.validate_charging_profile(
            body,
            body["connectorId"],
            max(0, limits.max_stack_level),
            max(0, limits.max_periods),
            list(limits.allowed_units),
            limits.connector_count,
        )
    except SmartChargingError as exc:
        return str(exc)
    except (TypeError, ValueError, OverflowError) as exc:
        # Schema-valid numbers the engine cannot hold (a negative stackLevel, numberPhases
        # beyond a byte): invalid values, so the profile is Rejected, not a CALLERROR.
        return f"value out of range: {exc}"
    return None


def replaced_ids(new: EngineProfile, installed: Iterable[EngineProfile]) -> list[int]:
    """Section 5.16: the same chargingProfileId, or the same purpose and stackLevel (on the
    same connector: the crate docs keep both when the connectors differ), is replaced."""
    return [
        p["chargingProfileId"]
        for p in installed
        if p["chargingProfileId"] == new["chargingProfileId"]
        or (
            p["chargingProfilePurpose"] == new["chargingProfilePurpose"]
            and p["stackLevel"] == new["stackLevel"]
            and p["connectorId"] == new["connectorId"]
        )
    ]


def matches_clear(profile: EngineProfile, request: m.ClearChargingProfileRequest) -> bool:
    """Errata 3.25/3.26: ``id`` alone decides when given; otherwise every given field must
    match (logical AND), and no field at all matches everything."""
    if request.id is not None:
        return bool(profile["chargingProfileId"] == request.id)
    if request.connector_id is not None and profile["connectorId"] != request.connector_id:
        return False
    purpose = request.charging_profile_purpose
    if purpose is not None and profile["chargingProfilePurpose"] != purpose.value:
        return False
    return request.stack_level is None or profile["stackLevel"] == request.stack_level
