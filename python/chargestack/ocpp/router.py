"""Routing of incoming CALLs to handlers: ``@on(Action.X)`` and ``@after(Action.X)``.

The vocabulary is the one users of the PyPI ``ocpp`` package know. Unlike that package, a
handler receives the validated pydantic model (one validation pass, exact wire names) and
returns the response model; routes are explicit per object, never discovered by name, and
an action the router does not know is refused when it is registered, not when a CALL for it
never arrives.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from chargestack.ocpp.messages.registry import Action

Handler = Callable[[Any], Awaitable[BaseModel]]
AfterHook = Callable[[Any], Awaitable[None]]

_ON_ATTR = "_chargestack_on_action"
_AFTER_ATTR = "_chargestack_after_action"

F = TypeVar("F", bound=Callable[..., Any])


def on(action: Action) -> Callable[[F], F]:
    """Mark a coroutine method as the handler of ``action``; the response goes back as CALLRESULT."""

    def mark(func: F) -> F:
        setattr(func, _ON_ATTR, str(action))
        return func

    return mark


def after(action: Action) -> Callable[[F], F]:
    """Mark a coroutine method to run once the CALLRESULT of ``action`` has been sent.

    OCPP asks for several effects to follow the response (TriggerMessage, Reset, a
    RemoteStart's StartTransaction); an after-hook keeps that order explicit.
    """

    def mark(func: F) -> F:
        setattr(func, _AFTER_ATTR, str(action))
        return func

    return mark


@dataclass
class Router:
    """Maps action names to handlers.

    ``known_actions`` are the actions this OCPP version defines (every ``Action`` unless
    given); a CALL for one of them with no handler is answered NotSupported (recognised but
    not supported), anything else NotImplemented (OCPP-J 1.6 section 4.2.3). A handler or
    an after-hook for an action outside them is refused when it is registered.
    """

    known_actions: frozenset[str] = frozenset(Action)
    handlers: dict[str, Handler] = field(default_factory=dict)
    after_hooks: dict[str, list[AfterHook]] = field(default_factory=dict)

    def add(self, action: str, handler: Handler) -> None:
        self._check_known(action)
        if action in self.handlers:
            raise ValueError(f"a handler for {action} is already registered")
        self.handlers[action] = handler

    def add_after(self, action: str, hook: AfterHook) -> None:
        self._check_known(action)
        self.after_hooks.setdefault(action, []).append(hook)

    def _check_known(self, action: str) -> None:
        # A misspelt action would otherwise leave its handler unreachable without a word.
        if action not in self.known_actions:
            raise ValueError(f"cannot route {action!r}: not an action this router knows")

    def remove(self, action: str) -> None:
        """Withdraw an action, so it is answered NotSupported (a profile switched off)."""
        self.handlers.pop(action, None)
        self.after_hooks.pop(action, None)

    def register_object(self, obj: object) -> None:
        """Register every method of ``obj`` marked with ``@on`` or ``@after``."""
        for _, member in inspect.getmembers(obj, inspect.ismethod):
            action = getattr(member, _ON_ATTR, None)
            if action is not None:
                self.add(action, member)
            after_action = getattr(member, _AFTER_ATTR, None)
            if after_action is not None:
                self.add_after(after_action, member)

    def handler_for(self, action: str) -> Handler | None:
        return self.handlers.get(action)
