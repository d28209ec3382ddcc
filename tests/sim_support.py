"""Building blocks for tests of the simulator, the control API and the CLI.

``RecordingPowerStage`` stands in for the Rust power stage where a test checks what the
simulator asks of it; tests of the power itself use ``SimulatedRustStage``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from chargestack.control import ControlApi
from chargestack.hardware.events import EvParameters, HardwareEvent
from chargestack.hardware.interfaces import HardwareEventSink
from chargestack.hardware.sim import ConnectorTelemetry, ModuleFault, SimHardware
from chargestack.settings import StationSettings, parse_station_settings


def station_settings(tmp_path: Path, connectors: int = 2, **extra: Any) -> StationSettings:
    data: dict[str, Any] = {
        "identity": {"charge_point_id": "CP1", "vendor": "Chargestack", "model": "DC190"},
        "central_system": {"url": "ws://127.0.0.1:9/ocpp"},
        "connectors": [{"id": i, "fixed_cable": i != 2} for i in range(1, connectors + 1)],
        "data_dir": str(tmp_path),
        **extra,
    }
    return parse_station_settings(data)


class RecordingPowerStage:
    """Records every command; telemetry is whatever the test sets."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.readings: dict[int, ConnectorTelemetry] = {}
        self.sink: HardwareEventSink | None = None

    async def start(self, sink: HardwareEventSink) -> None:
        self.sink = sink
        self.calls.append(("start",))

    async def stop(self) -> None:
        self.calls.append(("stop",))

    def set_limit(self, connector_id: int, limit_w: float | None) -> None:
        self.calls.append(("set_limit", connector_id, limit_w))

    def enable(self, connector_id: int, on: bool) -> None:
        self.calls.append(("enable", connector_id, on))

    def feed_watchdog(self) -> None:
        self.calls.append(("feed_watchdog",))

    def ev_plug_in(self, connector_id: int, ev: EvParameters) -> None:
        self.calls.append(("ev_plug_in", connector_id, ev))

    def ev_plug_out(self, connector_id: int) -> None:
        self.calls.append(("ev_plug_out", connector_id))

    def ev_pause(self, connector_id: int) -> None:
        self.calls.append(("ev_pause", connector_id))

    def ev_resume(self, connector_id: int) -> None:
        self.calls.append(("ev_resume", connector_id))

    def inject_module_fault(self, module: int, fault: ModuleFault) -> None:
        self.calls.append(("inject_module_fault", module, fault))

    def clear_module_fault(self, module: int) -> None:
        self.calls.append(("clear_module_fault", module))

    def fail_bus(self, on: bool) -> None:
        self.calls.append(("fail_bus", on))

    def telemetry(self, connector_id: int) -> ConnectorTelemetry:
        return self.readings.get(connector_id, _IDLE)

    def snapshot(self) -> dict[str, Any]:
        return {"modules": [], "calls": len(self.calls)}


_IDLE = ConnectorTelemetry(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None, None)


def drain(hardware: SimHardware) -> list[HardwareEvent]:
    events = []
    while not hardware.events.empty():
        events.append(hardware.events.get_nowait())
    return events


class FakeStation:
    """A ``ControlTarget`` over a real ``SimHardware``: what the station would report."""

    def __init__(self, hardware: SimHardware) -> None:
        self._hardware = hardware
        self.connected = True
        self.fail_status: Exception | None = None
        self.power_cuts = 0

    @property
    def hardware(self) -> SimHardware:
        return self._hardware

    def status(self) -> dict[str, Any]:
        if self.fail_status is not None:
            raise self.fail_status
        return {
            "registration": "Accepted",
            "connected": self.connected,
            **self._hardware.describe(),
        }

    async def network_disconnect(self) -> None:
        self.connected = False

    async def network_connect(self) -> None:
        self.connected = True

    async def power_cut(self) -> None:
        self.power_cuts += 1

    def power_snapshot(self) -> dict[str, Any]:
        return self._hardware.power.snapshot()


@asynccontextmanager
async def serving(target: FakeStation) -> AsyncIterator[ControlApi]:
    api = ControlApi(target, "127.0.0.1", 0)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()
