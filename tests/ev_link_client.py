"""The test's EV-side stack: it speaks the EV link's JSON lines on the station's unix
socket, one answer per line, as an ISO 15118 / CHAdeMO process would."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import orjson


class HlcClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._lock = asyncio.Lock()
        self._renewing: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.last_status: dict[str, Any] = {}

    @classmethod
    async def connect(cls, path: Path) -> HlcClient:
        reader, writer = await asyncio.open_unix_connection(path)
        return cls(reader, writer)

    async def send_raw(self, line: bytes) -> dict[str, Any]:
        async with self._lock:
            self._writer.write(line)
            await self._writer.drain()
            answer: dict[str, Any] = orjson.loads(
                await asyncio.wait_for(self._reader.readline(), 5)
            )
            return answer

    async def send(self, **message: Any) -> dict[str, Any]:
        answer = await self.send_raw(orjson.dumps(message) + b"\n")
        if answer["type"] == "evse_status":
            self.last_status = answer
        return answer

    def renew(self, connector: int, voltage_v: float, current_a: float, every_s: float) -> None:
        """Send the request again and again at the EV's cadence (CurrentDemandReq)."""
        assert self._renewing is None, "stop_renewing() first"
        stopping = asyncio.Event()

        async def loop() -> None:
            while not stopping.is_set():
                answer = await self.send(
                    type="request", connector=connector, voltage_v=voltage_v, current_a=current_a
                )
                assert answer["type"] == "evse_status", answer
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(every_s):
                        await stopping.wait()

        self._stopping = stopping
        self._renewing = asyncio.get_running_loop().create_task(loop())

    async def stop_renewing(self) -> None:
        """Stop after the exchange under way: a cancelled exchange would leave its answer
        unread on the line, to be taken for the answer of the next message."""
        task, self._renewing = self._renewing, None
        if task is not None:
            self._stopping.set()
            await task

    async def close(self) -> None:
        await self.stop_renewing()
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
