"""The service manager's end of sd_notify: a unix datagram socket that records what arrives."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable


class Listener:
    """The service manager's end: every datagram with its arrival time, read on a thread
    (it must keep reading while the test blocks the event loop)."""

    def __init__(self, address: str) -> None:
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind("\0" + address[1:] if address.startswith("@") else address)
        self.socket.settimeout(0.05)
        self.received: list[tuple[float, str]] = []
        self.changed = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.socket.recv(4096)
            except TimeoutError:
                continue
            self.received.append((time.monotonic(), data.decode()))
            self._loop.call_soon_threadsafe(self.changed.set)

    async def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                if predicate():
                    return
                await self.changed.wait()

    def lines(self) -> list[str]:
        return [line for _, text in list(self.received) for line in text.split("\n")]

    def pings(self) -> list[float]:
        return [t for t, text in list(self.received) if "WATCHDOG=1" in text.split("\n")]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.socket.close()
