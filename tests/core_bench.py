"""The Core profile's transaction blocks on their own, without a station or a link.

What is real: the store and the configuration (in the test's directory), the simulator's
hardware (on a ``RecordingPowerStage`` whose meter readings the test sets) and the three
transaction blocks with authorization. What is fake: the station clock (``ManualClock``:
time moves when the test says), the durable queue (``FakeQueue`` records what is queued and
hands the blocks the answers the test gives), the central system's direct answers
(``FakeCentral``) and the connectors' status reporting (``FakeBoard`` records refreshes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from chargestack.assembly.transactions import build_transactions
from chargestack.hardware import events as hw
from chargestack.hardware.sim import ConnectorTelemetry, SimHardware
from chargestack.ocpp import messages as m
from chargestack.profiles.core.authorization import AuthorizationService
from chargestack.profiles.core.authorization_wait import AuthorizationWait
from chargestack.profiles.core.cable_lock import CableLock
from chargestack.profiles.core.metering import Metering
from chargestack.profiles.core.running_transactions import RunningTransactions
from chargestack.profiles.core.transaction_lifecycle import TransactionLifecycle
from chargestack.station.config_keys import standard_registry
from chargestack.station.configuration import Configuration
from chargestack.station.connector import Connector
from chargestack.station.connector_status import ConnectorFacts, Status, derive_status
from chargestack.station.extension_points import (
    LimitSource,
    NoLimitSource,
    OpenGate,
    StartGate,
    TransactionInfo,
    TransactionObserver,
)
from chargestack.station.ports import ResponseHandler
from chargestack.store import Store
from chargestack.store.outbox import QueuedCall
from manual_clock import ManualClock
from sim_support import RecordingPowerStage, station_settings

#: 12:00:05 UTC on a fixed day: timestamps in the messages are checked against it.
START = datetime(2026, 3, 2, 12, 0, 5, tzinfo=UTC)


class FakeQueue:
    """Implements ``DurableQueue``: keeps every CALL; :meth:`answer` plays the central system."""

    def __init__(self) -> None:
        self.queued: list[QueuedCall] = []
        self.requests: list[BaseModel] = []
        self._handlers: dict[str, ResponseHandler] = {}

    def enqueue(
        self, request: BaseModel, tx_ref: int | None = None, *, message_id: str | None = None
    ) -> int:
        seq = len(self.queued) + 1
        action = m.action_of(request)
        payload = m.dump_payload(request)
        self.queued.append(QueuedCall(seq, action, payload, tx_ref, 0, 0, message_id))
        self.requests.append(request)
        return seq

    def on_response(self, action: str, handler: ResponseHandler) -> None:
        self._handlers[action] = handler

    def of(self, action: str) -> list[tuple[Any, int | None]]:
        """The queued requests of ``action``, with their transaction's journal ref."""
        return [
            (r, q.tx_ref)
            for r, q in zip(self.requests, self.queued, strict=True)
            if q.action == action
        ]

    async def answer(self, action: str, response: BaseModel, index: int = -1) -> None:
        queued = [q for q in self.queued if q.action == action][index]
        handler = self._handlers.get(action)
        if handler is not None:
            await handler(queued, response)


class FakeCentral:
    """The non-durable CALLs (``Send``): Authorize answered from :attr:`tags`, the rest empty."""

    def __init__(self) -> None:
        self.sent: list[BaseModel] = []
        #: idTag -> (status, parentIdTag); unknown tags are Invalid.
        self.tags: dict[str, tuple[str, str | None]] = {}

    async def send(self, request: BaseModel) -> BaseModel:
        self.sent.append(request)
        if isinstance(request, m.AuthorizeRequest):
            status, parent = self.tags.get(request.id_tag, ("Invalid", None))
            info = m.IdTagInfo(status=m.AuthorizationStatus(status), parent_id_tag=parent)
            return m.AuthorizeResponse(id_tag_info=info)
        if isinstance(request, m.MeterValuesRequest):
            return m.MeterValuesResponse()
        raise AssertionError(f"unexpected {type(request).__name__}")

    def of(self, kind: type[BaseModel]) -> list[Any]:
        return [r for r in self.sent if isinstance(r, kind)]


class FakeBoard:
    """Implements ``ConnectorBoard`` over plain connectors; counts the refreshes."""

    def __init__(self, connector_ids: Iterable[int]) -> None:
        self.connectors = {cid: Connector(cid) for cid in connector_ids}
        self.station_facts = ConnectorFacts()
        self.refreshed: list[int] = []

    def connector(self, connector_id: int) -> Connector:
        return self.connectors[connector_id]

    def refresh(self, connector_id: int) -> None:
        self.refreshed.append(connector_id)

    def refresh_all(self) -> None:
        self.refreshed.extend([0, *self.connectors])

    def status(self, connector_id: int) -> Status:
        return derive_status(self.connectors[connector_id].facts, self.station_facts)


