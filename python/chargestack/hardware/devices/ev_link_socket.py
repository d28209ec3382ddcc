"""The EV link an external EV-side stack feeds: JSON lines on a unix socket.

The HLC stack (an ISO 15118 / DIN 70121 or CHAdeMO process) connects to ``path`` and writes
the messages of ``ev_link_messages``; every line gets one answer line. Several connections
may be open at once (one per connector, say). A connection that closes changes nothing by
itself: a request that is no longer renewed counts as gone after ``ev_request_timeout_ms``
(the power stage's rule), the plug stays in until ``unplugged``. A refused line changes
nothing and is answered with an error; the connection stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from chargestack.exceptions import ChargestackError
from chargestack.hardware.devices.errors import DeviceOpenError
from chargestack.hardware.devices.ev_link_messages import (
    EvLinkMessage,
    MessageError,
    PluggedIn,
    Request,
    Status,
    Stop,
    Unplugged,
    error_line,
    ok_line,
    parse_message,
    status_line,
)
from chargestack.hardware.ev_link import (
    EvConnected,
    EvDisconnected,
    EvLinkSink,
    EvRequest,
    EvseStatusSource,
    EvStopped,
)
from chargestack.settings.devices import EvLinkDeviceSettings
from chargestack.unix_socket import bind_unix_socket

log = logging.getLogger(__name__)

# A line longer than this is not a message of the set: it is answered and skipped.
MAX_LINE = 4096


class UnixSocketEvLink:
    """Implements ``EvLink``: the plug and the request from an external stack."""

    announces_plugs = True

    def __init__(
        self, settings: EvLinkDeviceSettings, connector_ids: range, device_name: str
    ) -> None:
        assert settings.path is not None
        self._path: Path = settings.path
        self._mode = settings.socket_mode
        self._connector_ids = connector_ids
        self._name = device_name
        self._plugged: set[int] = set()
        self._sink: EvLinkSink | None = None
        self._status: EvseStatusSource | None = None
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()

    @property
    def path(self) -> Path:
        return self._path

    async def start(self, sink: EvLinkSink, evse_status: EvseStatusSource) -> None:
        self._sink, self._status = sink, evse_status
        try:
            sock = await asyncio.to_thread(bind_unix_socket, self._path, self._mode)
            self._server = await asyncio.start_unix_server(
                self._connected, sock=sock, limit=MAX_LINE
            )
        except OSError as exc:
            await self.stop()
            reason = exc.strerror or str(exc)
            raise DeviceOpenError(self._name, f"cannot listen on {self._path}: {reason}") from None

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._clients):
            task.cancel()
        for task in list(self._clients):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
            with contextlib.suppress(FileNotFoundError):
                await asyncio.to_thread(self._path.unlink)

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._clients.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError as exc:
                # Skip the whole long line, then answer it once.
                await reader.readexactly(exc.consumed)
                while True:
                    try:
                        await reader.readuntil(b"\n")
                        break
                    except asyncio.LimitOverrunError as more:
                        await reader.readexactly(more.consumed)
                answer = error_line(f"line longer than {MAX_LINE} bytes")
            else:
                answer = self._answer(line)
            writer.write(answer)
            await writer.drain()

    def _answer(self, line: bytes) -> bytes:
        if not line.strip():
            return error_line("empty line")
        try:
            message = parse_message(line)
            return self._act(message)
        except MessageError as exc:
            log.info("EV link: refused %r: %s", line[:200], exc)
            return error_line(str(exc))
        except ChargestackError as exc:
            # The power stage refused (its loop has ended, say): the sender must know.
            log.warning("EV link: the power stage refused %r: %s", line[:200], exc)
            return error_line(f"the power stage refused it: {exc}")

    def _act(self, message: EvLinkMessage) -> bytes:
        cid = message.connector
        if cid not in self._connector_ids:
            raise MessageError(
                f"connector {cid} is not one of {self._connector_ids.start}.."
                f"{self._connector_ids.stop - 1}"
            )
        assert self._sink is not None and self._status is not None
        plugged = cid in self._plugged
        # The sink first: what the stage refuses leaves the link's state as it was.
        if isinstance(message, PluggedIn):
            if plugged:
                raise MessageError(f"connector {cid} is already plugged in")
            self._sink(EvConnected(cid))
            self._plugged.add(cid)
            return ok_line(cid)
        if isinstance(message, Status):
            return status_line(cid, self._status(cid))
        if not plugged:
            raise MessageError(f"connector {cid} has no EV plugged in (send plugged_in first)")
        if isinstance(message, Request):
            self._sink(EvRequest(cid, message.voltage_v, message.current_a, message.soc))
            return status_line(cid, self._status(cid))
        if isinstance(message, Stop):
            self._sink(EvStopped(cid))
            return ok_line(cid)
        assert isinstance(message, Unplugged)
        self._sink(EvDisconnected(cid))
        self._plugged.discard(cid)
        return ok_line(cid)
