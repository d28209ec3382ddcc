"""Delivers the durable queue: oldest first, before anything new, whatever happens.

OCPP 1.6 section 3.7.1: a message the central system fails to process (a CALLERROR, OCPP-J
errata 3.3, or no answer within MessageTimeout) is sent again up to TransactionMessageAttempts
times in all, waiting TransactionMessageRetryInterval x the number of earlier transmissions
before each; "if this final attempt fails, the Charge Point SHOULD discard the message and
continue with the next transaction-related message". StartTransaction and StopTransaction
too (the section's own example is a StopTransaction): holding one back would hold every
later transaction message with it, on a link that works. A discarded message is logged as
an error. Later messages of a transaction whose StartTransaction was discarded carry
transactionId -1 (errata 3.18). A lost link is no failed attempt: the message waits for the
next connection.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel

from chargestack.exceptions import CallTimeoutError, NotConnectedError, OcppError
from chargestack.ocpp import messages as m
from chargestack.station.block import Block
from chargestack.station.ports import ResponseHandler
from chargestack.store.outbox import QueuedCall

if TYPE_CHECKING:
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.station.queue")

# Section 3.7's transaction-related messages. Another queued message that the central system
# does not support (a security event) is dropped at once; these get their attempts.
TRANSACTION_ACTIONS = frozenset({"StartTransaction", "StopTransaction", "MeterValues"})

# Offline growth bound: beyond this many queued MeterValues, intermediate ones are thinned.
MAX_QUEUED_METER_VALUES = 2000


class DurableSender(Block):
    """Implements ``ports.DurableQueue``: the one sender of the store's queue."""

    def __init__(self, station: Station) -> None:
        self.station = station
        self.handlers: dict[str, ResponseHandler] = {}
        self._kick = asyncio.Event()
        # Queue seq -> the store commit that holds it (this run only: whatever was queued
        # before the station started is on disk already).
        self._commits: dict[int, int] = {}

    def on_response(self, action: str, handler: ResponseHandler) -> None:
        self.handlers[action] = handler

    def enqueue(
        self, request: BaseModel, tx_ref: int | None = None, *, message_id: str | None = None
    ) -> int:
        """Write the CALL to the store (before anything is sent) and wake the sender; see
        ``ports.DurableQueue`` for ``message_id``."""
        action = m.action_of(request)
        payload = m.dump_payload(request)
        if tx_ref is not None:
            # The transactionId is filled in at send time from the journal.
            data = orjson.loads(payload)
            data.pop("transactionId", None)
            payload = orjson.dumps(data).decode()
        # The unique id is chosen with the row, so sending needs no write of its own: every
        # retry, even after a restart, reuses it.
        store = self.station.store
        seq = store.outbox.push(
            action, payload, tx_ref, self.station.clock.now_ms(), message_id or str(uuid.uuid4())
        )
        if message_id is None:
            self._commits[seq] = store.last_write_commit
        if action == "MeterValues":
            dropped = self.station.store.outbox.thin_meter_values(MAX_QUEUED_METER_VALUES)
            if dropped:
                log.warning("queue bound reached: thinned %d intermediate MeterValues", dropped)
        self._kick.set()
        return seq

    def kick(self) -> None:
        self._kick.set()

    def depth(self) -> int:
        return self.station.store.outbox.depth()

    async def start(self) -> None:
        self.station.spawn(self.run(), "durable-sender")

    def on_registered(self, reconnect: bool) -> None:
        self.station.store.outbox.reset_attempts()
        self._kick.set()

    def describe_station(self) -> dict[str, Any]:
        return {"queueDepth": self.depth()}

    async def run(self) -> None:
        while True:
            await self.station.registration.wait_accepted()
            item = self.station.store.outbox.oldest()
            if item is None:
                self._kick.clear()
                if self.station.store.outbox.oldest() is None:
                    await self._kick.wait()
                continue
            await self._deliver(item)

    def _request_for(self, item: QueuedCall) -> BaseModel:
        payload = item.payload
        if item.tx_ref is not None and item.action != "StartTransaction":
            entry = self.station.store.journal.get(item.tx_ref)
            data: dict[str, Any] = orjson.loads(payload)
            tx_id = entry.transaction_id if entry is not None else None
            if tx_id is None:
                # Only reachable if a StartTransaction was lost outside our control (a store
                # restored from backup): errata 3.18 says send -1, which the CS must accept.
                log.error("transaction ref %s has no transactionId; sending -1", item.tx_ref)
                tx_id = -1
            data["transactionId"] = tx_id
            payload = orjson.dumps(data).decode()
        return m.parse_request(item.action, payload)

    async def _deliver(self, item: QueuedCall) -> None:
        request = self._request_for(item)
        store = self.station.store
        message_id = item.message_id
        if message_id is None:
            # A row queued by a version that chose the id at the first send.
            message_id = str(uuid.uuid4())
            store.outbox.assign_message_id(item.seq, message_id)
            self._commits[item.seq] = store.last_write_commit
        # Journalled before sent: the message and its unique id are on disk first. The store
        # writes off the event loop; usually its commit is long on disk by now.
        await store.durable(self._commits.get(item.seq, 0))
        try:
            response = await self.station.session.call(request, unique_id=message_id)
        except NotConnectedError:
            await self.station.session.wait_connected()
            return
        except (CallTimeoutError, OcppError) as exc:
            await self._failed(item, exc)
            return
        handler = self.handlers.get(item.action)
        if handler is not None:
            try:
                await handler(item, response)
            except Exception:
                log.exception("handling the answer to %s failed", item.action)
        self._discard(item)

    async def _failed(self, item: QueuedCall, exc: Exception) -> None:
        if (
            item.action not in TRANSACTION_ACTIONS
            and isinstance(exc, OcppError)
            and exc.code in ("NotImplemented", "NotSupported")
        ):
            # The central system will never take this message (e.g. a security event sent
            # to a central system without the security extensions): drop it, keep the queue.
            log.warning("%s dropped: the central system answered %s", item.action, exc.code)
            self._discard(item)
            return
        attempts = self.station.store.outbox.count_attempt(item.seq)
        limit = max(1, self.station.config.get_int("TransactionMessageAttempts"))
        log.warning("%s attempt %d/%d failed: %s", item.action, attempts, limit, exc)
        if attempts >= limit:
            log.error(
                "%s (unique id %s) discarded after %d failed attempts: %s",
                item.action,
                item.message_id,
                attempts,
                exc,
            )
            self._discard(item)
            return
        interval = self.station.config.get_int("TransactionMessageRetryInterval") * attempts
        await asyncio.sleep(max(0, interval))

    def _discard(self, item: QueuedCall) -> None:
        self.station.store.outbox.delete(item.seq)
        self._forget_through(item.seq)

    def _forget_through(self, seq: int) -> None:
        # Delivery is oldest first: nothing at or before ``seq`` is sent again (rows thinned
        # out of the queue meanwhile go with it).
        for done in [s for s in self._commits if s <= seq]:
            del self._commits[done]
