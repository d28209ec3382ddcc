"""Reset (OCPP 1.6 section 5.14): Soft and Hard, both Accepted, then a restart.

Errata 3.36/3.82: a soft reset stops transactions gracefully with reason SoftReset; a hard
reset with HardReset. Both are done before the restart here, so the central system sees
every transaction stopped even when the controller is rebooted right after. What restarts is
the runner's choice: the station (Soft, and Hard in a shared process) or the whole process
(Hard under ``chargestack run``, assembly/runner.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import after, on
from chargestack.station.block import Block
from chargestack.station.stop_kind import StopKind


class ResetService(Block):
    def __init__(self, request_stop: Callable[[StopKind], None], *, delay_s: float) -> None:
        self._request_stop = request_stop
        # The answer goes out before the station stops (settings.timers.reset_delay_s).
        self._delay_s = delay_s

    @on(Action.RESET)
    async def reset(self, request: m.ResetRequest) -> m.ResetResponse:
        return m.ResetResponse(status=m.ResetStatus("Accepted"))

    @after(Action.RESET)
    async def restart(self, request: m.ResetRequest) -> None:
        await asyncio.sleep(self._delay_s)
        kind = StopKind.HARD_RESET if request.type.value == "Hard" else StopKind.SOFT_RESET
        self._request_stop(kind)
