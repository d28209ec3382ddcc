"""A socket's cable lock when a transaction ends (OCPP 1.6 section 4.10).

A transaction locks a socket's cable when it starts (the lifecycle; TC_024) and this block
unlocks it when the transaction stops, whatever stopped it: "As part of the normal
transaction termination, the Charge Point SHALL unlock the cable (if not permanently
attached)". A fixed cable has no lock of the station's to open. Two stops leave the lock
closed: an EV-side disconnect with UnlockConnectorOnEVSideDisconnect false (TC_005_2), and
UnlockConnector's own stop, whose handler unlocks and answers how that went (TC_018_1).

An unlock that fails never holds the stop back (it is recorded and queued before); the
connector reports ConnectorLockFailure (section 7.6: "failure to lock or unlock connector"),
Faulted, until the cable is taken out or an UnlockConnector opens the lock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from chargestack.hardware import events as hw
from chargestack.hardware.interfaces import Hardware
from chargestack.station.block import Block
from chargestack.station.configuration import Configuration
from chargestack.station.connector import Fault
from chargestack.station.ports import ConnectorBoard

log = logging.getLogger("chargestack.transactions")


class CableLock(Block):
    def __init__(
        self,
        *,
        board: ConnectorBoard,
        fixed_cable: Mapping[int, bool],
        hardware: Hardware,
        config: Configuration,
    ) -> None:
        self._board = board
        self._fixed_cable = dict(fixed_cable)  # every connector of the station
        self._hardware = hardware
        self._config = config
        # The connectors whose ConnectorLockFailure is a failed unlock of this block's.
        self._unlock_failed: set[int] = set()

    async def on_hardware_event(self, event: hw.HardwareEvent) -> None:
        if isinstance(event, hw.PluggedOut):
            # The lifecycle clears the fault: a cable taken out has left the lock.
            self._unlock_failed.discard(event.connector_id)

    async def after_stop(self, connector_id: int, reason: str) -> None:
        """The transaction on ``connector_id`` has stopped with ``reason`` (section 7.34)."""
        cid = connector_id
        if self._fixed_cable[cid] or not self._board.connector(cid).facts.plugged:
            # A fixed cable, or a cable already out: a lock holds only what is inserted.
            return
        if reason == "UnlockCommand":
            return
        if reason == "EVDisconnected" and not self._key("UnlockConnectorOnEVSideDisconnect"):
            return
        if await self.unlock(cid):
            return
        log.warning("connector %d: the cable could not be unlocked after the stop", cid)
        connector = self._board.connector(cid)
        if connector.fault is not None:
            return  # Faulted already: the fault that stopped the transaction is reported
        connector.fault = Fault("ConnectorLockFailure", "cable could not be unlocked")
        connector.facts.faulted = True
        self._unlock_failed.add(cid)
        self._board.refresh(cid)

    async def unlock(self, connector_id: int) -> bool:
        """Open the socket's lock (UnlockConnector, section 5.18); True when it opened."""
        cid = connector_id
        if not await self._hardware.connector(cid).unlock():
            return False
        if cid in self._unlock_failed:
            self._unlock_failed.discard(cid)
            connector = self._board.connector(cid)
            connector.fault = None
            connector.facts.faulted = False
            self._board.refresh(cid)
        return True

    def _key(self, name: str) -> bool:
        """A boolean key that a station may leave out: true when absent."""
        return self._config.get_bool(name) if self._config.has(name) else True
