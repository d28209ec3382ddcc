"""A small blocking client of the control API, for the CLI and for scripts."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
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


class ControlClient:
    def __init__(self, base_url: str, timeout_s: float = 10.0) -> None:
        self._base = base_url.rstrip("/")
        self._timeout_s = timeout_s
        # The API is on loopback; an http_proxy in the environment must not intercept it.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path: str) -> Any:
        return self._request("GET", path, None)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._request("POST", path, body)

    def delete(self, path: str) -> Any:
        return self._request("DELETE", path, None)

    def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        data = orjson.dumps(body) if body is not None else None
        request = urllib.request.Request(self._base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(request, timeout=self._timeout_s) as response:
                return orjson.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ControlApiRefusedError(exc.code, _error_body(exc.read())) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ControlApiUnreachableError(
                f"control API at {self._base} is unreachable: {reason}"
            ) from None


def _error_body(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"error": raw.decode("utf-8", "replace")[:200]}
    return body if isinstance(body, dict) else {"error": str(body)}
