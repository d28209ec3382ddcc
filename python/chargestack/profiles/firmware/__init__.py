"""The Firmware Management profile: UpdateFirmware and GetDiagnostics (OCPP 1.6 section 3.3).

Only the two handlers and their jobs' OCPP side live here; the machinery they share with
the security whitepaper's SignedUpdateFirmware and GetLog (transfers, locations, the
installers and A/B slots, the firmware and upload jobs, the diagnostics archive, the
station's log files) is ``chargestack.files``.
"""
