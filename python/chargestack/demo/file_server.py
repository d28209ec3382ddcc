"""The demo operator's file server: serves firmware images and receives diagnostics uploads."""

from __future__ import annotations

from aiohttp import web


class FileServer:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.uploads: dict[str, bytes] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def _get(self, request: web.Request) -> web.StreamResponse:
        body = self.files.get(request.match_info["name"])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="application/octet-stream")

    async def _put(self, request: web.Request) -> web.StreamResponse:
        self.uploads[request.match_info["name"]] = await request.read()
        return web.Response(status=201)

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/files/{name}", self._get)
        app.router.add_put("/uploads/{name}", self._put)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
