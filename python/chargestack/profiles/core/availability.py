"""ChangeAvailability (OCPP 1.6 section 5.2): Accepted, Scheduled or Rejected; persisted.

A change for a connector with a running transaction is Scheduled and applied when the
transaction ends (TC_014); connector 0 changes the whole charge point (TC_034).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import on

if TYPE_CHECKING:
    from chargestack.station.station import Station

State = Literal["Operative", "Inoperative"]


class AvailabilityService:
    def __init__(self, station: Station) -> None:
        self.station = station

    @on(Action.CHANGE_AVAILABILITY)
    async def change_availability(
        self, request: m.ChangeAvailabilityRequest
    ) -> m.ChangeAvailabilityResponse:
        connector_id = request.connector_id
        state: State = "Operative" if request.type.value == "Operative" else "Inoperative"
        if connector_id != 0 and connector_id not in self.station.connectors:
            return m.ChangeAvailabilityResponse(status=m.AvailabilityStatus("Rejected"))
        targets = list(self.station.connectors) if connector_id == 0 else [connector_id]
        scheduled = False
        store = self.station.store.availability
        with self.station.store.transaction():
            if connector_id == 0:
                store.set(0, state)
                self.station.station_facts.operative = state == "Operative"
            for cid in targets:
                connector = self.station.connector(cid)
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
            self.station.station_facts.operative = True
            store.schedule(0, state)
        self.station.refresh_all()
        status = "Scheduled" if scheduled else "Accepted"
        return m.ChangeAvailabilityResponse(status=m.AvailabilityStatus(status))

    def on_transaction_ended(self, connector_id: int) -> None:
        """Apply a Scheduled change once the transaction on ``connector_id`` is over."""
        store = self.station.store.availability
        applied = store.apply_scheduled(connector_id)
        if applied is not None:
            self.station.connector(connector_id).facts.operative = applied == "Operative"
        station_pending = store.scheduled(0)
        if station_pending is not None and not any(
            c.facts.in_transaction for c in self.station.connectors.values()
        ):
            store.apply_scheduled(0)
            self.station.station_facts.operative = station_pending == "Operative"
        self.station.refresh_all()
