"""Energy registers that survive restarts.

A real DC meter keeps its register in hardware: its reading is the register, as it is
(meterStart, meterStop and MeterValues equal what the meter shows). The simulated one
restarts at zero, so for it the station adds the persisted register to what the meter
counted since start-up, so meterStart/meterStop stay monotonic across reboots and power
loss (errata 3.9/3.78).
"""

from __future__ import annotations

from collections.abc import Iterable

from chargestack.hardware.interfaces import Meter
from chargestack.store.journal import MeterRegisters


class EnergyRegisters:
    def __init__(self, stored: MeterRegisters, meter: Meter, connector_ids: Iterable[int]) -> None:
        self._stored = stored
        self._meter = meter
        self._connector_ids = tuple(connector_ids)
        self._base: dict[int, float] = {}
        self._hw_at_start: dict[int, float] = {}

    def start(self) -> None:
        for cid in self._connector_ids:
            self._base[cid] = self._stored.get(cid)
            self._hw_at_start[cid] = self._meter.read(cid).energy_wh

    def register_wh(self, connector_id: int) -> float:
        meter = self._meter
        if meter.keeps_register(connector_id):
            return meter.read(connector_id).energy_wh
        counted = meter.read(connector_id).energy_wh - self._hw_at_start[connector_id]
        return self._base[connector_id] + max(0.0, counted)

    def persist(self, connector_id: int, value: float | None = None) -> float:
        """Store the register (``value`` when the caller has just read it) and return it."""
        if value is None:
            value = self.register_wh(connector_id)
        self._stored.set(connector_id, value)
        return value
