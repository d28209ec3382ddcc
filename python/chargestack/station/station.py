"""The Station: everything of one charge point, owned by one object.

Start-up order: store, configuration, hardware, power stage, blocks, RPC session, control
API; shutdown in reverse (ARCHITECTURE.md). Nothing lives in module globals, so several
stations can run in one process. The Station owns the lifecycle of its blocks (the OCPP
profiles' services), which the composition root (``chargestack.assembly``) builds once the
store, configuration and hardware are up; it never imports a profile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from chargestack import __version__
from chargestack.exceptions import ConfigurationError, NotConnectedError, StoreError
from chargestack.files.installers import reported_firmware_version
from chargestack.hardware import events as hw
from chargestack.hardware.interfaces import Hardware
from chargestack.hardware.sim import SimHardware, simulator_of
from chargestack.ocpp import messages as m
from chargestack.ocpp.connection_settings import ConnectionSettings
from chargestack.ocpp.frame_limits import default_max_frame_bytes
from chargestack.ocpp.router import Router
from chargestack.ocpp.session import OcppSession, SessionTimers
from chargestack.settings import StationSettings
from chargestack.station.block import Block, BlockSet
from chargestack.station.clock import Clock
from chargestack.station.config_keys import standard_registry
from chargestack.station.configuration import Configuration
from chargestack.station.connector import Connector, Fault
from chargestack.station.connector_status import (
    ConnectorFacts,
    derive_station_status,
    derive_status,
    status_info,
)
from chargestack.station.preflight import preflight
from chargestack.station.registration import Registration
from chargestack.station.status_reporter import Report, StatusReporter
from chargestack.station.stop_kind import StopKind
from chargestack.store import Store

log = logging.getLogger("chargestack.station")

__all__ = ["Assemble", "Station", "StopKind"]

#: connector 0's vendorErrorCode while the store cannot journal.
STORAGE_ERROR = "StorageWriteFailed"
#: connector 0's report while the local list contradicts the central system (section 3.5.2).
LOCAL_LIST_CONFLICT = Fault("LocalListConflict", "central system and local list disagree")

#: The composition root: builds every block of a started station (store, configuration,
#: hardware, registration and status reporter are up; the session is not yet).
Assemble = Callable[["Station"], BlockSet]


class Station:
    """One charge point. ``await start()``, then ``await stopped()``; ``await stop()`` ends it."""

    def __init__(
        self,
        settings: StationSettings,
        *,
        assemble: Assemble,
        hardware_factory: Callable[[StationSettings], Hardware] | None = None,
        plugged_at_start: Mapping[int, hw.EvParameters] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock if clock is not None else Clock()
        self.router = Router(known_actions=frozenset(str(a) for a in m.Action))
        self.connectors = {c.id: Connector(c.id) for c in settings.connectors}
        self.station_facts = ConnectorFacts()
        self.station_fault: Fault | None = None
        self.station_warning: Fault | None = None
        # Why the store cannot journal, while it cannot (connector 0's error then).
        self.storage_fault: Fault | None = None
        self._assemble = assemble
        self._hardware_factory = hardware_factory
        # EVs left connected through a restart of the controller (runner): the simulator
        # finds them plugged in when it comes up.
        self._plugged_at_start = dict(plugged_at_start or {})
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopped = asyncio.Event()
        self.stop_kind: StopKind | None = None
        self.firmware_version = reported_firmware_version(settings)
        # Set up in start(); typed here so blocks can rely on them afterwards.
        self.store: Store
        self.config: Configuration
        self.hardware: Hardware
        self.session: OcppSession
        self.registration: Registration
        self.status_reporter: StatusReporter
        self._block_set: BlockSet | None = None
        #: Every block, in start order (they stop in reverse).
        self.blocks: Sequence[Block] = ()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        s = self.settings
        preflight(s)
        try:
            s.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            # A new data directory on a full disk: nothing to start from, said in one line.
            raise StoreError(f"data directory {s.data_dir}: cannot create it: {exc}") from exc
        # Integrity check, migrations and loading the working copy read the disk: a thread.
        self.store = await asyncio.to_thread(Store.open, s.data_dir / "station.db")
        self.config = Configuration(
            standard_registry(),
            self.store,
            offered_profiles=set(s.feature_profiles),
            number_of_connectors=len(s.connectors),
            initial=dict(s.configuration),
            fixed_cable=all(c.fixed_cable for c in s.connectors),
        )
        self._load_availability()
        self.hardware = self._make_hardware()
        simulator = simulator_of(self.hardware)
        if self._plugged_at_start and simulator is not None:
            simulator.replug(self._plugged_at_start)
        await self.hardware.start()
        self.registration = Registration(self)
        self.status_reporter = StatusReporter(self)
        self._note_storage(self.store.watch_writes(self._store_writes_changed))
        self._block_set = self._assemble(self)
        self.blocks = tuple(self._block_set.in_start_order())
        self.session = OcppSession(
            self.connection_settings(),
            self.router,
            self._session_timers(),
            on_connected=self._on_connected,
            on_disconnected=self._on_disconnected,
            wait=self.clock.sleep,
            max_frame_bytes=self._max_frame_bytes(),
            durability=self.store,
            answering=self.registration.answers_central_system,
        )
        self.config.on_change(
            "HeartbeatInterval", lambda _v: self.registration.heartbeat_interval_changed()
        )
        self.config.on_change("WebSocketPingInterval", self._ping_interval_changed)
        self.config.on_change(
            "MessageTimeout", lambda _v: self.session.set_call_timeout(self.message_timeout_s())
        )
        for block in self.blocks:
            await block.start()
        self.refresh_all()
        self._spawn(self.session.run(), "session")
        self._spawn(self.status_reporter.run(), "status-reporter")
        self._spawn(self.registration.heartbeat_loop(), "heartbeat")
        # NTP, an RTC or an operator may step the system clock under the timers of instants.
        self._spawn(self.clock.watch_steps(), "clock-steps")
        self._spawn(self._consume_hardware_events(), "hardware-events")
        log.info("station %s started", s.identity.charge_point_id)

    def _make_hardware(self) -> Hardware:
        if self._hardware_factory is not None:
            return self._hardware_factory(self.settings)
        if self.settings.hardware == "devices":
            try:
                from chargestack.hardware.devices.hardware import DevicesHardware
            except ImportError as exc:
                raise ConfigurationError(
                    'hardware = "devices" needs the device drivers: '
                    f"pip install 'chargestack[devices]' ({exc})"
                ) from None

            return DevicesHardware(self.settings, now=self.clock.now)
        return SimHardware(self.settings)

    def _session_timers(self) -> SessionTimers:
        t = self.settings.timers
        return SessionTimers(
            call_timeout_s=self.message_timeout_s(),
            ping_interval_s=float(self.config.get_int("WebSocketPingInterval")),
            pong_timeout_s=t.pong_timeout_s,
            close_timeout_s=t.close_timeout_s,
            backoff_initial_s=t.backoff_initial_s,
            backoff_max_s=t.backoff_max_s,
            storage_answer_s=t.storage_answer_s,
        )

    def _max_frame_bytes(self) -> int:
        configured = self.settings.central_system.max_frame_bytes
        if configured is not None:
            return configured
        entries = (
            self.config.get_int("SendLocalListMaxLength")
            if self.config.has("SendLocalListMaxLength")
            else 0
        )
        return default_max_frame_bytes(entries)

    def message_timeout_s(self) -> float:
        """How long a CALL waits for its CALLRESULT: MessageTimeout (errata v4.0 3.83)."""
        return float(self.config.get_int("MessageTimeout"))

    def _ping_interval_changed(self, value: object) -> None:
        self.session.set_ping_interval(float(self.config.get_int("WebSocketPingInterval")))

    def connection_settings(self) -> ConnectionSettings:
        cs = self.settings.central_system
        profile = (
            self.config.get_int("SecurityProfile")
            if self.config.has("SecurityProfile")
            else cs.security_profile
        )
        settings = ConnectionSettings(
            central_system_url=cs.url,
            charge_point_id=self.settings.identity.charge_point_id,
            security_profile=max(profile, cs.security_profile),
            authorization_key=self.authorization_key_in_use(),
            ca_file=cs.ca_file,
            client_cert=cs.client_certificate,
            client_key=cs.client_key,
            server_hostname=cs.server_hostname,
        )
        # The blocks amend it: the security extension adds installed root certificates and a
        # renewed client certificate (profiles/security).
        blocks = self._block_set
        return blocks.connection_settings(settings) if blocks is not None else settings

    def authorization_key_in_use(self) -> str:
        """The Basic-auth password of profiles 1 and 2: the AuthorizationKey set over OCPP,
        else the station file's ``[central_system] authorization_key`` ("" when neither)."""
        key = self.config.get_str("AuthorizationKey") if self.config.has("AuthorizationKey") else ""
        return key or self.settings.central_system.authorization_key or ""

    async def stop(self, kind: StopKind = StopKind.SHUTDOWN) -> None:
        """Graceful stop: blocks first (transactions end), then the link, then the store."""
        if self.stop_kind is not None:
            await self._stopped.wait()
            return
        self.stop_kind = kind
        cut = kind is StopKind.POWER_CUT
        if not cut:
            for block in reversed(self.blocks):
                try:
                    await block.before_stop(kind)
                except Exception:
                    log.exception("%s failed while stopping", type(block).__name__)
            await self._drain()
        await self.status_reporter.stop()
        await self.session.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for block in reversed(self.blocks):
            with contextlib.suppress(Exception):
                await block.stop()
        await self.hardware.stop()
        # Everything committed reaches the disk before the station is gone (Reset, firmware
        # switch, shutdown), written off the event loop.
        await self.store.aclose()
        self._stopped.set()
        log.info("station %s stopped (%s)", self.settings.identity.charge_point_id, kind)

    async def _drain(self) -> None:
        """Let queued transaction messages and status changes reach the central system
        before the link closes (TC_016: StopTransaction and Finishing before the restart)."""
        if not self.registration.accepted:
            return
        deadline = asyncio.get_running_loop().time() + self.settings.timers.drain_s
        while asyncio.get_running_loop().time() < deadline:
            pending_status = self.status_reporter.pending()
            if self.store.outbox.depth() == 0 and not pending_status:
                return
            await asyncio.sleep(0.02)

    async def stopped(self) -> StopKind:
        await self._stopped.wait()
        assert self.stop_kind is not None
        return self.stop_kind

    def request_stop(self, kind: StopKind) -> None:
        """Stop from inside a handler (Reset) without awaiting ourselves."""
        self._spawn_detached(self.stop(kind))

    def _spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(f"{self.settings.identity.charge_point_id}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """A background task owned by the station: cancelled and awaited on stop."""
        return self._spawn(coro, name)

    def _spawn_detached(self, coro: Awaitable[Any]) -> None:
        # Not in _tasks: stop() cancels _tasks and must not cancel itself.
        task = asyncio.ensure_future(coro)
        self._detached = task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s failed", task.get_name(), exc_info=task.exception())

    # -- the link --------------------------------------------------------------------------

    async def _on_connected(self) -> None:
        await self.registration.on_connected()

    async def _on_disconnected(self) -> None:
        self.registration.on_disconnected()

    def on_registered(self, *, reconnect: bool) -> None:
        if not reconnect:
            self.status_reporter.resend_all()
        else:
            self.status_reporter.kick()
        self.registration.heartbeat_interval_changed()
        for block in self.blocks:
            block.on_registered(reconnect)

    async def send(self, request: BaseModel, *, timeout: float | None = None) -> BaseModel:
        """A CP-initiated CALL that is not durable: only when registered and connected, or
        while Pending when a TriggerMessage asked for it (section 4.2)."""
        if not self.registration.may_send():
            raise NotConnectedError(f"{type(request).__name__}: not registered")
        return await self.session.call(request, timeout=timeout)

    async def network_disconnect(self) -> None:
        await self.session.go_offline()

    async def network_connect(self) -> None:
        self.session.go_online()

    # -- connector state -------------------------------------------------------------------

    def _load_availability(self) -> None:
        availability = self.store.availability
        self.station_facts.operative = availability.get(0) == "Operative"
        for cid, connector in self.connectors.items():
            connector.facts.operative = availability.get(cid) == "Operative"

    def connector(self, connector_id: int) -> Connector:
        return self.connectors[connector_id]

    def _store_writes_changed(self, failure: str | None) -> None:
        """Issue 17 item 1: while the store cannot journal, no transaction starts (the
        connectors without one are Unavailable) and connector 0 says why."""
        self._note_storage(failure)
        self.refresh_all()

    def _note_storage(self, failure: str | None) -> None:
        self.station_facts.store_unwritable = failure is not None
        self.storage_fault = (
            None
            if failure is None
            # StatusNotification's info holds 50 characters.
            else Fault("InternalError", f"storage write failed: {failure}"[:50], STORAGE_ERROR)
        )

    def refresh(self, connector_id: int) -> None:
        """Re-derive a connector's status from its facts and report a change."""
        now = self.clock.now()
        info: str | None = None
        if connector_id == 0:
            fault = self.station_fault or self.storage_fault or self.station_warning
            if fault is None and self.station_facts.local_list_conflict:
                fault = LOCAL_LIST_CONFLICT
            status = derive_station_status(self.station_facts)
        else:
            connector = self.connectors[connector_id]
            fault = connector.fault or self.station_fault or connector.warning
            status = derive_status(connector.facts, self.station_facts)
            info = status_info(connector.facts, status)
        report = Report(
            status=status,
            error_code=fault.error_code if fault else "NoError",
            info=fault.info if fault else info,
            vendor_error_code=fault.vendor_error_code if fault else None,
            timestamp=now,
        )
        self.status_reporter.observe(connector_id, report)

    def refresh_all(self) -> None:
        self.refresh(0)
        for cid in self.connectors:
            self.refresh(cid)

    def status_of(self, connector_id: int) -> str:
        report = self.status_reporter.current.get(connector_id)
        return report.status.value if report else "Unknown"

    # -- hardware events -------------------------------------------------------------------

    async def _consume_hardware_events(self) -> None:
        while True:
            event = await self.hardware.events.get()
            try:
                await self.handle_hardware_event(event)
            except Exception:
                # No hardware input may crash the station (ARCHITECTURE.md invariants).
                log.exception("hardware event %s failed", event)

    async def handle_hardware_event(self, event: hw.HardwareEvent) -> None:
        if isinstance(event, hw.FaultRaised):
            fault = Fault(event.error_code, event.info, event.vendor_error_code)
            if event.connector_id == 0:
                self.station_fault = fault
                self.station_facts.faulted = True
            else:
                self.connectors[event.connector_id].fault = fault
                self.connectors[event.connector_id].facts.faulted = True
        elif isinstance(event, hw.PowerStageFault):
            # The stage cut the power on its own (a stalled supervisor, a silent bus): the
            # operator must find it in the log, not only in a StatusNotification.
            log.error(
                "connector %d: the power stage stopped delivering power: %s",
                event.connector_id,
                event.info,
            )
            connector = self.connectors[event.connector_id]
            connector.fault = Fault(event.error_code, event.info[:50], "PowerStage")
            connector.facts.faulted = True
        elif isinstance(event, hw.PowerStageFaultCleared):
            connector = self.connectors[event.connector_id]
            if connector.fault is not None and connector.fault.vendor_error_code == "PowerStage":
                connector.fault = None
                connector.facts.faulted = False
        elif isinstance(event, hw.DeviceWarning):
            warning = Fault(event.error_code, event.info, event.vendor_error_code)
            if event.connector_id == 0:
                self.station_warning = warning
            else:
                self.connectors[event.connector_id].warning = warning
        elif isinstance(event, hw.DeviceWarningCleared):
            if event.connector_id == 0:
                self.station_warning = None
            else:
                self.connectors[event.connector_id].warning = None
        elif isinstance(event, hw.FaultCleared):
            if event.connector_id == 0:
                self.station_fault = None
                self.station_facts.faulted = False
            else:
                self.connectors[event.connector_id].fault = None
                self.connectors[event.connector_id].facts.faulted = False
        for block in self.blocks:
            await block.on_hardware_event(event)
        self.refresh_all()

    # -- the control API's view ------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        connectors = []
        for cid, connector in self.connectors.items():
            entry: dict[str, Any] = {
                "connectorId": cid,
                "status": self.status_of(cid),
                "errorCode": connector.fault.error_code if connector.fault else "NoError",
            }
            for block in self.blocks:
                entry.update(block.describe_connector(cid))
            connectors.append(entry)
        result: dict[str, Any] = {
            "chargePointId": self.settings.identity.charge_point_id,
            "registration": self.registration.status.value,
            "connection": self.session.state.value,
            "firmwareVersion": self.firmware_version,
            # The code that runs: which installation (slot) and which package version.
            "software": {"version": __version__, "interpreter": sys.executable},
            "status": self.status_of(0),
            "connectors": connectors,
            "store": self.store.describe(),
        }
        for block in self.blocks:
            result.update(block.describe_station())
        return result
