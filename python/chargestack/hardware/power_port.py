"""What a power stage driver offers the hardware it is part of, beyond ``PowerControl``.

The station commands the stage through ``PowerControl`` alone; the rest of the charger's
hardware (the stage's own meter, the contactor check of the digital I/O) reads its
telemetry and snapshot. ``power_bridge.RustPowerStage`` implements it on the Rust control
loop; the simulator adds its EV and cabinet commands (``sim.power_port.SimPowerStage``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from chargestack.hardware.interfaces import HardwareEventSink, PowerControl

if TYPE_CHECKING:
    from chargestack._core import _Snapshot


@dataclass(frozen=True)
class ConnectorTelemetry:
    """One connector's output as the control loop last measured it."""

    voltage_v: float
    current_a: float
    power_w: float
    # Energy delivered by the stage since it started; the meter keeps the register monotonic.
    energy_wh: float
    current_offered_a: float
    power_offered_w: float
    soc_percent: float | None
    temperature_c: float | None


class PowerStage(PowerControl, Protocol):
    async def start(self, sink: HardwareEventSink) -> None:
        """Start the loop; events it raises on its own are handed to ``sink`` on the event loop."""
        ...

    async def stop(self) -> None: ...

    def telemetry(self, connector_id: int) -> ConnectorTelemetry: ...

    def snapshot(self) -> _Snapshot:
        """Modules (state, temperature, output, allocation), bus load and loop timing."""
        ...
