"""Who asks for a transaction: a tag at the reader, a plug, or the central system.

A tag and a plug make a transaction whichever comes first; the first one waits for the other
up to ConnectionTimeOut (TC_004_2, TC_011_2). One reader serves every connector, so a tag
presented before any plug is for whichever connector is plugged next. A tag also stops: the
transaction's own tag without an Authorize (TC_068), a tag of the same group after one
(TC_069). A cable kept locked after a DeAuthorized stop is its driver's: that tag, or one of
its group, frees it (and starts nothing), no other tag or remote start takes the connector
(errata 3.5/3.17). A start still waiting when its connector leaves service (Unavailable,
Faulted) is dropped: only a new authorization starts there once it is back.
RemoteStartTransaction and RemoteStopTransaction are answered here; the start and stop
themselves are the lifecycle's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from chargestack.hardware import events as hw
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Refuse, after, on
from chargestack.profiles.core.authorization import AuthorizationService
from chargestack.profiles.core.cable_lock import CableLock
from chargestack.profiles.core.running_transactions import RunningTransactions
from chargestack.profiles.core.transaction_lifecycle import TransactionLifecycle
from chargestack.station.block import Block
from chargestack.station.clock import Clock
from chargestack.station.configuration import Configuration
from chargestack.station.extension_points import LimitSource, StartGate
from chargestack.station.ports import ConnectorBoard, LinkState, Spawn

log = logging.getLogger("chargestack.transactions")


@dataclass
class Authorization:
    """A tag (or a remote start) waiting for a plug: one reader serves every connector."""

    id_tag: str
    parent_id_tag: str | None
    connector_id: int | None  # None: the reader's tag, for whichever connector is plugged
    timeout: asyncio.Task[None] | None = None
    # A remote start's claim: the request it answered, and whether its idTag is authorized
    # yet (AuthorizeRemoteTxRequests); until then a plug-in starts nothing.
    request: m.RemoteStartTransactionRequest | None = None
    authorized: bool = True
    # The reader's tag: connectors that left service since it was authorized; it starts
    # nothing there when they come back.
    withdrawn: set[int] = field(default_factory=set)


class AuthorizationWait(Block):
    """Tags, plugs and remote starts until a transaction starts; an ``AvailabilityObserver``."""

    def __init__(
        self,
        *,
        board: ConnectorBoard,
        config: Configuration,
        clock: Clock,
        spawn: Spawn,
        link: LinkState,
        authorization: AuthorizationService,
        lifecycle: TransactionLifecycle,
        running: RunningTransactions,
        gate: StartGate,
        limits: LimitSource,
        cable_lock: CableLock,
    ) -> None:
        self._board = board
        self._config = config
        self._clock = clock
        self._spawn = spawn
        self._link = link
        self._auth = authorization
        self._lifecycle = lifecycle
        self._running = running
        self._gate = gate
        self._limits = limits
        self._cable_lock = cable_lock
        #: The reader's tag, authorized and waiting for a plug.
        self.waiting: Authorization | None = None
        #: Accepted remote starts waiting for their connector's plug.
        self.remote_waiting: dict[int, Authorization] = {}

    # -- hardware events -------------------------------------------------------------------

    async def on_hardware_event(self, event: hw.HardwareEvent) -> None:
        if isinstance(event, hw.PluggedIn):
            await self._plugged_in(event.connector_id)
        elif isinstance(event, hw.IdTagPresented):
            await self._tag_presented(event.id_tag)
        elif isinstance(event, hw.FaultRaised | hw.PowerStageFault):
            self._drop_starts_out_of_service()

    # -- AvailabilityObserver --------------------------------------------------------------

    def availability_changed(self) -> None:
        self._drop_starts_out_of_service()

    def _in_service(self, cid: int) -> bool:
        facts, station = self._board.connector(cid).facts, self._board.station_facts
        return facts.operative and station.operative and not (facts.faulted or station.faulted)

    def _drop_starts_out_of_service(self) -> None:
        """A start authorized before its connector (or the charge point) was made Unavailable
        or Faulted is dropped, not kept for its return: whoever took it out of service must
        not see it start later on an old authorization (a new one starts it)."""
        for cid, auth in list(self.remote_waiting.items()):
            if not self._in_service(cid):
                log.info(
                    "connector %d out of service: remote start for %s given up", cid, auth.id_tag
                )
                self._release(cid, auth)
        waiting = self.waiting
        if waiting is None:
            return
        for cid, connector in self._board.connectors.items():
            if not self._in_service(cid) and cid not in waiting.withdrawn:
                waiting.withdrawn.add(cid)
                if cid not in self._running:
                    connector.facts.preparing = False
        if waiting.withdrawn.issuperset(self._board.connectors):
            log.info("no connector in service: tag %s no longer waits for a plug", waiting.id_tag)
            _cancel(waiting)
            self.waiting = None

    def _usable(self, connector_id: int) -> bool:
        c = self._board.connector(connector_id)
        station = self._board.station_facts
        return (
            c.facts.operative
            and station.operative
            and not station.store_unwritable
            and not c.facts.faulted
            and not station.faulted
            and connector_id not in self._running
            and not self._cable_lock.holds(connector_id)
        )

    async def _plugged_in(self, cid: int) -> None:
        self._board.connector(cid).facts.plugged = True
        if not self._usable(cid):
            return
        remote = self.remote_waiting.get(cid)
        if remote is not None:
            if remote.authorized:
                del self.remote_waiting[cid]
                _cancel(remote)
                await self._lifecycle.start_transaction(cid, remote.id_tag, remote.parent_id_tag)
            # else: the remote start's authorization, when it comes, starts it.
        elif (
            self.waiting is not None
            and cid not in self.waiting.withdrawn
            and self._gate.allows(cid, self.waiting.id_tag, self.waiting.parent_id_tag)
        ):
            auth, self.waiting = self.waiting, None
            _cancel(auth)
            self._clear_reader_preparing()
            await self._lifecycle.start_transaction(cid, auth.id_tag, auth.parent_id_tag)

    async def _tag_presented(self, id_tag: str) -> None:
        stop = self._lifecycle.stop_on_connector
        # Section 4.1: the transaction's own tag stops it without an Authorize (TC_068).
        for tx in self._running:
            if _same_tag(tx.id_tag, id_tag):
                await stop(tx.connector_id, "Local", stop_id_tag=id_tag)
                return
        # Errata 3.5, section 4.10: a cable kept for this tag's driver opens on presentation,
        # not authorized (after a DeAuthorized stop the central system refused this very tag).
        if await self._cable_lock.release_for(id_tag, None):
            return
        if self.waiting is not None and _same_tag(self.waiting.id_tag, id_tag):
            # A second swipe of the same tag cancels the waiting authorization (TC_061).
            _cancel(self.waiting)
            self.waiting = None
            self._clear_reader_preparing()
            return
        grouped = self._cable_lock.holds_for_a_group() or any(
            tx.parent_id_tag is not None for tx in self._running
        )
        if not grouped and not self._free():
            # TC_068: no transaction (nor held cable) has a group this tag could share and no
            # connector is free, so there is nothing to authorize it for (no Authorize.req).
            log.info("tag %s presented: no free connector, no group to stop", id_tag)
            return
        # One authorization serves both uses: stopping a transaction of the same group
        # (TC_069) and starting on a free connector.
        result = await self._auth.authorize(id_tag)
        if not result.accepted:
            log.info("tag %s not authorized (%s)", id_tag, result.status)
            return
        for tx in self._running:
            if _same_tag(tx.parent_id_tag, result.parent_id_tag):
                await stop(tx.connector_id, "Local", stop_id_tag=id_tag)
                return
        if await self._cable_lock.release_for(id_tag, result.parent_id_tag):
            return
        free = self._free()
        if not free:
            log.info("tag %s authorized: not of any running transaction's group", id_tag)
            return
        parent = result.parent_id_tag
        again = [
            cid
            for cid in free
            if self._board.connector(cid).facts.finishing
            and cid not in self.remote_waiting
            and self._lifecycle.restarts_there(cid, id_tag, parent)
            and self._gate.allows(cid, id_tag, parent)
        ]
        if again:
            # Section 4.9 F2: the driver presents the tag again at the cable still in.
            await self._lifecycle.start_transaction(again[0], id_tag, parent)
            return
        plugged = [
            cid
            for cid in free
            if self._board.connector(cid).facts.plugged
            and not self._board.connector(cid).facts.finishing
            and cid not in self.remote_waiting
            and self._gate.allows(cid, id_tag, result.parent_id_tag)
        ]
        if plugged:
            await self._lifecycle.start_transaction(plugged[0], id_tag, result.parent_id_tag)
            return
        if self.waiting is not None:
            _cancel(self.waiting)
        self.waiting = Authorization(id_tag, result.parent_id_tag, None)
        self.waiting.timeout = self._connection_timeout(self._reader_timed_out, "reader")
        for cid in free:
            if self._gate.allows(cid, id_tag, result.parent_id_tag):
                self._board.connector(cid).facts.preparing = True

    def _free(self) -> list[int]:
        return [cid for cid in self._board.connectors if self._usable(cid)]

    async def _remote_gate_allows(self, cid: int, id_tag: str) -> bool:
        # TC_053_2: a tag with the reservation's parentIdTag may use it; a remote start brings
        # no parent, so the gate looks it up (or asks) first.
        parent = await self._gate.parent_for(cid, id_tag)
        return self._gate.allows(cid, id_tag, parent)

    def _connection_timeout(self, expired: Callable[[], None], name: str) -> asyncio.Task[None]:
        """ConnectionTimeOut (section 9.1) from now, on the station clock."""
        seconds = max(0, self._config.get_int("ConnectionTimeOut"))

        async def wait() -> None:
            await self._clock.sleep(seconds)
            expired()

        return self._spawn(wait(), f"connection-timeout-{name}")

    def _reader_timed_out(self) -> None:
        # TC_004_2: no plug-in followed the authorization; the connectors are Available again.
        self.waiting = None
        self._clear_reader_preparing()
        self._board.refresh_all()

    def _clear_reader_preparing(self) -> None:
        for cid, connector in self._board.connectors.items():
            if cid not in self.remote_waiting and cid not in self._running:
                connector.facts.preparing = False

    # -- RemoteStartTransaction (section 5.11) ---------------------------------------------

    @on(
        Action.REMOTE_START_TRANSACTION,
        without_storage=Refuse(
            m.RemoteStartTransactionResponse(status=m.RemoteStartStopStatus("Rejected"))
        ),
    )
    async def remote_start(
        self, request: m.RemoteStartTransactionRequest
    ) -> m.RemoteStartTransactionResponse:
        cid = self._pick_connector(request.connector_id, request.id_tag)
        accepted = (
            cid is not None
            and self._link.accepted
            and cid not in self.remote_waiting
            and await self._remote_gate_allows(cid, request.id_tag)
        )
        if (
            accepted
            and request.charging_profile is not None
            and not self._limits.accepts_remote_start_profile(request.charging_profile)
        ):
            accepted = False
        # Checked again after the awaits: CALLs are handled concurrently, and a tag or
        # another remote start may have taken the connector meanwhile.
        if accepted and cid is not None and self._claimable(cid):
            self._claim(cid, request)
        else:
            accepted = False
        status = "Accepted" if accepted else "Rejected"
        return m.RemoteStartTransactionResponse(status=m.RemoteStartStopStatus(status))

    def _pick_connector(self, requested: int | None, id_tag: str | None = None) -> int | None:
        if requested is not None:
            # TC_027: connector 0 is not a connector a transaction can run on.
            if requested == 0 or requested not in self._board.connectors:
                return None
            return requested if self._usable(requested) else None
        usable = [
            cid
            for cid in self._board.connectors
            if self._usable(cid)
            and cid not in self.remote_waiting
            # Without a connectorId, a connector reserved for somebody else is not a choice.
            and (id_tag is None or self._gate.allows(cid, id_tag, None))
        ]
        # A cable left in after a session (Finishing) is its driver's (errata 3.20): chosen
        # only when named; a plugged EV that waits (Preparing) goes first.
        facts = {cid: self._board.connector(cid).facts for cid in usable}
        waiting = [cid for cid in usable if facts[cid].plugged and not facts[cid].finishing]
        candidates = waiting or [cid for cid in usable if not facts[cid].finishing]
        return candidates[0] if candidates else None

    def _claimable(self, cid: int) -> bool:
        return self._usable(cid) and cid not in self.remote_waiting and self._link.accepted

    def _claim(self, cid: int, request: m.RemoteStartTransactionRequest) -> None:
        """The connector is the remote start's from its Accepted on (section 4.9 A2: the
        RemoteStartTransaction.req makes it Preparing): no tag and no other remote start
        takes it while the idTag is authorized or the EV is awaited. ConnectionTimeOut
        counts from here, the beginning of Preparing (section 9.1.6)."""
        auth = Authorization(request.id_tag, None, cid, request=request, authorized=False)
        auth.timeout = self._connection_timeout(
            lambda: self._remote_timed_out(cid, auth), f"remote-{cid}"
        )
        self.remote_waiting[cid] = auth
        if not self._config.get_bool("AuthorizeRemoteTxRequests"):
            self._lifecycle.claim(cid)
        # Otherwise Preparing is reported once the idTag is authorized: TC_011_1 expects the
        # Authorize.req before the StatusNotification; the claim holds the connector already.

    @after(Action.REMOTE_START_TRANSACTION)
    async def remote_start_follow_up(self, request: m.RemoteStartTransactionRequest) -> None:
        auth = next((a for a in self.remote_waiting.values() if a.request is request), None)
        if auth is None or auth.connector_id is None:
            return  # answered Rejected, or the claim has already ended
        cid = auth.connector_id
        if self._config.get_bool("AuthorizeRemoteTxRequests"):
            result = await self._auth.authorize(request.id_tag)
            if self.remote_waiting.get(cid) is not auth:
                return  # ConnectionTimeOut ended the claim meanwhile
            if not result.accepted:
                self._release(cid, auth)  # TC_023_5: no transaction for an invalid tag
                return
            auth.parent_id_tag = result.parent_id_tag
            self._lifecycle.claim(cid)
        auth.authorized = True
        if request.charging_profile is not None:
            self._limits.pending_remote_profile(cid, request.charging_profile)
        if self._board.connector(cid).facts.plugged:
            del self.remote_waiting[cid]
            _cancel(auth)
            await self._lifecycle.start_transaction(cid, request.id_tag, auth.parent_id_tag)

    def _remote_timed_out(self, cid: int, auth: Authorization) -> None:
        # TC_011_2: remote start without a plug-in ends after ConnectionTimeOut.
        if self.remote_waiting.get(cid) is auth:
            self._release(cid, auth)

    def _release(self, cid: int, auth: Authorization) -> None:
        del self.remote_waiting[cid]
        _cancel(auth)
        self._board.connector(cid).facts.preparing = False
        self._limits.pending_remote_profile(cid, None)
        self._board.refresh(cid)

    # -- RemoteStopTransaction (section 5.12) ----------------------------------------------

    @on(Action.REMOTE_STOP_TRANSACTION)
    async def remote_stop(
        self, request: m.RemoteStopTransactionRequest
    ) -> m.RemoteStopTransactionResponse:
        tx = self._running.by_transaction_id(request.transaction_id)
        status = "Accepted" if tx is not None else "Rejected"
        return m.RemoteStopTransactionResponse(status=m.RemoteStartStopStatus(status))

    @after(Action.REMOTE_STOP_TRANSACTION)
    async def remote_stop_follow_up(self, request: m.RemoteStopTransactionRequest) -> None:
        tx = self._running.by_transaction_id(request.transaction_id)
        if tx is not None:
            await self._lifecycle.stop_on_connector(tx.connector_id, "Remote")


def _same_tag(a: str | None, b: str | None) -> bool:
    """IdTokens are CiString20Type in OCPP 1.6: compared without regard to case."""
    return a is not None and b is not None and a.casefold() == b.casefold()


def _cancel(auth: Authorization) -> None:
    if auth.timeout is not None:
        auth.timeout.cancel()
