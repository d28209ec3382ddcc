"""What the simulator needs from its power stage, beyond the station's ``PowerControl``.

``chargestack.hardware.power_bridge.RustPowerStage`` implements it on the Rust control loop
with simulated modules and EVs; the simulator's manual actions reach the EV model and the
cabinet through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from chargestack.hardware.events import EvParameters, HardwareEvent
from chargestack.hardware.interfaces import PowerControl

if TYPE_CHECKING:
    from chargestack._core import _Snapshot


class ModuleFault(StrEnum):
    """Faults a simulated rectifier module can be given (issue 6, simulated cabinet)."""

    OVER_TEMPERATURE = "OverTemperature"
    OUTPUT_SHORT = "OutputShort"
    COMM_LOSS = "CommLoss"
    DEAD = "Dead"


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


class EventSink(Protocol):
    def __call__(self, event: HardwareEvent, /) -> None: ...


class SimPowerStage(PowerControl, Protocol):
    async def start(self, sink: EventSink) -> None:
        """Start the loop; events it raises on its own are handed to ``sink`` on the event loop."""
        ...

    async def stop(self) -> None: ...

    def ev_plug_in(self, connector_id: int, ev: EvParameters) -> None: ...

    def ev_plug_out(self, connector_id: int) -> None: ...

    def ev_pause(self, connector_id: int) -> None: ...

    def ev_resume(self, connector_id: int) -> None: ...

    def inject_module_fault(self, module: int, fault: ModuleFault) -> None: ...

    def clear_module_fault(self, module: int) -> None: ...

    def fail_bus(self, on: bool) -> None: ...

    def telemetry(self, connector_id: int) -> ConnectorTelemetry: ...

    def snapshot(self) -> _Snapshot:
        """Modules (state, temperature, output, allocation), bus load and loop timing."""
        ...
