"""The scripted demo tour a person watches: every step is real OCPP against a real central
system, with the Rust power stage underneath.

Boot; an RFID session; a remote start with a charging profile that limits power while a
second EV shares the modules; meter values; a firmware update (download, install, restart
in the new version); a diagnostics upload; a power cut mid-session and the recovery.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chargestack.assembly import AssembledStation, StationRunner
from chargestack.demo.central_system import DemoCentralSystem, _Handler
from chargestack.demo.file_server import FileServer
from chargestack.demo.live_view import LiveView
from chargestack.hardware.events import EvParameters
from chargestack.hardware.power_bridge import RustPowerStage
from chargestack.settings import parse_station_settings
from chargestack.station.stop_kind import StopKind

NEW_FIRMWARE = "1.1.0"


def demo_settings(url: str, data_dir: Path) -> dict[str, Any]:
    return {
        "identity": {
            "charge_point_id": "DEMO-DC-1",
            "vendor": "Chargestack",
            "model": "DC-190",
            "firmware_version": "1.0.0",
        },
        "central_system": {"url": url},
        "connectors": [{"id": 1}, {"id": 2}],
        "data_dir": str(data_dir),
        # The tour's firmware image is a file, not software: the slot is simulated.
        "firmware": {"installer": "simulated"},
        "control_api": {"port": 0},
        "timers": {"backoff_initial_s": 0.2, "backoff_max_s": 2.0, "reset_delay_s": 0.2},
        "configuration": {
            "MeterValueSampleInterval": 2,
            "MinimumStatusDuration": 0,
            "HeartbeatInterval": 60,
        },
    }


class Tour:
    def __init__(
        self, cs: DemoCentralSystem, files: FileServer, runner: StationRunner, view: LiveView
    ) -> None:
        self.cs = cs
        self.files = files
        self.runner = runner
        self.view = view
        self.handler: _Handler | None = None
        self.summary: list[str] = []

    @property
    def station(self) -> AssembledStation:
        assert self.runner.station is not None
        return self.runner.station

    @property
    def sim(self) -> Any:
        return self.station.hardware

    async def connected(self) -> _Handler:
        """The central system's side of the newest connection, once the station is registered."""
        self.handler = await asyncio.wait_for(self.cs.connected.get(), 30)
        await self.expect("BootNotification")
        await asyncio.wait_for(self.station.registration.wait_accepted(), 30)
        return self.handler

    async def expect(
        self, action: str, match: Callable[[dict[str, Any]], bool] = lambda _p: True
    ) -> dict[str, Any]:
        assert self.handler is not None
        async with asyncio.timeout(60):
            while True:
                seen, payload = await self.handler.events.get()
                if seen == action and match(payload):
                    return payload

    async def watch(self, seconds: float) -> None:
        """Let the person watch the charging for a moment (the view keeps redrawing)."""
        await asyncio.sleep(seconds)

    def step(self, text: str) -> None:
        self.view.step = text
        self.view.log(f"== {text}")

    async def run(self) -> None:
        self.step("boot and registration")
        handler = await self.connected()

        self.step("RFID session on connector 1 (80 kWh EV at 30 %)")
        self.sim.plug_in(1, EvParameters(battery_wh=80_000, soc=30))
        self.sim.present_id_tag("DEMO-TAG-1")
        start1 = await self.expect("StartTransaction")
        await self.expect("MeterValues")
        await self.watch(3)

        self.step(
            "remote start on connector 2 with a 40 kW charging profile; the modules are shared"
        )
        self.sim.plug_in(2, EvParameters(battery_wh=60_000, soc=50))
        status = await self.cs.remote_start(handler, 2, "DEMO-TAG-2", limit_w=40_000)
        await self.expect("StartTransaction", lambda p: p.get("connector_id") == 2)
        await self.watch(5)
        snapshot = self.sim.power.snapshot()
        kw = {c["id"]: round(c["power_w"] / 1000, 1) for c in snapshot["connectors"]}
        self.summary.append(
            f"two EVs sharing the cabinet: {kw[1]} kW and {kw[2]} kW (profile: {status}, 40 kW)"
        )

        self.step("stop: tag on connector 1, remote stop on connector 2")
        self.sim.present_id_tag("DEMO-TAG-1")
        stop1 = await self.expect("StopTransaction")
        self.summary.append(f"RFID session: {stop1['meter_stop'] - start1['meter_start']} Wh")
        tx2 = self.station.profiles.core.running.active_on(2)
        if tx2 is not None and tx2.transaction_id is not None:
            await self.cs.remote_stop(handler, tx2.transaction_id)
            await self.expect("StopTransaction")
        self.sim.plug_out(1)
        self.sim.plug_out(2)

        self.step(f"firmware update to {NEW_FIRMWARE}: download, install, restart")
        from chargestack.files.image import build_image

        self.files.files["fw.tar.gz"] = build_image(
            NEW_FIRMWARE, {"app.bin": b"\x7fELF demo build"}
        )
        await self.cs.update_firmware(handler, f"{self.files.base_url}/files/fw.tar.gz")
        await self.expect("FirmwareStatusNotification", lambda p: p["status"] == "Installing")
        handler = await self.connected()
        await self.expect(
            "FirmwareStatusNotification",
            lambda p: p["status"] in ("Installed", "InstallationFailed"),
        )
        self.summary.append(f"firmware now {self.station.firmware_version}")

        self.step("diagnostics upload")
        name = await self.cs.get_diagnostics(handler, f"{self.files.base_url}/uploads/")
        uploaded = await self.expect(
            "DiagnosticsStatusNotification", lambda p: p["status"] != "Uploading"
        )
        size = len(self.files.uploads.get(name or "", b""))
        self.summary.append(f"diagnostics {uploaded['status']}: {name} ({size} bytes)")

        self.step("power cut in the middle of a session, and the recovery")
        self.sim.plug_in(1, EvParameters(battery_wh=80_000, soc=40))
        self.sim.present_id_tag("DEMO-TAG-1")
        await self.expect("StartTransaction")
        await self.expect("MeterValues")
        self.station.request_stop(StopKind.POWER_CUT)
        handler = await self.connected()
        stop = await self.expect("StopTransaction")
        self.summary.append(
            f"after the power cut: StopTransaction reason {stop.get('reason')}, meterStop {stop['meter_stop']} Wh"
        )
        self.step("done")


