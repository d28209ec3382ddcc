"""The Firmware Management profile: UpdateFirmware and GetDiagnostics (OCPP 1.6 section 3.3).

``transfer`` (downloads and uploads), ``installer`` (the installer interface and the A/B slot
installer), ``collector`` (the diagnostics archive), ``install_flow`` (the firmware job from
download to confirmed boot) and ``upload_job`` (collect, upload, notify) are shared with the
security whitepaper's SignedUpdateFirmware and GetLog.
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
