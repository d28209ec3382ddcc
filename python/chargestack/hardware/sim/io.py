"""The simulator's digital I/O: an emergency-stop button, a door switch, contactor
auxiliary contacts and cable locks, with the faults a test bench needs.

Implements ``DigitalIo``. A contactor's feedback follows its command unless the test sticks
it: the command is the simulated stage's (read from its snapshot: the simulated cabinet
switches its own contactors), or, beside a hardware stage, the ``set_contactor`` output the
stage asks for. A cable lock follows its actuator unless jammed. Every manual action and
every output announces the change at once, like an input edge on a real board.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chargestack.hardware.interfaces import IoInputs
from chargestack.hardware.sim.errors import UnknownConnectorError

if TYPE_CHECKING:
    from chargestack._core import _Snapshot


class SimIo:
    def __init__(
        self, connector_ids: range, snapshot: Callable[[], _Snapshot] | None = None
    ) -> None:
        """``snapshot``: the simulated stage's, whose contactors the feedback follows; None:
        the feedback follows the ``set_contactor`` outputs."""
        self._snapshot = snapshot
        self._connector_ids = connector_ids
        self._contactor_output: dict[int, bool] = dict.fromkeys(connector_ids, False)
        self._routes: dict[int, int | None] = {}
        self._listeners: list[Callable[[], None]] = []
        self._emergency_stop = False
        self._door_open = False
        self._stuck: dict[int, bool] = {}
        self._lock_output: dict[int, bool] = dict.fromkeys(connector_ids, False)
        self._lock_jammed: set[int] = set()
        self._locked: dict[int, bool] = dict.fromkeys(connector_ids, False)

    # -- DigitalIo ----------------------------------------------------------------------

    def inputs(self) -> IoInputs:
        commanded = (
            {c["id"]: c["contactor"] for c in self._snapshot()["connectors"]}
            if self._snapshot is not None
            else self._contactor_output
        )
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

    def set_contactor(self, connector_id: int, closed: bool) -> None:
        self._check(connector_id)
        self._contactor_output[connector_id] = closed
        self._changed()

    def set_module_route(self, module: int, connector_id: int | None) -> None:
        if connector_id is not None:
            self._check(connector_id)
        self._routes[module] = connector_id

    def module_routes(self) -> dict[int, int | None]:
        """The switch matrix as the outputs set it: module -> connector (None: open)."""
        return dict(self._routes)

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
