"""``RustPowerStage``: the station's ``PowerControl`` on top of the Rust control loop.

This is the half a real driver of the Rust stage needs: the stage's configuration from the
station file, the setpoint commands, the telemetry and the supervision; the simulator's EV
and cabinet commands are ``sim.rust_stage``. The loop runs on its own Rust thread and never
calls into Python. Python reaches it in three ways: commands (plain method calls, they only
enqueue), and, from one asyncio task shared by every stage on the event loop
(``power_supervision``), the watchdog feed and a non-blocking drain of the loop's events.
Feeding from the event loop means a stalled loop stops the power (issue 6, "a stalled
supervisor ramps to zero and opens the contactors").
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from chargestack import _core
from chargestack.hardware import power_supervision
from chargestack.hardware.events import (
    EvFull,
    EvResumed,
    EvSuspended,
    HardwareEvent,
)
from chargestack.hardware.interfaces import HardwareEventSink
from chargestack.hardware.power_faults import ConnectorPowerFaults, modules_serving
from chargestack.hardware.power_port import ConnectorTelemetry
from chargestack.settings import StationSettings

if TYPE_CHECKING:
    from chargestack._core import _Snapshot, _StageConfig, _StageEvent

log = logging.getLogger(__name__)

# Events drained per stage per supervision tick; the rest wait a tick, so that a stage
# flooding its queue cannot hold the event loop (the Rust queue is bounded anyway).
_EVENTS_PER_TICK = 64
# Feed several times per watchdog period so one slow tick of the event loop is not a stall.
_FEEDS_PER_WATCHDOG = 4


def stage_config(settings: StationSettings) -> _StageConfig:
    """The ``_core.PowerStage`` configuration for a station file."""
    power = settings.power
    modules = power.modules
    config: _StageConfig = {
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
        "matrix": module_matrix(settings),
        "loop_period_ms": power.loop_period_ms,
        "ramp_a_per_s": power.ramp_a_per_s,
        "watchdog_ms": power.watchdog_ms,
        "silent_bus_ticks": power.silent_bus_ticks,
    }
    _set_cabinet(config, settings)
    return config


def module_matrix(settings: StationSettings) -> list[list[int]]:
    """For each module, the connectors it can be switched to."""
    modules = settings.power.modules
    # An empty matrix in the station file means every module can serve every connector.
    return modules.matrix or [[c.id for c in settings.connectors] for _ in range(modules.count)]


def _set_cabinet(config: _StageConfig, settings: StationSettings) -> None:
    """The simulated cabinet, or the hardware stage of ``[devices.power] kind = "socketcan"``."""
    devices = settings.device_settings()
    device = devices.power
    if device.kind != "socketcan":
        config["simulated"] = True
        return
    assert device.interface is not None and devices.io is not None
    config["simulated"] = False
    config["interface"] = device.interface
    config["controller_address"] = device.controller_address
    config["ev_request_timeout_ms"] = device.ev_request_timeout_ms
    config["contactor_timeout_ms"] = devices.io.contactor_feedback_timeout_ms
    if device.addresses is not None:
        config["addresses"] = list(device.addresses)


class RustPowerStage:
    """Implements ``PowerStage`` (``PowerControl``, telemetry, supervision) on
    ``_core.PowerStage``."""

    def __init__(self, settings: StationSettings) -> None:
        self._settings = settings
        self._stage = _core.PowerStage(stage_config(settings))
        self._faults = ConnectorPowerFaults(modules_serving(module_matrix(settings)))
        self._feed_period_s = settings.power.watchdog_ms / 1000 / _FEEDS_PER_WATCHDOG
        self._sink: HardwareEventSink | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = False

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, sink: HardwareEventSink) -> None:
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

    # -- what the rest of the hardware reads -------------------------------------------

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
        for _ in range(_EVENTS_PER_TICK):
            raw = self._stage.next_event(0)
            if raw is None:
                return
            self.on_stage_event(raw)

    def on_stage_event(self, raw: _StageEvent) -> None:
        """What the station is told of an event of the loop; a hardware stage also acts on
        the switchgear events here."""
        faults = self._faults.on_stage_event(raw)
        if faults is not None:
            for fault in faults:
                self.tell_station(fault)
            return
        event = event_from_stage(raw)
        if event is None:
            log.info("power stage event not forwarded to the station: %s", raw)
            return
        self.tell_station(event)

    def tell_station(self, event: HardwareEvent) -> None:
        assert self._loop is not None
        # A callback of its own, so a failing sink is reported by the loop and does not cut
        # short this stage's drain or the other stages' feeding.
        self._loop.call_soon(self._deliver, event)

    def _deliver(self, event: HardwareEvent) -> None:
        if self._sink is not None:
            self._sink(event)


def event_from_stage(raw: _StageEvent) -> HardwareEvent | None:
    """The station's event for a power-stage event of the EV, or None when it has none (the
    fault events are ``ConnectorPowerFaults``')."""
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
