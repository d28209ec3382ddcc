"""The scripted demo tour: boot, an RFID session, a remote start and stop, a summary."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from chargestack.demo.central_system import DemoCentralSystem, _Handler
from chargestack.hardware.events import EvParameters
from chargestack.station.runner import StationRunner
from chargestack.station.settings import parse_station_settings


def demo_settings(url: str, data_dir: Path) -> dict[str, Any]:
    return {
        "identity": {"charge_point_id": "DEMO-DC-1", "vendor": "Chargestack", "model": "DC-190"},
        "central_system": {"url": url},
        "connectors": [{"id": 1}, {"id": 2}],
        "data_dir": str(data_dir),
        "control_api": {"port": 0},
        "timers": {"backoff_initial_s": 0.2, "backoff_max_s": 2.0},
        "configuration": {"MeterValueSampleInterval": 2, "MinimumStatusDuration": 0},
    }


async def _expect(handler: _Handler, action: str, timeout: float = 20.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            seen, payload = await handler.events.get()
            if seen == action:
                return payload


async def run_tour(central_system_url: str | None, *, tour: bool, log: Any = print) -> int:
    """Run the demo; returns the process exit code."""
    cs = DemoCentralSystem(log) if central_system_url is None else None
    url = await cs.start() if cs is not None else central_system_url
    assert url is not None
    with tempfile.TemporaryDirectory(prefix="chargestack-demo-") as tmp:
        settings = parse_station_settings(demo_settings(url, Path(tmp)))
        runner = StationRunner(settings)
        task = asyncio.create_task(runner.run())
        station = await runner.wait_started()
        if runner.control_api is not None:
            log(f"control API: {runner.control_api.url}")
        try:
            if not tour or cs is None:
                await task
                return 0
            handler = await asyncio.wait_for(cs.connected.get(), 20)
            await _expect(handler, "BootNotification")
            await asyncio.wait_for(station.registration.wait_accepted(), 20)
            log("== tour: an RFID session on connector 1")
            sim: Any = station.hardware
            sim.plug_in(1, EvParameters(battery_wh=80_000, soc=30))
            sim.present_id_tag("DEMO-TAG-1")
            start = await _expect(handler, "StartTransaction")
            await _expect(handler, "MeterValues")
            sim.present_id_tag("DEMO-TAG-1")
            stop = await _expect(handler, "StopTransaction")
            sim.plug_out(1)
            log("== tour: a remote start on connector 2")
            sim.plug_in(2, EvParameters(battery_wh=60_000, soc=50))
            status = await cs.remote_start(handler, 2, "DEMO-TAG-2")
            await _expect(handler, "StartTransaction")
            await _expect(handler, "MeterValues")
            tx = station.transactions.active_on(2)  # type: ignore[attr-defined]
            await cs.remote_stop(handler, tx.transaction_id)
            stop2 = await _expect(handler, "StopTransaction")
            log(
                f"== summary: session 1 {start['meter_start']} -> {stop['meter_stop']} Wh; "
                f"remote start {status}; session 2 stopped at {stop2['meter_stop']} Wh"
            )
            return 0
        finally:
            runner.shutdown()
            await task
            if cs is not None:
                await cs.stop()
