"""Downloads and uploads over HTTP, HTTPS and FTP, with retries, resume and a size limit.

Shared by every file transfer of the station: UpdateFirmware and GetDiagnostics, and
SignedUpdateFirmware and GetLog of the security whitepaper. One call of :func:`download` or
:func:`upload` is one attempt; :func:`with_retries` repeats an attempt ``retries`` times,
``retry_interval_s`` apart (OCPP 1.6 sections 5.9 and 5.19: both fields optional, the
charge point decides when absent).

A download appends to the partial file already on disk: an HTTP server that honours
``Range`` (206) or an FTP server that honours ``REST`` continues where the last attempt (or
the last boot) stopped; a server that sends the whole file again restarts it from zero.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from chargestack.files.errors import QuotaExceededError, TransferError
from chargestack.files.locations import RemoteLocation
from chargestack.settings import CentralSystemSettings

log = logging.getLogger("chargestack.firmware.transfer")

T = TypeVar("T")
#: Called with (bytes on disk, expected total or None) as a transfer progresses.
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class TransferOptions:
    """How a transfer connects: timeouts per connect/read and the TLS trust for HTTPS."""

    timeout_s: float = 30.0
    ssl_context: ssl.SSLContext | None = None
    chunk_bytes: int = 64 * 1024


def transfer_options(central_system: CentralSystemSettings) -> TransferOptions:
    """Trust for HTTPS: the system store plus the central system's CA file, if any."""
    ca_file = central_system.ca_file
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else None
    return TransferOptions(ssl_context=context)


def requested_retries(
    retries: int | None, retry_interval_s: int | None, default_retries: int, default_interval_s: int
) -> tuple[int, int]:
    """The request's ``retries`` and ``retryInterval``, the charge point's own where absent."""
    return (
        retries if retries is not None else default_retries,
        retry_interval_s if retry_interval_s is not None else default_interval_s,
    )


class DownloadSink:
    """The partial file of a download: appends, counts, enforces ``max_bytes``."""

    def __init__(self, path: Path, max_bytes: int, progress: Progress | None = None) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.progress = progress
        self.total: int | None = None
        self._file: BinaryIO | None = None
        self.size = path.stat().st_size if path.exists() else 0

    @property
    def offset(self) -> int:
        return self.size

    def expect(self, total: int | None) -> None:
        """The server announced ``total`` bytes: refuse at once what would not fit."""
        self.total = total
        if total is not None and total > self.max_bytes:
            raise QuotaExceededError(f"file of {total} bytes exceeds the limit of {self.max_bytes}")
        self._report()

    def restart(self) -> None:
        """The server ignores the resume offset: drop what we have and start again."""
        if self._file is not None:
            # Truncated below: nothing of it needs to reach the disk first.
            file, self._file = self._file, None
            file.close()
        self.path.write_bytes(b"")
        self.size = 0

    def write(self, data: bytes) -> None:
        if self.size + len(data) > self.max_bytes:
            raise QuotaExceededError(f"download exceeds the limit of {self.max_bytes} bytes")
        if self._file is None:
            self._file = self.path.open("ab")
        try:
            self._file.write(data)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise QuotaExceededError(f"no space left for {self.path.name}") from exc
            raise TransferError(f"cannot write {self.path.name}: {exc}") from exc
        self.size += len(data)
        self._report()

    def close(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            file.flush()
            os.fsync(file.fileno())
            file.close()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.size, self.total)


async def download(
    location: RemoteLocation,
    dest: Path,
    *,
    max_bytes: int,
    options: TransferOptions,
    progress: Progress | None = None,
) -> int:
    """One download attempt into ``dest`` (resumed if partial); returns its final size."""
    sink = DownloadSink(dest, max_bytes, progress)
    try:
        if location.scheme in ("http", "https"):
            from chargestack.files.http_transfer import http_download

            await http_download(location, sink, options)
        else:
            from chargestack.files.ftp_transfer import ftp_download

            await ftp_download(location, sink, options)
    finally:
        # The fsync of the image: off the event loop.
        await asyncio.to_thread(sink.close)
    if sink.total is not None and sink.size != sink.total:
        raise TransferError(f"transfer ended after {sink.size} of {sink.total} bytes")
    return sink.size


async def upload(
    location: RemoteLocation, source: Path, remote_name: str, *, options: TransferOptions
) -> str:
    """One upload attempt of ``source`` as ``remote_name``; returns where it was stored."""
    if location.scheme in ("http", "https"):
        from chargestack.files.http_transfer import http_upload

        return await http_upload(location, source, remote_name, options)
    from chargestack.files.ftp_transfer import ftp_upload

    return await ftp_upload(location, source, remote_name, options)


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    retries: int,
    retry_interval_s: float,
    what: str,
    on_failure: Callable[[int, TransferError], None] | None = None,
) -> T:
    """Run ``attempt`` once plus up to ``retries`` more times while it fails retryably."""
    tries = 0
    while True:
        try:
            return await attempt()
        except TransferError as exc:
            tries += 1
            if on_failure is not None:
                on_failure(tries, exc)
            if not exc.retryable or tries > retries:
                raise
            log.info(
                "%s failed (%s); retry %d of %d in %ss", what, exc, tries, retries, retry_interval_s
            )
            await asyncio.sleep(retry_interval_s)
