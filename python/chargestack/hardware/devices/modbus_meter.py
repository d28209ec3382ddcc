"""A connector's energy meter over Modbus, polled on its own task.

The station reads the meter often and must never wait on a serial line, so the meter is
polled on its own cadence and the station gets the latest good sample (``latest``). A read
that fails or that cannot be true is never taken: the sample stays the last good one,
``PowerMeterFailure`` is raised on the connector (which stops its transaction, reason
Other, with that last good register as meterStop), and it clears with the next good read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chargestack.hardware.devices.errors import DeviceOpenError, MeterReadError, SunSpecError
from chargestack.hardware.devices.fault_board import FaultBoard
from chargestack.hardware.devices.modbus_link import ModbusLink
from chargestack.hardware.devices.plausibility import EnergyCheck
from chargestack.hardware.devices.register_decoding import (
    BlockRead,
    RegisterDecodeError,
    plan_reads,
    scaled_value,
)
from chargestack.hardware.devices.sunspec_discovery import STANDARD_BASES, SunSpecMeter, discover
from chargestack.settings.devices import MeterDeviceSettings
from chargestack.settings.register_map import MeterRegisterMap, RegisterKind
from chargestack.waiting import cancel_and_wait

log = logging.getLogger(__name__)

FAULT_SOURCE = "meter"


@dataclass(frozen=True)
class MeterSample:
    """One good reading: the register, and whichever of V, A, W the meter has."""

    energy_wh: float
    voltage_v: float | None
    current_a: float | None
    power_w: float | None
    at: datetime
    at_s: float  # the event loop's monotonic time of the reading


class ModbusMeter:
    def __init__(
        self,
        settings: MeterDeviceSettings,
        link: ModbusLink,
        max_power_w: float,
        now: Callable[[], datetime],
        device_name: str,
    ) -> None:
        self.connector_id = settings.connector
        self._settings = settings
        self._link = link
        # None for model "sunspec" until open() has asked the meter.
        self._map: MeterRegisterMap | None = settings.register_map()
        self._reads: list[BlockRead] = plan_reads(self._map) if self._map else []
        self.sunspec: SunSpecMeter | None = None
        self._check = EnergyCheck(settings.max_power_w or max_power_w)
        self._now = now
        self._name = device_name
        self._latest: MeterSample | None = None
        self._failures = 0
        self._faults: FaultBoard | None = None
        self._task: asyncio.Task[None] | None = None
        self.failed_because: str | None = None

    @property
    def latest(self) -> MeterSample:
        """The last good sample (there is one once :meth:`open` returned)."""
        assert self._latest is not None, "the meter was not opened"
        return self._latest

    @property
    def failed(self) -> bool:
        return self.failed_because is not None

    async def open(self) -> None:
        """The first reading, or DeviceOpenError: a station never starts on a silent meter
        (its meterStart would be a made-up value). A "sunspec" meter's map is discovered
        first."""
        try:
            if self._map is None:
                await self._discover()
            self._accept(await self._sample())
        except (MeterReadError, RegisterDecodeError) as exc:
            raise DeviceOpenError(self._name, f"no reading from the meter: {exc}") from None
        except SunSpecError as exc:
            raise DeviceOpenError(self._name, f"SunSpec discovery: {exc}") from None

    async def _discover(self) -> None:
        s = self._settings

        async def read(address: int, count: int) -> list[int]:
            return await self._link.read("holding", address, count, s.unit_id, s.timeout_s)

        bases = STANDARD_BASES if s.sunspec_base is None else (s.sunspec_base,)
        found = await discover(read, bases)
        log.info("meter on connector %d: %s", self.connector_id, found.describe())
        self.sunspec = found
        self._map = found.register_map
        self._reads = plan_reads(self._map)

    def start(self, faults: FaultBoard) -> None:
        self._faults = faults
        self._task = asyncio.get_running_loop().create_task(
            self._poll_forever(), name=f"meter-{self.connector_id}"
        )

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _poll_forever(self) -> None:
        loop = asyncio.get_running_loop()
        interval = self._settings.poll_interval_s
        next_at = loop.time()
        while True:
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            next_at = max(next_at, loop.time() - interval)  # no burst after a stall
            try:
                await self.poll_once()
            except Exception:
                # A bug in decoding must not end the polling: report it as a meter failure.
                log.exception("meter on connector %d: poll failed", self.connector_id)
                self._fail("meter driver error", "MeterDriver")

    async def poll_once(self) -> None:
        try:
            sample = await self._sample()
        except (MeterReadError, RegisterDecodeError) as exc:
            self._failures += 1
            # Once per outage, not once per poll.
            report = log.warning if self._failures == 1 else log.debug
            report("meter on connector %d: %s", self.connector_id, exc)
            if self._failures >= self._settings.failures_before_fault:
                self._fail("meter not answering", "MeterNoAnswer")
            return
        self._failures = 0
        last = self._latest
        problem = self._check.problem(
            last.energy_wh if last else None,
            last.at_s if last else None,
            sample.energy_wh,
            sample.at_s,
        )
        if problem is not None:
            log.warning("meter on connector %d: reading refused: %s", self.connector_id, problem)
            self._fail(problem, "MeterImplausible")
            return
        self._accept(sample)

    def _accept(self, sample: MeterSample) -> None:
        self._latest = sample
        if self.failed_because is not None:
            log.info("meter on connector %d answers again", self.connector_id)
            self.failed_because = None
            if self._faults is not None:
                self._faults.clear_fault(self.connector_id, FAULT_SOURCE)

    def _fail(self, why: str, vendor_code: str) -> None:
        self.failed_because = why
        if self._faults is not None:
            self._faults.raise_fault(
                self.connector_id, FAULT_SOURCE, "PowerMeterFailure", why, vendor_code
            )

    async def _sample(self) -> MeterSample:
        s = self._settings
        assert self._map is not None, "a sunspec meter's map is discovered at open"
        words: dict[RegisterKind, dict[int, int]] = {"holding": {}, "input": {}}
        for block in self._reads:
            got = await self._link.read(
                block.kind, block.address, block.count, s.unit_id, s.timeout_s
            )
            words[block.kind].update(
                zip(range(block.address, block.address + block.count), got, strict=True)
            )
        values = {
            name: scaled_value(spec, words[spec.kind])
            for name, spec in self._map.quantities().items()
        }
        energy_wh = values["energy_import"]
        if energy_wh is None:
            raise RegisterDecodeError('the energy register reads "not implemented"')
        return MeterSample(
            energy_wh=energy_wh,
            voltage_v=values.get("voltage"),
            current_a=values.get("current"),
            power_w=values.get("power"),
            at=self._now(),
            at_s=asyncio.get_running_loop().time(),
        )
