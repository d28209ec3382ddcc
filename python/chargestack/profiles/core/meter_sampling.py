"""Turning meter readings into OCPP MeterValue entries.

Measurands are read from the meter interface; a measurand the meter cannot provide (SoC on
an EV that does not report it) is left out of that sample rather than invented.
"""

from __future__ import annotations

from datetime import datetime

from chargestack.hardware.interfaces import MeterReading
from chargestack.ocpp import messages as m

# Measurands this charger can sample; a CSL configuration naming anything else is Rejected.
SUPPORTED_MEASURANDS = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Power.Offered",
    "Current.Import",
    "Current.Offered",
    "Voltage",
    "SoC",
    "Temperature",
)


def sampled_values(
    reading: MeterReading, register_wh: float, measurands: list[str], context: str
) -> list[m.SampledValue]:
    values: list[m.SampledValue] = []
    ctx = m.ReadingContext(context)
    for name in measurands or ["Energy.Active.Import.Register"]:
        entry = _value(reading, register_wh, name)
        if entry is None:
            continue
        value, unit, location = entry
        values.append(
            m.SampledValue(
                value=value,
                context=ctx,
                measurand=m.Measurand(name),
                location=m.Location(location),
                unit=m.UnitOfMeasure(unit),
            )
        )
    return values


def _value(reading: MeterReading, register_wh: float, name: str) -> tuple[str, str, str] | None:
    if name == "Energy.Active.Import.Register":
        return f"{register_wh:.0f}", "Wh", "Outlet"
    if name == "Power.Active.Import":
        return f"{reading.power_w:.1f}", "W", "Outlet"
    if name == "Power.Offered":
        return f"{reading.power_offered_w:.1f}", "W", "Outlet"
    if name == "Current.Import":
        return f"{reading.current_a:.1f}", "A", "Outlet"
    if name == "Current.Offered":
        return f"{reading.current_offered_a:.1f}", "A", "Outlet"
    if name == "Voltage":
        return f"{reading.voltage_v:.1f}", "V", "Outlet"
    if name == "SoC" and reading.soc_percent is not None:
        return f"{reading.soc_percent:.0f}", "Percent", "EV"
    if name == "Temperature" and reading.temperature_c is not None:
        # OCPP-J errata: CPs keep sending the 1.6 spelling "Celcius".
        return f"{reading.temperature_c:.1f}", "Celcius", "Body"
    return None


def meter_value(timestamp: datetime, values: list[m.SampledValue]) -> m.MeterValue:
    return m.MeterValue(timestamp=timestamp, sampled_value=values)
