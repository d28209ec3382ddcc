"""The OCPP 1.6 security whitepaper (edition 3): security profiles, certificates, events,
signed firmware and log upload. Always installed; it is no feature profile.

``service`` (certificates, events, the profile switch), ``log_upload`` (GetLog) and
``signed_firmware`` (SignedUpdateFirmware) are three blocks; the composition root
(``chargestack.assembly``) wires them.
"""
