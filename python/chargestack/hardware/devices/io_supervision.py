"""What the station does about its digital inputs: the safety chain and the contactors.

- Emergency stop pressed: every connector's power is switched off at once, on the input's
  edge (the Rust loop takes the command at its next tick, so power is off within one loop
  period), then ``OtherError`` on connector 0 with vendorErrorCode ``EmergencyStop``: the
  station stops every transaction with reason EmergencyStop. Released: cleared.
- Door (cabinet) open: the same, vendorErrorCode ``DoorOpen``: an interlock, not a warning;
  the transactions it ends have reason Other (the button alone is EmergencyStop).
- Contactor feedback that does not follow the stage's command within
  ``contactor_feedback_timeout_ms``: power off on that connector and ``PowerSwitchFailure``
  (its transaction stops, reason Other); cleared once the feedback follows again. Beside a
  hardware power stage the stage itself compares feedback and command (it is told the
  feedback and will not deliver current through an open contactor), so this check is off.

The inputs are checked on every edge and every ``poll_interval_ms`` (a contactor fault is a
lasting disagreement, not an edge).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from chargestack.hardware.devices.fault_board import FaultBoard
from chargestack.hardware.events import EMERGENCY_STOP as EMERGENCY_STOP_CODE
from chargestack.hardware.interfaces import DigitalIo, IoInputs, PowerControl
from chargestack.settings.devices import IoDeviceSettings
from chargestack.waiting import cancel_and_wait

EMERGENCY_STOP = "emergency_stop"
DOOR = "door"
CONTACTOR = "contactor"


class IoSupervisor:
    def __init__(
        self,
        io: DigitalIo,
        power: PowerControl,
        faults: FaultBoard,
        connector_ids: range,
        settings: IoDeviceSettings,
        contactor_commanded: Callable[[int], bool],
        *,
        check_contactors: bool = True,
    ) -> None:
        self._io = io
        self._power = power
        self._faults = faults
        self._connector_ids = connector_ids
        self._settings = settings
        self._commanded = contactor_commanded
        self._check_contactors = check_contactors and settings.contactor_feedback
        self._interlocks: set[str] = set()
        self._mismatch_since: dict[int, float] = {}
        self._switch_failed: set[int] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._io.on_change(self.check)
        self.check()
        self._task = asyncio.get_running_loop().create_task(self._poll(), name="io-supervision")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._settings.poll_interval_ms / 1000)
            self.check()

    def check(self) -> None:
        inputs = self._io.inputs()
        self._interlock(EMERGENCY_STOP, inputs.emergency_stop, "emergency stop pressed")
        self._interlock(DOOR, inputs.door_open, "cabinet door open")
        if self._check_contactors:
            self._contactors(inputs)

    def _interlock(self, source: str, active: bool, info: str) -> None:
        if active and source not in self._interlocks:
            self._interlocks.add(source)
            # Power first, reporting second: the stage must not wait for the station.
            for cid in self._connector_ids:
                self._power.enable(cid, False)
            vendor = EMERGENCY_STOP_CODE if source == EMERGENCY_STOP else "DoorOpen"
            self._faults.raise_fault(0, source, "OtherError", info, vendor)
        elif not active and source in self._interlocks:
            self._interlocks.discard(source)
            self._faults.clear_fault(0, source)

    def _contactors(self, inputs: IoInputs) -> None:
        now = asyncio.get_running_loop().time()
        timeout_s = self._settings.contactor_feedback_timeout_ms / 1000
        for cid in self._connector_ids:
            closed = inputs.contactor_closed.get(cid)
            if closed is None:
                continue
            commanded = self._commanded(cid)
            if closed == commanded:
                self._mismatch_since.pop(cid, None)
                if cid in self._switch_failed:
                    self._switch_failed.discard(cid)
                    self._faults.clear_fault(cid, CONTACTOR)
                continue
            since = self._mismatch_since.setdefault(cid, now)
            if now - since >= timeout_s and cid not in self._switch_failed:
                self._switch_failed.add(cid)
                self._power.enable(cid, False)
                state = "closed" if closed else "open"
                wanted = "closed" if commanded else "open"
                self._faults.raise_fault(
                    cid,
                    CONTACTOR,
                    "PowerSwitchFailure",
                    f"contactor {state}, commanded {wanted}",
                    "ContactorFeedback",
                )
