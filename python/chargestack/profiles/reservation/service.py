"""Reservations: ReserveNow and CancelReservation, expiry, and the Core profile's StartGate.

Every reservation is written to the store before it is answered Accepted and removed when it
is used, cancelled or expires, so a restart (even kill -9) resumes exactly the reservations
the central system knows about. The connector's ``reserved`` fact is derived from them after
every change; the status reporter turns that into Reserved/Available.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

from chargestack.hardware import events as hw
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Refuse, on
from chargestack.profiles.reservation import rules
from chargestack.station.block import Block
from chargestack.station.clock import Clock, to_ms
from chargestack.station.configuration import Configuration
from chargestack.station.connector_status import ConnectorFacts
from chargestack.station.extension_points import IdTagGroups
from chargestack.station.ports import ConnectorBoard, Spawn
from chargestack.store import Store
from chargestack.store.reservations import Reservation, Reservations

log = logging.getLogger("chargestack.reservation")

# Parents learned by asking the central system for a tag trying a reserved connector; kept so
# a RemoteStartTransaction's answer and its StartTransaction agree without a second Authorize.
_LEARNED_PARENTS_MAX = 64


class ReservationService(Block):
    """Implements the Core profile's ``StartGate``: the sessions ask it before any start; an
    ``AvailabilityObserver``: a connector out of service ends its reservations."""

    def __init__(
        self,
        *,
        board: ConnectorBoard,
        store: Store,
        config: Configuration,
        clock: Clock,
        spawn: Spawn,
        tags: IdTagGroups,
    ) -> None:
        self._board = board
        self._store = store
        self._config = config
        self._clock = clock
        self._spawn = spawn
        self._tags = tags
        self._table: Reservations | None = None
        self._by_id: dict[int, Reservation] = {}
        self._changed = asyncio.Event()
        self._learned: OrderedDict[str, str | None] = OrderedDict()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._table = Reservations(self._store)
        now = self._clock.now_ms()
        for reservation in self._table.all():
            gone = reservation.connector_id not in (0, *self._board.connectors)
            if reservation.expiry_ms <= now or gone:
                log.info("reservation %d ended while stopped", reservation.reservation_id)
                self._table.delete(reservation.reservation_id)
                continue
            self._by_id[reservation.reservation_id] = reservation
        # Availability has applied what a power loss left Scheduled (it starts first).
        self._end_where_unusable()
        self._apply()
        self._spawn(self._expire(), "reservation-expiry")

    async def on_hardware_event(self, event: hw.HardwareEvent) -> None:
        # A plug, fault or unplug changes which connectors are free for a connector-0
        # reservation; the station refreshes every status right after this hook.
        del event
        self._end_where_unusable()
        self._apply(refresh=False)

    # -- AvailabilityObserver --------------------------------------------------------------

    def availability_changed(self) -> None:
        """Section 5.13: a connector or the charge point made Unavailable (by the central
        system, a Scheduled change applied or a firmware installation) ends its reservations;
        one going (in)operative changes which ones a connector-0 reservation holds."""
        self._end_where_unusable()
        self._apply(refresh=False)

    def describe_connector(self, connector_id: int) -> dict[str, Any]:
        own = next((r for r in self._by_id.values() if r.connector_id == connector_id), None)
        return {"reservationId": own.reservation_id if own else None}

    def describe_station(self) -> dict[str, Any]:
        return {"reservations": len(self._by_id)}

    # -- OCPP ------------------------------------------------------------------------------

    @on(
        Action.RESERVE_NOW,
        without_storage=Refuse(m.ReserveNowResponse(status=m.ReservationStatus("Unavailable"))),
    )
    async def reserve_now(self, request: m.ReserveNowRequest) -> m.ReserveNowResponse:
        status = self._answer(request)
        if status == "Accepted":
            reservation = Reservation(
                request.reservation_id,
                request.connector_id,
                request.id_tag,
                request.parent_id_tag,
                to_ms(request.expiry_date),
            )
            self._tables().put(reservation)  # durable before the central system hears of it
            self._by_id[reservation.reservation_id] = reservation
            self._changed.set()
            self._apply()
            log.info(
                "reservation %d: connector %d for %s",
                reservation.reservation_id,
                reservation.connector_id,
                reservation.id_tag,
            )
        else:
            log.info("ReserveNow %d: %s", request.reservation_id, status)
        return m.ReserveNowResponse(status=m.ReservationStatus(status))

    def _answer(self, request: m.ReserveNowRequest) -> str:
        """ReserveNow's status, from checks made in this order (section 5.13):

        1. the connector: connector 0 needs ReserveConnectorZeroSupported and any other id
           must exist, else Rejected (there is no state to report);
        2. its state: Faulted, Unavailable, Occupied, whatever else is wrong with the
           request (TC_048_1 and TC_050_1: a Faulted connector answers Faulted even with an
           expiryDate already past);
        3. the request itself: an expiryDate already past is Rejected;
        4. Accepted (a known reservationId is replaced).
        """
        board = self._board
        cid = request.connector_id
        if cid == 0:
            if not self._config.get_bool("ReserveConnectorZeroSupported"):
                return "Rejected"
        elif cid not in board.connectors:
            return "Rejected"
        # Section 5.13: a known reservationId is replaced, so it does not compete with itself.
        others = [r for r in self._by_id.values() if r.reservation_id != request.reservation_id]
        facts = self._facts()
        if cid == 0:
            state = rules.station_answer(facts, board.station_facts, others)
        else:
            state = rules.connector_answer(cid, facts, board.station_facts, others)
        if state != "Accepted":
            return state
        if to_ms(request.expiry_date) <= self._clock.now_ms():
            return "Rejected"
        return "Accepted"

    @on(
        Action.CANCEL_RESERVATION,
        without_storage=Refuse(
            m.CancelReservationResponse(status=m.CancelReservationStatus("Rejected"))
        ),
    )
    async def cancel_reservation(
        self, request: m.CancelReservationRequest
    ) -> m.CancelReservationResponse:
        reservation = self._by_id.get(request.reservation_id)
        if reservation is None:
            return m.CancelReservationResponse(status=m.CancelReservationStatus("Rejected"))
        self._end(reservation, "cancelled")
        return m.CancelReservationResponse(status=m.CancelReservationStatus("Accepted"))

    # -- StartGate -------------------------------------------------------------------------

    def allows(self, connector_id: int, id_tag: str, parent_id_tag: str | None) -> bool:
        """True when ``id_tag`` may start on ``connector_id``: not reserved, reserved for
        this tag or its parent, or (connector 0) another connector stays free."""
        parent = parent_id_tag or self._known_parent(id_tag)
        return rules.admits(
            connector_id,
            id_tag,
            parent,
            self._facts(),
            self._board.station_facts,
            list(self._by_id.values()),
        )

    def consume(self, connector_id: int, id_tag: str, parent_id_tag: str | None) -> int | None:
        """The reservationId a transaction starting now uses up (ending that reservation)."""
        parent = parent_id_tag or self._known_parent(id_tag)
        found = rules.reservation_for(connector_id, id_tag, parent, list(self._by_id.values()))
        self._learned.pop(id_tag, None)
        if found is None:
            return None
        self._end(found, f"used on connector {connector_id}")
        return found.reservation_id

    async def parent_for(self, connector_id: int, id_tag: str) -> str | None:
        """The parentIdTag of ``id_tag`` when a reservation with a parent guards the
        connector (TC_053 remote): from the list or cache, else by asking (Authorize)."""
        guarding = [
            r
            for r in self._by_id.values()
            if r.connector_id in (0, connector_id)
            and r.parent_id_tag is not None
            and not rules.matches(r, id_tag, None)
        ]
        if not guarding:
            return None
        parent = self._known_parent(id_tag)
        if parent is None and id_tag not in self._learned:
            parent = await self._tags.parent_of(id_tag)
            self._learned[id_tag] = parent
            while len(self._learned) > _LEARNED_PARENTS_MAX:
                self._learned.popitem(last=False)
        return parent

    # -- internals -------------------------------------------------------------------------

    def _tables(self) -> Reservations:
        assert self._table is not None, "ReservationService used before start()"
        return self._table

    def _facts(self) -> dict[int, ConnectorFacts]:
        return {cid: c.facts for cid, c in self._board.connectors.items()}

    def _known_parent(self, id_tag: str) -> str | None:
        entry, _ = self._tags.local_entry(id_tag)
        if entry is not None and entry.parent_id_tag is not None:
            return str(entry.parent_id_tag)
        return self._learned.get(id_tag)

    def _end(self, reservation: Reservation, why: str) -> None:
        self._tables().delete(reservation.reservation_id)
        self._by_id.pop(reservation.reservation_id, None)
        self._changed.set()
        self._apply()
        log.info("reservation %d ended: %s", reservation.reservation_id, why)

    def _end_where_unusable(self) -> None:
        facts, station = self._facts(), self._board.station_facts
        for reservation in list(self._by_id.values()):
            if rules.ended_by_state(reservation, facts, station):
                self._end(reservation, "its connector or the charge point is unusable")

    def _apply(self, *, refresh: bool = True) -> None:
        shown = rules.reserved_connectors(
            self._facts(), self._board.station_facts, list(self._by_id.values())
        )
        for cid, connector in self._board.connectors.items():
            reserved = cid in shown
            if connector.facts.reserved != reserved:
                connector.facts.reserved = reserved
                if refresh:
                    self._board.refresh(cid)

    async def _expire(self) -> None:
        """End each reservation at its expiryDate (TC_047), woken early by any change."""
        while True:
            self._changed.clear()
            now = self._clock.now_ms()
            for reservation in [r for r in self._by_id.values() if r.expiry_ms <= now]:
                self._end(reservation, "expired")
            self._changed.clear()
            if not self._by_id:
                await self._changed.wait()
                continue
            # An instant of the station clock: an adjustment re-arms the wait (issue 17).
            next_ms = min(r.expiry_ms for r in self._by_id.values())
            await self._clock.sleep_until_ms(next_ms, self._changed)
