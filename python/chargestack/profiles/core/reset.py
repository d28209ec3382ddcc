"""Reset (OCPP 1.6 section 5.14): Soft and Hard, both Accepted, then a restart.

Errata 3.36/3.82: a soft reset stops transactions gracefully with reason SoftReset; a hard
reset with HardReset. Both are done before the restart here, so the central system sees
every transaction stopped even when the controller is rebooted right after.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import after, on

if TYPE_CHECKING:
    from chargestack.station.station import Station


class ResetService:
    def __init__(self, station: Station) -> None:
        self.station = station

    @on(Action.RESET)
    async def reset(self, request: m.ResetRequest) -> m.ResetResponse:
        return m.ResetResponse(status=m.ResetStatus("Accepted"))

    @after(Action.RESET)
    async def restart(self, request: m.ResetRequest) -> None:
        from chargestack.station.station import StopKind

        await asyncio.sleep(self.station.settings.timers.reset_delay_s)
        kind = StopKind.HARD_RESET if request.type.value == "Hard" else StopKind.SOFT_RESET
        self.station.request_stop(kind)
