"""chargestack: an OCPP 1.6J charge point for DC fast chargers.

Users import from here; ``chargestack._core`` (the Rust extension) is private. A driver for
a charger's own hardware implements the protocols below (docs/drivers.md).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from chargestack.hardware.events import (
    DeviceWarning,
    DeviceWarningCleared,
    FaultCleared,
    FaultRaised,
    HardwareEvent,
    IdTagPresented,
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

try:
    __version__ = version("chargestack")
except PackageNotFoundError:  # running from a source tree without metadata
    __version__ = "0.0.0"

__all__ = [
    "ConnectorHardware",
    "DeviceWarning",
    "DeviceWarningCleared",
    "DigitalIo",
    "FaultCleared",
    "FaultRaised",
    "Hardware",
    "HardwareEvent",
    "HardwareEventSink",
    "IdTagPresented",
    "IoInputs",
    "Meter",
    "MeterReading",
    "PowerControl",
    "TagReader",
    "__version__",
]
