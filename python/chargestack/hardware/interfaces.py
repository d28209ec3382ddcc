"""Typed interfaces of everything the station needs from hardware.

A driver (``hardware.sim`` or a real board's) implements :class:`Hardware`. The station
never reaches below these interfaces, so the same OCPP logic runs on a simulator, on a test
bench and in a charger.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from chargestack.hardware.events import HardwareEvent


@dataclass(frozen=True)
class MeterReading:
    """One reading of a connector's meter; the energy register is monotonic (errata 3.9)."""

    energy_wh: float
    power_w: float
    current_a: float
    voltage_v: float
    current_offered_a: float
    power_offered_w: float
    soc_percent: float | None
    temperature_c: float | None


class ConnectorHardware(Protocol):
    connector_id: int
    fixed_cable: bool

    async def lock(self) -> bool:
        """Lock the connector; False when the lock failed."""
        ...

    async def unlock(self) -> bool:
        """Unlock the connector; False when the unlock failed."""
        ...

    def is_plugged(self) -> bool: ...


class Meter(Protocol):
    def read(self, connector_id: int) -> MeterReading: ...


class PowerControl(Protocol):
    """Setpoints of the DC power stage (the Rust control loop underneath)."""

    def set_limit(self, connector_id: int, limit_w: float | None) -> None:
        """The smart-charging limit in W drawn from the grid; None = no limit but hardware."""
        ...

    def enable(self, connector_id: int, on: bool) -> None:
        """Close the contactor and deliver energy (a transaction runs and is allowed to)."""
        ...

    def feed_watchdog(self) -> None:
        """Prove the supervisor is alive; the loop stops safely when this stalls."""
        ...


class Hardware(Protocol):
    """A charger's hardware as the station sees it."""

    events: asyncio.Queue[HardwareEvent]
    meter: Meter
    power: PowerControl

    def connector(self, connector_id: int) -> ConnectorHardware: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
