"""The simulated meter: reads each connector's output from the power stage's telemetry."""

from __future__ import annotations

from chargestack.hardware.interfaces import MeterReading
from chargestack.hardware.power_port import PowerStage


class SimMeter:
    """Implements ``Meter``; the energy register never goes backwards (errata 3.9).

    The stage's energy counter restarts when the stage restarts, so the register keeps what it
    had counted before and adds the stage's count on top.
    """

    def __init__(self, power: PowerStage, connector_ids: range) -> None:
        self._power = power
        self._connector_ids = connector_ids
        self._base_wh = dict.fromkeys(connector_ids, 0.0)
        self._last_stage_wh = dict.fromkeys(connector_ids, 0.0)

    def keeps_register(self, connector_id: int) -> bool:
        # The stage's counter restarts with the station: EnergyRegisters keeps the total.
        return False

    def read(self, connector_id: int) -> MeterReading:
        if connector_id not in self._connector_ids:
            raise LookupError(f"no meter on connector {connector_id}")
        t = self._power.telemetry(connector_id)
        if t.energy_wh < self._last_stage_wh[connector_id]:
            self._base_wh[connector_id] += self._last_stage_wh[connector_id]
        self._last_stage_wh[connector_id] = t.energy_wh
        return MeterReading(
            energy_wh=self._base_wh[connector_id] + t.energy_wh,
            power_w=t.power_w,
            current_a=t.current_a,
            voltage_v=t.voltage_v,
            current_offered_a=t.current_offered_a,
            power_offered_w=t.power_offered_w,
            soc_percent=t.soc_percent,
            temperature_c=t.temperature_c,
        )
