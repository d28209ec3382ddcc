"""When the answer to a central-system CALL may go out, given the store it wrote to.

The answer to a CALL whose handler wrote confirms a stored change (an Accepted
ChangeConfiguration survives a power cut), so it goes out once the change is on disk. While
the store cannot write (a full disk: ``store.py``, "when the store cannot journal") that
never happens, and a certified charger still gives a definite answer:

- **Before the handler.** A handler declared with ``Refuse`` (``router.py``) gets its
  refusal at once while the store is known to fail, and nothing changes. Known means the
  writer's state, read without touching the disk.
- **After it.** A CALL whose handler wrote waits for the disk until the write is on disk,
  until a write fails, or for ``timeout_s`` at most. An answer that cannot be confirmed is a
  CALLERROR InternalError naming the storage: the change is applied in memory and reaches
  the disk in order when space returns, but the station does not claim it is kept. This is
  the CALL whose own write found the disk full (a full disk shows itself only when written
  to), a handler that declared nothing, and a disk too slow to answer in time. A
  ``FROM_MEMORY`` handler (what a driver or safety needs) is answered in any case.

Each state of the store is logged at WARNING once (failing, too slow), never per CALL.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from pydantic import BaseModel

from chargestack.exceptions import InternalError, OcppError
from chargestack.ocpp.router import FromMemory, Refuse, WithoutStorage

log = logging.getLogger("chargestack.ocpp.storage")


class Durability(Protocol):
    """Where handlers' writes go (the station's store)."""

    @property
    def written(self) -> int:
        """A number that grows with every commit."""
        ...

    @property
    def write_failure(self) -> str | None:
        """Why the disk does not take the commits, while it does not."""
        ...

    async def writable(self) -> bool:
        """True once every commit so far is on disk; False at the first failed write."""
        ...


class StorageAnswers:
    """Applies the handlers' ``without_storage`` declarations for one session."""

    def __init__(self, durability: Durability | None, *, timeout_s: float) -> None:
        self._durability = durability
        self._timeout_s = timeout_s
        self._said_failing = False
        self._said_slow = False

    def refusal(self, action: str, policy: WithoutStorage | None) -> BaseModel | OcppError | None:
        """The answer instead of running the handler, or None: run it."""
        durability = self._durability
        if durability is None:
            return None
        failure = durability.write_failure
        if failure is None:
            self._said_failing = False
            return None
        if not isinstance(policy, Refuse):
            return None
        if not self._said_failing:
            self._said_failing = True
            log.warning(
                "the store cannot write (%s): requests whose effect must be stored are "
                "refused until it can",
                failure,
            )
        if policy.answer is not None:
            return policy.answer
        return InternalError(f"{action} refused: the storage cannot write ({failure})")

    def mark(self) -> int:
        """Taken before the handler runs: did it write?"""
        return self._durability.written if self._durability is not None else 0

    async def confirm(
        self, action: str, policy: WithoutStorage | None, mark: int
    ) -> OcppError | None:
        """None once the answer may go out; else the CALLERROR to send instead."""
        durability = self._durability
        if durability is None or durability.written == mark:
            return None  # the handler wrote nothing: nothing to wait for
        try:
            async with asyncio.timeout(self._timeout_s):
                on_disk = await durability.writable()
        except TimeoutError:
            return self._unconfirmed(
                action, policy, f"not on disk within {self._timeout_s:g} s", slow=True
            )
        if on_disk:
            self._said_slow = False
            return None
        why = durability.write_failure or "a write failed"
        return self._unconfirmed(action, policy, why, slow=False)

    def _unconfirmed(
        self, action: str, policy: WithoutStorage | None, why: str, *, slow: bool
    ) -> OcppError | None:
        said = self._said_slow if slow else self._said_failing
        if not said:
            if slow:
                self._said_slow = True
            else:
                self._said_failing = True
            log.warning(
                "%s: what it changed is not on disk (%s); %s",
                action,
                why,
                "answered from memory"
                if isinstance(policy, FromMemory)
                else "answered InternalError, the change waits in memory for the disk",
            )
        if isinstance(policy, FromMemory):
            return None
        return InternalError(f"{action}: the storage cannot confirm the change ({why})")