async def run_tour(
    central_system_url: str | None, *, tour: bool, log: Callable[[str], None] = print
) -> int:
    """Run the demo; returns the process exit code."""
    started = time.monotonic()
    view: LiveView | None = None
    traffic_sink: list[Callable[[str], None]] = [log]
    cs = (
        DemoCentralSystem(lambda line: traffic_sink[0](line))
        if central_system_url is None
        else None
    )
    files = FileServer()
    await files.start()
    url = await cs.start() if cs is not None else central_system_url
    assert url is not None
    with tempfile.TemporaryDirectory(prefix="chargestack-demo-") as tmp:
        settings = parse_station_settings(demo_settings(url, Path(tmp)))
        runner = StationRunner(settings)
        task = asyncio.create_task(runner.run())
        await runner.wait_started()
        if runner.control_api is not None:
            log(f"control API: {runner.control_api.url}")
        try:
            if not tour or cs is None:
                await task
                return 0
            view = LiveView(lambda: _status(runner))
            traffic_sink[0] = view.log
            view.start()
            the_tour = Tour(cs, files, runner, view)
            await the_tour.run()
            await view.stop()
            view = None
            log("")
            log(f"Tour finished in {time.monotonic() - started:.0f} s:")
            for line in the_tour.summary:
                log(f"  - {line}")
            return 0
        finally:
            if view is not None:
                await view.stop()
            runner.shutdown()
            await task
            if cs is not None:
                await cs.stop()
            await files.stop()


def _status(runner: StationRunner) -> dict[str, Any] | None:
    station = runner.station
    if station is None or station.stop_kind is not None:
        return None
    status = station.status()
    power = station.hardware.power
    limits: dict[int, float | None] = {}
    if isinstance(power, RustPowerStage):
        limits = {c["id"]: c["limit_w"] for c in power.snapshot()["connectors"]}
    for c in status.get("connectors", []):
        c["limitW"] = limits.get(c["connectorId"])
    return status
