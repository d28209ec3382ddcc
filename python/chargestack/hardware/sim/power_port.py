"""What the simulator needs from its power stage: its EV and cabinet commands.

``chargestack.hardware.sim.rust_stage.SimulatedRustStage`` implements it on the Rust control
loop with simulated modules and EVs; the simulator's manual actions reach the EV model and
the cabinet through it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from chargestack.hardware.events import EvParameters
from chargestack.hardware.power_port import PowerStage


class ModuleFault(StrEnum):
    """Faults a simulated rectifier module can be given (issue 6, simulated cabinet)."""

    OVER_TEMPERATURE = "OverTemperature"
    OUTPUT_SHORT = "OutputShort"
    COMM_LOSS = "CommLoss"
    DEAD = "Dead"


class SimPowerStage(PowerStage, Protocol):
    def ev_plug_in(self, connector_id: int, ev: EvParameters) -> None: ...

    def ev_plug_out(self, connector_id: int) -> None: ...

    def ev_pause(self, connector_id: int) -> None: ...

    def ev_resume(self, connector_id: int) -> None: ...

    def inject_module_fault(self, module: int, fault: ModuleFault) -> None: ...

    def clear_module_fault(self, module: int) -> None: ...

    def fail_bus(self, on: bool) -> None: ...
