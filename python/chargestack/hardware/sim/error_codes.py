"""The error codes a simulated fault input may carry: OCPP 1.6 ChargePointErrorCode (7.6)."""

from __future__ import annotations

from chargestack.ocpp.messages.enums import ChargePointErrorCode

# NoError is how a StatusNotification says "no fault"; raising it as a fault is meaningless.
FAULT_ERROR_CODES = frozenset(
    c.value for c in ChargePointErrorCode if c is not ChargePointErrorCode.NO_ERROR
)

__all__ = ["FAULT_ERROR_CODES", "ChargePointErrorCode"]
