"""JSON responses of the control API, and the middleware that turns every failure into one.

Nothing the API receives may crash the station (ARCHITECTURE.md, invariants): every error
becomes a JSON body with a status that says whose fault it was.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from chargestack.exceptions import PowerStageError
from chargestack.hardware.sim import (
    ConnectorStateError,
    InvalidActionValueError,
    UnknownConnectorError,
    UnknownModuleError,
)

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def ok() -> web.Response:
    return json_response({"ok": True})


def error(status: int, message: str, field: str | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return json_response(body, status)


class BadJson(Exception):
    """The body is not JSON at all (400, unlike a JSON body with a bad value: 422)."""


async def read_body(request: web.Request, model: type[M], *, optional: bool = False) -> M:
    raw = await request.read()
    if not raw.strip():
        if optional:
            return model.model_validate_json(b"{}")
        raw = b"null"
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadJson(f"malformed JSON body: {exc}") from None
    return model.model_validate_json(raw)


def _validation_error(exc: ValidationError) -> web.Response:
    problems = []
    for item in exc.errors(include_url=False):
        field = ".".join(str(p) for p in item["loc"]) or "(body)"
        problems.append({"field": field, "message": item["msg"]})
    first = problems[0]
    body = {
        "error": "; ".join(f"{p['field']}: {p['message']}" for p in problems),
        "field": first["field"],
        "errors": problems,
    }
    return json_response(body, 422)


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadJson as exc:
        return error(400, str(exc))
    except ValidationError as exc:
        return _validation_error(exc)
    except (UnknownConnectorError, UnknownModuleError) as exc:
        return error(404, str(exc))
    except InvalidActionValueError as exc:
        return error(422, str(exc), exc.field)
    except (ConnectorStateError, PowerStageError) as exc:
        return error(409, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error(exc.status, exc.reason)
    except Exception:
        log.exception("control API: %s %s failed", request.method, request.path)
        return error(500, "internal error; see the station log")
