"""Typed interfaces of everything the station needs from hardware.

A driver (``hardware.sim`` or a real board's) implements :class:`Hardware`. The station
never reaches below these interfaces, so the same OCPP logic runs on a simulator, on a test
bench and in a charger. The device protocols below (:class:`TagReader`, :class:`DigitalIo`,
:class:`EvLink`) are what ``hardware.devices`` composes a ``Hardware`` from; docs/drivers.md
tells how to write another driver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chargestack.hardware.ev_link import EvLinkSink, EvseStatusSource
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
    # None: measured now (within the meter's poll interval). Set only while the meter has
    # failed: the values are then its last good reading, taken at this instant, never a
    # value made up since.
    measured_at: datetime | None = None


class ConnectorHardware(Protocol):
    """One connector's plug and cable lock."""

    @property
    def connector_id(self) -> int: ...

    @property
    def fixed_cable(self) -> bool:
        """A cable fixed to the charger (its lock is not the station's to drive)."""
        ...

    async def lock(self) -> bool:
        """Lock the connector; False when the lock failed."""
        ...

    async def unlock(self) -> bool:
        """Unlock the connector; False when the unlock failed."""
        ...

    def is_plugged(self) -> bool: ...


class Meter(Protocol):
    """The energy meters of every connector."""

    def read(self, connector_id: int) -> MeterReading:
        """The latest reading; never blocks (a device meter is polled on its own task)."""
        ...

    def keeps_register(self, connector_id: int) -> bool:
        """True when the energy register lives in the meter and survives restarts (a real
        meter); False when it restarts at zero with the station (the simulated one)."""
        ...


class PowerControl(Protocol):
    """Setpoints of the DC power stage (the Rust control loop underneath)."""

    def set_limit(self, connector_id: int, limit_w: float | None) -> None:
        """The smart-charging limit of the DC output in W; None = no limit but hardware."""
        ...

    def enable(self, connector_id: int, on: bool) -> None:
        """Close the contactor and deliver energy (a transaction runs and is allowed to)."""
        ...

    def feed_watchdog(self) -> None:
        """Prove the supervisor is alive; the loop stops safely when this stalls."""
        ...


class Hardware(Protocol):
    """A charger's hardware as the station sees it.

    The members are read-only for the station, so a driver may hold narrower types (the
    simulator's power stage, a device meter) and mypy still checks it against this.
    """

    @property
    def events(self) -> asyncio.Queue[HardwareEvent]:
        """What happened at the hardware; the station is its only consumer."""
        ...

    @property
    def meter(self) -> Meter: ...

    @property
    def power(self) -> PowerControl: ...

    def connector(self, connector_id: int) -> ConnectorHardware: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class HardwareEventSink(Protocol):
    """Where a device puts what happened; called on the event loop, never blocks."""

    def __call__(self, event: HardwareEvent, /) -> None: ...


class TagReader(Protocol):
    """An RFID reader: presented cards become ``IdTagPresented``; a lost reader becomes
    ``DeviceWarning(0, "ReaderFailure")`` until it answers again (``DeviceWarningCleared``)."""

    async def start(self, sink: HardwareEventSink) -> None:
        """Open the reader; raises ``DeviceOpenError`` with one line when it cannot."""
        ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class IoInputs:
    """The digital inputs of a DC charger at one instant."""

    emergency_stop: bool = False
    door_open: bool = False
    # Per connector: the contactor's auxiliary contact reports it closed.
    contactor_closed: Mapping[int, bool] = field(default_factory=dict)
    # Per connector with a socket: the cable lock reports locked.
    cable_locked: Mapping[int, bool] = field(default_factory=dict)


class DigitalIo(Protocol):
    """Digital inputs and outputs. Input edges are announced through ``on_change`` (called
    on the event loop) so an emergency stop is acted on at once, not at the next poll."""

    def inputs(self) -> IoInputs:
        """The inputs now; never blocks."""
        ...

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on the event loop whenever an input changes."""
        ...

    def set_cable_lock(self, connector_id: int, locked: bool) -> None:
        """Drive the cable lock actuator; the ``cable_locked`` input reports the result."""
        ...

    def set_contactor(self, connector_id: int, closed: bool) -> None:
        """Drive a connector's DC contactor (the hardware power stage asks); the
        ``contactor_closed`` input reports the result."""
        ...

    def set_module_route(self, module: int, connector_id: int | None) -> None:
        """Switch a rectifier module's output to a connector, or to none, through the
        switch matrix; the stage asks only while the module is off."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class EvLink(Protocol):
    """The source of the EV's request for a hardware power stage: in a charger the EV-side
    stack (ISO 15118 / DIN 70121 / CHAdeMO, a separate process), on a bench the simulator's
    EVs. Its events (``hardware.ev_link``) reach the stage through ``sink``."""

    @property
    def announces_plugs(self) -> bool:
        """True when the link is also where plug-in and unplug are known (the station's
        ``PluggedIn``/``PluggedOut`` come from it); False when something else reports them
        (the simulator's manual actions)."""
        ...

    async def start(self, sink: EvLinkSink, evse_status: EvseStatusSource) -> None:
        """Start listening; raises ``DeviceOpenError`` with one line when it cannot.
        ``evse_status(connector_id)`` is what the link answers the EV with."""
        ...

    async def stop(self) -> None: ...
