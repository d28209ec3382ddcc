"""The router takes actions as types: an unknown action is refused when it is registered, and
every handler a station registers takes the request model of its action and answers with
the response model (or, for an after-hook, nothing)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any, cast

import pytest

from chargestack.assembly import AssembledStation
from chargestack.ocpp.messages import REQUESTS, RESPONSES, Action
from chargestack.ocpp.router import Router, after, on


async def _handler(request: Any) -> Any:
    return request


def test_an_unknown_action_is_refused_at_registration() -> None:
    router = Router()
    with pytest.raises(ValueError, match="SetChargingProfil"):
        router.add("SetChargingProfil", _handler)
    with pytest.raises(ValueError, match="Hearbeat"):
        router.add_after("Hearbeat", _handler)
    assert router.handlers == {} and router.after_hooks == {}


def test_a_misspelt_decorator_is_refused_when_its_object_is_registered() -> None:
    class Misspelt:
        @on(cast(Action, "RemoteStartTransactions"))
        async def remote_start(self, request: Any) -> Any:
            return request

    with pytest.raises(ValueError, match="RemoteStartTransactions"):
        Router().register_object(Misspelt())


def test_a_known_action_is_routed() -> None:
    class Handlers:
        @on(Action.CLEAR_CACHE)
        async def clear_cache(self, request: Any) -> Any:
            return request

        @after(Action.CLEAR_CACHE)
        async def cleared(self, request: Any) -> None:
            return None

    router = Router()
    handlers = Handlers()
    router.register_object(handlers)
    assert router.handler_for("ClearCache") == handlers.clear_cache
    assert router.after_hooks["ClearCache"] == [handlers.cleared]


def _annotations(function: Callable[..., Any]) -> tuple[Any, Any]:
    """The annotation of the one parameter (the request) and of the return value."""
    hints = typing.get_type_hints(function)
    (parameter,) = inspect.signature(function).parameters
    return hints[parameter], hints["return"]


async def test_every_registered_handler_takes_the_model_of_its_action(
    assembled_station: AssembledStation,
) -> None:
    router = assembled_station.router
    assert router.handlers, "the station registered no handler"
    for action, handler in router.handlers.items():
        request, response = _annotations(handler)
        assert request is REQUESTS[Action(action)], f"{action} handler {handler}"
        assert response is RESPONSES[Action(action)], f"{action} handler {handler}"
    for action, hooks in router.after_hooks.items():
        for hook in hooks:
            request, returned = _annotations(hook)
            assert request is REQUESTS[Action(action)], f"{action} after-hook {hook}"
            assert returned is type(None), f"{action} after-hook {hook}"
