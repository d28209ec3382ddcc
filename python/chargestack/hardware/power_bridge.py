"""``RustPowerStage``: the station's ``PowerControl`` on top of the Rust control loop.

The loop runs on its own Rust thread and never calls into Python. Python reaches it in three
ways: commands (plain method calls, they only enqueue), and, from one asyncio task shared by
every stage on the event loop (``power_supervision``), the watchdog feed and a non-blocking
drain of the loop's events. Feeding from the event loop means a stalled loop stops the power
(issue 6, "a stalled supervisor ramps to zero and opens the contactors").
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from chargestack import _core
from chargestack.hardware import power_supervision
from chargestack.hardware.events import (
    EvFull,
    EvParameters,
    EvResumed,
    EvSuspended,
    HardwareEvent,
    PowerStageFault,
    PowerStageFaultCleared,
)
from chargestack.hardware.sim.power_port import ConnectorTelemetry, EventSink, ModuleFault
from chargestack.settings import StationSettings

if TYPE_CHECKING:
    from chargestack._core import _Snapshot, _StageConfig, _StageEvent

log = logging.getLogger(__name__)

# A simulated EV that brings no parameters: a mid-size battery at a typical arrival SoC.
DEFAULT_BATTERY_WH = 75_000.0
DEFAULT_SOC = 20.0
# Events drained per stage per supervision tick; the rest wait a tick, so that a stage
# flooding its queue cannot hold the event loop (the Rust queue is bounded anyway).
_EVENTS_PER_TICK = 64
# Feed several times per watchdog period so one slow tick of the event loop is not a stall.
_FEEDS_PER_WATCHDOG = 4


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
        if isinstance(event, EvSuspended):
            if event.connector_id in self._manually_paused:
                return True
            self._forwarded.add(event.connector_id)
        elif isinstance(event, EvResumed):
            if event.connector_id not in self._forwarded:
                return True
            self._forwarded.discard(event.connector_id)
        return False


def stage_config(settings: StationSettings) -> _StageConfig:
    """The ``_core.PowerStage`` configuration for a station file."""
    power = settings.power
    modules = power.modules
    connector_ids = [c.id for c in settings.connectors]
    # An empty matrix in the station file means every module can serve every connector.
    matrix = modules.matrix or [list(connector_ids) for _ in range(modules.count)]
    return {
        "modules": {
            "count": modules.count,
            "max_power_w": modules.max_power_w,
            "max_current_a": modules.max_current_a,
            "min_voltage_v": modules.min_voltage_v,
            "max_voltage_v": modules.max_voltage_v,
        },
        "connectors": [
            {
                "id": c.id,
                "max_current_a": c.max_current_a,
                "max_power_w": c.max_power_w,
                "min_voltage_v": c.min_voltage_v,
                "max_voltage_v": c.max_voltage_v,
            }
            for c in settings.connectors
        ],
        "matrix": matrix,
        "loop_period_ms": power.loop_period_ms,
        "ramp_a_per_s": power.ramp_a_per_s,
        "watchdog_ms": power.watchdog_ms,
        "silent_bus_ticks": power.silent_bus_ticks,
        "simulated": True,
    }


class RustPowerStage:
    """Implements ``PowerControl`` and the simulator's ``SimPowerStage`` on ``_core.PowerStage``."""

    def __init__(self, settings: StationSettings) -> None:
        self._settings = settings
        self._stage = _core.PowerStage(stage_config(settings))
        self._feed_period_s = settings.power.watchdog_ms / 1000 / _FEEDS_PER_WATCHDOG
        self._sink: EventSink | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = False
        self._echoes = ManualPauseEchoes()

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        self._loop = asyncio.get_running_loop()
        shared = self._settings.power.loop_thread == "shared"
        self._stage.start(power_supervision.shared_loop() if shared else None)
        self._running = True
        self._stage.feed_watchdog()
        power_supervision.supervise(self)

    async def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        power_supervision.release(self)
        # stop() ramps down and joins the loop thread (GIL released); off the event loop.
        await asyncio.to_thread(self._stage.stop)

    # -- PowerControl -------------------------------------------------------------------

    def set_limit(self, connector_id: int, limit_w: float | None) -> None:
        self._stage.set_limit(connector_id, limit_w, None)

    def enable(self, connector_id: int, on: bool) -> None:
        self._stage.enable(connector_id, on)

    def feed_watchdog(self) -> None:
        self._stage.feed_watchdog()

    # -- the simulator's EV and cabinet -------------------------------------------------

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

    def snapshot(self) -> _Snapshot:
        return self._stage.snapshot()

    def telemetry(self, connector_id: int) -> ConnectorTelemetry:
        return telemetry_from_snapshot(self._stage.snapshot(), connector_id)

    # -- supervision (power_supervision calls these on the event loop) -----------------

    @property
    def feed_period_s(self) -> float:
        return self._feed_period_s

    def supervise(self) -> None:
        self._stage.feed_watchdog()
        assert self._loop is not None
        for _ in range(_EVENTS_PER_TICK):
            raw = self._stage.next_event(0)
            if raw is None:
                return
            event = event_from_stage(raw)
            if event is None:
                log.info("power stage event not forwarded to the station: %s", raw)
                continue
            # A callback of its own, so a failing sink is reported by the loop and does not
            # cut short this stage's drain or the other stages' feeding.
            self._loop.call_soon(self._deliver, event)

    def _deliver(self, event: HardwareEvent) -> None:
        if self._sink is not None and not self._echoes.is_echo(event):
            self._sink(event)


def event_from_stage(raw: _StageEvent) -> HardwareEvent | None:
    """The station's event for a power-stage event, or None when it has none."""
    if raw["kind"] == "fault":
        return PowerStageFault(raw["connector"], raw["error_code"], raw["info"])
    if raw["kind"] == "fault_cleared":
        return PowerStageFaultCleared(raw["connector"])
    if raw["kind"] == "ev_full":
        return EvFull(raw["connector"])
    if raw["kind"] == "ev_suspended":
        return EvSuspended(raw["connector"])
    if raw["kind"] == "ev_resumed":
        return EvResumed(raw["connector"])
    return None


def telemetry_from_snapshot(snap: _Snapshot, connector_id: int) -> ConnectorTelemetry:
    """One connector's telemetry out of a ``PowerStage.snapshot()``."""
    for c in snap["connectors"]:
        if c["id"] == connector_id:
            return ConnectorTelemetry(
                voltage_v=c["voltage_v"],
                current_a=c["current_a"],
                power_w=c["power_w"],
                energy_wh=c["energy_wh"],
                current_offered_a=c["current_offered_a"],
                power_offered_w=c["power_offered_w"],
                soc_percent=c["soc"],
                temperature_c=c["temperature_c"],
            )
    raise LookupError(f"power stage snapshot has no connector {connector_id}")
