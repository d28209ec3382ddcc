"""The durable transaction lifecycle: start, stop for every reason, answers, recovery.

Every transaction is written to the journal before its StartTransaction is queued, and every
transaction message goes through the durable queue, so a station killed at any moment
closes each interrupted transaction exactly once on restart (reason PowerLoss, the last
register it recorded) and the central system sees every start and stop.

Who asks for a transaction is the authorization wait's business (tag, plug, remote start);
what the meter says is metering's. A stop has three steps kept apart: the power goes off,
the stop is recorded durably (journal and queue in one store transaction), then the
connector and the observers are told; only the middle step writes. The cable lock hears of
the stop last (section 4.10: a socket is unlocked).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from chargestack.exceptions import StoreError
from chargestack.hardware import events as hw
from chargestack.hardware.interfaces import Hardware
from chargestack.ocpp import messages as m
from chargestack.profiles.core.authorization import AuthorizationService
from chargestack.profiles.core.cable_lock import CableLock
from chargestack.profiles.core.metering import Metering
from chargestack.profiles.core.running_transactions import ActiveTransaction, RunningTransactions
from chargestack.station.block import Block
from chargestack.station.clock import Clock, from_ms
from chargestack.station.configuration import Configuration
from chargestack.station.connector import Fault
from chargestack.station.extension_points import StartGate, TransactionObserver
from chargestack.station.ports import ConnectorBoard, DurableQueue, Spawn
from chargestack.station.stop_kind import StopKind
from chargestack.store import Store
from chargestack.store.journal import JournalEntry
from chargestack.store.outbox import QueuedCall

log = logging.getLogger("chargestack.transactions")

#: The stop reason of the transactions a graceful stop ends (every kind but a power cut,
#: where nothing runs). Section 7.34: Reboot is "a locally initiated reset/reboot": the
#: software going down by a decision at the charger, for other firmware or because the
#: service manager stops it (SIGTERM, SIGINT); the stop is sent before the process ends, or
#: after the next start when the central system cannot take it in time (Station._drain).
STOP_REASONS: dict[StopKind, str] = {
    StopKind.SOFT_RESET: "SoftReset",
    StopKind.HARD_RESET: "HardReset",
    StopKind.MAINS_LOST: "PowerLoss",
    StopKind.FIRMWARE: "Reboot",
    StopKind.SHUTDOWN: "Reboot",
}

#: How often MaxEnergyOnInvalidId is checked for a deauthorized transaction, in seconds.
INVALID_ID_CHECK_INTERVAL_S = 1.0


#: The namespace of the unique ids of stops rebuilt from the journal after a power loss.
_REBUILT_STOPS = uuid.UUID("5c0e61b2-4f1e-4a4e-9d1e-2b7f0c3a9e41")


def rebuilt_stop_id(entry: JournalEntry) -> str:
    """The unique id of the PowerLoss stop of a journalled transaction: the same at every
    start until the stop itself is on disk (a restart on a full disk sends it before), so
    sending it again after a crash is a retry of one message, not a second stop."""
    return str(uuid.uuid5(_REBUILT_STOPS, f"{entry.ref}/{entry.connector_id}/{entry.start_ms}"))


class TransactionLifecycle(Block):
    """Starts and stops transactions; the only writer of ``RunningTransactions``."""

    def __init__(
        self,
        *,
        board: ConnectorBoard,
        fixed_cable: Mapping[int, bool],
        hardware: Hardware,
        store: Store,
        config: Configuration,
        clock: Clock,
        queue: DurableQueue,
        spawn: Spawn,
        running: RunningTransactions,
        metering: Metering,
        authorization: AuthorizationService,
        gate: StartGate,
        observers: Sequence[TransactionObserver],
        cable_lock: CableLock,
    ) -> None:
        self._board = board
        self._fixed_cable = dict(fixed_cable)
        self._hardware = hardware
        self._store = store
        self._config = config
        self._clock = clock
        self._queue = queue
        self._spawn = spawn
        self.running = running
        self._metering = metering
        self._authorization = authorization
        self._gate = gate
        self._observers = tuple(observers)
        self._cable_lock = cable_lock
        # The transaction that ended on a connector whose cable is still in (Finishing).
        self._finished: dict[int, ActiveTransaction] = {}
        queue.on_response("StartTransaction", self._start_answered)
        queue.on_response("StopTransaction", self._stop_answered)

    # -- start-up: recover what a power loss interrupted -----------------------------------

    async def start(self) -> None:
        for entry in self._store.journal.running():
            # The station went down mid-transaction (kill -9, power cut): close it exactly
            # once, with the last register it recorded.
            log.warning("closing transaction ref %d interrupted by power loss", entry.ref)
            tx = ActiveTransaction(
                entry.ref,
                entry.connector_id,
                entry.id_tag,
                entry.parent_id_tag,
                entry.start_ms,
                entry.meter_start_wh,
                entry.reservation_id,
                entry.transaction_id,
            )
            self._record_stop(
                tx,
                "PowerLoss",
                None,
                entry.last_meter_wh,
                entry.last_meter_ms,
                message_id=rebuilt_stop_id(entry),
            )

    async def before_stop(self, kind: StopKind) -> None:
        reason = STOP_REASONS[kind]
        for tx in self.running:
            await self.stop_on_connector(tx.connector_id, reason)

    def describe_connector(self, connector_id: int) -> dict[str, Any]:
        tx = self.running.active_on(connector_id)
        return {
            "transactionId": tx.transaction_id if tx else None,
            "idTag": tx.id_tag if tx else None,
        }

    # -- hardware events -------------------------------------------------------------------

    async def on_hardware_event(self, event: hw.HardwareEvent) -> None:
        if isinstance(event, hw.PluggedOut):
            await self._plugged_out(event.connector_id)
        elif isinstance(event, hw.EvUnplugged):
            await self._ev_unplugged(event.connector_id)
        elif isinstance(event, hw.PluggedIn):
            self._ev_back(event.connector_id)
        elif isinstance(event, hw.EvFull | hw.EvSuspended):
            # A full battery takes no more energy while it is offered: SuspendedEV too.
            self._board.connector(event.connector_id).facts.ev_suspended = True
        elif isinstance(event, hw.EvResumed):
            self._board.connector(event.connector_id).facts.ev_suspended = False
        elif isinstance(event, hw.PowerStageFault):
            if event.connector_id in self.running:
                await self.stop_on_connector(event.connector_id, "Other")
        elif isinstance(event, hw.FaultRaised):
            whole_station = event.connector_id == 0
            targets = self.running.connector_ids() if whole_station else [event.connector_id]
            # Section 7.36: EmergencyStop is the button's; any other fault is Other.
            reason = "EmergencyStop" if event.is_emergency_stop else "Other"
            for cid in targets:
                if cid in self.running:
                    await self.stop_on_connector(cid, reason)

    async def _plugged_out(self, cid: int) -> None:
        connector = self._board.connector(cid)
        connector.facts.plugged = False
        connector.facts.finishing = False
        self._finished.pop(cid, None)
        if connector.fault is not None and connector.fault.error_code == "ConnectorLockFailure":
            connector.fault = None
            connector.facts.faulted = False
        if cid in self.running:
            # A cable gone from the station is gone from the EV too.
            await self._ev_side_disconnect(cid)

    async def _ev_unplugged(self, cid: int) -> None:
        if self._fixed_cable[cid]:
            # A fixed cable out of the EV: nothing is connected any more.
            await self._plugged_out(cid)
            return
        # A socket's cable stays in the station (Finishing once the transaction ends), and
        # the cable lock follows UnlockConnectorOnEVSideDisconnect (TC_005_1/2).
        if cid in self.running:
            await self._ev_side_disconnect(cid)

    async def _ev_side_disconnect(self, cid: int) -> None:
        """Section 4.10: the transaction stops (reason EVDisconnected) when
        StopTransactionOnEVSideDisconnect is true."""
        if self._key("StopTransactionOnEVSideDisconnect"):
            await self.stop_on_connector(cid, "EVDisconnected")
            return
        # TC_005_3: the transaction goes on without energy until an EV is connected again,
        # SuspendedEV (section 3.6: an EV-initiated suspense while not electrically
        # connected); the cable stays locked, whatever UnlockConnectorOnEVSideDisconnect says.
        self._board.connector(cid).facts.ev_disconnected = True
        self._hardware.power.enable(cid, False)

    def _key(self, name: str) -> bool:
        """A boolean key that a station may leave out (errata v4.0 3.80): true when absent."""
        return self._config.get_bool(name) if self._config.has(name) else True

    def _ev_back(self, cid: int) -> None:
        """Section 4.10: "If the EV is reconnected, energy transfer is allowed again", in the
        transaction that went on (StopTransactionOnEVSideDisconnect false)."""
        tx = self.running.active_on(cid)
        facts = self._board.connector(cid).facts
        if tx is None or not facts.ev_disconnected:
            return
        facts.ev_disconnected = False
        facts.ev_suspended = False  # another EV, or the same one, taking energy afresh
        if self._energy_allowed(tx):
            self._hardware.power.enable(cid, True)

    # -- start -----------------------------------------------------------------------------

    async def start_transaction(self, cid: int, id_tag: str, parent: str | None) -> None:
        """Start a transaction on ``cid`` for an authorized ``id_tag`` (the plug is in)."""
        board = self._board
        connector = board.connector(cid)
        facts = connector.facts
        # Issue 17 item 1: no transaction the store cannot journal. A full disk shows only
        # when written to, so what was just written (the tag's cache entry) must land first.
        if not await self._store.writable():
            log.warning("connector %d: no transaction for %s: the store cannot write", cid, id_tag)
            facts.preparing = False
            board.refresh(cid)
            return
        if cid in self.running or not facts.plugged:
            return  # started or unplugged while the disk was written
        if facts.finishing or (facts.reserved and not facts.preparing):
            # Section 4.9: a new session from Finishing (F2) or on a reserved connector its tag
            # claims (G2) is Preparing before it is Charging: the table has no Finishing ->
            # Charging and no Reserved -> Charging, even with the cable already in or a
            # reservation restored after a power loss (TC_046_2, TC_053_2).
            self.claim(cid)
        if not self._fixed_cable[cid] and not await self._hardware.connector(cid).lock():
            # TC_024: a socket whose cable cannot be locked (half inserted) starts nothing and
            # reports ConnectorLockFailure until the cable is taken out.
            connector.fault = Fault("ConnectorLockFailure", "cable could not be locked")
            facts.faulted = True
            facts.preparing = False
            board.refresh(cid)
            return
        reservation_id = self._gate.consume(cid, id_tag, parent)
        now_ms = self._clock.now_ms()
        meter_start = self._metering.persist_register(cid)
        with self._store.transaction():
            ref = self._store.journal.open(cid, id_tag, parent, reservation_id, now_ms, meter_start)
            tx = ActiveTransaction(ref, cid, id_tag, parent, now_ms, meter_start, reservation_id)
            # One reading: the Transaction.Begin register is meterStart (issue 12 item 9).
            self._metering.keep_for_stop(
                tx,
                "Transaction.Begin",
                self._metering.stop_txn_begin_end(),
                register_wh=meter_start,
            )
            self._queue.enqueue(
                m.StartTransactionRequest(
                    connector_id=cid,
                    id_tag=id_tag,
                    meter_start=meter_start,
                    timestamp=from_ms(now_ms),
                    reservation_id=reservation_id,
                ),
                tx_ref=ref,
            )
        self.running.add(tx)
        facts.in_transaction = True
        facts.preparing = False
        facts.evse_suspended = False
        facts.ev_suspended = False
        facts.ev_disconnected = False
        for observer in self._observers:
            observer.transaction_started(tx)
        self._hardware.power.enable(cid, True)
        board.refresh(cid)
        log.info("transaction ref %d started on connector %d for %s", ref, cid, id_tag)

    def claim(self, cid: int) -> None:
        """A new session has the connector: Preparing, whatever session ended there (F2)."""
        facts = self._board.connector(cid).facts
        facts.finishing = False
        self._finished.pop(cid, None)
        facts.preparing = True
        self._board.refresh(cid)

    def restarts_there(self, cid: int, id_tag: str, parent: str | None) -> bool:
        """Whether ``id_tag`` (of group ``parent``) is the driver of the session that ended on
        the Finishing connector ``cid``: section 4.9 F2, "presents idTag again". Errata 3.20
        keeps a cable left in out of reach of another driver's swipe."""
        ended = self._finished.get(cid)
        if ended is None:
            return False
        if ended.id_tag.casefold() == id_tag.casefold():
            return True
        return (
            parent is not None
            and ended.parent_id_tag is not None
            and (ended.parent_id_tag.casefold() == parent.casefold())
        )

    # -- stop ------------------------------------------------------------------------------

    async def stop_on_connector(
        self, cid: int, reason: str, *, stop_id_tag: str | None = None
    ) -> None:
        """Stop the transaction on ``cid`` (if one runs) with ``reason`` (section 7.34)."""
        tx = self.running.active_on(cid)
        if tx is None:
            return
        self._hardware.power.enable(cid, False)
        try:
            meter_stop = self._metering.persist_register(cid)
            now_ms = self._clock.now_ms()
            with self._store.transaction():
                self._record_stop(
                    tx, reason, stop_id_tag, meter_stop, now_ms, end_register=meter_stop
                )
                # Errata 3.5: a cable kept for its driver is on disk with the stop, so no
                # restart in between frees it.
                self._cable_lock.keep_for_driver(tx, reason)
        except StoreError as exc:
            # The working copy refused the commit (store.py: a bug or no memory left, never a
            # full disk). The power is off: the connector must say so whatever the journal
            # holds, and the next start closes the journalled transaction (PowerLoss).
            log.error("transaction ref %d: its stop could not be journalled: %s", tx.ref, exc)
        finally:
            self._ended(tx, reason)
        await self._cable_lock.after_stop(cid, reason)

    def _record_stop(
        self,
        tx: ActiveTransaction,
        reason: str,
        stop_id_tag: str | None,
        meter_stop: int,
        at_ms: int,
        *,
        end_register: int | None = None,
        message_id: str | None = None,
    ) -> None:
        """Journal the stop and queue its StopTransaction, in one store transaction.

        ``end_register``: the Transaction.End value is sampled now (a live stop); a stop
        after a power loss has no reading of that instant. ``message_id``: the stop is
        rebuilt from the journal on disk (``ports.DurableQueue.enqueue``)."""
        with self._store.transaction():
            if end_register is not None:
                self._metering.keep_for_stop(
                    tx,
                    "Transaction.End",
                    self._metering.stop_txn_begin_end(),
                    register_wh=end_register,
                )
            data = self._metering.transaction_data(tx.ref)
            self._store.journal.close(tx.ref, at_ms, meter_stop, reason, stop_id_tag)
            self._queue.enqueue(
                m.StopTransactionRequest(
                    transaction_id=0,
                    meter_stop=meter_stop,
                    timestamp=from_ms(at_ms),
                    id_tag=stop_id_tag,
                    reason=m.Reason(reason),
                    transaction_data=data or None,
                ),
                tx_ref=tx.ref,
                message_id=message_id,
            )

    def _ended(self, tx: ActiveTransaction, reason: str) -> None:
        cid = tx.connector_id
        self.running.remove(cid)
        facts = self._board.connector(cid).facts
        facts.in_transaction = False
        facts.ev_suspended = False
        facts.ev_disconnected = False
        facts.evse_suspended = False
        facts.finishing = facts.plugged
        facts.ev_side_stopped = reason == "EVDisconnected"
        if facts.finishing:
            self._finished[cid] = tx
        # Metering stops sampling; smart charging, a Scheduled availability change and a
        # firmware installation waiting for idle hear of it.
        for observer in self._observers:
            observer.transaction_ended(cid)
        self._board.refresh(cid)
        log.info("transaction ref %d on connector %d stopped: %s", tx.ref, cid, reason)

    # -- the central system's answers ------------------------------------------------------

    async def _start_answered(self, item: QueuedCall, response: BaseModel) -> None:
        assert isinstance(response, m.StartTransactionResponse)
        assert item.tx_ref is not None
        info = response.id_tag_info
        journal = self._store.journal
        journal.set_transaction_id(
            item.tx_ref, response.transaction_id, info.status.value, info.parent_id_tag
        )
        entry = journal.get(item.tx_ref)
        if entry is not None:
            self._authorization.remember(entry.id_tag, info)
        tx = self.running.by_ref(item.tx_ref)
        if tx is None:
            return
        tx.transaction_id = response.transaction_id
        if info.parent_id_tag is not None:
            # The central system's latest word on the tag's group (issue 12 item 2): a remote
            # or offline start, or one after an unusable Authorize answer, learns it only here.
            tx.parent_id_tag = info.parent_id_tag
        if info.status.value == "Accepted":
            return
        # Errata 3.5/3.17: the central system does not accept the tag after all.
        if self._config.get_bool("StopTransactionOnInvalidId"):
            await self.stop_on_connector(tx.connector_id, "DeAuthorized")
        else:
            tx.deauthorized = True
            self._enforce_invalid_id_energy(tx)
            self._spawn(self._hold_invalid_id_energy(tx), f"invalid-id-{tx.connector_id}")

    async def _stop_answered(self, item: QueuedCall, response: BaseModel) -> None:
        assert isinstance(response, m.StopTransactionResponse)
        journal = self._store.journal
        entry = journal.get(item.tx_ref) if item.tx_ref is not None else None
        if response.id_tag_info is not None and entry is not None:
            self._authorization.remember(entry.stop_id_tag or entry.id_tag, response.id_tag_info)

    # -- MaxEnergyOnInvalidId --------------------------------------------------------------

    async def _hold_invalid_id_energy(self, tx: ActiveTransaction) -> None:
        """Check the allowance every second while the deauthorized transaction runs."""
        while True:
            await self._clock.sleep(INVALID_ID_CHECK_INTERVAL_S)
            if self.running.active_on(tx.connector_id) is not tx:
                return
            self._enforce_invalid_id_energy(tx)

    def _energy_allowed(self, tx: ActiveTransaction) -> bool:
        """False once a deauthorized transaction has used MaxEnergyOnInvalidId."""
        if not tx.deauthorized:
            return True
        config = self._config
        allowance = (
            config.get_int("MaxEnergyOnInvalidId") if config.has("MaxEnergyOnInvalidId") else 0
        )
        used = self._metering.register_wh(tx.connector_id) - tx.meter_start_wh
        return used < allowance

    def _enforce_invalid_id_energy(self, tx: ActiveTransaction) -> None:
        if not self._energy_allowed(tx):
            self._board.connector(tx.connector_id).facts.evse_suspended = True
            self._hardware.power.enable(tx.connector_id, False)
            self._board.refresh(tx.connector_id)
