"""HTTP and HTTPS transfers (aiohttp): GET with ``Range`` resume, PUT or POST upload."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from chargestack.files.errors import TransferError
from chargestack.files.locations import RemoteLocation
from chargestack.files.transfer import DownloadSink, TransferOptions

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_CONTENT_RANGE_UNSATISFIED = re.compile(r"bytes \*/(\d+)")


def _session(options: TransferOptions) -> aiohttp.ClientSession:
    timeout = aiohttp.ClientTimeout(
        total=None, connect=options.timeout_s, sock_read=options.timeout_s
    )
    return aiohttp.ClientSession(timeout=timeout)


def _status_error(status: int, reason: str | None, url: str) -> TransferError:
    # Retryable whatever the status, 404 included: the ``retries`` of UpdateFirmware.req and
    # GetDiagnostics.req (OCPP 1.6) is how many times the charge point "must try" before
    # giving up, and a file the server does not have yet may be there at the next attempt.
    return TransferError(f"HTTP {status} {reason or ''} from {url}".strip())


async def http_download(
    location: RemoteLocation, sink: DownloadSink, options: TransferOptions
) -> None:
    headers = {"Range": f"bytes={sink.offset}-"} if sink.offset else {}
    try:
        async with (
            _session(options) as session,
            session.get(location.url, headers=headers, ssl=options.ssl_context or True) as resp,
        ):
            if resp.status == 416 and sink.offset:
                # RFC 9110 section 14.4: "bytes */N" gives the full size; equal means done.
                found = _CONTENT_RANGE_UNSATISFIED.fullmatch(resp.headers.get("Content-Range", ""))
                if found is not None and int(found.group(1)) == sink.offset:
                    sink.expect(sink.offset)
                    return
                sink.restart()
                raise TransferError("server refused the resume offset; restarting")
            if resp.status == 206:
                found = _CONTENT_RANGE.fullmatch(resp.headers.get("Content-Range", ""))
                if found is None or int(found.group(1)) != sink.offset:
                    sink.restart()
                    raise TransferError("server answered a different range; restarting")
                total = found.group(3)
                sink.expect(int(total) if total != "*" else None)
            elif resp.status == 200:
                if sink.offset:
                    sink.restart()  # the server ignores Range: the body is the whole file
                sink.expect(resp.content_length)
            else:
                raise _status_error(resp.status, resp.reason, location.redacted())
            async for chunk in resp.content.iter_chunked(options.chunk_bytes):
                sink.write(chunk)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise TransferError(f"download from {location.redacted()} failed: {exc!r}") from exc


def upload_target(location: RemoteLocation, remote_name: str) -> str:
    """A location ending in ``/`` is a directory: the file goes inside it."""
    return location.url + remote_name if location.url.endswith("/") else location.url


async def http_upload(
    location: RemoteLocation, source: Path, remote_name: str, options: TransferOptions
) -> str:
    target = upload_target(location, remote_name)
    ssl = options.ssl_context or True
    try:
        async with _session(options) as session:
            with source.open("rb") as body:
                async with session.put(target, data=body, ssl=ssl) as resp:
                    if resp.status < 300:
                        return target
                    # Leniency: many central systems take uploads only as an HTML form post;
                    # 405/501 say PUT is not offered there.
                    if resp.status not in (405, 501):
                        raise _status_error(resp.status, resp.reason, target)
            with source.open("rb") as body:
                form = aiohttp.FormData()
                form.add_field(
                    "file", body, filename=remote_name, content_type="application/octet-stream"
                )
                async with session.post(location.url, data=form, ssl=ssl) as resp:
                    if resp.status < 300:
                        return location.url
                    raise _status_error(resp.status, resp.reason, location.redacted())
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise TransferError(f"upload to {location.redacted()} failed: {exc!r}") from exc
