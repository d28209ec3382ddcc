"""Keeps web pages out of the control API (issue 17, item 5).

Binding to loopback keeps other machines out, not a browser on the controller itself (an
HMI): a page can reach 127.0.0.1 by DNS rebinding (its own name re-resolved to 127.0.0.1,
so the browser sends ``Host: evil.example``) or with cross-origin "simple" requests, which
a browser sends without asking first as long as the body is text/plain, a form or empty.
Three checks close both ways; the first failing one answers, before any handler runs:

1. ``Host`` must name the API itself: the bound loopback address or ``localhost``, with the
   bound port (TCP only: a browser cannot reach a unix-domain socket, whose file permissions
   are its access control).
2. An ``Origin`` header, which browsers add to every cross-origin request and to every
   POST, must be the API's own origin. Scripts and the CLI send none.
3. A request with a body must declare ``Content-Type: application/json``: a page can only
   send that type after a CORS preflight, which this API never grants.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from chargestack.control.responses import Handler, error

JSON = "application/json"


@dataclass
class OwnNames:
    """How requests may name the API; filled in once the port is bound."""

    #: ``Host`` header values: ``host:port`` of the bound address and of localhost.
    hosts: frozenset[str] = field(default_factory=frozenset)
    #: ``Origin`` values: ``http://`` and each of the hosts.
    origins: frozenset[str] = field(default_factory=frozenset)

    def bound(self, host: str, port: int) -> None:
        names = {host, "localhost"}
        if host == "localhost":
            names |= {"127.0.0.1", "::1"}
        self.hosts = frozenset(f"[{n}]:{port}" if ":" in n else f"{n}:{port}" for n in names)
        self.origins = frozenset(f"http://{h}" for h in self.hosts)


OWN_NAMES = web.AppKey("own_names", OwnNames)


def _over_unix_socket(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and isinstance(transport.get_extra_info("sockname"), str)


def refusal(request: web.Request) -> web.Response | None:
    """The 4xx for a request a web page could have made, or None when it may proceed."""
    if not _over_unix_socket(request):
        host = request.headers.get("Host")
        if host not in request.app[OWN_NAMES].hosts:
            return error(403, f"Host {host!r} does not name this control API (DNS rebinding?)")
    origin = request.headers.get("Origin")
    if origin is not None and origin not in request.app[OWN_NAMES].origins:
        return error(403, f"Origin {origin!r} may not use this control API")
    if request.body_exists and request.content_type != JSON:
        return error(415, f"a request body must be sent as {JSON}, found {request.content_type!r}")
    return None


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    refused = refusal(request)
    if refused is not None:
        return refused
    return await handler(request)