@dataclass
class FakeLink:
    """Implements ``LinkState``."""

    accepted: bool = True


@dataclass
class RecordingObserver:
    """A ``TransactionObserver`` that keeps what it was told."""

    started: list[TransactionInfo] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)

    def transaction_started(self, tx: TransactionInfo) -> None:
        self.started.append(tx)

    def transaction_ended(self, connector_id: int) -> None:
        self.ended.append(connector_id)


class Tasks:
    """Implements ``Spawn``: named tasks (ManualClock lists waits by task name), cancelled
    at the end of the test."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self.tasks.append(task)
        return task

    async def cancel_all(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass
class CoreBench:
    store: Store
    config: Configuration
    clock: ManualClock
    queue: FakeQueue
    central: FakeCentral
    board: FakeBoard
    link: FakeLink
    hardware: SimHardware
    power: RecordingPowerStage
    tasks: Tasks
    running: RunningTransactions
    metering: Metering
    authorization: AuthorizationService
    cable_lock: CableLock
    lifecycle: TransactionLifecycle
    wait: AuthorizationWait
    observer: RecordingObserver

    async def start(self) -> None:
        """The blocks' start hooks, in the station's order (recovery happens here)."""
        for block in (
            self.authorization,
            self.metering,
            self.cable_lock,
            self.lifecycle,
            self.wait,
        ):
            await block.start()

    async def event(self, event: hw.HardwareEvent) -> None:
        """A hardware event, heard by each block as the station hands it out."""
        for block in (self.metering, self.cable_lock, self.lifecycle, self.wait):
            await block.on_hardware_event(event)

    async def plug_in(self, connector_id: int) -> None:
        self.hardware.connector(connector_id).set_plugged(True)
        await self.event(hw.PluggedIn(connector_id))

    async def plug_out(self, connector_id: int) -> None:
        self.hardware.connector(connector_id).set_plugged(False)
        await self.event(hw.PluggedOut(connector_id))

    def set_energy(self, connector_id: int, energy_wh: float, power_w: float = 0.0) -> None:
        """What the power stage measures (the simulated meter's source)."""
        self.power.readings[connector_id] = ConnectorTelemetry(
            400.0, power_w / 400.0, power_w, energy_wh, 0.0, 0.0, None, None
        )

    def enabled(self, connector_id: int) -> bool | None:
        """The power stage's last enable command for the connector (None: never told)."""
        commands = [c for c in self.power.calls if c[0] == "enable" and c[1] == connector_id]
        return commands[-1][2] if commands else None

    async def settle(self) -> None:
        """Let the tasks woken by a clock move or a configuration change run."""
        for _ in range(5):
            await asyncio.sleep(0)

    async def advance(self, seconds: float) -> None:
        """Move the clock on, once every task just started is waiting on it."""
        await self.settle()
        self.clock.advance(seconds)
        await self.settle()

    async def close(self) -> None:
        await self.tasks.cancel_all()
        self.store.close()


async def core_bench(
    data_dir: Path,
    *,
    configuration: dict[str, Any] | None = None,
    gate: StartGate | None = None,
    limits: LimitSource | None = None,
    observers: Iterable[TransactionObserver] = (),
    clock: ManualClock | None = None,
) -> CoreBench:
    """Core's transaction blocks over a store in ``data_dir`` (reuse it to restart)."""
    settings = station_settings(data_dir)
    store = Store.open(data_dir / "station.db")
    config = Configuration(
        standard_registry(),
        store,
        offered_profiles={"Core"},
        number_of_connectors=2,
        initial={
            "ConnectionTimeOut": 30,
            "MeterValueSampleInterval": 0,
            "ClockAlignedDataInterval": 0,
            **(configuration or {}),
        },
    )
    clock = clock if clock is not None else ManualClock(START)
    power = RecordingPowerStage()
    hardware = SimHardware(settings, power)
    queue, central, link, tasks = FakeQueue(), FakeCentral(), FakeLink(), Tasks()
    board = FakeBoard(c.id for c in settings.connectors)
    authorization = AuthorizationService(
        config=config, cache=store.auth_cache, clock=clock, link=link, send=central.send
    )
    observer = RecordingObserver()
    blocks = build_transactions(
        board=board,
        connector_ids=board.connectors,
        fixed_cable={c.id: c.fixed_cable for c in settings.connectors},
        hardware=hardware,
        store=store,
        config=config,
        clock=clock,
        queue=queue,
        send=central.send,
        spawn=tasks.spawn,
        link=link,
        authorization=authorization,
        gate=gate if gate is not None else OpenGate(),
        limits=limits if limits is not None else NoLimitSource(),
        observers=[observer, *observers],
    )
    return CoreBench(
        store,
        config,
        clock,
        queue,
        central,
        board,
        link,
        hardware,
        power,
        tasks,
        blocks.running,
        blocks.metering,
        authorization,
        blocks.cable_lock,
        blocks.lifecycle,
        blocks.authorization_wait,
        observer,
    )
