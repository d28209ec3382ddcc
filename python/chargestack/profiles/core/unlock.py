"""UnlockConnector (OCPP 1.6 section 5.18).

Unknown connector or a fixed cable: NotSupported (errata 3.87, TC_031). A running
transaction on the connector is stopped first with reason UnlockCommand; the cable lock then
opens the socket and says whether it opened.
"""

from __future__ import annotations

from collections.abc import Mapping

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import FROM_MEMORY, on
from chargestack.profiles.core.cable_lock import CableLock
from chargestack.profiles.core.transaction_lifecycle import TransactionLifecycle
from chargestack.station.block import Block


class UnlockService(Block):
    def __init__(
        self,
        *,
        fixed_cable: Mapping[int, bool],
        cable_lock: CableLock,
        lifecycle: TransactionLifecycle,
    ) -> None:
        self._fixed_cable = dict(fixed_cable)  # every connector of the station
        self._cable_lock = cable_lock
        self._lifecycle = lifecycle

    @on(Action.UNLOCK_CONNECTOR, without_storage=FROM_MEMORY)
    async def unlock_connector(
        self, request: m.UnlockConnectorRequest
    ) -> m.UnlockConnectorResponse:
        cid = request.connector_id
        if self._fixed_cable.get(cid, True):
            return m.UnlockConnectorResponse(status=m.UnlockStatus("NotSupported"))
        await self._lifecycle.stop_on_connector(cid, "UnlockCommand")
        unlocked = await self._cable_lock.unlock(cid)
        return m.UnlockConnectorResponse(
            status=m.UnlockStatus("Unlocked" if unlocked else "UnlockFailed")
        )
