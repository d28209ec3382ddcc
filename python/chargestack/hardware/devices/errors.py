"""Why a device could not be used."""

from __future__ import annotations

from chargestack.exceptions import ChargestackError


class DeviceOpenError(ChargestackError):
    """A device of the station file cannot be opened at start; the message is one line that
    names the device's table and what went wrong (``chargestack run`` prints it, exit 1)."""

    def __init__(self, device: str, problem: str) -> None:
        super().__init__(f"{device}: {problem}")
        self.device = device
        self.problem = problem


class MeterReadError(ChargestackError):
    """One read of a meter failed (no answer, an exception response, undecodable words)."""


class MeterRefusedError(MeterReadError):
    """The meter answered a read with a Modbus exception (e.g. an address it does not have)."""


class SunSpecError(ChargestackError):
    """The meter's SunSpec layout cannot be discovered (no marker, a broken model chain, no
    meter model); the message says which, in one line."""
