"""Which connectors the power stage cannot serve, told to the station as one fault each.

A connector is faulted when the Rust stage says so (a silent bus, a stalled supervisor) or
when every module that may serve it (the station file's matrix) has failed: the loop then
holds it at zero current without a word, and a session would stay Charging with no energy
(OCPP 1.6 section 4.9 C9: "a fault is detected that prevents further charging operations").
A failed module that leaves others to a connector is not the connector's fault: the loop
moves its share to them. The station hears one ``PowerStageFault`` when a connector can no
longer be served and one ``PowerStageFaultCleared`` when it can again, whichever of the
causes came or went.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from chargestack.hardware.events import HardwareEvent, PowerStageFault, PowerStageFaultCleared

if TYPE_CHECKING:
    from chargestack._core import _StageEvent


def modules_serving(matrix: Sequence[Sequence[int]]) -> dict[int, frozenset[int]]:
    """Connector id -> the modules the matrix (module index -> connectors) lets serve it."""
    serving: dict[int, set[int]] = {}
    for module, connectors in enumerate(matrix):
        for cid in connectors:
            serving.setdefault(cid, set()).add(module)
    return {cid: frozenset(modules) for cid, modules in serving.items()}


class ConnectorPowerFaults:
    def __init__(self, serving: Mapping[int, frozenset[int]]) -> None:
        self._serving = dict(serving)
        self._stage: dict[int, PowerStageFault] = {}
        self._failed_modules: set[int] = set()
        self._told: dict[int, PowerStageFault] = {}

    def on_stage_event(self, raw: _StageEvent) -> list[HardwareEvent] | None:
        """The station's events for a fault event of the stage; None for other events."""
        if raw["kind"] == "fault":
            cid = raw["connector"]
            self._stage[cid] = PowerStageFault(cid, raw["error_code"], raw["info"])
        elif raw["kind"] == "fault_cleared":
            self._stage.pop(raw["connector"], None)
        elif raw["kind"] == "module_fault":
            self._failed_modules.add(raw["module"])
        elif raw["kind"] == "module_recovered":
            self._failed_modules.discard(raw["module"])
        else:
            return None
        return self._changes()

    def _changes(self) -> list[HardwareEvent]:
        events: list[HardwareEvent] = []
        for cid in sorted(self._serving.keys() | self._stage.keys()):
            now = self._stage.get(cid) or self._stranded(cid)
            if now == self._told.get(cid):
                continue
            if now is None:
                del self._told[cid]
                events.append(PowerStageFaultCleared(cid))
            else:
                self._told[cid] = now
                events.append(now)
        return events

    def _stranded(self, cid: int) -> PowerStageFault | None:
        modules = self._serving.get(cid, frozenset())
        if not modules or not modules <= self._failed_modules:
            return None
        return PowerStageFault(cid, "InternalError", f"all {len(modules)} power modules failed")
