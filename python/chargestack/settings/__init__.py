"""The station file (TOML): every table validated by pydantic, one error per bad key.

``load_station_file`` reads and validates a file; ``StationSettings`` is the validated
result. The package sits at the bottom of the layers (it imports only
``chargestack.exceptions``), so the hardware drivers, the file machinery and the station all
read their tables from here.
"""

from __future__ import annotations

from chargestack.settings.devices import DevicesSettings
from chargestack.settings.firmware import CommandInstallerSettings, FirmwareSettings
from chargestack.settings.station_file import (
    FEATURE_PROFILES,
    CentralSystemSettings,
    ConnectorSettings,
    ControlApiSettings,
    GridSettings,
    Identity,
    ModuleSettings,
    PowerSettings,
    StationSettings,
    TimerSettings,
    load_station_file,
    parse_station_settings,
)

__all__ = [
    "FEATURE_PROFILES",
    "CentralSystemSettings",
    "CommandInstallerSettings",
    "ConnectorSettings",
    "ControlApiSettings",
    "DevicesSettings",
    "FirmwareSettings",
    "GridSettings",
    "Identity",
    "ModuleSettings",
    "PowerSettings",
    "StationSettings",
    "TimerSettings",
    "load_station_file",
    "parse_station_settings",
]
