"""Turning meter readings into OCPP MeterValue entries.

``SAMPLED_MEASURANDS`` is the one list of measurands this charger samples: the configuration
registry accepts exactly these in MeterValuesSampledData, MeterValuesAlignedData,
StopTxnSampledData and StopTxnAlignedData (anything else is Rejected, OCPP 1.6 section 9.1),
and each has a reader below. A DC charger that never feeds energy back has no export
register, and its DC output no frequency, so neither is offered.

A measurand that the hardware cannot provide at the moment (SoC of an EV that does not
report it) is left out of that sample rather than invented. A MeterValues.req is never
empty: a MeterValue holds one or more sampledValues (section 7.33), and errata 3.15 asks for
MeterValues at every interval; when the configured list is empty or none of it can be read,
it carries the default measurand, Energy.Active.Import.Register (section 9.1.17's default of
MeterValuesSampledData, and SampledValue's own default, section 7.43).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from chargestack.hardware.interfaces import MeterReading
from chargestack.ocpp import messages as m

#: value, unit, location
Sample = tuple[str, str, str]
Reader = Callable[[MeterReading, int], Sample | None]


def whole_wh(register_wh: float) -> int:
    """The one rounding rule for energy: the completed watt-hours (rounded down).

    meterStart, meterStop, the sampled Energy.Active.Import.Register and the journal's
    power-loss reading all use it, so one reading is one figure everywhere (a register never
    shows energy not yet delivered, and stays monotonic, errata 3.9).
    """
    return math.floor(register_wh)


def _optional(value: float | None, fmt: str, unit: str, location: str) -> Sample | None:
    return None if value is None else (format(value, fmt), unit, location)


_READERS: dict[str, Reader] = {
    "Energy.Active.Import.Register": lambda r, wh: (str(wh), "Wh", "Outlet"),
    "Power.Active.Import": lambda r, wh: (f"{r.power_w:.1f}", "W", "Outlet"),
    "Power.Offered": lambda r, wh: (f"{r.power_offered_w:.1f}", "W", "Outlet"),
    "Current.Import": lambda r, wh: (f"{r.current_a:.1f}", "A", "Outlet"),
    "Current.Offered": lambda r, wh: (f"{r.current_offered_a:.1f}", "A", "Outlet"),
    "Voltage": lambda r, wh: (f"{r.voltage_v:.1f}", "V", "Outlet"),
    "SoC": lambda r, wh: _optional(r.soc_percent, ".0f", "Percent", "EV"),
    # OCPP-J errata: CPs keep sending the 1.6 spelling "Celcius".
    "Temperature": lambda r, wh: _optional(r.temperature_c, ".1f", "Celcius", "Body"),
}

#: The measurands this charger samples, in the order GetConfiguration documents them.
SAMPLED_MEASURANDS: tuple[str, ...] = tuple(_READERS)

#: What a MeterValues.req carries when its list gives nothing (sections 7.43 and 9.1.17).
DEFAULT_MEASURAND = "Energy.Active.Import.Register"


def sampled_values(
    reading: MeterReading, register_wh: float, measurands: list[str], context: str
) -> list[m.SampledValue]:
    """One SampledValue per measurand the hardware provides now; ``register_wh`` is the
    energy register of the same reading the caller puts beside it (meterStop, the journal)."""
    values: list[m.SampledValue] = []
    ctx = m.ReadingContext(context)
    wh = whole_wh(register_wh)
    for name in measurands:
        reader = _READERS.get(name)
        entry = reader(reading, wh) if reader is not None else None
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


def message_values(
    reading: MeterReading, register_wh: float, measurands: list[str], context: str
) -> list[m.SampledValue]:
    """The sampledValues of a MeterValues.req: those of ``measurands``, or the default
    measurand's when they give none (never an empty list)."""
    values = sampled_values(reading, register_wh, measurands, context)
    return values or sampled_values(reading, register_wh, [DEFAULT_MEASURAND], context)


def meter_value(timestamp: datetime, values: list[m.SampledValue]) -> m.MeterValue:
    return m.MeterValue(timestamp=timestamp, sampled_value=values)
