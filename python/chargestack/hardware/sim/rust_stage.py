"""The simulator's power stage: the Rust control loop with simulated modules and EVs, and the
commands a test bench gives them (plug an EV in, pause it, fail a module, silence the bus).

``SimulatedRustStage`` is a ``RustPowerStage`` (the half a real driver needs) plus these
commands; it implements ``SimPowerStage``.
"""

from __future__ import annotations

from chargestack.hardware.events import (
    EvFull,
    EvParameters,
    EvResumed,
    EvSuspended,
    HardwareEvent,
)
from chargestack.hardware.interfaces import HardwareEventSink
from chargestack.hardware.power_bridge import RustPowerStage
from chargestack.hardware.sim.power_port import ModuleFault
from chargestack.settings import StationSettings

# A simulated EV that brings no parameters: a mid-size battery at a typical arrival SoC.
DEFAULT_BATTERY_WH = 75_000.0
DEFAULT_SOC = 20.0


class ManualPauseEchoes:
    """Recognises the loop's report of an EV pause the simulator already reported.

    ``SimHardware`` emits EvSuspended/EvResumed at the moment of the manual action; the loop
    sees the EV stop drawing a tick later and reports it too. Only suspensions the EV model
    made on its own (and their ends) reach the station, so each pause is reported once.
    """

    def __init__(self) -> None:
        self._manually_paused: set[int] = set()
        self._forwarded: set[int] = set()

    def paused(self, connector_id: int) -> None:
        self._manually_paused.add(connector_id)

    def resumed(self, connector_id: int) -> None:
        self._manually_paused.discard(connector_id)

    def plugged_out(self, connector_id: int) -> None:
        self._manually_paused.discard(connector_id)
        self._forwarded.discard(connector_id)

    def is_echo(self, event: HardwareEvent) -> bool:
        if isinstance(event, EvFull):
            # An EV that ended its charge and asks again (a hardware stage's EV link) resumes.
            self._forwarded.add(event.connector_id)
        elif isinstance(event, EvSuspended):
            if event.connector_id in self._manually_paused:
                return True
            self._forwarded.add(event.connector_id)
        elif isinstance(event, EvResumed):
            if event.connector_id not in self._forwarded:
                return True
            self._forwarded.discard(event.connector_id)
        return False


class SimulatedRustStage(RustPowerStage):
    """Implements ``SimPowerStage`` on the Rust stage; each pause is reported once."""

    def __init__(self, settings: StationSettings) -> None:
        super().__init__(settings)
        self._echoes = ManualPauseEchoes()

    async def start(self, sink: HardwareEventSink) -> None:
        def unless_echo(event: HardwareEvent) -> None:
            if not self._echoes.is_echo(event):
                sink(event)

        await super().start(unless_echo)

    def ev_plug_in(self, connector_id: int, ev: EvParameters) -> None:
        connector = self._settings.connector(connector_id)
        self._stage.ev_plug_in(
            connector_id,
            ev.battery_wh if ev.battery_wh is not None else DEFAULT_BATTERY_WH,
            ev.soc if ev.soc is not None else DEFAULT_SOC,
            ev.max_current_a if ev.max_current_a is not None else connector.max_current_a,
        )

    def ev_plug_out(self, connector_id: int) -> None:
        self._stage.ev_plug_out(connector_id)
        self._echoes.plugged_out(connector_id)

    def ev_pause(self, connector_id: int) -> None:
        self._stage.ev_pause(connector_id)
        self._echoes.paused(connector_id)

    def ev_resume(self, connector_id: int) -> None:
        self._stage.ev_resume(connector_id)
        self._echoes.resumed(connector_id)

    def inject_module_fault(self, module: int, fault: ModuleFault) -> None:
        self._stage.inject_module_fault(module, fault.value)

    def clear_module_fault(self, module: int) -> None:
        self._stage.clear_module_fault(module)

    def fail_bus(self, on: bool) -> None:
        self._stage.fail_bus(on)
