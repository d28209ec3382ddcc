"""``CanPowerStage``: the hardware power stage of ``[devices.power] kind = "socketcan"``.

The Rust stage drives the rectifier modules over CAN (or the virtual bench's simulated
modules); this is its other half, on the event loop:

- the EV link's events become stage commands (present, request, stop, gone) and, for a link
  that knows the plug, the station's ``PluggedIn``/``PluggedOut``;
- the stage's switchgear events drive the digital I/O (contactor close/open, module
  routing), and the contactors' feedback inputs go back to the stage, which compares them
  with its commands (``PowerSwitchFailure``) and delivers no current through a contactor
  that has not reported closed;
- a request the EV link stopped renewing (the stage has already ramped that connector down)
  is reported as ``EVCommunicationError``, a warning with the connector ``SuspendedEV``
  (OCPP 1.6 section 7.6: not a reason for Faulted), cleared by the next request.

It also takes the simulator's manual EV actions when the EV link is the simulated one (the
bench), and refuses them with a clear message when the EVs come from an external stack.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from chargestack.exceptions import CanInterfaceError, PowerStageError
from chargestack.hardware.devices.errors import DeviceOpenError
from chargestack.hardware.devices.ev_link_socket import UnixSocketEvLink
from chargestack.hardware.ev_link import (
    EvConnected,
    EvDisconnected,
    EvLinkEvent,
    EvRequest,
    EvseStatus,
    EvStopped,
)
from chargestack.hardware.events import (
    DeviceWarning,
    DeviceWarningCleared,
    EvParameters,
    EvResumed,
    EvSuspended,
    HardwareEvent,
    PluggedIn,
    PluggedOut,
)
from chargestack.hardware.interfaces import DigitalIo, EvLink, HardwareEventSink
from chargestack.hardware.power_bridge import RustPowerStage
from chargestack.hardware.sim.errors import ConnectorStateError
from chargestack.hardware.sim.ev_link import SimulatedEvLink
from chargestack.hardware.sim.power_port import ModuleFault
from chargestack.hardware.sim.rust_stage import ManualPauseEchoes
from chargestack.settings import StationSettings

if TYPE_CHECKING:
    from chargestack._core import _StageEvent

log = logging.getLogger(__name__)


class CanPowerStage(RustPowerStage):
    """Implements ``SimPowerStage`` (``PowerStage`` with the simulator's EV commands) on the
    hardware stage, with its EV link and the station's digital I/O."""

    def __init__(self, settings: StationSettings, io: DigitalIo) -> None:
        devices = settings.device_settings()
        assert devices.io is not None and devices.ev_link is not None
        try:
            super().__init__(settings)
        except CanInterfaceError as exc:
            # "cannot open CAN interface "can0": No such device": one line, no traceback.
            raise DeviceOpenError("devices.power", str(exc)) from None
        self._io = io
        self._feedback_wired = devices.io.contactor_feedback
        self._connector_ids = range(1, len(settings.connectors) + 1)
        self._commanded: dict[int, bool] = dict.fromkeys(self._connector_ids, False)
        self._reported: dict[int, bool] = {}
        self._request_lost: set[int] = set()
        self._echoes = ManualPauseEchoes()
        self._simulated_evs: SimulatedEvLink | None = None
        self._link: EvLink
        link = devices.ev_link
        if link.kind == "simulated":
            self._simulated_evs = SimulatedEvLink(
                self._stage,
                {c.id: c.max_current_a for c in settings.connectors},
                link.request_interval_ms,
            )
            self._link = self._simulated_evs
        else:
            self._link = UnixSocketEvLink(link, self._connector_ids, "devices.ev_link")

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, sink: HardwareEventSink) -> None:
        def unless_echo(event: HardwareEvent) -> None:
            if not self._echoes.is_echo(event):
                sink(event)

        await super().start(unless_echo)
        self._io.on_change(self._report_feedback)
        self._report_feedback()
        try:
            await self._link.start(self._on_link_event, self._evse_status)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        await self._link.stop()
        await super().stop()
        # The loop's last act was to open every contactor: carry that out too (the station
        # is going away; the rest of what the loop said is only logged).
        while (raw := self._stage.next_event(0)) is not None:
            if raw["kind"] in ("contactor", "module_route"):
                self.on_stage_event(raw)
            else:
                log.info("power stage event after stop: %s", raw)

    # -- the stage's events -------------------------------------------------------------

    def supervise(self) -> None:
        super().supervise()
        # Feedback is a level: re-read it every tick, not only on its edges.
        self._report_feedback()

    def on_stage_event(self, raw: _StageEvent) -> None:
        if raw["kind"] == "contactor":
            cid, closed = raw["connector"], raw["closed"]
            self._commanded[cid] = closed
            self._io.set_contactor(cid, closed)
            self._report_feedback()
        elif raw["kind"] == "module_route":
            self._io.set_module_route(raw["module"], raw["connector"])
        elif raw["kind"] == "ev_request_lost":
            cid = raw["connector"]
            self._request_lost.add(cid)
            timeout = self._settings.device_settings().power.ev_request_timeout_ms
            info = f"EV request not renewed in {timeout} ms"
            self.tell_station(DeviceWarning(cid, "EVCommunicationError", info, "EvRequestLost"))
            self.tell_station(EvSuspended(cid))
        elif raw["kind"] == "ev_request_restored":
            self._clear_request_lost(raw["connector"], resumed=True)
        else:
            super().on_stage_event(raw)

    def _clear_request_lost(self, cid: int, *, resumed: bool) -> None:
        if cid not in self._request_lost:
            return
        self._request_lost.discard(cid)
        self.tell_station(DeviceWarningCleared(cid))
        if resumed:
            self.tell_station(EvResumed(cid))

    def _report_feedback(self) -> None:
        inputs = self._io.inputs().contactor_closed if self._feedback_wired else {}
        for cid in self._connector_ids:
            # Without auxiliary contacts wired, the command is all there is to report.
            closed = inputs.get(cid, self._commanded[cid])
            if self._reported.get(cid) == closed:
                continue
            try:
                self._stage.input(
                    {"type": "contactor_feedback", "connector": cid, "closed": closed}
                )
            except PowerStageError as exc:
                # Its loop has ended (it opened everything on its way out): nothing to tell.
                log.warning("contactor feedback of connector %d not delivered: %s", cid, exc)
                return
            self._reported[cid] = closed

    # -- the EV link's events -----------------------------------------------------------

    def _on_link_event(self, event: EvLinkEvent) -> None:
        cid = event.connector_id
        if isinstance(event, EvConnected):
            self._stage.input({"type": "ev_present", "connector": cid})
            if self._link.announces_plugs:
                self.tell_station(PluggedIn(cid))
        elif isinstance(event, EvRequest):
            self._stage.input(
                {
                    "type": "ev_request",
                    "connector": cid,
                    "voltage_v": event.voltage_v,
                    "current_a": event.current_a,
                    "soc": event.soc,
                }
            )
        elif isinstance(event, EvStopped):
            self._stage.input({"type": "ev_stop", "connector": cid})
        else:
            assert isinstance(event, EvDisconnected)
            self._stage.input({"type": "ev_gone", "connector": cid})
            self._clear_request_lost(cid, resumed=False)
            if self._link.announces_plugs:
                self.tell_station(PluggedOut(cid))

    def _evse_status(self, connector_id: int) -> EvseStatus:
        for c in self._stage.snapshot()["connectors"]:
            if c["id"] == connector_id:
                return EvseStatus(
                    state=c["state"],
                    enabled=c["enabled"],
                    contactor_closed=self._reported.get(connector_id, False),
                    voltage_v=c["voltage_v"],
                    current_a=c["current_a"],
                    max_current_a=c["current_offered_a"],
                    max_power_w=c["power_offered_w"],
                )
        raise LookupError(f"power stage snapshot has no connector {connector_id}")

    # -- the simulator's manual actions (SimPowerStage) ---------------------------------

    def _simulated(self, connector_id: int) -> SimulatedEvLink:
        if self._simulated_evs is None:
            path = self._link.path if isinstance(self._link, UnixSocketEvLink) else None
            raise ConnectorStateError(
                f"connector {connector_id}: the EV comes from the EV link on {path}, "
                "not from the simulator"
            )
        return self._simulated_evs

    def ev_plug_in(self, connector_id: int, ev: EvParameters) -> None:
        self._simulated(connector_id).plug_in(connector_id, ev)

    def ev_plug_out(self, connector_id: int) -> None:
        self._simulated(connector_id).plug_out(connector_id)
        self._echoes.plugged_out(connector_id)

    def ev_pause(self, connector_id: int) -> None:
        self._simulated(connector_id).pause(connector_id)
        self._echoes.paused(connector_id)

    def ev_resume(self, connector_id: int) -> None:
        self._simulated(connector_id).resume(connector_id)
        self._echoes.resumed(connector_id)

    def inject_module_fault(self, module: int, fault: ModuleFault) -> None:
        # The stage refuses on real modules (PowerStageError): only the bench has faults.
        self._stage.inject_module_fault(module, fault.value)

    def clear_module_fault(self, module: int) -> None:
        self._stage.clear_module_fault(module)

    def fail_bus(self, on: bool) -> None:
        self._stage.fail_bus(on)
