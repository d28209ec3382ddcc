"""A Station with every block its station file calls for: the charge point as it runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chargestack.assembly.blocks import ProfileBlocks
from chargestack.assembly.root import assemble
from chargestack.hardware.events import EvParameters
from chargestack.hardware.interfaces import Hardware
from chargestack.settings import StationSettings
from chargestack.station.clock import Clock
from chargestack.station.station import Station


class AssembledStation(Station):
    """``Station`` built by the composition root; :attr:`profiles` names its blocks, typed."""

    def __init__(
        self,
        settings: StationSettings,
        *,
        hardware_factory: Callable[[StationSettings], Hardware] | None = None,
        plugged_at_start: Mapping[int, EvParameters] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._profiles: ProfileBlocks | None = None
        super().__init__(
            settings,
            assemble=self._assemble,
            hardware_factory=hardware_factory,
            plugged_at_start=plugged_at_start,
            clock=clock,
        )

    def _assemble(self, station: Station) -> ProfileBlocks:
        self._profiles = assemble(station)
        return self._profiles

    @property
    def profiles(self) -> ProfileBlocks:
        """Every block by name (once :meth:`start` has built them)."""
        if self._profiles is None:
            raise RuntimeError("the station's blocks are built by start()")
        return self._profiles
