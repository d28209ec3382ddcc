"""A plain-Python power stage for the station tests while the Rust stage is not built in.

Used only when ``chargestack._core`` has no ``PowerStage``; then a connector that is
enabled with an EV plugged and not paused delivers its limit (or its rating) and the energy
integrates over wall-clock time. It exists so OCPP behaviour can be tested on any build; the
product always runs the Rust stage.
"""

from __future__ import annotations

import time
from typing import Any

from chargestack.hardware.events import EvParameters
from chargestack.hardware.sim.power_port import ConnectorTelemetry, EventSink, ModuleFault
from chargestack.station.settings import StationSettings


class FallbackPowerStage:
    def __init__(self, settings: StationSettings) -> None:
        self._rating = {c.id: c.max_power_w for c in settings.connectors}
        self._limit: dict[int, float | None] = dict.fromkeys(self._rating)
        self._enabled = dict.fromkeys(self._rating, False)
        self._plugged = dict.fromkeys(self._rating, False)
        self._paused = dict.fromkeys(self._rating, False)
        self._energy = dict.fromkeys(self._rating, 0.0)
        self._since = dict.fromkeys(self._rating, time.monotonic())

    async def start(self, sink: EventSink) -> None:
        self._sink = sink

    async def stop(self) -> None:
        return None

    def _power(self, cid: int) -> float:
        if not (self._enabled[cid] and self._plugged[cid]) or self._paused[cid]:
            return 0.0
        limit = self._limit[cid]
        return min(self._rating[cid], limit) if limit is not None else self._rating[cid]

    def _integrate(self, cid: int) -> None:
        now = time.monotonic()
        self._energy[cid] += self._power(cid) * (now - self._since[cid]) / 3600.0
        self._since[cid] = now

    def set_limit(self, connector_id: int, limit_w: float | None) -> None:
        self._integrate(connector_id)
        self._limit[connector_id] = limit_w

    def enable(self, connector_id: int, on: bool) -> None:
        self._integrate(connector_id)
        self._enabled[connector_id] = on

    def feed_watchdog(self) -> None:
        return None

    def ev_plug_in(self, connector_id: int, ev: EvParameters) -> None:
        self._integrate(connector_id)
        self._plugged[connector_id] = True

    def ev_plug_out(self, connector_id: int) -> None:
        self._integrate(connector_id)
        self._plugged[connector_id] = False

    def ev_pause(self, connector_id: int) -> None:
        self._integrate(connector_id)
        self._paused[connector_id] = True

    def ev_resume(self, connector_id: int) -> None:
        self._integrate(connector_id)
        self._paused[connector_id] = False

    def inject_module_fault(self, module: int, fault: ModuleFault) -> None:
        return None

    def clear_module_fault(self, module: int) -> None:
        return None

    def fail_bus(self, on: bool) -> None:
        return None

    def telemetry(self, connector_id: int) -> ConnectorTelemetry:
        self._integrate(connector_id)
        power = self._power(connector_id)
        return ConnectorTelemetry(
            voltage_v=400.0 if power else 0.0,
            current_a=power / 400.0,
            power_w=power,
            energy_wh=self._energy[connector_id],
            current_offered_a=power / 400.0,
            power_offered_w=power,
            soc_percent=None,
            temperature_c=None,
        )

    def snapshot(self) -> dict[str, Any]:
        return {"modules": [], "connectors": {c: self.telemetry(c).power_w for c in self._rating}}
