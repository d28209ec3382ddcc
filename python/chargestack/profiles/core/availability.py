"""ChangeAvailability (OCPP 1.6 section 5.2): Accepted, Scheduled or Rejected; persisted.

A change for a connector with a running transaction is Scheduled and applied when the
transaction ends (TC_014), or at the next start if a power loss ended it; connector 0
changes the whole charge point (TC_034).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Refuse, on
from chargestack.station.block import Block
from chargestack.station.extension_points import AvailabilityObserver, TransactionInfo
from chargestack.station.ports import ConnectorBoard
from chargestack.store import Store

State = Literal["Operative", "Inoperative"]


class AvailabilityService(Block):
    """ChangeAvailability; a TransactionObserver, for the changes Scheduled until a
    transaction ends. ``observers`` hear of every change it makes after start-up."""

    def __init__(
        self,
        board: ConnectorBoard,
        store: Store,
        observers: Sequence[AvailabilityObserver] = (),
    ) -> None:
        self._board = board
        self._store = store
        self._observers = observers

    async def start(self) -> None:
        """A change Scheduled when the station went down waited for a transaction that the
        restart has finished (it is closed with PowerLoss, never resumed): apply it now."""
        board = self._board
        store = self._store.availability
        if store.apply_scheduled(0) is not None:
            board.station_facts.operative = store.get(0) == "Operative"
        for cid, connector in board.connectors.items():
            if store.apply_scheduled(cid) is not None:
                connector.facts.operative = store.get(cid) == "Operative"

    @on(
        Action.CHANGE_AVAILABILITY,
        without_storage=Refuse(
            m.ChangeAvailabilityResponse(status=m.AvailabilityStatus("Rejected"))
        ),
    )
    async def change_availability(
        self, request: m.ChangeAvailabilityRequest
    ) -> m.ChangeAvailabilityResponse:
        connector_id = request.connector_id
        state: State = "Operative" if request.type.value == "Operative" else "Inoperative"
        board = self._board
        if connector_id != 0 and connector_id not in board.connectors:
            return m.ChangeAvailabilityResponse(status=m.AvailabilityStatus("Rejected"))
        targets = list(board.connectors) if connector_id == 0 else [connector_id]
        scheduled = False
        store = self._store.availability
        with self._store.transaction():
            if connector_id == 0:
                store.set(0, state)
                board.station_facts.operative = state == "Operative"
            for cid in targets:
                connector = board.connector(cid)
                if connector.facts.in_transaction and state == "Inoperative":
                    store.schedule(cid, state)
                    scheduled = True
                elif (
                    connector_id != 0 or state == "Operative" or not connector.facts.in_transaction
                ):
                    store.set(cid, state)
                    connector.facts.operative = state == "Operative"
        if connector_id == 0 and scheduled:
            # The whole station goes Unavailable once the last transaction ends; until then
            # connector 0 keeps its present status.
            board.station_facts.operative = True
            store.schedule(0, state)
        self._changed()
        status = "Scheduled" if scheduled else "Accepted"
        return m.ChangeAvailabilityResponse(status=m.AvailabilityStatus(status))

    # -- TransactionObserver ---------------------------------------------------------------

    def transaction_started(self, tx: TransactionInfo) -> None:
        return None

    def transaction_ended(self, connector_id: int) -> None:
        """Apply a Scheduled change once the transaction on ``connector_id`` is over."""
        board = self._board
        store = self._store.availability
        applied = store.apply_scheduled(connector_id)
        if applied is not None:
            board.connector(connector_id).facts.operative = applied == "Operative"
        station_pending = store.scheduled(0)
        if station_pending is not None and not any(
            c.facts.in_transaction for c in board.connectors.values()
        ):
            store.apply_scheduled(0)
            board.station_facts.operative = station_pending == "Operative"
        self._changed()

    def _changed(self) -> None:
        for observer in self._observers:
            observer.availability_changed()
        self._board.refresh_all()
