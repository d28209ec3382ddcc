"""Routing of incoming CALLs to handlers: ``@on(Action.X)`` and ``@after(Action.X)``.

The vocabulary is the one users of the PyPI ``ocpp`` package know. Unlike that package, a
handler receives the validated pydantic model (one validation pass, exact wire names) and
returns the response model; routes are explicit per object, never discovered by name, and
an action the router does not know is refused when it is registered, not when a CALL for it
never arrives.

A handler whose effect must be stored says, where it is declared, what its CALL gets while
the store cannot write (``without_storage``): a refusal answered at once without running it
(``Refuse``), or ``FROM_MEMORY`` for what a driver or safety needs, answered without waiting
for the disk. The session applies it (``storage_answers.py``).
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
_STORAGE_ATTR = "_chargestack_without_storage"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Refuse:
    """While the store cannot write, answer ``answer`` at once and leave the handler (and its
    after-hooks) unrun, so nothing changes. ``None``: the response has no status to refuse
    with, so a CALLERROR InternalError naming the storage."""

    answer: BaseModel | None = None


@dataclass(frozen=True, slots=True)
class FromMemory:
    """While the store cannot write, run the handler and answer without waiting for the
    disk: what it changed stays in memory and is written when space returns."""


#: What a driver or safety needs (UnlockConnector): it works while the disk is full.
FROM_MEMORY = FromMemory()

WithoutStorage = Refuse | FromMemory


def on(action: Action, *, without_storage: WithoutStorage | None = None) -> Callable[[F], F]:
    """Mark a coroutine method as the handler of ``action``; the response goes back as
    CALLRESULT. A handler that writes to the store says what it does ``without_storage``."""

    def mark(func: F) -> F:
        setattr(func, _ON_ATTR, str(action))
        if without_storage is not None:
            setattr(func, _STORAGE_ATTR, without_storage)
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
    without_storage: dict[str, WithoutStorage] = field(default_factory=dict)

    def add(
        self, action: str, handler: Handler, *, without_storage: WithoutStorage | None = None
    ) -> None:
        self._check_known(action)
        if action in self.handlers:
            raise ValueError(f"a handler for {action} is already registered")
        self.handlers[action] = handler
        if without_storage is not None:
            self.without_storage[action] = without_storage

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
        self.without_storage.pop(action, None)

    def register_object(self, obj: object) -> None:
        """Register every method of ``obj`` marked with ``@on`` or ``@after``."""
        for _, member in inspect.getmembers(obj, inspect.ismethod):
            action = getattr(member, _ON_ATTR, None)
            if action is not None:
                self.add(action, member, without_storage=getattr(member, _STORAGE_ATTR, None))
            after_action = getattr(member, _AFTER_ATTR, None)
            if after_action is not None:
                self.add_after(after_action, member)

    def handler_for(self, action: str) -> Handler | None:
        return self.handlers.get(action)

    def storage_policy(self, action: str) -> WithoutStorage | None:
        """What ``action``'s handler declared it does while the store cannot write."""
        return self.without_storage.get(action)
