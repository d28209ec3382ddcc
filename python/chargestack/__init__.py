"""chargestack: an OCPP 1.6J charge point for DC fast chargers.

What an integrator uses is exported here, and only this is public; every other module is
private and may change (``chargestack._core``, the Rust extension, above all).

Running a charge point:

- ``load_station_file(path)`` reads and validates a station file (TOML) into
  ``StationSettings``; ``parse_station_settings(dict)`` does the same for data in memory.
  A bad file raises ``ConfigurationError`` naming every bad key.
- ``StationRunner(settings)`` keeps a station running as a charger's controller would: it
  builds a new one after a Reset or a power cut and serves the local control API.
- ``AssembledStation(settings)``: one charge point with every block its station file's
  feature profiles call for (``await start()``, ``await stopped()``, ``await stop()``);
  ``StopKind`` says why it stopped, ``.profiles`` names its blocks (a DataTransfer handler
  is registered on ``.profiles.core.data_transfer``). ``Station`` is its base: the
  lifecycle, the connectors and the link, given its blocks by the composition root.

A driver for a charger's own hardware implements ``Hardware`` from the device protocols
(``PowerControl``, ``Meter``, ``ConnectorHardware``, ``TagReader``, ``DigitalIo``) and puts
the hardware events below on its queue (docs/drivers.md); ``AssembledStation(settings,
hardware_factory=...)`` and ``StationRunner(settings, hardware_factory=...)`` take it.

Every error chargestack raises is a ``ChargestackError``; the subclasses exported here are
the ones worth catching apart.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from chargestack.exceptions import (
    CallTimeoutError,
    CanInterfaceError,
    ChargestackError,
    ConfigurationError,
    NotConnectedError,
    OcppError,
    PowerStageError,
    SmartChargingError,
    StoreError,
)
from chargestack.hardware.ev_link import (
    EvConnected,
    EvDisconnected,
    EvLinkSink,
    EvRequest,
    EvseStatus,
    EvStopped,
)
from chargestack.hardware.events import (
    DeviceWarning,
    DeviceWarningCleared,
    EvFull,
    EvParameters,
    EvResumed,
    EvSuspended,
    EvUnplugged,
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
    EvLink,
    Hardware,
    HardwareEventSink,
    IoInputs,
    Meter,
    MeterReading,
    PowerControl,
    TagReader,
)

if TYPE_CHECKING:
    from chargestack.assembly.assembled_station import AssembledStation
    from chargestack.assembly.runner import StationRunner
    from chargestack.settings import StationSettings, load_station_file, parse_station_settings
    from chargestack.station.station import Station
    from chargestack.station.stop_kind import StopKind

try:
    __version__ = version("chargestack")
except PackageNotFoundError:  # running from a source tree without metadata
    __version__ = "0.0.0"

# Imported on first use: ``import chargestack`` (the boot step, the control API client)
# stays light; the station and its settings bring pydantic, websockets and the Rust core.
_LAZY = {
    "AssembledStation": "chargestack.assembly.assembled_station",
    "Station": "chargestack.station.station",
    "StopKind": "chargestack.station.stop_kind",
    "StationRunner": "chargestack.assembly.runner",
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
    "AssembledStation",
    "CallTimeoutError",
    "CanInterfaceError",
    "ChargestackError",
    "ConfigurationError",
    "ConnectorHardware",
    "DeviceWarning",
    "DeviceWarningCleared",
    "DigitalIo",
    "EvConnected",
    "EvDisconnected",
    "EvFull",
    "EvLink",
    "EvLinkSink",
    "EvParameters",
    "EvRequest",
    "EvResumed",
    "EvStopped",
    "EvSuspended",
    "EvUnplugged",
    "EvseStatus",
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
