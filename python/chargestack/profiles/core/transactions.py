"""Charging sessions: from a tag or a remote start to StopTransaction, durable throughout.

Every transaction is written to the journal before its StartTransaction is queued, and every
transaction message goes through the durable queue, so a station killed at any moment
closes each interrupted transaction exactly once on restart (reason PowerLoss, the last
register it recorded) and the central system sees every start and stop.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chargestack.hardware import events as hw
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import after, on
from chargestack.profiles.core.meter_sampling import meter_value, sampled_values, whole_wh
from chargestack.station.clock import from_ms, next_slot
from chargestack.station.connector import Fault
from chargestack.store.outbox import QueuedCall

if TYPE_CHECKING:
    from chargestack.profiles.core.authorization import AuthorizationService
    from chargestack.profiles.core.meter_registers import EnergyRegisters
    from chargestack.station.durable_sender import DurableSender
    from chargestack.station.station import Station, StopKind

log = logging.getLogger("chargestack.transactions")


@dataclass
class ActiveTransaction:
    ref: int
    connector_id: int
    id_tag: str
    parent_id_tag: str | None
    start_ms: int
    meter_start_wh: int
    reservation_id: int | None
    transaction_id: int | None = None
    # Errata 3.5/3.17: StartTransaction answered not Accepted and StopTransactionOnInvalidId
    # false: the session stays, energy stops after MaxEnergyOnInvalidId.
    deauthorized: bool = False


@dataclass
class Authorization:
    """A tag (or a remote start) waiting for a plug: one reader serves every connector."""

    id_tag: str
    parent_id_tag: str | None
    connector_id: int | None  # None: the reader's tag, for whichever connector is plugged
    timeout: asyncio.TimerHandle | None = None


class TransactionService:
    def __init__(
        self,
        station: Station,
        sender: DurableSender,
        authorization: AuthorizationService,
        registers: EnergyRegisters,
    ) -> None:
        self.station = station
        self.sender = sender
        self.auth = authorization
        self.registers = registers
        self.active: dict[int, ActiveTransaction] = {}
        self.waiting: Authorization | None = None
        self.remote_waiting: dict[int, Authorization] = {}
        self._sampler: dict[int, asyncio.Task[None]] = {}
        # Set by a change of MeterValueSampleInterval: each sampler re-anchors at once.
        self._sample_interval_changed: dict[int, asyncio.Event] = {}
        self.reservations: Any = None  # set by the Reservation profile when offered
        station.transactions = self  # type: ignore[attr-defined]
        sender.on_response("StartTransaction", self._start_answered)
        sender.on_response("StopTransaction", self._stop_answered)

    # -- start-up: recover what a power loss interrupted -----------------------------------

    async def start(self) -> None:
        self.station.config.on_change("MeterValueSampleInterval", lambda _v: self._wake_samplers())
        self.registers.start()
        for entry in self.station.store.journal.running():
            # The station went down mid-transaction (kill -9, power cut): close it exactly
            # once, with the last register it recorded.
            log.warning("closing transaction ref %d interrupted by power loss", entry.ref)
            self._close(
                ActiveTransaction(
                    entry.ref,
                    entry.connector_id,
                    entry.id_tag,
                    entry.parent_id_tag,
                    entry.start_ms,
                    entry.meter_start_wh,
                    entry.reservation_id,
                    entry.transaction_id,
                ),
                "PowerLoss",
                None,
                meter_stop_wh=entry.last_meter_wh,
                stop_ms=entry.last_meter_ms,
            )
        self.station.spawn(self.sender.run(), "durable-sender")
        self.station.spawn(self._keep_registers(), "meter-registers")

    async def before_stop(self, kind: StopKind) -> None:
        from chargestack.station.station import StopKind as Kind

        reason = {
            Kind.SOFT_RESET: "SoftReset",
            Kind.HARD_RESET: "HardReset",
            Kind.MAINS_LOST: "PowerLoss",
            Kind.FIRMWARE: "Reboot",  # restarting into other firmware
        }.get(kind)
        for cid in list(self.active):
            if reason is not None:
                await self.stop_on_connector(cid, reason)
            else:
                # A shutdown (SIGTERM) keeps the transaction open in the journal; the next
                # start closes it with the register recorded here.
                self._record_register(self.active[cid])
        for task in self._sampler.values():
            task.cancel()

    # -- queries -----------------------------------------------------------------------------

    def active_on(self, connector_id: int) -> ActiveTransaction | None:
        return self.active.get(connector_id)

    def by_transaction_id(self, transaction_id: int) -> ActiveTransaction | None:
        for tx in self.active.values():
            if tx.transaction_id == transaction_id:
                return tx
        return None

    def describe_connector(self, connector_id: int) -> dict[str, Any]:
        tx = self.active.get(connector_id)
        reading = self.station.hardware.meter.read(connector_id)
        return {
            "transactionId": tx.transaction_id if tx else None,
            "idTag": tx.id_tag if tx else None,
            "energyWh": round(self.registers.register_wh(connector_id), 1),
            "powerW": round(reading.power_w, 1),
            "soc": reading.soc_percent,
        }

    def describe_station(self) -> dict[str, Any]:
        return {"queueDepth": self.sender.depth()}

    # -- hardware events ---------------------------------------------------------------------

    async def on_hardware_event(self, event: hw.HardwareEvent) -> None:
        if isinstance(event, hw.PluggedIn):
            await self._plugged_in(event.connector_id)
        elif isinstance(event, hw.PluggedOut):
            await self._plugged_out(event.connector_id)
        elif isinstance(event, hw.IdTagPresented):
            await self._tag_presented(event.id_tag)
        elif isinstance(event, hw.EvFull):
            # The battery is full: the EV takes no more energy while it is offered.
            self.station.connector(event.connector_id).facts.ev_suspended = True
        elif isinstance(event, hw.EvSuspended):
            self.station.connector(event.connector_id).facts.ev_suspended = True
        elif isinstance(event, hw.EvResumed):
            self.station.connector(event.connector_id).facts.ev_suspended = False
        elif isinstance(event, hw.PowerStageFault):
            if event.connector_id in self.active:
                await self.stop_on_connector(event.connector_id, "Other")
        elif isinstance(event, hw.FaultRaised):
            targets = list(self.active) if event.connector_id == 0 else [event.connector_id]
            for cid in targets:
                if cid in self.active:
                    await self.stop_on_connector(
                        cid, "EmergencyStop" if event.connector_id == 0 else "Other"
                    )

    def _usable(self, connector_id: int) -> bool:
        c = self.station.connector(connector_id)
        return (
            c.facts.operative
            and self.station.station_facts.operative
            and not c.facts.faulted
            and not self.station.station_facts.faulted
            and connector_id not in self.active
        )

    async def _plugged_in(self, cid: int) -> None:
        facts = self.station.connector(cid).facts
        facts.plugged = True
        if not self._usable(cid):
            return
        remote = self.remote_waiting.pop(cid, None)
        if remote is not None:
            _cancel(remote)
            await self._start(cid, remote.id_tag, remote.parent_id_tag)
        elif self.waiting is not None and self._reservation_allows(
            cid, self.waiting.id_tag, self.waiting.parent_id_tag
        ):
            auth, self.waiting = self.waiting, None
            _cancel(auth)
            self._clear_reader_preparing()
            await self._start(cid, auth.id_tag, auth.parent_id_tag)

    async def _plugged_out(self, cid: int) -> None:
        connector = self.station.connector(cid)
        connector.facts.plugged = False
        connector.facts.finishing = False
        if connector.fault is not None and connector.fault.error_code == "ConnectorLockFailure":
            connector.fault = None
            connector.facts.faulted = False
        tx = self.active.get(cid)
        if tx is None:
            return
        config = self.station.config
        stop = (
            config.get_bool("StopTransactionOnEVSideDisconnect")
            if config.has("StopTransactionOnEVSideDisconnect")
            else True
        )
        if stop:
            await self.stop_on_connector(cid, "EVDisconnected")
        else:
            # TC_005_3: the transaction continues, no energy flows until the EV is back.
            connector.facts.ev_suspended = True
            self.station.hardware.power.enable(cid, False)

    async def _tag_presented(self, id_tag: str) -> None:
        # Section 4.1: the transaction's own tag stops it without an Authorize (TC_068).
        for cid, tx in list(self.active.items()):
            if _same_tag(tx.id_tag, id_tag):
                await self.stop_on_connector(cid, "Local", stop_id_tag=id_tag)
                return
        if self.waiting is not None and _same_tag(self.waiting.id_tag, id_tag):
            # A second swipe of the same tag cancels the waiting authorization (TC_061).
            _cancel(self.waiting)
            self.waiting = None
            self._clear_reader_preparing()
            return
        grouped = any(tx.parent_id_tag is not None for tx in self.active.values())
        free = [cid for cid in self.station.connectors if self._usable(cid)]
        if not grouped and not free:
            # TC_068: no transaction has a group this tag could share and no connector is
            # free, so there is nothing to authorize it for (no Authorize.req).
            log.info("tag %s presented: no free connector, no group to stop", id_tag)
            return
        # One authorization serves both uses: stopping a transaction of the same group
        # (TC_069) and starting on a free connector.
        result = await self.auth.authorize(id_tag)
        if not result.accepted:
            log.info("tag %s not authorized (%s)", id_tag, result.status)
            return
        for cid, tx in list(self.active.items()):
            if _same_tag(tx.parent_id_tag, result.parent_id_tag):
                await self.stop_on_connector(cid, "Local", stop_id_tag=id_tag)
                return
        free = [cid for cid in self.station.connectors if self._usable(cid)]
        if not free:
            log.info("tag %s authorized: not of any running transaction's group", id_tag)
            return
        plugged = [
            cid
            for cid in free
            if self.station.connector(cid).facts.plugged
            and not self.station.connector(cid).facts.finishing
            and cid not in self.remote_waiting
            and self._reservation_allows(cid, id_tag, result.parent_id_tag)
        ]
        if plugged:
            await self._start(plugged[0], id_tag, result.parent_id_tag)
            return
        if self.waiting is not None:
            _cancel(self.waiting)
        self.waiting = Authorization(id_tag, result.parent_id_tag, None)
        self.waiting.timeout = self._connection_timeout(lambda: self._reader_timed_out())
        for cid in free:
            if self._reservation_allows(cid, id_tag, result.parent_id_tag):
                self.station.connector(cid).facts.preparing = True

    def _reservation_allows(self, cid: int, id_tag: str, parent: str | None) -> bool:
        if self.reservations is None:
            return True
        allowed: bool = self.reservations.allows(cid, id_tag, parent)
        return allowed

    async def _remote_reservation_allows(self, cid: int, id_tag: str) -> bool:
        # TC_053_2: a tag with the reservation's parentIdTag may use it; a remote start brings
        # no parent, so the Reservation profile looks it up (or asks) first.
        if self.reservations is None:
            return True
        parent = await self.reservations.parent_for(cid, id_tag)
        return self._reservation_allows(cid, id_tag, parent)

    def _connection_timeout(self, callback: Any) -> asyncio.TimerHandle:
        seconds = self.station.config.get_int("ConnectionTimeOut")
        return asyncio.get_running_loop().call_later(max(0, seconds), callback)

    def _reader_timed_out(self) -> None:
        # TC_004_2: no plug-in followed the authorization; the connectors are Available again.
        self.waiting = None
        self._clear_reader_preparing()
        self.station.refresh_all()

    def _clear_reader_preparing(self) -> None:
        for cid, connector in self.station.connectors.items():
            if cid not in self.remote_waiting and cid not in self.active:
                connector.facts.preparing = False

    # -- remote start / stop -----------------------------------------------------------------

    @on(Action.REMOTE_START_TRANSACTION)
    async def remote_start(
        self, request: m.RemoteStartTransactionRequest
    ) -> m.RemoteStartTransactionResponse:
        cid = self._pick_connector(request.connector_id, request.id_tag)
        accepted = (
            cid is not None
            and self.station.registration.accepted
            and cid not in self.remote_waiting
            and await self._remote_reservation_allows(cid, request.id_tag)
        )
        if accepted and request.charging_profile is not None:
            smart = getattr(self.station, "smart_charging", None)
            if smart is None or not smart.accepts_remote_start_profile(request.charging_profile):
                accepted = False
        status = "Accepted" if accepted else "Rejected"
        return m.RemoteStartTransactionResponse(status=m.RemoteStartStopStatus(status))

    def _pick_connector(self, requested: int | None, id_tag: str | None = None) -> int | None:
        if requested is not None:
            # TC_027: connector 0 is not a connector a transaction can run on.
            if requested == 0 or requested not in self.station.connectors:
                return None
            return requested if self._usable(requested) else None
        usable = [
            cid
            for cid in self.station.connectors
            if self._usable(cid)
            and cid not in self.remote_waiting
            # Without a connectorId, a connector reserved for somebody else is not a choice.
            and (id_tag is None or self._reservation_allows(cid, id_tag, None))
        ]
        plugged = [cid for cid in usable if self.station.connector(cid).facts.plugged]
        candidates = plugged or usable
        return candidates[0] if candidates else None

    @after(Action.REMOTE_START_TRANSACTION)
    async def remote_start_follow_up(self, request: m.RemoteStartTransactionRequest) -> None:
        cid = self._pick_connector(request.connector_id, request.id_tag)
        if cid is None or cid in self.remote_waiting or not self.station.registration.accepted:
            return
        if not await self._remote_reservation_allows(cid, request.id_tag):
            return  # answered Rejected: the connector is reserved for another tag
        smart = getattr(self.station, "smart_charging", None)
        if request.charging_profile is not None and (
            smart is None or not smart.accepts_remote_start_profile(request.charging_profile)
        ):
            return  # answered Rejected (errata 3.41): no transaction (TC_060)
        config = self.station.config
        parent: str | None = None
        if config.get_bool("AuthorizeRemoteTxRequests"):
            result = await self.auth.authorize(request.id_tag)
            if not result.accepted:
                return  # TC_023_5: no transaction for an invalid tag
            parent = result.parent_id_tag
        if request.charging_profile is not None and smart is not None:
            smart.pending_remote_profile(cid, request.charging_profile)
        if self.station.connector(cid).facts.plugged:
            await self._start(cid, request.id_tag, parent)
            return
        auth = Authorization(request.id_tag, parent, cid)
        auth.timeout = self._connection_timeout(lambda: self._remote_timed_out(cid))
        self.remote_waiting[cid] = auth
        self.station.connector(cid).facts.preparing = True
        self.station.refresh(cid)

    def _remote_timed_out(self, cid: int) -> None:
        # TC_011_2: remote start without a plug-in ends after ConnectionTimeOut.
        self.remote_waiting.pop(cid, None)
        self.station.connector(cid).facts.preparing = False
        smart = getattr(self.station, "smart_charging", None)
        if smart is not None:
            smart.pending_remote_profile(cid, None)
        self.station.refresh(cid)

    @on(Action.REMOTE_STOP_TRANSACTION)
    async def remote_stop(
        self, request: m.RemoteStopTransactionRequest
    ) -> m.RemoteStopTransactionResponse:
        tx = self.by_transaction_id(request.transaction_id)
        status = "Accepted" if tx is not None else "Rejected"
        return m.RemoteStopTransactionResponse(status=m.RemoteStartStopStatus(status))

    @after(Action.REMOTE_STOP_TRANSACTION)
    async def remote_stop_follow_up(self, request: m.RemoteStopTransactionRequest) -> None:
        tx = self.by_transaction_id(request.transaction_id)
        if tx is not None:
            await self.stop_on_connector(tx.connector_id, "Remote")

    # -- the transaction itself --------------------------------------------------------------

    async def _start(self, cid: int, id_tag: str, parent: str | None) -> None:
        station = self.station
        facts = station.connector(cid).facts
        if facts.reserved and not facts.preparing:
            # Section 4.9: a reserved connector that its tag claims is Preparing before it is
            # Charging (there is no Reserved -> Charging), even with the cable already in or
            # a reservation restored after a power loss (TC_046_2, TC_053_2).
            facts.preparing = True
            station.refresh(cid)
        if (
            not station.settings.connector(cid).fixed_cable
            and not await station.hardware.connector(cid).lock()
        ):
            # TC_024: a socket whose cable cannot be locked (half inserted) starts nothing and
            # reports ConnectorLockFailure until the cable is taken out.
            connector = station.connector(cid)
            connector.fault = Fault("ConnectorLockFailure", "cable could not be locked")
            connector.facts.faulted = True
            connector.facts.preparing = False
            station.refresh(cid)
            return
        reservation_id = None
        if self.reservations is not None:
            reservation_id = self.reservations.consume(cid, id_tag, parent)
        now_ms = station.clock.now_ms()
        meter_start = whole_wh(self.registers.persist(cid))
        with station.store.transaction():
            ref = station.store.journal.open(
                cid, id_tag, parent, reservation_id, now_ms, meter_start
            )
            tx = ActiveTransaction(ref, cid, id_tag, parent, now_ms, meter_start, reservation_id)
            # One reading: the Transaction.Begin register is meterStart (issue 12 item 9).
            begin = self._sample(
                tx, "Transaction.Begin", self._stop_txn_sampled(), register_wh=meter_start
            )
            if begin is not None:
                station.store.journal.add_meter_value(ref, begin)
            self.sender.enqueue(
                m.StartTransactionRequest(
                    connector_id=cid,
                    id_tag=id_tag,
                    meter_start=meter_start,
                    timestamp=from_ms(now_ms),
                    reservation_id=reservation_id,
                ),
                tx_ref=None,
            )
            station.store.execute(
                "UPDATE outbox SET tx_ref = ? WHERE seq = (SELECT max(seq) FROM outbox)", (ref,)
            )
        self.active[cid] = tx
        connector = station.connector(cid)
        connector.facts.in_transaction = True
        connector.facts.preparing = False
        connector.facts.evse_suspended = False
        connector.facts.ev_suspended = False
        smart = getattr(station, "smart_charging", None)
        if smart is not None:
            smart.transaction_started(cid, tx)
        station.hardware.power.enable(cid, True)
        changed = self._sample_interval_changed[cid] = asyncio.Event()
        self._sampler[cid] = station.spawn(self._sample_loop(tx, changed), f"sampler-{cid}")
        station.refresh(cid)
        log.info("transaction ref %d started on connector %d for %s", ref, cid, id_tag)

    async def stop_on_connector(
        self, cid: int, reason: str, *, stop_id_tag: str | None = None
    ) -> None:
        tx = self.active.get(cid)
        if tx is None:
            return
        self._close(tx, reason, stop_id_tag)

    def _close(
        self,
        tx: ActiveTransaction,
        reason: str,
        stop_id_tag: str | None,
        *,
        meter_stop_wh: int | None = None,
        stop_ms: int | None = None,
    ) -> None:
        station = self.station
        cid = tx.connector_id
        live = cid in self.active
        if live:
            station.hardware.power.enable(cid, False)
            meter_stop = whole_wh(self.registers.persist(cid))
            at_ms = station.clock.now_ms()
        else:
            assert meter_stop_wh is not None and stop_ms is not None
            meter_stop, at_ms = meter_stop_wh, stop_ms
        with station.store.transaction():
            end = (
                self._sample(
                    tx, "Transaction.End", self._stop_txn_sampled(), register_wh=meter_stop
                )
                if live
                else None
            )
            if end is not None:
                station.store.journal.add_meter_value(tx.ref, end)
            data = self._transaction_data(tx.ref)
            station.store.journal.close(tx.ref, at_ms, meter_stop, reason, stop_id_tag)
            self.sender.enqueue(
                m.StopTransactionRequest(
                    transaction_id=0,
                    meter_stop=meter_stop,
                    timestamp=from_ms(at_ms),
                    id_tag=stop_id_tag,
                    reason=m.Reason(reason),
                    transaction_data=data or None,
                ),
                tx_ref=tx.ref,
            )
        if not live:
            return
        del self.active[cid]
        sampler = self._sampler.pop(cid, None)
        self._sample_interval_changed.pop(cid, None)
        if sampler is not None:
            sampler.cancel()
        connector = station.connector(cid)
        connector.facts.in_transaction = False
        connector.facts.ev_suspended = False
        connector.facts.evse_suspended = False
        connector.facts.finishing = connector.facts.plugged
        smart = getattr(station, "smart_charging", None)
        if smart is not None:
            smart.transaction_ended(cid)
        # Every service that waits for transactions to end (a Scheduled availability change,
        # a firmware installation) hears of it.
        for service in station.services:
            ended = getattr(service, "on_transaction_ended", None)
            if ended is not None:
                ended(cid)
        station.refresh(cid)
        log.info("transaction ref %d on connector %d stopped: %s", tx.ref, cid, reason)

    async def _start_answered(self, item: QueuedCall, response: BaseModel) -> None:
        assert isinstance(response, m.StartTransactionResponse)
        assert item.tx_ref is not None
        info = response.id_tag_info
        self.station.store.journal.set_transaction_id(
            item.tx_ref, response.transaction_id, info.status.value, info.parent_id_tag
        )
        entry = self.station.store.journal.get(item.tx_ref)
        if entry is not None:
            self.auth.remember(entry.id_tag, info)
        tx = next((t for t in self.active.values() if t.ref == item.tx_ref), None)
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
        config = self.station.config
        if config.get_bool("StopTransactionOnInvalidId"):
            await self.stop_on_connector(tx.connector_id, "DeAuthorized")
        else:
            tx.deauthorized = True
            self._enforce_invalid_id_energy(tx)

    def _enforce_invalid_id_energy(self, tx: ActiveTransaction) -> None:
        config = self.station.config
        allowance = (
            config.get_int("MaxEnergyOnInvalidId") if config.has("MaxEnergyOnInvalidId") else 0
        )
        used = self.registers.register_wh(tx.connector_id) - tx.meter_start_wh
        if used >= allowance:
            self.station.connector(tx.connector_id).facts.evse_suspended = True
            self.station.hardware.power.enable(tx.connector_id, False)
            self.station.refresh(tx.connector_id)

    async def _stop_answered(self, item: QueuedCall, response: BaseModel) -> None:
        assert isinstance(response, m.StopTransactionResponse)
        entry = self.station.store.journal.get(item.tx_ref) if item.tx_ref is not None else None
        if response.id_tag_info is not None and entry is not None:
            self.auth.remember(entry.stop_id_tag or entry.id_tag, response.id_tag_info)

    # -- meter values ------------------------------------------------------------------------

    def _stop_txn_sampled(self) -> list[str]:
        return list(self.station.config.get_csl("StopTxnSampledData"))

    def _sample(
        self,
        tx: ActiveTransaction,
        context: str,
        measurands: list[str],
        at: datetime | None = None,
        *,
        register_wh: float | None = None,
    ) -> str | None:
        """One MeterValue as JSON; ``at`` is the instant it stands for (a clock-aligned
        sample is stamped with its grid instant even when the loop ran late);
        ``register_wh`` is the reading already put in the same message or journal row."""
        if not measurands:
            return None
        reading = self.station.hardware.meter.read(tx.connector_id)
        if register_wh is None:
            register_wh = self.registers.register_wh(tx.connector_id)
        values = sampled_values(reading, register_wh, measurands, context)
        if not values:
            return None
        # A failed meter's values are its last good reading: stamped when they were taken.
        mv = meter_value(reading.measured_at or at or self.station.clock.now(), values)
        return mv.model_dump_json(by_alias=True, exclude_none=True)

    def _transaction_data(self, ref: int) -> list[m.MeterValue]:
        """StopTxnSampledData values, bounded by StopTransactionMaxMeterValues.

        Errata 3.14/3.91: Transaction.Begin and Transaction.End are always kept; intermediate
        values are dropped first, evenly.
        """
        raw = self.station.store.journal.meter_values(ref)
        config = self.station.config
        bound = (
            config.get_int("StopTransactionMaxMeterValues")
            if config.has("StopTransactionMaxMeterValues")
            else 0
        )
        if bound > 0 and len(raw) > bound:
            keep = max(bound, 2)
            middle = raw[1:-1]
            slots = keep - 2
            step = len(middle) / slots if slots > 0 else 0
            chosen = [middle[int(i * step)] for i in range(slots)] if slots > 0 else []
            raw = [raw[0], *chosen, raw[-1]]
        return [m.MeterValue.model_validate_json(r) for r in raw]

    def _wake_samplers(self) -> None:
        for changed in self._sample_interval_changed.values():
            changed.set()

    async def _sample_loop(self, tx: ActiveTransaction, changed: asyncio.Event) -> None:
        """MeterValues every MeterValueSampleInterval from the transaction start (TC_070).

        Issue 12 item 8: a change of the interval re-anchors the loop (the next sample comes
        one new interval after the change), and a loop that ran late skips the slots it
        missed: never a burst of catch-up samples.
        """
        clock = self.station.clock
        due: float | None = None
        while True:
            changed.clear()
            interval = self.station.config.get_int("MeterValueSampleInterval")
            if interval <= 0:
                await changed.wait()
                due = None
                continue
            now = clock.monotonic()
            due = now + interval if due is None else next_slot(due, interval, now)
            if await clock.sleep(due - now, changed):
                due = None
                continue
            if tx.connector_id not in self.active:
                return
            # One reading for the MeterValues and the StopTxnSampledData kept at this instant.
            register = self.registers.register_wh(tx.connector_id)
            self.send_transaction_sample(
                tx,
                "Sample.Periodic",
                list(self.station.config.get_csl("MeterValuesSampledData")),
                register_wh=register,
            )
            stop_measurands = self._stop_txn_sampled()
            if stop_measurands:
                periodic = self._sample(
                    tx, "Sample.Periodic", stop_measurands, register_wh=register
                )
                if periodic is not None:
                    self.station.store.journal.add_meter_value(tx.ref, periodic)

    def send_transaction_sample(
        self,
        tx: ActiveTransaction,
        context: str,
        measurands: list[str],
        at: datetime | None = None,
        *,
        register_wh: float | None = None,
    ) -> None:
        register = (
            self.registers.register_wh(tx.connector_id) if register_wh is None else register_wh
        )
        sample = self._sample(tx, context, measurands, at, register_wh=register)
        if sample is None:
            return
        self._record_register(tx, register)
        request = m.MeterValuesRequest(
            connector_id=tx.connector_id,
            meter_value=[m.MeterValue.model_validate_json(sample)],
            transaction_id=0,
        )
        self.sender.enqueue(request, tx_ref=tx.ref)

    def _record_register(self, tx: ActiveTransaction, register_wh: float | None = None) -> None:
        """The power-loss reading: meterStop of a transaction the next start closes."""
        value = self.registers.persist(tx.connector_id, register_wh)
        self.station.store.journal.record_meter(
            tx.ref, whole_wh(value), self.station.clock.now_ms()
        )

    async def _keep_registers(self) -> None:
        """Record the registers each second while energy flows (the power-loss reading)."""
        while True:
            await asyncio.sleep(1.0)
            active = list(self.active.values())
            if not active:
                continue
            try:
                # One synced commit for all connectors, not two per transaction.
                with self.station.store.transaction():
                    for tx in active:
                        self._record_register(tx)
                for tx in active:
                    if tx.deauthorized:
                        self._enforce_invalid_id_energy(tx)
            except Exception:
                log.exception("recording the meter registers failed")


def _same_tag(a: str | None, b: str | None) -> bool:
    """IdTokens are CiString20Type in OCPP 1.6: compared without regard to case."""
    return a is not None and b is not None and a.casefold() == b.casefold()


def _cancel(auth: Authorization) -> None:
    if auth.timeout is not None:
        auth.timeout.cancel()
