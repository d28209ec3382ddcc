"""``ControlApi``: the aiohttp server of the control API, in the station's event loop.

It listens on a loopback TCP port or, instead, on a unix-domain socket whose file mode
(0600 by default) is the access control; ``request_guard`` refuses what a web page could
send either way.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from pathlib import Path

from aiohttp import web

from chargestack.control.request_guard import OWN_NAMES, OwnNames, guard
from chargestack.control.responses import errors_as_json
from chargestack.control.routes import TARGET, routes
from chargestack.control.target import ControlTarget
from chargestack.exceptions import ConfigurationError
from chargestack.unix_socket import SocketPathTaken, bind_unix_socket

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
    # The guard runs first: a refused request reaches no handler and no body parser.
    app = web.Application(middlewares=[guard, errors_as_json], client_max_size=_MAX_BODY)
    app[TARGET] = target
    app[OWN_NAMES] = OwnNames()
    app.add_routes(routes)
    return app


class ControlApi:
    """Serves the control API for one station; ``url`` names where once started.

    ``unix_socket`` serves on that socket file (created with ``unix_socket_mode``) instead
    of ``host``:``port``.
    """

    def __init__(
        self,
        target: ControlTarget,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        unix_socket: Path | None = None,
        unix_socket_mode: int = 0o600,
    ) -> None:
        _require_loopback(host)
        self._target = target
        self._host = host
        self._requested_port = port
        self._unix_socket = unix_socket
        self._unix_socket_mode = unix_socket_mode
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the control API is not started")
        if self._unix_socket is not None:
            return f"unix:{self._unix_socket}"
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        app = build_app(self._target)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            if self._unix_socket is not None:
                try:
                    sock = bind_unix_socket(self._unix_socket, self._unix_socket_mode)
                except SocketPathTaken as exc:
                    raise ConfigurationError(
                        f"control_api.unix_socket: cannot listen on {exc.filename}: {exc.strerror}"
                    ) from None
                await web.SockSite(runner, sock).start()
            else:
                await web.TCPSite(runner, self._host, self._requested_port).start()
                self.port = int(runner.addresses[0][1])
                app[OWN_NAMES].bound(self._host, self.port)
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("control API listening on %s", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.port = None
            if self._unix_socket is not None:
                with contextlib.suppress(FileNotFoundError):
                    self._unix_socket.unlink()
