"""The control API's view of whichever Station the runner currently runs.

The API outlives Reset restarts (integrators keep one address), so it talks to the runner,
which hands each call to the present station.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from chargestack.exceptions import ChargestackError
from chargestack.hardware.sim import SimHardware, simulator_of

if TYPE_CHECKING:
    from chargestack.station.station import Station


class CurrentStation(Protocol):
    """Whatever keeps a station running (the ``StationRunner``)."""

    @property
    def station(self) -> Station | None:
        """The station running now; None before the first start."""
        ...


class StationNotRunningError(ChargestackError):
    """The station is between a stop and its restart."""


class RunnerControlTarget:
    def __init__(self, runner: CurrentStation) -> None:
        self._runner = runner

    def _station(self) -> Station:
        station = self._runner.station
        if station is None or station.stop_kind is not None:
            raise StationNotRunningError("the station is restarting")
        return station

    @property
    def hardware(self) -> SimHardware:
        simulator = simulator_of(self._station().hardware)
        if simulator is None:
            raise StationNotRunningError("manual actions need simulated hardware parts")
        return simulator

    def status(self) -> dict[str, Any]:
        return self._station().status()

    async def network_disconnect(self) -> None:
        await self._station().network_disconnect()

    async def network_connect(self) -> None:
        await self._station().network_connect()

    async def power_cut(self) -> None:
        from chargestack.station.stop_kind import StopKind

        station = self._station()
        backed = station.settings.backup_power
        station.request_stop(StopKind.MAINS_LOST if backed else StopKind.POWER_CUT)

    def power_snapshot(self) -> Mapping[str, object]:
        return self.hardware.power.snapshot()
