"""``ControlApi``: the aiohttp server of the control API, in the station's event loop."""

from __future__ import annotations

import ipaddress
import logging

from aiohttp import web

from chargestack.control.responses import errors_as_json
from chargestack.control.routes import TARGET, routes
from chargestack.control.target import ControlTarget
from chargestack.exceptions import ConfigurationError

log = logging.getLogger(__name__)

# Bodies are a few small JSON objects; anything larger is not an integrator's request.
_MAX_BODY = 64 * 1024


def _require_loopback(host: str) -> None:
    # Issue 3: the control API is 127.0.0.1 only; it can plug EVs and inject faults.
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigurationError(f"control_api.host: must be a loopback address, found {host!r}")


def build_app(target: ControlTarget) -> web.Application:
    app = web.Application(middlewares=[errors_as_json], client_max_size=_MAX_BODY)
    app[TARGET] = target
    app.add_routes(routes)
    return app


class ControlApi:
    """Serves the control API for one station; ``port`` is the bound port once started."""

    def __init__(self, target: ControlTarget, host: str = "127.0.0.1", port: int = 0) -> None:
        _require_loopback(host)
        self._target = target
        self._host = host
        self._requested_port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the control API is not started")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        runner = web.AppRunner(build_app(self._target), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._requested_port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        log.info("control API listening on %s", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.port = None
