"""``SimHardware``: the ``sim`` driver, with every OCTT manual action as a method.

Each action validates its input first (nothing changes on a refused action), updates the
simulated hardware, tells the power stage what the EV did, and puts the matching event on
the station's queue.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from typing import Any, Protocol, runtime_checkable

from chargestack.hardware.events import (
    EvParameters,
    EvResumed,
    EvSuspended,
    EvUnplugged,
    FaultCleared,
    FaultRaised,
    HardwareEvent,
    IdTagPresented,
    PluggedIn,
    PluggedOut,
)
from chargestack.hardware.sim.connector import SimConnector
from chargestack.hardware.sim.error_codes import FAULT_ERROR_CODES
from chargestack.hardware.sim.errors import (
    ConnectorStateError,
    InvalidActionValueError,
    UnknownConnectorError,
    UnknownModuleError,
)
from chargestack.hardware.sim.meter import SimMeter
from chargestack.hardware.sim.power_port import ModuleFault, SimPowerStage
from chargestack.settings import StationSettings

log = logging.getLogger(__name__)

# OCPP 1.6 section 7: IdToken is CiString20Type; StatusNotification.info and
# vendorErrorCode are CiString50Type.
_ID_TAG_MAX = 20
_INFO_MAX = 50
# An id tag is printable ASCII: a control character or a non-ASCII one would reach the
# central system (and every log) as a tag that no card reader can produce.
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")


class SimHardware:
    """Implements ``Hardware`` for a simulated charger described by a station file."""

    def __init__(
        self,
        settings: StationSettings,
        power: SimPowerStage | None = None,
        *,
        events: asyncio.Queue[HardwareEvent] | None = None,
    ) -> None:
        if power is None:
            # Imported here so the simulator's own logic does not need the Rust extension.
            from chargestack.hardware.sim.rust_stage import SimulatedRustStage

            power = SimulatedRustStage(settings)
        # A device set that composes the simulator hands it the queue every device shares.
        self.events: asyncio.Queue[HardwareEvent] = (
            events if events is not None else asyncio.Queue()
        )
        self.power: SimPowerStage = power
        self.connector_ids = range(1, len(settings.connectors) + 1)
        self.module_count = settings.power.modules.count
        self._connectors = {c.id: SimConnector(c) for c in settings.connectors}
        self.meter = SimMeter(power, self.connector_ids)
        # Connector 0 is the charge point as a whole (OCPP 1.6 section 4.9).
        self._faults: dict[int, FaultRaised] = {}
        self._evs: dict[int, EvParameters] = {}

    @property
    def simulator(self) -> SimHardware:
        """The simulated parts (``Simulated``): here, everything."""
        return self

    def connector(self, connector_id: int) -> SimConnector:
        try:
            return self._connectors[connector_id]
        except KeyError:
            raise UnknownConnectorError(connector_id, self.connector_ids) from None

    async def start(self) -> None:
        await self.power.start(self._emit)

    async def stop(self) -> None:
        await self.power.stop()

    # -- across a restart of the controller ---------------------------------------------

    def plugged_evs(self) -> dict[int, EvParameters]:
        """The EVs still connected, at their present state of charge: a reset or a power
        cycle of the controller leaves the cables where they are."""
        out = {}
        # A socket's cable left in the station without an EV is not carried over.
        for cid, ev in self._evs.items():
            soc = self.meter.read(cid).soc_percent
            out[cid] = EvParameters(
                ev.battery_wh, soc if soc is not None else ev.soc, ev.max_current_a
            )
        return out

    def replug(self, evs: dict[int, EvParameters]) -> None:
        """Before start: the EVs found connected when the controller comes up."""
        for cid, ev in evs.items():
            self.plug_in(cid, ev)

    # -- manual actions of the OCTT test plan -------------------------------------------

    def plug_in(self, connector_id: int, ev: EvParameters | None = None) -> None:
        """An EV is connected: a cable plugged in at both ends, or an EV connected again to
        the cable an ``ev_unplug`` left in the socket."""
        ev = ev if ev is not None else EvParameters()
        connector = self.connector(connector_id)
        _check_ev(ev)
        if connector.is_ev_connected():
            raise ConnectorStateError(f"connector {connector_id} is already plugged in")
        # The power stage first: a stage whose EVs are not the simulator's refuses, and
        # nothing has changed then.
        self.power.ev_plug_in(connector_id, ev)
        connector.set_plugged(True)
        self._evs[connector_id] = ev
        self._emit(PluggedIn(connector_id, ev))

    def plug_out(self, connector_id: int) -> None:
        """The cable is taken out at the station (a fixed cable: out of the EV)."""
        connector = self.connector(connector_id)
        if not connector.is_plugged():
            raise ConnectorStateError(f"connector {connector_id} is not plugged in")
        if connector.is_ev_connected():
            self.power.ev_plug_out(connector_id)
        connector.set_plugged(False)
        self._evs.pop(connector_id, None)
        self._emit(PluggedOut(connector_id))

    def ev_unplug(self, connector_id: int) -> None:
        """The cable is disconnected at the EV side (OCTT TC_005): a socket's cable stays in
        the station."""
        connector = self.connector(connector_id)
        if not connector.is_ev_connected():
            raise ConnectorStateError(f"no EV on connector {connector_id}")
        self.power.ev_plug_out(connector_id)
        connector.set_ev_unplugged()
        self._evs.pop(connector_id, None)
        self._emit(EvUnplugged(connector_id))

    def present_id_tag(self, id_tag: str) -> None:
        if not 1 <= len(id_tag) <= _ID_TAG_MAX:
            raise InvalidActionValueError("idTag", f"must be 1 to {_ID_TAG_MAX} characters")
        if _PRINTABLE_ASCII.fullmatch(id_tag) is None:
            raise InvalidActionValueError(
                "idTag", "must be printable ASCII (no control characters), found " + ascii(id_tag)
            )
        self._emit(IdTagPresented(id_tag))

    def ev_pause(self, connector_id: int) -> None:
        connector = self.connector(connector_id)
        if not connector.is_ev_connected():
            raise ConnectorStateError(f"no EV on connector {connector_id}")
        if connector.is_ev_paused():
            raise ConnectorStateError(f"the EV on connector {connector_id} is already paused")
        self.power.ev_pause(connector_id)
        connector.set_ev_paused(True)
        self._emit(EvSuspended(connector_id))

    def ev_resume(self, connector_id: int) -> None:
        connector = self.connector(connector_id)
        if not connector.is_ev_paused():
            raise ConnectorStateError(f"the EV on connector {connector_id} is not paused")
        self.power.ev_resume(connector_id)
        connector.set_ev_paused(False)
        self._emit(EvResumed(connector_id))

    def raise_fault(
        self,
        connector_id: int,
        error_code: str,
        info: str | None = None,
        vendor_error_code: str | None = None,
    ) -> None:
        if connector_id != 0:
            self.connector(connector_id)
        if error_code not in FAULT_ERROR_CODES:
            raise InvalidActionValueError(
                "errorCode", f"{error_code!r} is not a ChargePointErrorCode other than NoError"
            )
        if info is not None and len(info) > _INFO_MAX:
            raise InvalidActionValueError("info", f"at most {_INFO_MAX} characters")
        if vendor_error_code is not None and len(vendor_error_code) > _INFO_MAX:
            raise InvalidActionValueError("vendorErrorCode", f"at most {_INFO_MAX} characters")
        fault = FaultRaised(connector_id, error_code, info, vendor_error_code)
        self._faults[connector_id] = fault
        self._emit(fault)

    def clear_fault(self, connector_id: int) -> None:
        if connector_id != 0:
            self.connector(connector_id)
        if self._faults.pop(connector_id, None) is None:
            raise ConnectorStateError(f"no fault is raised on connector {connector_id}")
        self._emit(FaultCleared(connector_id))

    def arm_lock_failure(self, connector_id: int) -> None:
        self.connector(connector_id).arm_lock_failure()

    def inject_module_fault(self, module: int, fault: ModuleFault | str) -> None:
        self._check_module(module)
        try:
            kind = ModuleFault(fault)
        except ValueError:
            allowed = ", ".join(f.value for f in ModuleFault)
            raise InvalidActionValueError("fault", f"{fault!r} is not one of {allowed}") from None
        self.power.inject_module_fault(module, kind)

    def clear_module_fault(self, module: int) -> None:
        self._check_module(module)
        self.power.clear_module_fault(module)

    def fail_bus(self, on: bool) -> None:
        self.power.fail_bus(on)

    # -- inspection ---------------------------------------------------------------------

    def active_fault(self, connector_id: int) -> FaultRaised | None:
        return self._faults.get(connector_id)

    def describe(self) -> dict[str, Any]:
        """The simulated hardware's state, in the control API's JSON spelling."""
        return {
            "faults": {
                str(cid): {"errorCode": f.error_code, "info": f.info}
                for cid, f in sorted(self._faults.items())
            },
            "connectors": [
                {
                    "connectorId": c.connector_id,
                    "fixedCable": c.fixed_cable,
                    "plugged": c.is_plugged(),
                    "evConnected": c.is_ev_connected(),
                    "locked": c.is_locked(),
                    "evPaused": c.is_ev_paused(),
                    "lockFailureArmed": c.lock_failure_armed(),
                }
                for c in self._connectors.values()
            ],
        }

    def _check_module(self, module: int) -> None:
        if not 0 <= module < self.module_count:
            raise UnknownModuleError(module, self.module_count)

    def _emit(self, event: HardwareEvent) -> None:
        log.debug("hardware event %s", event)
        self.events.put_nowait(event)


def _check_ev(ev: EvParameters) -> None:
    if ev.battery_wh is not None and not (
        math.isfinite(ev.battery_wh) and 0 < ev.battery_wh <= 1e6
    ):
        raise InvalidActionValueError("batteryWh", "must be above 0 and at most 1000000")
    if ev.soc is not None and not (math.isfinite(ev.soc) and 0 <= ev.soc <= 100):
        raise InvalidActionValueError("soc", "must be between 0 and 100")
    if ev.max_current_a is not None and not (
        math.isfinite(ev.max_current_a) and 0 < ev.max_current_a <= 1000
    ):
        raise InvalidActionValueError("maxCurrentA", "must be above 0 and at most 1000")


@runtime_checkable
class Simulated(Protocol):
    """Hardware with simulated parts: the EVs, their plugs, the tags and the manual faults of
    the OCTT steps, driven through the control API (a ``SimHardware``, or a device set whose
    parts the station file leaves to the simulator)."""

    @property
    def simulator(self) -> SimHardware: ...


def simulator_of(hardware: object) -> SimHardware | None:
    """The simulated parts of ``hardware``; None for hardware that has none."""
    return hardware.simulator if isinstance(hardware, Simulated) else None
