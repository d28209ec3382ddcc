"""What a file job takes from the station it runs in: a few narrow collaborators.

``files`` sits below the station and the profiles (import-linter holds it there), so a job
never sees the ``Station``: it gets the station file, its ``jobs`` rows, the clock, a way to
own background tasks, and the two ways out to the central system a status notification
needs. ``station.file_job_host`` builds these from a running station.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel

from chargestack.settings import StationSettings
from chargestack.store.jobs import Jobs


class Clock(Protocol):
    """The station's clock (it may be set by the central system, so never ``time.time``)."""

    def now(self) -> datetime: ...

    def now_ms(self) -> int: ...


#: Start a background task the station owns (cancelled and awaited when it stops).
Spawn = Callable[[Awaitable[Any], str], "asyncio.Task[Any]"]
#: A CP-initiated CALL that is not durable; raises a ``ChargestackError`` when not delivered.
Send = Callable[[BaseModel], Awaitable[BaseModel]]


@dataclass(frozen=True)
class FileJobContext:
    """Everything a file job service uses of its station."""

    settings: StationSettings
    jobs: Jobs
    clock: Clock
    spawn: Spawn
    send: Send
    #: Returns once the station is registered (BootNotification Accepted).
    registered: Callable[[], Awaitable[None]]
    #: SupportedFileTransferProtocols as configured now (errata v4.0 3.90).
    transfer_protocols: Callable[[], set[str]]
    #: Returns once everything the store committed so far is on disk.
    durable: Callable[[], Awaitable[None]]
