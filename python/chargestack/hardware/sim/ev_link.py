"""The simulator's EVs as an ``EvLink``: a bench runs the hardware stage's code path.

On the virtual bench (``[devices.power] interface = "virtual"``) each simulated EV is a
battery on the bench's DC output; this link reads what that battery would ask for from the
stage's snapshot and relays it every ``request_interval_ms`` the way an EV-side stack relays
CurrentDemandReq, through the same events as the socket link. Plug-in and unplug are the
simulator's manual actions (it reports them to the station itself), so this link does not
announce plugs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

from chargestack.hardware.ev_link import (
    EvConnected,
    EvDisconnected,
    EvLinkSink,
    EvRequest,
    EvseStatusSource,
    EvStopped,
)
from chargestack.hardware.events import EvParameters
from chargestack.hardware.sim.rust_stage import DEFAULT_BATTERY_WH, DEFAULT_SOC
from chargestack.waiting import cancel_and_wait

if TYPE_CHECKING:
    from chargestack._core import _Snapshot

log = logging.getLogger(__name__)


class BenchBatteries(Protocol):
    """What the link needs of the stage: the bench's batteries (``_core.PowerStage``)."""

    def ev_plug_in(
        self, connector: int, battery_wh: float, soc: float, max_current_a: float
    ) -> None: ...

    def ev_plug_out(self, connector: int) -> None: ...

    def ev_pause(self, connector: int) -> None: ...

    def ev_resume(self, connector: int) -> None: ...

    def snapshot(self) -> _Snapshot: ...


class SimulatedEvLink:
    """Implements ``EvLink`` with the bench's batteries as the EVs."""

    announces_plugs = False

    def __init__(
        self, bench: BenchBatteries, max_current_a: dict[int, float], interval_ms: int
    ) -> None:
        self._bench = bench
        self._max_current_a = max_current_a
        self._interval_s = interval_ms / 1000
        self._plugged: set[int] = set()
        self._stopped: set[int] = set()
        self._sink: EvLinkSink | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, sink: EvLinkSink, evse_status: EvseStatusSource) -> None:
        self._sink = sink
        # EVs put on the bench before the start (found plugged in after a restart).
        for cid in sorted(self._plugged):
            sink(EvConnected(cid))
        self._task = asyncio.get_running_loop().create_task(self._relay(), name="sim-ev-link")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    # -- the simulator's manual actions ---------------------------------------------------

    def plug_in(self, connector_id: int, ev: EvParameters) -> None:
        self._bench.ev_plug_in(
            connector_id,
            ev.battery_wh if ev.battery_wh is not None else DEFAULT_BATTERY_WH,
            ev.soc if ev.soc is not None else DEFAULT_SOC,
            ev.max_current_a if ev.max_current_a is not None else self._max_current_a[connector_id],
        )
        self._plugged.add(connector_id)
        self._stopped.discard(connector_id)
        if self._sink is not None:
            self._sink(EvConnected(connector_id))

    def plug_out(self, connector_id: int) -> None:
        self._plugged.discard(connector_id)
        if self._sink is not None:
            self._sink(EvDisconnected(connector_id))
        self._bench.ev_plug_out(connector_id)

    def pause(self, connector_id: int) -> None:
        self._bench.ev_pause(connector_id)

    def resume(self, connector_id: int) -> None:
        self._bench.ev_resume(connector_id)

    # -- the EV side of the link ----------------------------------------------------------

    async def _relay(self) -> None:
        while True:
            try:
                self.relay_once()
            except Exception:
                # A refused request must not end the relaying of the others: the stage
                # would count every EV gone a moment later.
                log.exception("simulated EV link: relaying a request failed")
            await asyncio.sleep(self._interval_s)

    def relay_once(self) -> None:
        """Each plugged-in EV says what its battery asks for now (or that it is full)."""
        assert self._sink is not None
        for battery in self._bench.snapshot()["bench_evs"]:
            cid = battery["connector"]
            if cid not in self._plugged:
                continue
            if battery["full"]:
                if cid not in self._stopped:
                    self._stopped.add(cid)
                    self._sink(EvStopped(cid))
                continue
            self._stopped.discard(cid)
            self._sink(EvRequest(cid, battery["target_v"], battery["request_a"], battery["soc"]))
