"""``DevicesHardware``: a charger composed from the station file's ``[devices]`` tables.

A set of devices, each a real driver or the simulator's part where the station file leaves
it simulated. The power stage is the Rust stage: with the simulated cabinet and EVs (a bench
runs a real meter and reader on simulated power), or the hardware stage on a SocketCAN
interface or the virtual bench (``CanPowerStage``), whose EV requests come from the EV link
and whose contactors the digital I/O drives; each connector's energy meter is a Modbus meter
or the stage's measurement; the RFID reader is a serial reader or the control API's tags;
the digital I/O is the simulator's. The simulator (``SimHardware``) inside keeps the EVs,
their plugs and every manual action of the OCTT steps, so the control API and the test plan
work on a bench too (``simulator``).

Start-up opens every device in turn and fails with one line naming the device that cannot
be opened (``DeviceOpenError``); what was opened before is closed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from chargestack.hardware.devices.cable_lock import IoCableLockConnector
from chargestack.hardware.devices.can_power_stage import CanPowerStage
from chargestack.hardware.devices.devices_meter import DevicesMeter
from chargestack.hardware.devices.fault_board import FaultBoard
from chargestack.hardware.devices.io_supervision import IoSupervisor
from chargestack.hardware.devices.modbus_link import ModbusLink
from chargestack.hardware.devices.modbus_meter import ModbusMeter
from chargestack.hardware.devices.serial_reader import SerialTagReader
from chargestack.hardware.events import HardwareEvent
from chargestack.hardware.interfaces import ConnectorHardware, TagReader
from chargestack.hardware.sim.errors import UnknownConnectorError
from chargestack.hardware.sim.hardware import SimHardware
from chargestack.hardware.sim.io import SimIo
from chargestack.hardware.sim.power_port import SimPowerStage
from chargestack.settings import StationSettings

log = logging.getLogger(__name__)


class DevicesHardware:
    """Implements ``Hardware`` (and ``Simulated``) from the ``[devices]`` tables."""

    def __init__(
        self,
        settings: StationSettings,
        power: SimPowerStage | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        devices = settings.device_settings()
        self._events: asyncio.Queue[HardwareEvent] = asyncio.Queue()
        self.io: SimIo | None = None
        hardware_stage = devices.power.kind == "socketcan"
        if hardware_stage and power is None:
            # The hardware stage's contactors are the I/O's outputs, their feedback its inputs.
            self.io = SimIo(range(1, len(settings.connectors) + 1))
            power = CanPowerStage(settings, self.io)
        self.simulator = SimHardware(settings, power, events=self._events)
        self.connector_ids = self.simulator.connector_ids
        self.faults = FaultBoard(self._emit)
        links: dict[str, ModbusLink] = {}
        self.meters: dict[int, ModbusMeter] = {}
        for index, m in enumerate(devices.meter):
            # Meters on one RS-485 line (or one gateway) share its link.
            link = links.setdefault(m.endpoint(), ModbusLink(m))
            self.meters[m.connector] = ModbusMeter(
                m,
                link,
                settings.connector(m.connector).max_power_w,
                now or (lambda: datetime.now(UTC)),
                f"devices.meter[{index}] (connector {m.connector})",
            )
        self._links = list(links.values())
        self._meter = DevicesMeter(self.simulator.meter, self.meters)
        self.reader: TagReader | None = None
        if devices.reader is not None:
            self.reader = SerialTagReader(devices.reader, "devices.reader")
        self._connectors: dict[int, ConnectorHardware] = {
            cid: self.simulator.connector(cid) for cid in self.connector_ids
        }
        self.io_supervisor: IoSupervisor | None = None
        if devices.io is not None:
            if self.io is None:
                self.io = SimIo(self.connector_ids, self.power.snapshot)
            self.io_supervisor = IoSupervisor(
                self.io,
                self.power,
                self.faults,
                self.connector_ids,
                devices.io,
                self._contactor_commanded,
                # A hardware stage compares its contactors' feedback with its commands itself.
                check_contactors=not hardware_stage,
            )
            for c in settings.connectors:
                if not c.fixed_cable:
                    self._connectors[c.id] = IoCableLockConnector(
                        self.simulator.connector(c.id), self.io, devices.io.cable_lock_timeout_ms
                    )

    # -- Hardware ----------------------------------------------------------------------------

    @property
    def events(self) -> asyncio.Queue[HardwareEvent]:
        return self._events

    @property
    def power(self) -> SimPowerStage:
        return self.simulator.power

    @property
    def meter(self) -> DevicesMeter:
        return self._meter

    def connector(self, connector_id: int) -> ConnectorHardware:
        try:
            return self._connectors[connector_id]
        except KeyError:
            raise UnknownConnectorError(connector_id, self.connector_ids) from None

    async def start(self) -> None:
        async with contextlib.AsyncExitStack() as undo:
            # On a DeviceOpenError, what was opened before is closed again (in reverse).
            undo.callback(self._close_links)
            for meter in self.meters.values():
                await meter.open()
            # The I/O outlives the power stage: the stage's last act opens the contactors.
            if self.io is not None:
                await self.io.start()
                undo.push_async_callback(self.io.stop)
            await self.simulator.start()
            undo.push_async_callback(self.simulator.stop)
            if self.io_supervisor is not None:
                self.io_supervisor.start()
                undo.push_async_callback(self.io_supervisor.stop)
            if self.reader is not None:
                await self.reader.start(self._emit)
                undo.push_async_callback(self.reader.stop)
            for meter in self.meters.values():
                meter.start(self.faults)
            undo.pop_all()

    async def stop(self) -> None:
        for meter in self.meters.values():
            await meter.stop()
        if self.reader is not None:
            await self.reader.stop()
        if self.io_supervisor is not None:
            await self.io_supervisor.stop()
        await self.simulator.stop()
        if self.io is not None:
            await self.io.stop()
        self._close_links()

    def _emit(self, event: HardwareEvent) -> None:
        log.debug("hardware event %s", event)
        self._events.put_nowait(event)

    def _close_links(self) -> None:
        for link in self._links:
            link.close()

    def _contactor_commanded(self, connector_id: int) -> bool:
        for c in self.power.snapshot()["connectors"]:
            if c["id"] == connector_id:
                return c["contactor"]
        return False
