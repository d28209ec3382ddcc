"""A socket's cable lock driven through the digital I/O, confirmed by its feedback input.

The simulator's connector keeps the plug state and its armed lock failure (the OCTT manual
action); the lock itself is the actuator output, and it counts as locked only when the
feedback input says so within ``cable_lock_timeout_ms`` (TC_024: a half-inserted cable).
"""

from __future__ import annotations

import asyncio

from chargestack.hardware.interfaces import DigitalIo
from chargestack.hardware.sim.connector import SimConnector


class IoCableLockConnector:
    """Implements ``ConnectorHardware``: ``plug``'s plug state, the lock through ``io``."""

    def __init__(self, plug: SimConnector, io: DigitalIo, timeout_ms: int) -> None:
        self._plug = plug
        self._io = io
        self._timeout_s = timeout_ms / 1000
        self._changed = asyncio.Event()
        io.on_change(self._changed.set)

    @property
    def connector_id(self) -> int:
        return self._plug.connector_id

    @property
    def fixed_cable(self) -> bool:
        return self._plug.fixed_cable

    def is_plugged(self) -> bool:
        return self._plug.is_plugged()

    async def lock(self) -> bool:
        return await self._plug.lock() and await self._drive(True)

    async def unlock(self) -> bool:
        return await self._plug.unlock() and await self._drive(False)

    async def _drive(self, locked: bool) -> bool:
        cid = self.connector_id
        self._changed.clear()
        self._io.set_cable_lock(cid, locked)
        try:
            async with asyncio.timeout(self._timeout_s):
                while self._io.inputs().cable_locked.get(cid, False) != locked:
                    await self._changed.wait()
                    self._changed.clear()
        except TimeoutError:
            return False
        return True
