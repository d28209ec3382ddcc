"""A small blocking client of the control API, for the CLI and for scripts.

The address is ``http://HOST:PORT`` or ``unix:/path/to/control.sock`` (the station file's
``control_api.unix_socket``). ``http.client`` is used directly: no proxy from the environment
can intercept a loopback API, and the same code speaks over a unix-domain socket.
"""

from __future__ import annotations

import http.client
import socket
import urllib.parse
from typing import Any

import orjson

from chargestack.exceptions import ChargestackError


class ControlApiUnreachableError(ChargestackError):
    """Nothing answered at the control API address (the station is not running there)."""


class ControlApiRefusedError(ChargestackError):
    """The control API answered with an error; ``status`` and the JSON ``body`` say why."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("error", f"HTTP {status}")))
        self.status = status
        self.body = body


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        # The API checks no Host on its socket; "localhost" keeps the request well-formed.
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class ControlClient:
    def __init__(self, address: str, timeout_s: float = 10.0) -> None:
        self._address = address.rstrip("/")
        self._timeout_s = timeout_s
        if self._address.startswith("unix:"):
            self._unix_path: str | None = self._address[len("unix:") :]
            self._host, self._port = "", None
        else:
            parts = urllib.parse.urlsplit(self._address)
            if parts.scheme != "http" or not parts.hostname:
                raise ValueError(f"not a control API address: {address!r}")
            self._unix_path = None
            self._host, self._port = parts.hostname, parts.port

    def get(self, path: str) -> Any:
        return self._request("GET", path, None)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._request("POST", path, body)

    def delete(self, path: str) -> Any:
        return self._request("DELETE", path, None)

    def _connection(self) -> http.client.HTTPConnection:
        if self._unix_path is not None:
            return _UnixConnection(self._unix_path, self._timeout_s)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout_s)

    def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        data = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        conn = self._connection()
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise ControlApiUnreachableError(
                f"control API at {self._address} is unreachable: {exc}"
            ) from None
        finally:
            conn.close()
        if response.status >= 400:
            raise ControlApiRefusedError(response.status, _error_body(raw))
        return orjson.loads(raw)


def _error_body(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"error": raw.decode("utf-8", "replace")[:200]}
    return body if isinstance(body, dict) else {"error": str(body)}
