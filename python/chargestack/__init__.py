"""chargestack: an OCPP 1.6J charge point for DC fast chargers.

What an integrator uses is exported here, and only this is public; every other module is
private and may change (``chargestack._core``, the Rust extension, above all).

Running a charge point:

- ``load_station_file(path)`` reads and validates a station file (TOML) into
  ``StationSettings``; ``parse_station_settings(dict)`` does the same for data in memory.
  A bad file raises ``ConfigurationError`` naming every bad key.
- ``StationRunner(settings)`` keeps a ``Station`` running as a charger's controller would:
  it builds a new one after a Reset or a power cut and serves the local control API.
- ``Station(settings)``: one charge point (``await start()``, ``await stopped()``,
  ``await stop()``); ``StopKind`` says why it stopped.

A driver for a charger's own hardware implements ``Hardware`` from the device protocols
(``PowerControl``, ``Meter``, ``ConnectorHardware``, ``TagReader``, ``DigitalIo``) and puts
the hardware events below on its queue (docs/drivers.md); ``Station(settings,
hardware_factory=...)`` takes it.

Every error chargestack raises is a ``ChargestackError``; the subclasses exported here are
the ones worth catching apart.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from chargestack.exceptions import (
    CallTimeoutError,
    ChargestackError,
    ConfigurationError,
    NotConnectedError,
    OcppError,
    PowerStageError,
    SmartChargingError,
    StoreError,
)
from chargestack.hardware.events import (
    DeviceWarning,
    DeviceWarningCleared,
    EvFull,
    EvParameters,
    EvResumed,
    EvSuspended,
    FaultCleared,
    FaultRaised,
    HardwareEvent,
    IdTagPresented,
    PluggedIn,
    PluggedOut,
    PowerStageFault,
    PowerStageFaultCleared,
)
from chargestack.hardware.interfaces import (
    ConnectorHardware,
    DigitalIo,
    Hardware,
    HardwareEventSink,
    IoInputs,
    Meter,
    MeterReading,
    PowerControl,
    TagReader,
)

if TYPE_CHECKING:
    from chargestack.settings import StationSettings, load_station_file, parse_station_settings
    from chargestack.station.runner import StationRunner
    from chargestack.station.station import Station, StopKind

try:
    __version__ = version("chargestack")
except PackageNotFoundError:  # running from a source tree without metadata
    __version__ = "0.0.0"

# Imported on first use: ``import chargestack`` (the boot step, the control API client)
# stays light; the station and its settings bring pydantic, websockets and the Rust core.
_LAZY = {
    "Station": "chargestack.station.station",
    "StopKind": "chargestack.station.station",
    "StationRunner": "chargestack.station.runner",
    "StationSettings": "chargestack.settings",
    "load_station_file": "chargestack.settings",
    "parse_station_settings": "chargestack.settings",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chargestack' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "CallTimeoutError",
    "ChargestackError",
    "ConfigurationError",
    "ConnectorHardware",
    "DeviceWarning",
    "DeviceWarningCleared",
    "DigitalIo",
    "EvFull",
    "EvParameters",
    "EvResumed",
    "EvSuspended",
    "FaultCleared",
    "FaultRaised",
    "Hardware",
    "HardwareEvent",
    "HardwareEventSink",
    "IdTagPresented",
    "IoInputs",
    "Meter",
    "MeterReading",
    "NotConnectedError",
    "OcppError",
    "PluggedIn",
    "PluggedOut",
    "PowerControl",
    "PowerStageError",
    "PowerStageFault",
    "PowerStageFaultCleared",
    "SmartChargingError",
    "Station",
    "StationRunner",
    "StationSettings",
    "StopKind",
    "StoreError",
    "TagReader",
    "__version__",
    "load_station_file",
    "parse_station_settings",
]
