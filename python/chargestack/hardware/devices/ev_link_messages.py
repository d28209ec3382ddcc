"""The EV link's message set: one JSON object per line, each answered by one line.

From the EV-side stack (docs/drivers.md, "The EV link"):

- ``{"type": "plugged_in", "connector": 1}``
- ``{"type": "request", "connector": 1, "voltage_v": 400.0, "current_a": 120.0, "soc": 45.5}``
  (``soc`` optional), renewed at least every ``ev_request_timeout_ms``
- ``{"type": "stop", "connector": 1}``: the EV ended its charge
- ``{"type": "unplugged", "connector": 1}``
- ``{"type": "status", "connector": 1}``: only asks for the answer below

Answers: ``{"type": "evse_status", ...}`` to ``request`` and ``status`` (what a
CurrentDemandRes carries), ``{"type": "ok", "connector": N}`` to the others, and
``{"type": "error", "message": "..."}`` to anything refused, which changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from chargestack.hardware.ev_link import EvseStatus


class _Message(BaseModel):
    # Strict: "connector": "1" or 1.5 is a mistake of the sender, not something to guess at.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    connector: Annotated[int, Field(ge=1)]


class PluggedIn(_Message):
    type: Literal["plugged_in"]


class Request(_Message):
    type: Literal["request"]
    voltage_v: Annotated[float, Field(gt=0, le=1500)]
    current_a: Annotated[float, Field(ge=0, le=3000)]
    soc: Annotated[float | None, Field(ge=0, le=100)] = None


class Stop(_Message):
    type: Literal["stop"]


class Unplugged(_Message):
    type: Literal["unplugged"]


class Status(_Message):
    type: Literal["status"]


EvLinkMessage = PluggedIn | Request | Stop | Unplugged | Status

_MESSAGE: TypeAdapter[EvLinkMessage] = TypeAdapter(
    Annotated[EvLinkMessage, Field(discriminator="type")]
)


class MessageError(ValueError):
    """A line that is not a message of the set; the text is the answer's ``message``."""


def parse_message(line: bytes) -> EvLinkMessage:
    """One line as a message; ``MessageError`` says in one line what is wrong with it."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise MessageError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MessageError("not a JSON object")
    try:
        return _MESSAGE.validate_python(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            # The discriminator's own tag is noise in the location: "request.current_a".
            where = ".".join(str(p) for p in e["loc"][1:] or e["loc"]) or "type"
            problems.append(f"{where}: {e['msg']}")
        raise MessageError("; ".join(problems)) from None


def ok_line(connector: int) -> bytes:
    return _line({"type": "ok", "connector": connector})


def error_line(message: str) -> bytes:
    return _line({"type": "error", "message": message})


def status_line(connector: int, status: EvseStatus) -> bytes:
    return _line(
        {
            "type": "evse_status",
            "connector": connector,
            "state": status.state,
            "enabled": status.enabled,
            "contactor_closed": status.contactor_closed,
            "voltage_v": status.voltage_v,
            "current_a": status.current_a,
            "max_current_a": status.max_current_a,
            "max_power_w": status.max_power_w,
        }
    )


def _line(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value) + b"\n"
