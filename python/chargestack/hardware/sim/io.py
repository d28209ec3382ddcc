"""The simulator's digital I/O: an emergency-stop button, a door switch, contactor
auxiliary contacts and cable locks, with the faults a test bench needs.

Implements ``DigitalIo``. A contactor's feedback follows what the power stage commands
(its snapshot) unless the test sticks it; a cable lock follows its actuator unless jammed.
Every manual action announces the change at once, like an input edge on a real board.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chargestack.hardware.interfaces import IoInputs
from chargestack.hardware.sim.errors import UnknownConnectorError

if TYPE_CHECKING:
    from chargestack._core import _Snapshot


class SimIo:
    def __init__(self, snapshot: Callable[[], _Snapshot], connector_ids: range) -> None:
        self._snapshot = snapshot
        self._connector_ids = connector_ids
        self._listeners: list[Callable[[], None]] = []
        self._emergency_stop = False
        self._door_open = False
        self._stuck: dict[int, bool] = {}
        self._lock_output: dict[int, bool] = dict.fromkeys(connector_ids, False)
        self._lock_jammed: set[int] = set()
        self._locked: dict[int, bool] = dict.fromkeys(connector_ids, False)

    # -- DigitalIo ----------------------------------------------------------------------

    def inputs(self) -> IoInputs:
        commanded = {c["id"]: c["contactor"] for c in self._snapshot()["connectors"]}
        return IoInputs(
            emergency_stop=self._emergency_stop,
            door_open=self._door_open,
            contactor_closed={
                cid: self._stuck.get(cid, commanded.get(cid, False)) for cid in self._connector_ids
            },
            cable_locked=dict(self._locked),
        )

    def on_change(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def set_cable_lock(self, connector_id: int, locked: bool) -> None:
        self._check(connector_id)
        self._lock_output[connector_id] = locked
        if connector_id not in self._lock_jammed:
            self._locked[connector_id] = locked
            self._changed()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._listeners.clear()

    # -- manual actions -----------------------------------------------------------------

    def press_emergency_stop(self) -> None:
        self._emergency_stop = True
        self._changed()

    def release_emergency_stop(self) -> None:
        self._emergency_stop = False
        self._changed()

    def set_door_open(self, open_: bool) -> None:
        self._door_open = open_
        self._changed()

    def stick_contactor(self, connector_id: int, closed: bool | None) -> None:
        """Feedback stuck open (False) or welded closed (True); None: follows again."""
        self._check(connector_id)
        if closed is None:
            self._stuck.pop(connector_id, None)
        else:
            self._stuck[connector_id] = closed
        self._changed()

    def jam_cable_lock(self, connector_id: int, jammed: bool) -> None:
        """A jammed lock stays where it is whatever its actuator is told."""
        self._check(connector_id)
        if jammed:
            self._lock_jammed.add(connector_id)
        else:
            self._lock_jammed.discard(connector_id)
            self._locked[connector_id] = self._lock_output[connector_id]
            self._changed()

    def _check(self, connector_id: int) -> None:
        if connector_id not in self._connector_ids:
            raise UnknownConnectorError(connector_id, self._connector_ids)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()
