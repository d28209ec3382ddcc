"""The station's ``Meter`` for a charger whose connectors have device meters.

A connector with a Modbus meter reads its register, and its voltage, current and power
where the meter has them, from that meter; what a meter does not measure (the offer, the
EV's SoC, the temperature, and any of V/A/W the map lacks) comes from the power stage.
A connector without a meter is measured by the power stage alone, as in the simulator.
"""

from __future__ import annotations

from dataclasses import replace

from chargestack.hardware.devices.modbus_meter import ModbusMeter
from chargestack.hardware.interfaces import MeterReading
from chargestack.hardware.sim.meter import SimMeter


class DevicesMeter:
    """Implements ``Meter``."""

    def __init__(self, stage_meter: SimMeter, meters: dict[int, ModbusMeter]) -> None:
        self._stage = stage_meter
        self._meters = meters

    def keeps_register(self, connector_id: int) -> bool:
        return connector_id in self._meters

    def read(self, connector_id: int) -> MeterReading:
        stage = self._stage.read(connector_id)
        meter = self._meters.get(connector_id)
        if meter is None:
            return stage
        sample = meter.latest
        return replace(
            stage,
            energy_wh=sample.energy_wh,
            voltage_v=sample.voltage_v if sample.voltage_v is not None else stage.voltage_v,
            current_a=sample.current_a if sample.current_a is not None else stage.current_a,
            power_w=sample.power_w if sample.power_w is not None else stage.power_w,
            measured_at=sample.at if meter.failed else None,
        )
