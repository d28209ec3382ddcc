"""UnlockConnector (OCPP 1.6 section 5.18).

Unknown connector or a fixed cable: NotSupported (errata 3.87, TC_031). A running
transaction on the connector is stopped first with reason UnlockCommand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import on

if TYPE_CHECKING:
    from chargestack.station.station import Station


class UnlockService:
    def __init__(self, station: Station) -> None:
        self.station = station

    @on(Action.UNLOCK_CONNECTOR)
    async def unlock_connector(
        self, request: m.UnlockConnectorRequest
    ) -> m.UnlockConnectorResponse:
        cid = request.connector_id
        if cid not in self.station.connectors or self.station.settings.connector(cid).fixed_cable:
            return m.UnlockConnectorResponse(status=m.UnlockStatus("NotSupported"))
        transactions = getattr(self.station, "transactions", None)
        if transactions is not None and transactions.active_on(cid) is not None:
            await transactions.stop_on_connector(cid, "UnlockCommand")
        unlocked = await self.station.hardware.connector(cid).unlock()
        return m.UnlockConnectorResponse(
            status=m.UnlockStatus("Unlocked" if unlocked else "UnlockFailed")
        )
