"""FTP and FTPS transfers (aioftp, passive mode): RETR with ``REST`` resume, STOR upload.

Credentials come from the URL (``ftp://user:password@host/path``), anonymous otherwise
(RFC 1635). ``ftps://`` is explicit FTPS (RFC 4217): AUTH TLS before the credentials are
sent, then PBSZ 0 and PROT P so the data connections are encrypted too; the server's
certificate is checked against the same trust as HTTPS (the system store plus the central
system's CA file).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aioftp

from chargestack.files.errors import TransferError
from chargestack.files.locations import RemoteLocation
from chargestack.files.transfer import DownloadSink, TransferOptions


@asynccontextmanager
async def _client(
    location: RemoteLocation, options: TransferOptions
) -> AsyncIterator[aioftp.Client]:
    client = aioftp.Client(
        socket_timeout=options.timeout_s,
        connection_timeout=options.timeout_s,
        path_timeout=options.timeout_s,
    )
    try:
        await client.connect(location.host, location.port)
        if location.scheme == "ftps":
            await client.upgrade_to_tls(options.ssl_context or ssl.create_default_context())
        await client.login(location.user or "anonymous", location.password or "anon@")
        yield client
    finally:
        client.close()


async def _size(client: aioftp.Client, path: str) -> int | None:
    # RFC 3659 section 4: SIZE is an extension; without it the transfer still works,
    # only the early quota check and the truncation check are lost.
    try:
        code, info = await client.command(f"SIZE {path}", "213")
    except aioftp.StatusCodeError:
        return None
    del code
    try:
        return int(info[-1].strip())
    except (ValueError, IndexError):
        return None


async def ftp_download(
    location: RemoteLocation, sink: DownloadSink, options: TransferOptions
) -> None:
    try:
        async with _client(location, options) as client:
            await client.command("TYPE I", "200")
            sink.expect(await _size(client, location.path))
            if sink.total is not None and sink.offset == sink.total:
                return
            if sink.total is not None and sink.offset > sink.total:
                sink.restart()
            async with client.download_stream(location.path, offset=sink.offset) as stream:
                async for block in stream.iter_by_block(options.chunk_bytes):
                    sink.write(block)
    except (aioftp.AIOFTPException, TimeoutError, OSError, ssl.SSLError) as exc:
        raise TransferError(f"download from {location.redacted()} failed: {exc!r}") from exc


async def ftp_upload(
    location: RemoteLocation, source: Path, remote_name: str, options: TransferOptions
) -> str:
    target = location.path + remote_name if location.is_directory else location.path
    try:
        async with (
            _client(location, options) as client,
            client.upload_stream(target) as stream,
        ):
            with source.open("rb") as body:
                while block := body.read(options.chunk_bytes):
                    await stream.write(block)
    except (aioftp.AIOFTPException, TimeoutError, OSError, ssl.SSLError) as exc:
        raise TransferError(f"upload to {location.redacted()} failed: {exc!r}") from exc
    return target
