"""The OCPP-J RPC session of a charge point: one websocket, reconnected forever.

Framing is done by the Rust codec (``chargestack._core``), payloads are validated once by the
pydantic models, and handlers are found through the :class:`Router`. The charge point has at
most one CALL outstanding (OCPP-J 1.6 section 4.1.1); answers to the central system's CALLs
are sent as soon as their handler returns (and what it stored is on disk, or cannot be:
``storage_answers.py``) and never wait behind our own CALL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    InvalidHandshake,
    InvalidStatus,
)

from chargestack import _core
from chargestack.exceptions import (
    CallTimeoutError,
    FrameError,
    InternalError,
    NotConnectedError,
    NotImplementedOcppError,
    NotSupportedError,
    OcppError,
    ocpp_error_for,
)
from chargestack.ocpp.backoff import Backoff
from chargestack.ocpp.connection_settings import ConnectionSettings
from chargestack.ocpp.frame_limits import MIN_FRAME_BYTES, TRANSPORT_CAP_FACTOR
from chargestack.ocpp.lenient_reading import AnswerReader
from chargestack.ocpp.messages import action_of, dump_payload, parse_request
from chargestack.ocpp.router import Router
from chargestack.ocpp.storage_answers import Durability, StorageAnswers
from chargestack.ocpp.tls_peer import verified_root_der

log = logging.getLogger("chargestack.ocpp.session")
frames_log = logging.getLogger("chargestack.ocpp.frames")

SUBPROTOCOL = "ocpp1.6"

# RFC 6455 section 7.4.1: a normal closure, "the purpose for which the connection was
# established has been fulfilled": this link's settings are done with; the next one follows.
CLOSE_NORMAL = 1000
# RFC 6455 section 7.4.1: "received a type of data it cannot accept". OCPP-J 1.6 section 3
# carries every message as JSON text; a binary frame is refused by closing the link (not
# ignored: a central system waiting for an answer learns at once that none will come).
CLOSE_UNSUPPORTED_DATA = 1003


class SessionState(StrEnum):
    DISCONNECTED = "Disconnected"
    CONNECTING = "Connecting"
    CONNECTED = "Connected"
    BACKOFF = "Backoff"
    OFFLINE = "Offline"  # network deliberately down (simulated loss of connectivity)
    CLOSED = "Closed"


@dataclass
class SessionTimers:
    """Every protocol timer of the session, so tests can run them in milliseconds."""

    call_timeout_s: float = 30.0  # how long a CALL waits for its answer (MessageTimeout)
    ping_interval_s: float = 60.0  # WebSocketPingInterval; 0 disables client pings
    pong_timeout_s: float = 10.0
    open_timeout_s: float = 10.0
    # A closing handshake (and, before it, the answer to our CALL in flight) that takes
    # longer is cut short by aborting the connection.
    close_timeout_s: float = 5.0
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 60.0
    # The longest a CALL's answer waits for its handler's writes to reach the disk.
    storage_answer_s: float = 5.0


ConnectionHook = Callable[[], Awaitable[None]]
#: ``wait(seconds, wake)``: True when ``wake`` was set first (the station's clock provides it).
Wait = Callable[[float, asyncio.Event], Awaitable[bool]]


async def _wait_or_wake(seconds: float, wake: asyncio.Event) -> bool:
    try:
        async with asyncio.timeout(max(0.0, seconds)):
            await wake.wait()
    except TimeoutError:
        return False
    return True


class OcppSession:
    """One charge point's connection to its central system."""

    def __init__(
        self,
        settings: ConnectionSettings,
        router: Router,
        timers: SessionTimers | None = None,
        *,
        on_connected: ConnectionHook | None = None,
        on_disconnected: ConnectionHook | None = None,
        max_frame_bytes: int = MIN_FRAME_BYTES,
        wait: Wait = _wait_or_wake,
        durability: Durability | None = None,
        answering: Callable[[], bool] = lambda: True,
    ) -> None:
        self.settings = settings
        self.router = router
        self.timers = timers or SessionTimers()
        self._wait = wait
        # False while the central system's CALLs must go unanswered (a Rejected boot).
        self._answering = answering
        # Set by a change of WebSocketPingInterval: the ping loop re-anchors at once.
        self._ping_interval_changed = asyncio.Event()
        # Diagnostics: websocket pings sent by this session (WebSocketPingInterval at work).
        self.pings_sent = 0
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._max_frame_bytes = max_frame_bytes
        self._storage = StorageAnswers(durability, timeout_s=self.timers.storage_answer_s)
        self._state = SessionState.DISCONNECTED
        self._ws: ClientConnection | None = None
        self._connected = asyncio.Event()
        self._online = asyncio.Event()
        self._online.set()
        # Set to cut a backoff wait short (network back, closing).
        self._wake = asyncio.Event()
        self._closing = False
        self._call_lock = asyncio.Lock()
        self._pending: dict[str, tuple[str, asyncio.Future[str]]] = {}
        self._answers = AnswerReader()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._backoff = Backoff(self.timers.backoff_initial_s, self.timers.backoff_max_s)
        self.last_connect_error: str | None = None
        self.connection_count = 0
        #: DER of the trust anchor that validated the central system on this TLS connection.
        self.verified_root: bytes | None = None
        # Told every failed connection attempt (the security extension raises its events and
        # counts the attempts of a new security profile).
        self.connect_error_listeners: list[Callable[[BaseException], None]] = []

    # -- state ---------------------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def connected(self) -> bool:
        return self._state is SessionState.CONNECTED

    @property
    def max_frame_bytes(self) -> int:
        """Frames longer than this are not decoded; a CALL among them gets a CALLERROR."""
        return self._max_frame_bytes

    @property
    def transport_cap_bytes(self) -> int:
        """Frames longer than this close the link (1009) without being read."""
        return self._max_frame_bytes * TRANSPORT_CAP_FACTOR

    async def wait_connected(self) -> None:
        await self._connected.wait()

    def _set_state(self, state: SessionState) -> None:
        if state is not self._state:
            log.info("%s: session %s -> %s", self.settings.charge_point_id, self._state, state)
            self._state = state

    def update_settings(self, settings: ConnectionSettings) -> None:
        """Used from the next connection on (a SecurityProfile change reconnects)."""
        self.settings = settings

    # -- lifecycle -----------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, serve, and reconnect with capped backoff until :meth:`close`."""
        while not self._closing:
            await self._online.wait()
            if self._closing:
                break
            self._set_state(SessionState.CONNECTING)
            try:
                ws = await self._open()
            except (OSError, InvalidHandshake, TimeoutError, ValueError) as exc:
                self.last_connect_error = _describe_connect_error(exc)
                log.warning(
                    "%s: cannot connect: %s", self.settings.charge_point_id, self.last_connect_error
                )
                for listener in list(self.connect_error_listeners):
                    try:
                        listener(exc)
                    except Exception:
                        log.exception("connect-error listener failed")
                await self._wait_backoff()
                continue
            self._backoff.reset()
            self.last_connect_error = None
            await self._serve(ws)
            if not self._closing and self._online.is_set():
                await self._wait_backoff()
        self._set_state(SessionState.CLOSED)

    async def _open(self) -> ClientConnection:
        headers: dict[str, str] = {}
        auth = self.settings.basic_auth_header()
        if auth is not None:
            headers["Authorization"] = auth
        ssl_context = self.settings.ssl_context()
        kwargs: dict[str, Any] = {}
        if ssl_context is not None:
            kwargs["ssl"] = ssl_context
            if self.settings.server_hostname:
                kwargs["server_hostname"] = self.settings.server_hostname
        ws = await connect(
            self.settings.url,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            additional_headers=headers,
            open_timeout=self.timers.open_timeout_s,
            ping_interval=None,  # our own ping loop follows WebSocketPingInterval live
            close_timeout=self.timers.close_timeout_s,
            max_size=self.transport_cap_bytes,
            compression=None,
            **kwargs,
        )
        if ws.subprotocol != SUBPROTOCOL:
            # OCPP-J 1.6 section 3.1.2: without agreement on ocpp1.6 there is no session.
            await ws.close(code=1002, reason="ocpp1.6 subprotocol required")
            raise ValueError(f"central system did not agree on subprotocol {SUBPROTOCOL!r}")
        return ws

    async def _wait_backoff(self) -> None:
        if self._closing:
            return
        delay = self._backoff.next_delay()
        self._set_state(SessionState.BACKOFF)
        try:
            async with asyncio.timeout(delay):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()

    def reconnect_now(self) -> None:
        """Skip the current backoff wait (e.g. after the network came back)."""
        self._wake.set()

    async def _serve(self, ws: ClientConnection) -> None:
        self._ws = ws
        self.verified_root = verified_root_der(ws.transport.get_extra_info("ssl_object"))
        self.connection_count += 1
        self._set_state(SessionState.CONNECTED)
        self._connected.set()
        pinger = asyncio.create_task(self._ping_loop(ws), name="ocpp-ping")
        hook: asyncio.Task[None] | None = None
        if self._on_connected is not None:
            hook = self._spawn(self._on_connected())
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    await self._refuse_binary(ws, len(message))
                    break
                self._receive(message)
        except ConnectionClosedError as exc:
            if self._online.is_set() and not self._closing:
                self._log_abnormal_close(exc)
        except ConnectionClosed:
            pass
        finally:
            pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pinger
            if hook is not None and not hook.done():
                hook.cancel()
            self._ws = None
            self.verified_root = None
            self._connected.clear()
            self._fail_pending(NotConnectedError("connection closed"))
            if not self._closing:
                self._set_state(
                    SessionState.OFFLINE if not self._online.is_set() else SessionState.DISCONNECTED
                )
            if self._on_disconnected is not None:
                self._spawn(self._on_disconnected())

    def set_call_timeout(self, seconds: float) -> None:
        """MessageTimeout changed: every CALL sent from now on waits this long for its answer
        (one already waiting keeps the deadline it was sent with)."""
        self.timers.call_timeout_s = seconds

    def set_ping_interval(self, seconds: float) -> None:
        """WebSocketPingInterval changed: the next ping comes one new interval from now."""
        self.timers.ping_interval_s = seconds
        self._ping_interval_changed.set()

    async def _refuse_binary(self, ws: ClientConnection, size: int) -> None:
        log.warning(
            "%s: refused a binary frame of %d bytes (OCPP-J uses text frames only); "
            "closing the link with %d",
            self.settings.charge_point_id,
            size,
            CLOSE_UNSUPPORTED_DATA,
        )
        await ws.close(CLOSE_UNSUPPORTED_DATA, "OCPP-J uses text frames only")

    def _log_abnormal_close(self, exc: ConnectionClosedError) -> None:
        sent = exc.sent
        if sent is not None and sent.code == 1009:
            log.warning(
                "%s: link closed with 1009: a frame exceeded the transport cap of %d bytes "
                "(%d x central_system.max_frame_bytes): %s",
                self.settings.charge_point_id,
                self.transport_cap_bytes,
                TRANSPORT_CAP_FACTOR,
                sent.reason,
            )
            return
        log.warning("%s: link closed abnormally: %s", self.settings.charge_point_id, exc)

    async def _ping_loop(self, ws: ClientConnection) -> None:
        changed = self._ping_interval_changed
        while True:
            changed.clear()
            interval = self.timers.ping_interval_s
            if interval <= 0:
                await changed.wait()
                continue
            # Re-anchored by a change, never catching up (issue 12 item 8).
            if await self._wait(interval, changed):
                continue
            try:
                self.pings_sent += 1
                pong = await ws.ping()
                async with asyncio.timeout(self.timers.pong_timeout_s):
                    await pong
            except (TimeoutError, ConnectionClosed):
                log.warning(
                    "%s: no pong within %.1fs; the link is dead",
                    self.settings.charge_point_id,
                    self.timers.pong_timeout_s,
                )
                # abort, not close: a dead link would hold a closing handshake for seconds.
                ws.transport.abort()
                return

    async def close(self) -> None:
        """Close the websocket cleanly, stop reconnecting and await every handler task."""
        self._closing = True
        self._online.set()
        self._wake.set()
        ws = self._ws
        if ws is not None:
            await ws.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def restart_link(self) -> None:
        """End the link with a closing handshake and connect again at once, with the
        settings given to :meth:`update_settings` (a new SecurityProfile, AuthorizationKey
        or client certificate).

        Nothing in flight is lost: our CALL in flight gets its answer first (for at most
        ``close_timeout_s``; a durable message unanswered by then is sent again on the next
        link), answers already sent leave before the close frame, and the central system
        sees a normal closure. A link that does not finish the handshake within
        ``close_timeout_s`` is aborted.
        """
        ws = self._ws
        if ws is None:
            self.reconnect_now()  # not connected: the next attempt uses the new settings
            return
        budget = self.timers.close_timeout_s
        holding = False
        try:
            async with asyncio.timeout(budget):
                await self._call_lock.acquire()
                holding = True
        except TimeoutError:
            log.warning(
                "%s: no answer to the call in flight within %.1fs; closing the link anyway",
                self.settings.charge_point_id,
                budget,
            )
        try:
            async with asyncio.timeout(budget):
                await ws.close(CLOSE_NORMAL, "reconnecting with new connection settings")
        except TimeoutError:
            log.warning(
                "%s: the closing handshake did not finish within %.1fs; aborting the link",
                self.settings.charge_point_id,
                budget,
            )
            ws.transport.abort()
        finally:
            if holding:
                self._call_lock.release()
        # The closed link's backoff is skipped: the new settings are tried at once.
        self.reconnect_now()

    async def go_offline(self) -> None:
        """Simulated loss of network: drop the link and stay down until :meth:`go_online`."""
        self._online.clear()
        # Cleared here, not only when _serve notices the abort: a waiter looping on
        # wait_connected() while ``connected`` is already False would never yield.
        self._connected.clear()
        ws = self._ws
        if ws is not None:
            ws.transport.abort()
        self._set_state(SessionState.OFFLINE)

    def go_online(self) -> None:
        self._online.set()
        self._wake.set()

    @property
    def online(self) -> bool:
        return self._online.is_set()

    # -- outgoing CALLs ------------------------------------------------------------------

    async def call(
        self, request: BaseModel, *, timeout: float | None = None, unique_id: str | None = None
    ) -> BaseModel:
        """Send a CALL and return the validated response model.

        Raises :class:`NotConnectedError` when offline, :class:`CallTimeoutError` when no
        answer arrives in time, and the :class:`OcppError` subclass matching a CALLERROR.
        """
        action = action_of(request)
        payload = dump_payload(request)
        async with self._call_lock:
            ws = self._ws
            if ws is None:
                raise NotConnectedError(f"{action}: not connected")
            # Unique ids are never reused, not even across reconnects (uuid4).
            message_id = unique_id or str(uuid.uuid4())
            future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._pending[message_id] = (action, future)
            frame = _core.encode_call(message_id, action, payload)
            try:
                frames_log.debug("%s > %s", self.settings.charge_point_id, frame)
                await ws.send(frame)
                wait = self.timers.call_timeout_s if timeout is None else timeout
                try:
                    async with asyncio.timeout(wait):
                        response_json = await future
                except TimeoutError:
                    raise CallTimeoutError(f"{action}: no answer within {wait:.1f}s") from None
            except ConnectionClosed as exc:
                # The link is gone even if _serve has not run since: whoever waits for a link
                # after this error must wait for the next one, not return at once and spin.
                if self._ws is ws:
                    self._connected.clear()
                raise NotConnectedError(f"{action}: connection closed") from exc
            finally:
                self._pending.pop(message_id, None)
        return self._answers.read(action, response_json)

    def _fail_pending(self, error: Exception) -> None:
        for _, future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()

    # -- incoming frames -----------------------------------------------------------------

    def _receive(self, message: str) -> None:
        frames_log.debug("%s < %s", self.settings.charge_point_id, message)
        try:
            frame = _core.decode_frame(message, max_len=self._max_frame_bytes)
        except FrameError as exc:
            if exc.message_id is None:
                log.warning("dropped an unanswerable frame: %s", exc)
                return
            if self._silent(exc.message_id):
                return
            self._spawn(self._send_error(exc.message_id, exc))
            return
        if frame[0] == 2:
            if self._silent(frame[1]):
                return
            self._spawn(self._handle_call(frame[1], frame[2], frame[3]))
        elif frame[0] == 3:
            self._resolve(frame[1], frame[2], None)
        else:
            _, message_id, code, description, details = frame
            self._resolve(message_id, None, ocpp_error_for(code, description, {"details": details}))

    def _silent(self, message_id: str) -> bool:
        """OCPP 1.6 section 4.2: "While Rejected, the Charge Point SHALL NOT respond to any
        Central System initiated message"; answers to our own CALLs (the next boot) count."""
        if self._answering():
            return False
        log.info(
            "%s: message %s of the central system left unanswered: rejected",
            self.settings.charge_point_id,
            message_id,
        )
        return True

    def _resolve(self, message_id: str, payload: str | None, error: OcppError | None) -> None:
        entry = self._pending.get(message_id)
        if entry is None or entry[1].done():
            # OCPP-J 1.6 section 4.1.1: a late or unknown answer is dropped, never matched to
            # the next CALL.
            log.warning("dropped an answer to unknown or expired call %s", message_id)
            return
        future = entry[1]
        if error is not None:
            future.set_exception(error)
        else:
            assert payload is not None
            future.set_result(payload)

    async def _handle_call(self, message_id: str, action: str, payload: str) -> None:
        handler = self.router.handler_for(action)
        if handler is None:
            error: OcppError = (
                NotSupportedError(f"{action} is not supported by this charge point")
                if action in self.router.known_actions
                else NotImplementedOcppError(f"unknown action {action}")
            )
            await self._send_error(message_id, error)
            return
        try:
            request = parse_request(action, payload)
        except OcppError as exc:
            await self._send_error(message_id, exc)
            return
        policy = self.router.storage_policy(action)
        refusal = self._storage.refusal(action, policy)
        if isinstance(refusal, OcppError):
            await self._send_error(message_id, refusal)
            return
        if refusal is not None:
            # Refused, nothing changed: no after-hook follows.
            await self._send_result(message_id, action, refusal)
            return
        mark = self._storage.mark()
        try:
            response = await handler(request)
            # What the answer confirms (an Accepted configuration, list, profile) is on
            # disk before the central system reads it; calls that wrote nothing never wait.
            unconfirmed = await self._storage.confirm(action, policy, mark)
        except OcppError as exc:
            await self._send_error(message_id, exc)
            return
        except Exception:
            log.exception("handler of %s failed", action)
            await self._send_error(message_id, InternalError(f"{action} handler failed"))
            return
        if unconfirmed is not None:
            # Applied in memory all the same: its follow-up belongs to it.
            await self._send_error(message_id, unconfirmed)
        elif not await self._send_result(message_id, action, response):
            return
        for hook in self.router.after_hooks.get(action, []):
            self._spawn(self._run_after(action, hook, request))

    async def _send_result(self, message_id: str, action: str, response: BaseModel) -> bool:
        """Send the CALLRESULT; False when the response could not be encoded (a CALLERROR
        went instead)."""
        try:
            frame = _core.encode_call_result(message_id, dump_payload(response))
        except Exception:
            log.exception("response of %s could not be encoded", action)
            await self._send_error(message_id, InternalError(f"{action} response invalid"))
            return False
        await self._send(frame)
        return True

    async def _run_after(
        self, action: str, hook: Callable[[Any], Awaitable[None]], request: BaseModel
    ) -> None:
        try:
            await hook(request)
        except Exception:
            log.exception("after-hook of %s failed", action)

    async def _send_error(self, message_id: str, error: OcppError) -> None:
        frame = _core.encode_call_error(message_id, error.code, error.description[:255], "{}")
        await self._send(frame)

    async def _send(self, frame: str) -> None:
        ws = self._ws
        if ws is None:
            log.warning("answer lost: connection closed before it could be sent")
            return
        frames_log.debug("%s > %s", self.settings.charge_point_id, frame)
        with contextlib.suppress(ConnectionClosed):
            await ws.send(frame)

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


def _describe_connect_error(exc: BaseException) -> str:
    if isinstance(exc, InvalidStatus):
        return f"HTTP {exc.response.status_code} from central system"
    return f"{type(exc).__name__}: {exc}"
