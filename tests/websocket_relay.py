"""A TCP relay on 127.0.0.1 between a charge point and its central system that reads the
websocket frames the charge point sends (RFC 6455 section 5.2), so a test sees how a link
ended: with a close frame (a closing handshake) or without one (an aborted connection).

Bytes are forwarded unchanged both ways; only the charge point's side is parsed, after the
HTTP upgrade request, and forwarded frame by frame. With ``swallow_close`` the charge point's
close frame never reaches the central system, as on a link that died mid-handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

_OPCODE_CLOSE = 0x8


@dataclass
class ClientFrame:
    opcode: int
    payload: bytes
    at: float  # the event loop's clock when the relay read it

    @property
    def close_code(self) -> int | None:
        if self.opcode != _OPCODE_CLOSE or len(self.payload) < 2:
            return None
        return int.from_bytes(self.payload[:2], "big")

    @property
    def text(self) -> str:
        return self.payload.decode(errors="replace")


@dataclass
class RelayedConnection:
    """One connection of the charge point, as the relay saw it."""

    swallow_close: bool = False
    frames: list[ClientFrame] = field(default_factory=list)
    ended: bool = False
    _buffer: bytearray = field(default_factory=bytearray)
    _upgraded: bool = False

    @property
    def close_frame(self) -> ClientFrame | None:
        return next((f for f in self.frames if f.opcode == _OPCODE_CLOSE), None)

    def texts(self) -> list[str]:
        return [f.text for f in self.frames if f.opcode == 0x1]

    def feed(self, data: bytes) -> bytes:
        """Take what the charge point sent; return what to forward (whole frames only)."""
        self._buffer += data
        forward = b""
        if not self._upgraded:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return b""
            forward = bytes(self._buffer[: end + 4])
            del self._buffer[: end + 4]
            self._upgraded = True
        while (found := self._next_frame()) is not None:
            frame, raw = found
            self.frames.append(frame)
            if not (self.swallow_close and frame.opcode == _OPCODE_CLOSE):
                forward += raw
        return forward

    def _next_frame(self) -> tuple[ClientFrame, bytes] | None:
        data = self._buffer
        if len(data) < 2:
            return None
        opcode, length, at = data[0] & 0x0F, data[1] & 0x7F, 2
        if length == 126:
            if len(data) < 4:
                return None
            length, at = int.from_bytes(data[2:4], "big"), 4
        elif length == 127:
            if len(data) < 10:
                return None
            length, at = int.from_bytes(data[2:10], "big"), 10
        masked = data[1] & 0x80
        key = bytes(data[at : at + 4]) if masked else b"\0\0\0\0"
        start = at + (4 if masked else 0)
        if len(data) < start + length:
            return None
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(data[start : start + length]))
        raw = bytes(data[: start + length])
        del data[: start + length]
        return ClientFrame(opcode, payload, asyncio.get_running_loop().time()), raw


class WebSocketRelay:
    """Listens on 127.0.0.1 and forwards every connection to ``target_port``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        #: Applies to connections made from now on.
        self.swallow_close = False
        self.connections: list[RelayedConnection] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._changed = asyncio.Condition()
        self._pipes: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(wait(), timeout)

    async def _relay(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        seen = RelayedConnection(swallow_close=self.swallow_close)
        self.connections.append(seen)
        server_in, server_out = await asyncio.open_connection("127.0.0.1", self.target_port)
        upstream = asyncio.create_task(self._pipe(client_in, server_out, seen))
        downstream = asyncio.create_task(self._pipe(server_in, client_out, None))
        self._pipes |= {upstream, downstream}
        await asyncio.gather(upstream, downstream, return_exceptions=True)
        self._pipes -= {upstream, downstream}
        seen.ended = True
        await self._notify()

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        seen: RelayedConnection | None,
    ) -> None:
        try:
            while data := await source.read(65536):
                if seen is not None:
                    data = seen.feed(data)
                    await self._notify()
                sink.write(data)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            with contextlib.suppress(ConnectionError, RuntimeError):
                sink.close()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
