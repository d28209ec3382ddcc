"""A socket's cable lock driven through the digital I/O, confirmed by its feedback input.

The connector keeps the simulator's plug state and its armed lock failure (the OCTT manual
action); the lock itself is the actuator output, and it counts as locked only when the
feedback input says so within ``cable_lock_timeout_ms`` (TC_024: a half-inserted cable).
"""

from __future__ import annotations

import asyncio

from chargestack.hardware.interfaces import DigitalIo
from chargestack.hardware.sim.connector import SimConnector
from chargestack.settings import ConnectorSettings


class IoCableLockConnector(SimConnector):
    def __init__(self, settings: ConnectorSettings, io: DigitalIo, timeout_ms: int) -> None:
        super().__init__(settings)
        self._io = io
        self._timeout_s = timeout_ms / 1000
        self._changed = asyncio.Event()
        io.on_change(self._changed.set)

    async def lock(self) -> bool:
        return await super().lock() and await self._drive(True)

    async def unlock(self) -> bool:
        return await super().unlock() and await self._drive(False)

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
