"""Accuenergy AcuDC 240 series DC power and energy meter (Modbus RTU).

Source: Accuenergy, "AcuDC 240 Series Modbus Map" (product support page,
accuenergy.com/support/acudc-240-series-modbus-map/) and the AcuDC 240 user's manual,
appendix B.3 "AcuDC240 Communication Address Table" (V1.0, Jan. 2018):
  - real-time values, function code 03: voltage 0200H-0201H, current 0202H-0203H,
    power 0204H-0205H, each a float (high word first); voltage in V, current in A,
    power in kW ("Power Real=Rx kW");
  - energy, function code 03: import energy 0300H-0301H, a long (int32, high word first),
    "Energy Real=Rx/100 kWh", i.e. one count is 10 Wh.
"""

from __future__ import annotations

from chargestack.settings.register_map import MeterRegisterMap, RegisterSpec

NAME = "accuenergy-acudc240"

MAP = MeterRegisterMap(
    energy_import=RegisterSpec(address=0x0300, kind="holding", type="int32", scale=10.0),
    voltage=RegisterSpec(address=0x0200, kind="holding", type="float32"),
    current=RegisterSpec(address=0x0202, kind="holding", type="float32"),
    power=RegisterSpec(address=0x0204, kind="holding", type="float32", scale=1000.0),
)
