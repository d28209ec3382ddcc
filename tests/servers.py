"""Real file servers on 127.0.0.1 for the firmware and diagnostics tests.

:class:`HttpFileServer` (aiohttp.web, optionally TLS) serves files with ``Range`` support and
takes uploads by PUT or by form POST; :class:`FtpFileServer` is pyftpdlib on its own thread.
Both can drop a download mid-way, so the tests see a real broken connection, and both record
what happened so a test can wait on it.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import DTPHandler, FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer

_RANGE = re.compile(r"bytes=(\d+)-$")


@dataclass
class HttpLog:
    ranges: list[str | None] = field(default_factory=list)  # Range header of each GET
    uploads: dict[str, bytes] = field(default_factory=dict)  # name -> body (PUT or POST)
    methods: list[str] = field(default_factory=list)


class HttpFileServer:
    """Serves ``files`` at ``/files/<name>``; uploads land in ``log.uploads``."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.files: dict[str, bytes] = {}
        self.log = HttpLog()
        self.ssl_context = ssl_context
        self.drop_after: int | None = None  # drop the next download after this many bytes
        # Hold the next download after this many bytes until `release` (or 10 s), then drop.
        self.stall_after: int | None = None
        self.stalled = asyncio.Event()
        self.release = asyncio.Event()
        self.honour_range = True
        # The next this many downloads answer 404, as if the file were not published yet.
        self.not_found_times = 0
        self.accept_put = True
        self.fail_uploads = False
        self.upload_failure_status = 500  # the answer to an upload while fail_uploads
        self.port = 0
        self._runner: web.AppRunner | None = None
        self.changed = asyncio.Event()

    def url(self, path: str) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}/{path.lstrip('/')}"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/files/{name}", self._get)
        app.router.add_put("/upload/{name}", self._put)
        app.router.add_post("/upload/", self._post)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _get(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.log.methods.append("GET")
        self.log.ranges.append(request.headers.get("Range"))
        self.changed.set()
        body = self.files.get(name)
        if body is None or self.not_found_times > 0:
            self.not_found_times = max(0, self.not_found_times - 1)
            return web.Response(status=404)
        start = 0
        found = _RANGE.fullmatch(request.headers.get("Range", ""))
        if found is not None and self.honour_range:
            start = int(found.group(1))
            if start >= len(body):
                return web.Response(status=416, headers={"Content-Range": f"bytes */{len(body)}"})
        part = body[start:]
        response = web.StreamResponse(status=206 if start else 200)
        response.content_length = len(part)
        if start:
            response.headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
        await response.prepare(request)
        if self.stall_after is not None:
            cut, self.stall_after = self.stall_after, None
            await response.write(part[:cut])
            self.stalled.set()
            try:
                async with asyncio.timeout(10):
                    await self.release.wait()
            except TimeoutError:
                pass
            if request.transport is not None:
                request.transport.abort()
            return response
        if self.drop_after is not None:
            cut, self.drop_after = self.drop_after, None
            await response.write(part[:cut])
            transport = request.transport
            assert transport is not None
            transport.abort()  # a broken connection, not a clean end
            return response
        await response.write(part)
        await response.write_eof()
        return response

    async def _put(self, request: web.Request) -> web.Response:
        self.log.methods.append("PUT")
        if not self.accept_put:
            return web.Response(status=405)
        if self.fail_uploads:
            return web.Response(status=self.upload_failure_status)
        self.log.uploads[request.match_info["name"]] = await request.read()
        self.changed.set()
        return web.Response(status=201)

    async def _post(self, request: web.Request) -> web.Response:
        self.log.methods.append("POST")
        form = await request.post()
        item: Any = form.get("file")
        if item is None or not hasattr(item, "file"):
            return web.Response(status=400)
        self.log.uploads[item.filename] = item.file.read()
        self.changed.set()
        return web.Response(status=200)


class _DroppingDtp(DTPHandler):  # type: ignore[misc]
    """Closes the data connection after ``server.drop_after`` bytes, once."""

    def __init__(self, sock: Any, cmd_channel: Any) -> None:
        super().__init__(sock, cmd_channel)
        self._sent = 0

    def send(self, data: bytes) -> int:
        owner: FtpFileServer = self.cmd_channel.file_server
        limit = owner.drop_after
        if limit is not None and self._sent + len(data) > limit:
            owner.drop_after = None
            sent: int = super().send(data[: limit - self._sent])
            self._sent += sent
            self.handle_close()  # answers 426 on the control connection, as a real abort
            return sent
        sent = super().send(data)
        self._sent += sent
        return sent


@dataclass
class FtpLog:
    rest_offsets: list[int] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)


class FtpFileServer:
    """pyftpdlib on a thread; user ``fw`` / password ``secret`` owns ``root``. With
    ``tls`` (certificate and key files) it is an explicit FTPS server that requires TLS on
    the control and the data connections."""

    user = "fw"
    password = "secret"

    def __init__(self, root: Path, tls: tuple[Path, Path] | None = None) -> None:
        self.root = root
        self.tls = tls
        root.mkdir(parents=True, exist_ok=True)
        self.drop_after: int | None = None
        self.log = FtpLog()
        self._server: FTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.port = 0

    def url(self, path: str) -> str:
        scheme = "ftps" if self.tls is not None else "ftp"
        credentials = f"{self.user}:{self.password}"
        return f"{scheme}://{credentials}@127.0.0.1:{self.port}/{path.lstrip('/')}"

    def start(self) -> None:
        authorizer = DummyAuthorizer()
        authorizer.add_user(self.user, self.password, str(self.root), perm="elradfmwMT")
        owner = self
        log = self.log

        base = TLS_FTPHandler if self.tls is not None else FTPHandler

        class Handler(base):  # type: ignore[misc,valid-type]
            use_sendfile = False  # sendfile(2) would bypass the dropping send()
            auth_failed_timeout = 0
            file_server = owner

            def ftp_REST(self, line: str) -> Any:
                log.rest_offsets.append(int(line))
                return super().ftp_REST(line)

            def on_file_sent(self, file: str) -> None:
                log.retrieved.append(Path(file).name)

            def on_file_received(self, file: str) -> None:
                log.stored.append(Path(file).name)

        Handler.authorizer = authorizer
        Handler.passive_ports = None
        if self.tls is None:
            Handler.dtp_handler = _DroppingDtp
        else:
            Handler.certfile, Handler.keyfile = (str(p) for p in self.tls)
            Handler.tls_control_required = True
            Handler.tls_data_required = True
        self._server = FTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.address[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        # pyftpdlib's loop is not thread-safe: run and close it on this thread only.
        server = self._server
        assert server is not None
        while not self._stopping.is_set():
            server.serve_forever(timeout=0.02, blocking=False, handle_exit=False)
        server.close_all()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
