"""The narrow faces of a running station that blocks take in their constructors.

A block is given what it uses, typed, never the directory of everything: the Station
implements :class:`ConnectorBoard`, ``Station.spawn`` is a :data:`Spawn` and
``Station.send`` a :data:`Send`; the durable sender is a :class:`DurableQueue`. Tests hand a
block small fakes of these.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from pydantic import BaseModel

from chargestack.station.connector import Connector
from chargestack.station.connector_status import ConnectorFacts
from chargestack.store.outbox import QueuedCall

#: Start a background task the station owns (cancelled and awaited when it stops).
Spawn = Callable[[Awaitable[Any], str], "asyncio.Task[Any]"]
#: A CP-initiated CALL that is not durable; raises a ``ChargestackError`` when not answered.
Send = Callable[[BaseModel], Awaitable[BaseModel]]
#: Called with the queued CALL and the central system's answer to it.
ResponseHandler = Callable[[QueuedCall, BaseModel], Awaitable[None]]


class ConnectorBoard(Protocol):
    """The connectors' facts and the re-derivation of their status (the Station)."""

    @property
    def connectors(self) -> Mapping[int, Connector]: ...

    @property
    def station_facts(self) -> ConnectorFacts:
        """Connector 0: the charge point as a whole."""
        ...

    def connector(self, connector_id: int) -> Connector: ...

    def refresh(self, connector_id: int) -> None:
        """Re-derive the connector's status from its facts; a change is reported."""
        ...

    def refresh_all(self) -> None: ...


class LinkState(Protocol):
    """Whether the station may talk to the central system now (the Registration)."""

    @property
    def accepted(self) -> bool:
        """BootNotification Accepted and the link up."""
        ...


class DurableQueue(Protocol):
    """CALLs written to the store before they are sent, delivered oldest first (section 4.7)."""

    def enqueue(
        self, request: BaseModel, tx_ref: int | None = None, *, message_id: str | None = None
    ) -> int:
        """Queue ``request``; with ``tx_ref`` its transactionId is the journal's at send time.

        ``message_id``: every start rebuilds ``request`` with this unique id from what is on
        disk already, until it is answered (a stop after a power loss), so it may be sent
        before its own row reaches the disk: a resend after a crash is a retry."""
        ...

    def on_response(self, action: str, handler: ResponseHandler) -> None:
        """Call ``handler`` with each CALLRESULT to a queued ``action``."""
        ...
