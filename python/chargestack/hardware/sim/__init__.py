"""The ``sim`` hardware driver: simulated connectors, RFID reader, EVs and faults over the
real Rust power stage."""

from chargestack.hardware.power_port import ConnectorTelemetry
from chargestack.hardware.sim.error_codes import FAULT_ERROR_CODES, ChargePointErrorCode
from chargestack.hardware.sim.errors import (
    ConnectorStateError,
    InvalidActionValueError,
    SimActionError,
    UnknownConnectorError,
    UnknownModuleError,
)
from chargestack.hardware.sim.hardware import SimHardware, Simulated, simulator_of
from chargestack.hardware.sim.power_port import ModuleFault, SimPowerStage

__all__ = [
    "FAULT_ERROR_CODES",
    "ChargePointErrorCode",
    "ConnectorStateError",
    "ConnectorTelemetry",
    "InvalidActionValueError",
    "ModuleFault",
    "SimActionError",
    "SimHardware",
    "SimPowerStage",
    "Simulated",
    "UnknownConnectorError",
    "UnknownModuleError",
    "simulator_of",
]
