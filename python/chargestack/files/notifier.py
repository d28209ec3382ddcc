"""Status notifications of file jobs: each status once, in order, never lost to a disconnect.

FirmwareStatusNotification and DiagnosticsStatusNotification (later the security
whitepaper's SignedFirmwareStatusNotification and LogStatusNotification) go through one
queue per service. A status is sent when the station is registered; a failed send waits
for the next registration and tries the same status again, so a status is neither repeated
(the flooding of libocpp #459) nor skipped. ``on_sent`` records it as acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from pydantic import BaseModel

from chargestack.exceptions import ChargestackError
from chargestack.files.context import Send
from chargestack.waiting import wait_event

log = logging.getLogger("chargestack.firmware.notifier")


class StatusNotifier:
    def __init__(
        self,
        send: Send,
        registered: Callable[[], Awaitable[None]],
        make_request: Callable[[int, str], BaseModel],
        on_sent: Callable[[int, str], None],
        *,
        retry_s: float = 1.0,
    ) -> None:
        self.send = send
        self.registered = registered
        self.make_request = make_request
        self.on_sent = on_sent
        self.retry_s = retry_s
        self._queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        self._idle = asyncio.Event()
        self._idle.set()

    def push(self, job_id: int, status: str) -> None:
        self._idle.clear()
        self._queue.put_nowait((job_id, status))

    async def drain(self, timeout_s: float) -> bool:
        """Wait until every pushed status was acknowledged (before a restart); False on timeout."""
        return await wait_event(self._idle, timeout_s)

    def pending(self) -> int:
        return self._queue.qsize()

    async def run(self) -> None:
        while True:
            job_id, status = await self._queue.get()
            request = self.make_request(job_id, status)
            while True:
                await self.registered()
                try:
                    await self.send(request)
                    break
                except ChargestackError as exc:
                    log.info(
                        "%s %s not delivered (%s); retrying", type(request).__name__, status, exc
                    )
                    await asyncio.sleep(self.retry_s)
            self.on_sent(job_id, status)
            if self._queue.empty():
                self._idle.set()
