"""The Firmware Management profile: UpdateFirmware and GetDiagnostics (OCPP 1.6 section 3.3).

Only the two handlers and their jobs' OCPP side live here; the machinery they share with
the security whitepaper's SignedUpdateFirmware and GetLog (transfers, locations, the
installers and A/B slots, the firmware and upload jobs, the diagnostics archive, the
station's log files) is ``chargestack.files``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chargestack.station.station import Station


def firmware_services(station: Station) -> list[Any]:
    """``station.firmware`` and ``station.diagnostics``, in start order."""
    from chargestack.profiles.firmware.diagnostics import DiagnosticsService
    from chargestack.profiles.firmware.update import FirmwareService

    # Diagnostics first: its log file is open before the firmware job logs anything.
    return [DiagnosticsService(station), FirmwareService(station)]
