"""Running a real station in the test's event loop against the test central system.

Every protocol timer is shrunk so the OCTT scenarios run in seconds; tests wait for events
(messages at the central system, status changes), never for fixed sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from central_system import CentralSystem, Payload
from chargestack.assembly import AssembledStation, ProfileBlocks, StationRunner
from chargestack.hardware.events import EvParameters
from chargestack.hardware.sim import SimHardware, simulator_of
from chargestack.settings import StationSettings, parse_station_settings
from chargestack.station.clock import Clock


def station_config(
    url: str,
    data_dir: Path,
    *,
    cp_id: str = "CP-1",
    connectors: int = 2,
    fixed_cable: bool = True,
    configuration: dict[str, Any] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "identity": {
            "charge_point_id": cp_id,
            "vendor": "Chargestack",
            "model": "DC-190",
            "charge_point_serial_number": "SN-0001",
            "firmware_version": "1.0.0",
        },
        "central_system": {"url": url},
        "connectors": [
            {"id": i, "max_current_a": 200.0, "max_power_w": 150_000.0, "fixed_cable": fixed_cable}
            for i in range(1, connectors + 1)
        ],
        "data_dir": str(data_dir),
        # In-process stations cannot replace their code: A/B slots of plain files.
        "firmware": {"installer": "simulated"},
        "control_api": {"enabled": False},
        "timers": {
            "boot_retry_s": 0.5,
            "backoff_initial_s": 0.05,
            "backoff_max_s": 0.2,
            "pong_timeout_s": 0.5,
            "close_timeout_s": 1.0,
            "reset_delay_s": 0.05,
        },
        "power": {"loop_period_ms": 20},
        "configuration": {
            "HeartbeatInterval": 300,
            "MinimumStatusDuration": 0,
            "MeterValueSampleInterval": 0,
            "ClockAlignedDataInterval": 0,
            "ConnectionTimeOut": 30,
            "TransactionMessageRetryInterval": 1,
            "WebSocketPingInterval": 0,
            **(configuration or {}),
        },
    }
    config.update(overrides)
    return config


class RunningStation:
    """A station under test, restarted in place by Reset like a rebooting controller."""

    def __init__(
        self, settings: StationSettings, cs: CentralSystem, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.cs = cs
        self.runner = StationRunner(settings, clock=clock)
        self._task: asyncio.Task[None] | None = None

    @property
    def cp_id(self) -> str:
        return self.settings.identity.charge_point_id

    @property
    def station(self) -> AssembledStation:
        assert self.runner.station is not None
        return self.runner.station

    @property
    def blocks(self) -> ProfileBlocks:
        """The running station's blocks, by name."""
        return self.station.profiles

    async def start(self) -> None:
        self._task = asyncio.create_task(self.runner.run())
        await self.runner.wait_started()

    async def stop(self) -> None:
        self.runner.shutdown()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=15)
            if not done:
                stuck = [t for t in asyncio.all_tasks() if not t.done()]
                raise AssertionError(
                    f"station did not stop; tasks: {[t.get_coro() for t in stuck]}"
                )

    async def booted(self, timeout: float = 10.0) -> None:
        """Wait until registered and every connector's status reached the central system."""
        await self.cs.wait_for("BootNotification", timeout=timeout)
        ids = [0, *self.station.connectors]
        await self.cs.wait_until(
            lambda: all(
                any(
                    r.payload["connectorId"] == cid
                    for r in self.cs.messages("StatusNotification", self.cp_id)
                )
                for cid in ids
            ),
            timeout,
        )

    # -- manual actions of the OCTT test plan ----------------------------------------------

    @property
    def sim(self) -> Any:
        """The station's hardware: the simulator, or the device set of hardware = "devices"."""
        return self.station.hardware

    @property
    def simulator(self) -> SimHardware:
        """Where the OCTT manual actions go (the simulated parts of either)."""
        simulator = simulator_of(self.station.hardware)
        assert simulator is not None, "the station's hardware has no simulated parts"
        return simulator

    def plug_in(self, connector_id: int, **ev: Any) -> None:
        self.simulator.plug_in(connector_id, EvParameters(**ev))

    def plug_out(self, connector_id: int) -> None:
        self.simulator.plug_out(connector_id)

    def ev_unplug(self, connector_id: int) -> None:
        """The cable is disconnected at the EV side (a socket's cable stays in)."""
        self.simulator.ev_unplug(connector_id)

    def present(self, id_tag: str) -> None:
        self.simulator.present_id_tag(id_tag)

    async def call(self, action: str, payload: Payload) -> Payload:
        return await self.cs.call(self.cp_id, action, payload)

    async def status(
        self, connector_id: int, status: str, *, since: int = 0, timeout: float = 10.0
    ) -> Payload:
        found = await self.cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == connector_id and p["status"] == status,
            since=since,
            timeout=timeout,
        )
        return found.payload

    async def next_status(self, connector_id: int, *, since: int, timeout: float = 10.0) -> str:
        """The first status ``connector_id`` reports from the mark on, whichever it is."""
        found = await self.cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == connector_id,
            since=since,
            timeout=timeout,
        )
        return str(found.payload["status"])

    def statuses(self, connector_id: int, since: int = 0) -> list[str]:
        """The statuses the central system heard of a connector, at index ``since`` on."""
        return [status for cid, status in self.reported_statuses(since) if cid == connector_id]

    def reported_statuses(self, since: int = 0) -> list[tuple[int, str]]:
        """(connectorId, status) of every StatusNotification at index ``since`` on, in order."""
        return [
            (r.payload["connectorId"], r.payload["status"])
            for r in self.cs.received[since:]
            if r.action == "StatusNotification"
        ]

    async def wait(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait on a station-side condition, re-checked whenever the CS sees a message."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("condition not reached")
            with contextlib.suppress(TimeoutError):
                await self.cs.wait_until(lambda: predicate(), 0.05)


@contextlib.asynccontextmanager
async def running_station(
    cs: CentralSystem,
    data_dir: Path,
    *,
    boot: bool = True,
    clock: Clock | None = None,
    **kwargs: Any,
) -> AsyncIterator[RunningStation]:
    settings = parse_station_settings(station_config(cs.url, data_dir, **kwargs))
    rs = RunningStation(settings, cs, clock)
    await rs.start()
    try:
        if boot:
            await rs.booted()
        yield rs
    finally:
        await rs.stop()


def abandon_transaction(rs: RunningStation, connector_id: int = 1) -> None:
    """A power cut mid-transaction, for the station left right after: the journal already
    holds the transaction; its last register is recorded and nothing else gets to run."""
    core = rs.blocks.core
    tx = core.running.active_on(connector_id)
    assert tx is not None
    core.metering.record_register(tx)
    core.running.remove(connector_id)


async def go_offline(rs: RunningStation) -> None:
    """The station's network goes down (OCTT manual action); the central system sees it."""
    await rs.station.network_disconnect()
    await rs.cs.wait_until(lambda: rs.cp_id not in rs.cs.connections, 5)


async def go_online(rs: RunningStation) -> None:
    await rs.station.network_connect()
    await rs.cs.wait_connected(rs.cp_id)


async def start_local_session(
    rs: RunningStation, connector_id: int = 1, tag: str = "VALIDTAG1"
) -> int:
    """Plug in, present a tag, wait for Charging; the central system's transactionId."""
    cs = rs.cs
    mark = cs.mark()
    rs.plug_in(connector_id)
    await rs.status(connector_id, "Preparing", since=mark)
    rs.present(tag)
    start = await cs.wait_for(
        "StartTransaction", lambda p: p["connectorId"] == connector_id, since=mark
    )
    await rs.status(connector_id, "Charging", since=mark)
    return await cs.wait_for_transaction_id(start)
