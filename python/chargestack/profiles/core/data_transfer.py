"""DataTransfer in both directions (OCPP 1.6 sections 4.3 and 5.6) through a handler registry.

Integrators register ``(vendorId, messageId)`` handlers; messageId ``None`` catches every
message of a vendor. Unknown vendor: UnknownVendorId; known vendor, unknown message:
UnknownMessageId. A handler whose effect must be stored says so when it is registered
(``stores=True``): while the store cannot write its messages are answered Rejected at once,
the handler not run, as the session refuses the other requests that must be stored
(``ocpp/storage_answers.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import on
from chargestack.station.block import Block
from chargestack.station.ports import Send

VendorHandler = Callable[[str | None, str | None], Awaitable[tuple[str, str | None]]]
"""(messageId, data) -> (status, data)."""


class StoreState(Protocol):
    @property
    def write_failure(self) -> str | None:
        """Why the store cannot write, while it cannot."""
        ...


class DataTransferService(Block):
    def __init__(self, send: Send, store: StoreState) -> None:
        self._send = send
        self._store = store
        self.handlers: dict[tuple[str, str | None], VendorHandler] = {}
        self._storing: set[tuple[str, str | None]] = set()

    def register(
        self,
        vendor_id: str,
        message_id: str | None,
        handler: VendorHandler,
        *,
        stores: bool = False,
    ) -> None:
        """Answer DataTransfer of ``vendor_id`` (and ``message_id``, None: any) with
        ``handler``; ``stores``: its effect must be stored (refused while it cannot be)."""
        key = (vendor_id, message_id)
        self.handlers[key] = handler
        if stores:
            self._storing.add(key)
        else:
            self._storing.discard(key)

    @on(Action.DATA_TRANSFER)
    async def data_transfer(self, request: m.DataTransferRequest) -> m.DataTransferResponse:
        vendor = request.vendor_id
        if not any(v == vendor for v, _ in self.handlers):
            return m.DataTransferResponse(status=m.DataTransferStatus("UnknownVendorId"))
        key = (vendor, request.message_id)
        if key not in self.handlers:
            key = (vendor, None)
        handler = self.handlers.get(key)
        if handler is None:
            return m.DataTransferResponse(status=m.DataTransferStatus("UnknownMessageId"))
        if key in self._storing and self._store.write_failure is not None:
            return m.DataTransferResponse(status=m.DataTransferStatus("Rejected"))
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
