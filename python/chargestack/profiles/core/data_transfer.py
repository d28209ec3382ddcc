"""DataTransfer in both directions (OCPP 1.6 sections 4.3 and 5.6) through a handler registry.

Integrators register ``(vendorId, messageId)`` handlers; messageId ``None`` catches every
message of a vendor. Unknown vendor: UnknownVendorId; known vendor, unknown message:
UnknownMessageId.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import on
from chargestack.station.block import Block
from chargestack.station.ports import Send

VendorHandler = Callable[[str | None, str | None], Awaitable[tuple[str, str | None]]]
"""(messageId, data) -> (status, data)."""


class DataTransferService(Block):
    def __init__(self, send: Send) -> None:
        self._send = send
        self.handlers: dict[tuple[str, str | None], VendorHandler] = {}

    def register(self, vendor_id: str, message_id: str | None, handler: VendorHandler) -> None:
        self.handlers[(vendor_id, message_id)] = handler

    @on(Action.DATA_TRANSFER)
    async def data_transfer(self, request: m.DataTransferRequest) -> m.DataTransferResponse:
        vendor = request.vendor_id
        if not any(v == vendor for v, _ in self.handlers):
            return m.DataTransferResponse(status=m.DataTransferStatus("UnknownVendorId"))
        handler = self.handlers.get((vendor, request.message_id)) or self.handlers.get(
            (vendor, None)
        )
        if handler is None:
            return m.DataTransferResponse(status=m.DataTransferStatus("UnknownMessageId"))
        status, data = await handler(request.message_id, request.data)
        return m.DataTransferResponse(status=m.DataTransferStatus(status), data=data)

    async def send(
        self, vendor_id: str, message_id: str | None, data: str | None
    ) -> m.DataTransferResponse:
        """A CP-initiated DataTransfer to the central system."""
        response = await self._send(
            m.DataTransferRequest(vendor_id=vendor_id, message_id=message_id, data=data)
        )
        assert isinstance(response, m.DataTransferResponse)
        return response
