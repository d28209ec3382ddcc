"""A socket's cable lock when a transaction ends (OCPP 1.6 section 4.10, errata 3.5/3.17).

A transaction locks a socket's cable when it starts (the lifecycle; TC_024) and this block
unlocks it when the transaction stops, whatever stopped it: "As part of the normal
transaction termination, the Charge Point SHALL unlock the cable (if not permanently
attached)". A fixed cable has no lock of the station's to open. Two stops leave the lock
closed: an EV-side disconnect with UnlockConnectorOnEVSideDisconnect false (TC_005_2), and
UnlockConnector's own stop, whose handler unlocks and answers how that went (TC_018_1).

Two stops hold the cable for its driver: a stop with reason DeAuthorized (StartTransaction.conf
not Accepted, StopTransactionOnInvalidId true) keeps it locked "until the same identifier
(or an identifier with the same ParentIdTag) [...] is presented" (errata 3.5, moved to
section 4.8 by 3.17), and the EV-side disconnect: "With UnlockConnectorOnEVSideDisconnect
set to false, the Connector SHALL remain locked at the Charge Point until the user presents
the identifier" (section 4.10). The hold is written with the stop and outlives a restart or
a power loss, when the lock is closed again; meanwhile no other driver's swipe or remote
start takes the connector (Finishing), and an UnlockConnector or the cable taken out ends it.

An unlock that fails never holds the stop back (it is recorded and queued before); the
connector reports ConnectorLockFailure (section 7.6: "failure to lock or unlock connector"),
Faulted, until the cable is taken out or an UnlockConnector opens the lock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from chargestack.exceptions import StoreError
from chargestack.hardware import events as hw
from chargestack.hardware.interfaces import Hardware
from chargestack.profiles.core.running_transactions import ActiveTransaction
from chargestack.station.block import Block
from chargestack.station.configuration import Configuration
from chargestack.station.connector import Fault
from chargestack.station.ports import ConnectorBoard
from chargestack.store import Store
from chargestack.store.held_cables import HeldCable, HeldCables

log = logging.getLogger("chargestack.transactions")


class CableLock(Block):
    def __init__(
        self,
        *,
        board: ConnectorBoard,
        fixed_cable: Mapping[int, bool],
        hardware: Hardware,
        store: Store,
        config: Configuration,
    ) -> None:
        self._board = board
        self._fixed_cable = dict(fixed_cable)  # every connector of the station
        self._hardware = hardware
        self._store = store
        self._held = HeldCables(store)
        self._config = config
        # The connectors whose ConnectorLockFailure is a lock or unlock of this block's.
        self._failed: set[int] = set()

    async def start(self) -> None:
        for held in self._held.all():
            cid = held.connector_id
            if self._fixed_cable.get(cid, True) or not self._hardware.connector(cid).is_plugged():
                # Taken out while the station was down (or no socket any more): nothing held.
                self._forget(cid)
                continue
            # A lock that lost its power may have opened: closed again before anybody else
            # can take the cable, and Finishing as the stop left it (errata 3.20).
            self._board.connector(cid).facts.finishing = True
            log.info("connector %d: the cable stays locked for %s", cid, held.id_tag)
            if not await self._hardware.connector(cid).lock():
                self._report_failure(cid, "cable could not be locked")

    async def on_hardware_event(self, event: hw.HardwareEvent) -> None:
        if isinstance(event, hw.PluggedOut):
            # The lifecycle clears the fault: a cable taken out has left the lock.
            self._failed.discard(event.connector_id)
            self._forget(event.connector_id)

    def holds(self, connector_id: int) -> bool:
        """Whether the connector's cable is kept for the driver of a stop (DeAuthorized, or an
        EV-side disconnect that leaves it locked)."""
        return self._held.get(connector_id) is not None

    def holds_for_a_group(self) -> bool:
        """Whether a held cable may be freed by a tag of its driver's parentIdTag."""
        return any(held.parent_id_tag is not None for held in self._held.all())

    # -- the end of a transaction ----------------------------------------------------------

    def keep_for_driver(self, tx: ActiveTransaction, reason: str) -> None:
        """A DeAuthorized stop (errata 3.5), or an EV-side disconnect that leaves the lock
        closed (section 4.10), keeps the socket's cable for the driver of ``tx``. Called
        inside the store transaction that records the stop, so both land together."""
        cid = tx.connector_id
        if not self._kept_locked(reason) or self._fixed_cable[cid]:
            return
        if not self._board.connector(cid).facts.plugged:
            return
        try:
            with self._store.transaction():
                self._held.hold(HeldCable(cid, tx.id_tag, tx.parent_id_tag))
        except StoreError as exc:
            # The stop's own record matters more: it stays, and the lock stays closed now.
            log.error("connector %d: the hold of the cable was not recorded: %s", cid, exc)

    async def after_stop(self, connector_id: int, reason: str) -> None:
        """The transaction on ``connector_id`` has stopped with ``reason`` (section 7.34)."""
        cid = connector_id
        if self._fixed_cable[cid] or not self._board.connector(cid).facts.plugged:
            # A fixed cable, or a cable already out: a lock holds only what is inserted.
            return
        if reason == "UnlockCommand" or self._kept_locked(reason):
            return
        if not await self.unlock(connector_id):
            self._report_failure(cid, "cable could not be unlocked")

    def _kept_locked(self, reason: str) -> bool:
        """Whether a stop with ``reason`` leaves the cable locked for its driver's tag."""
        if reason == "DeAuthorized":
            return True
        # Section 4.10: "With UnlockConnectorOnEVSideDisconnect set to false, the Connector
        # SHALL remain locked at the Charge Point until the user presents the identifier."
        return reason == "EVDisconnected" and not self._config.get_bool(
            "UnlockConnectorOnEVSideDisconnect"
        )

    # -- unlocking -------------------------------------------------------------------------

    async def release_for(self, id_tag: str, parent_id_tag: str | None) -> bool:
        """Unlock the cable held for ``id_tag``, or (``parent_id_tag`` given) for a tag of that
        group; False when no cable is held for it. IdTokens are CiString20Type: no case."""
        held = next((h for h in self._held.all() if _frees(h, id_tag, parent_id_tag)), None)
        if held is None:
            return False
        cid = held.connector_id
        log.info("connector %d: the cable held for %s is freed by %s", cid, held.id_tag, id_tag)
        if not await self.unlock(cid):
            self._report_failure(cid, "cable could not be unlocked")
        return True

    async def unlock(self, connector_id: int) -> bool:
        """Open the socket's lock (UnlockConnector, section 5.18); True when it opened."""
        cid = connector_id
        if not await self._hardware.connector(cid).unlock():
            return False
        self._forget(cid)
        if cid in self._failed:
            self._failed.discard(cid)
            connector = self._board.connector(cid)
            connector.fault = None
            connector.facts.faulted = False
            self._board.refresh(cid)
        return True

    def _forget(self, cid: int) -> None:
        """The cable is no longer held, if it was."""
        if not self.holds(cid):
            return
        try:
            self._held.release(cid)
        except StoreError as exc:
            # Still held in the store: the next start locks it for its driver again, the safe
            # side. What called this (an unplug, an unlock) goes on.
            log.error("connector %d: the end of the cable's hold was not recorded: %s", cid, exc)

    def _report_failure(self, cid: int, info: str) -> None:
        log.warning("connector %d: %s", cid, info)
        connector = self._board.connector(cid)
        if connector.fault is not None:
            return  # Faulted already: the fault that came first is reported
        connector.fault = Fault("ConnectorLockFailure", info)
        connector.facts.faulted = True
        self._failed.add(cid)
        self._board.refresh(cid)


def _frees(held: HeldCable, id_tag: str, parent_id_tag: str | None) -> bool:
    if held.id_tag.casefold() == id_tag.casefold():
        return True
    return (
        parent_id_tag is not None
        and held.parent_id_tag is not None
        and held.parent_id_tag.casefold() == parent_id_tag.casefold()
    )
