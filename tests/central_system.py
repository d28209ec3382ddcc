"""A real OCPP 1.6 central system for the tests, built on the PyPI ``ocpp`` package.

That package validates every message our charge point sends against the official OCPP 1.6
JSON schemas; a schema violation makes it answer with a CALLERROR, which this harness records
so a test fails on it. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ocpp.charge_point import camel_to_snake_case, snake_to_camel_case
from ocpp.exceptions import InternalError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

Payload = dict[str, Any]
Responder = Callable[[Payload], Payload | Awaitable[Payload]]

CP_INITIATED = (
    "Authorize",
    "BootNotification",
    "DataTransfer",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StartTransaction",
    "StatusNotification",
    "StopTransaction",
    "LogStatusNotification",
    "SecurityEventNotification",
    "SignCertificate",
    "SignedFirmwareStatusNotification",
)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Received:
    cp_id: str
    action: str
    payload: Payload
    unique_id: str
    at: float


@dataclass
class Defaults:
    """Default answers of the central system; tests override per action with responders."""

    heartbeat_interval: int = 300
    next_transaction_id: int = 1
    id_tags: dict[str, Payload] = field(default_factory=dict)  # idTag -> idTagInfo


def _default_response(cs: CentralSystem, action: str, payload: Payload) -> Payload:
    d = cs.defaults
    if action == "BootNotification":
        return {"status": "Accepted", "currentTime": now_iso(), "interval": d.heartbeat_interval}
    if action == "Heartbeat":
        return {"currentTime": now_iso()}
    if action == "Authorize":
        return {"idTagInfo": d.id_tags.get(payload["idTag"], {"status": "Accepted"})}
    if action == "StartTransaction":
        # A retry may reuse the unique id (OCPP-J errata); the same message is the same
        # transaction, as a central system that deduplicates would answer.
        uid = cs.current_unique_id
        if uid in cs.start_by_unique_id:
            tx_id = cs.start_by_unique_id[uid]
        else:
            tx_id = d.next_transaction_id
            d.next_transaction_id += 1
            cs.start_by_unique_id[uid] = tx_id
        # Known to waiters once the CALLRESULT has gone out (see _CpHandler._send): a test
        # that used the id earlier could reach the station before the id itself does.
        cs.transaction_ids_unsent[uid] = (id(payload), tx_id)
        return {
            "transactionId": tx_id,
            "idTagInfo": d.id_tags.get(payload["idTag"], {"status": "Accepted"}),
        }
    if action == "StopTransaction":
        tag = payload.get("idTag")
        return {"idTagInfo": d.id_tags.get(tag, {"status": "Accepted"})} if tag else {}
    if action == "DataTransfer":
        return {"status": "Accepted"}
    if action == "SignCertificate":
        return {"status": "Accepted"}
    return {}


class _CpHandler(ChargePoint):  # type: ignore[misc]
    """One connected charge point, seen from the central system."""

    def __init__(self, cs: CentralSystem, cp_id: str, connection: ServerConnection) -> None:
        super().__init__(cp_id, connection, response_timeout=cs.call_timeout_s)
        self.cs = cs
        self.connection = connection

    async def route_message(self, raw_msg: str) -> None:
        msg = json.loads(raw_msg)
        if isinstance(msg, list) and msg and msg[0] == 2 and len(msg) == 4:
            action = msg[2]
            self.cs._record(Received(self.id, action, msg[3], msg[1], time.monotonic()))
            self.cs.current_unique_id = msg[1]
            if action in self.cs.silent_actions:
                return
            raw_answer = self.cs.raw_answers.get(action)
            if raw_answer is not None:
                # Past the library, which would refuse to send an answer off the schema.
                answer = raw_answer(msg[3])
                await self.connection.send(json.dumps([3, msg[1], answer]))
                if action == "StartTransaction" and "transactionId" in answer:
                    self.cs.transaction_ids[id(msg[3])] = answer["transactionId"]
                self.cs._spawn_notify()
                return
        await super().route_message(raw_msg)

    async def _send(self, message: str) -> None:
        msg = json.loads(message)
        if msg[0] == 4:
            self.cs.errors_sent.append(msg)
        await super()._send(message)
        sent_tx = self.cs.transaction_ids_unsent.pop(msg[1], None) if msg[0] == 3 else None
        if sent_tx is not None:
            payload_id, tx_id = sent_tx
            self.cs.transaction_ids[payload_id] = tx_id
            self.cs._spawn_notify()

    async def _answer(self, action: str, payload: Payload) -> Payload:
        responder = self.cs.responders.get(action)
        if responder is not None:
            result = responder(payload)
            if asyncio.iscoroutine(result):
                result = await result
        else:
            result = _default_response(self.cs, action, payload)
        self.cs._spawn_notify()
        return result  # type: ignore[return-value]


def _make_handler(action: str) -> Any:
    async def handler(self: _CpHandler, **kwargs: Any) -> Any:
        raw = self.cs.received_raw_for_handler(self.id, action)
        answer = await self._answer(action, raw)
        return getattr(call_result, action)(**camel_to_snake_case(answer))

    handler.__name__ = f"on_{action}"
    return on(action)(handler)


for _action in CP_INITIATED:
    setattr(_CpHandler, f"on_{_action}", _make_handler(_action))


class CentralSystem:
    def __init__(
        self,
        *,
        subprotocols: list[str] | None = None,
        basic_auth: dict[str, bytes] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        call_timeout_s: float = 10.0,
    ) -> None:
        self.subprotocols = subprotocols if subprotocols is not None else ["ocpp1.6"]
        self.basic_auth = basic_auth
        self.ssl_context = ssl_context
        self.call_timeout_s = call_timeout_s
        self.defaults = Defaults()
        self.responders: dict[str, Responder] = {}
        self.silent_actions: set[str] = set()
        # Answers sent as they are, unvalidated: a central system that strays from the schema.
        self.raw_answers: dict[str, Callable[[Payload], Any]] = {}
        self.received: list[Received] = []
        # The payload of the CALL each connection is handling now (handled one at a time).
        self._last_raw: dict[tuple[str, str], Payload] = {}
        self.errors_sent: list[list[Any]] = []
        self.connections: dict[str, _CpHandler] = {}
        self.connect_count: dict[str, int] = {}
        self.rejected_auth = 0
        self.transaction_ids: dict[int, int] = {}
        self.transaction_ids_unsent: dict[str, tuple[int, int]] = {}  # unique id -> (payload, tx)
        self.start_by_unique_id: dict[str, int] = {}
        self.current_unique_id = ""  # id(StartTransaction payload) -> transactionId
        self._changed = asyncio.Condition()
        self._server: Server | None = None
        self._notify_tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        scheme = "wss" if self.ssl_context else "ws"
        return f"{scheme}://127.0.0.1:{self.port}/ocpp"

    async def start(self) -> str:
        self._server = await serve(
            self._on_connection,
            "127.0.0.1",
            0,
            subprotocols=self.subprotocols,  # type: ignore[arg-type]
            process_request=self._check_auth,
            ssl=self.ssl_context,
            ping_interval=None,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _check_auth(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.basic_auth is None:
            return None
        cp_id = request.path.rsplit("/", 1)[-1]
        header = request.headers.get("Authorization", "")
        expected = self.basic_auth.get(cp_id)
        if (
            expected is not None
            and header == "Basic " + base64.b64encode(cp_id.encode() + b":" + expected).decode()
        ):
            return None
        self.rejected_auth += 1
        self._spawn_notify()
        return connection.respond(401, "Unauthorized\n")

    async def _on_connection(self, connection: ServerConnection) -> None:
        cp_id = connection.request.path.rsplit("/", 1)[-1] if connection.request else "?"
        handler = _CpHandler(self, cp_id, connection)
        self.connections[cp_id] = handler
        self.connect_count[cp_id] = self.connect_count.get(cp_id, 0) + 1
        await self._notify()
        with contextlib.suppress(Exception):
            await handler.start()
        if self.connections.get(cp_id) is handler:
            del self.connections[cp_id]
        await self._notify()

    # -- observation -----------------------------------------------------------------------

    def _record(self, item: Received) -> None:
        self.received.append(item)
        self._last_raw[(item.cp_id, item.action)] = item.payload
        self._spawn_notify()

    def received_raw_for_handler(self, cp_id: str, action: str) -> Payload:
        return self._last_raw[(cp_id, action)]

    def _spawn_notify(self) -> None:
        task = asyncio.get_running_loop().create_task(self._notify())
        self._notify_tasks.add(task)
        task.add_done_callback(self._notify_tasks.discard)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(wait(), timeout)

    def messages(self, action: str | None = None, cp_id: str | None = None) -> list[Received]:
        return [
            r
            for r in self.received
            if (action is None or r.action == action) and (cp_id is None or r.cp_id == cp_id)
        ]

    async def wait_for(
        self,
        action: str,
        predicate: Callable[[Payload], bool] = lambda _p: True,
        *,
        since: int = 0,
        timeout: float = 10.0,
    ) -> Received:
        """The first message of ``action`` at index >= ``since`` matching ``predicate``."""

        def find() -> Received | None:
            for r in self.received[since:]:
                if r.action == action and predicate(r.payload):
                    return r
            return None

        await self.wait_until(lambda: find() is not None, timeout)
        found = find()
        assert found is not None
        return found

    async def wait_for_transaction_id(self, start: Received, timeout: float = 10.0) -> int:
        """The transactionId this central system gave the StartTransaction ``start``."""
        await self.wait_until(lambda: id(start.payload) in self.transaction_ids, timeout)
        return self.transaction_ids[id(start.payload)]

    def mark(self) -> int:
        """An index for ``wait_for(since=...)``: only messages after this point."""
        return len(self.received)

    async def wait_connected(self, cp_id: str, timeout: float = 10.0) -> _CpHandler:
        await self.wait_until(lambda: cp_id in self.connections, timeout)
        return self.connections[cp_id]

    # -- central-system-initiated calls ---------------------------------------------------------

    async def call(self, cp_id: str, action: str, payload: Payload) -> Payload:
        """Send a CALL (validated against the schema) and return the response payload."""
        cp = await self.wait_connected(cp_id)
        request = getattr(call, action)(**camel_to_snake_case(payload))
        response = await cp.call(request, suppress=False)
        result: Payload = snake_to_camel_case(_as_dict(response))
        return result

    async def send_raw(
        self, cp_id: str, frame: str, *, expect_reply: bool = True, timeout: float = 5.0
    ) -> list[Any] | None:
        """Send a raw text frame and return the charge point's reply frame (or None)."""
        cp = await self.wait_connected(cp_id)
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        original = cp.route_message

        async def capture(raw: str) -> None:
            msg = json.loads(raw)
            if msg[0] in (3, 4) and not waiter.done():
                waiter.set_result(msg)
                return
            await original(raw)

        cp.route_message = capture  # type: ignore[method-assign]
        try:
            await cp.connection.send(frame)
            if not expect_reply:
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(waiter, timeout)
                return None
            return await asyncio.wait_for(waiter, timeout)
        finally:
            cp.route_message = original  # type: ignore[method-assign]

    def fail_to_process(
        self, action: str, failure: str, only: Callable[[Payload], bool] = lambda _p: True
    ) -> None:
        """Answer CALLs of ``action`` (those ``only`` picks) as a central system that fails
        to process them: "callerror" (InternalError), "unreadable answer" (a CALLRESULT no
        schema reading makes sense of) or "no answer" (every CALL of ``action``)."""
        if failure == "no answer":
            self.silent_actions.add(action)
            return

        def answer(payload: Payload) -> Payload:
            if not only(payload):
                return _default_response(self, action, payload)
            if failure == "callerror":
                raise InternalError(description=f"{action} store unavailable")
            return {"idTagInfo": "Accepted"}  # idTagInfo is an object wherever it is defined

        target = self.responders if failure == "callerror" else self.raw_answers
        target[action] = answer

    async def disconnect(self, cp_id: str) -> None:
        cp = self.connections.get(cp_id)
        if cp is not None:
            await cp.connection.close()


def _as_dict(obj: Any) -> Payload:
    from dataclasses import asdict, is_dataclass

    if is_dataclass(obj):
        return {k: v for k, v in asdict(obj).items() if v is not None}  # type: ignore[arg-type]
    return dict(obj)
