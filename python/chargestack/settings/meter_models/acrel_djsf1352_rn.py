"""Acrel DJSF1352-RN rail-mounted DC energy meter (Modbus RTU), common in DC chargers.

Sources:
  - Acrel, "DJSF1352-RN rail-mounted DC power meter, Installation and Operation Instruction"
    V1.8 (2019.01), section 7.4 (Modbus parameter address table) and 7.4.2 note 1: voltage,
    current and power are read as "Reading = effective value x 10^(index - 3)", where the
    index is the decimal-point register that follows each value;
  - the register layout as the EVerest project's driver reads it (everest-core,
    modules/HardwareDrivers/PowerMeters/Acrel_DJSF1352_RN, Apache-2.0), function code 03
    from address 0: 0 DC voltage (unsigned), 1 its decimal point, 2 DC current (signed),
    3 its decimal point, 8 power (signed), 9 its decimal point, 12-13 total forward
    active energy (uint32, high word first), 14-15 total reverse active energy.

The energy register is read in Wh, as that driver does. The manual's table giving its unit
was not available to us: check it against the meter's display when commissioning (a custom
map in the station file overrides this one; see docs/drivers.md).
"""

from __future__ import annotations

from chargestack.settings.register_map import MeterRegisterMap, RegisterSpec

NAME = "acrel-djsf1352-rn"

MAP = MeterRegisterMap(
    energy_import=RegisterSpec(address=12, kind="holding", type="uint32"),
    voltage=RegisterSpec(
        address=0, kind="holding", type="uint16", exponent_address=1, exponent_offset=3
    ),
    current=RegisterSpec(
        address=2, kind="holding", type="int16", exponent_address=3, exponent_offset=3
    ),
    power=RegisterSpec(
        address=8, kind="holding", type="int16", exponent_address=9, exponent_offset=3
    ),
)
