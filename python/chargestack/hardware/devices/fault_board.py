"""Several device faults on one connector, reported to the station as one.

The station keeps one fault per connector (the errorCode of its StatusNotification). A
connector's meter and its contactor may fail at once, and one recovering must not clear the
other: the board keeps every active fault by its source and tells the station the one to
report, or that none is left.
"""

from __future__ import annotations

from chargestack.hardware.events import FaultCleared, FaultRaised
from chargestack.hardware.interfaces import HardwareEventSink

# OCPP 1.6 section 7 (StatusNotification): info and vendorErrorCode are CiString50Type.
_TEXT_MAX = 50


class FaultBoard:
    def __init__(self, sink: HardwareEventSink) -> None:
        self._sink = sink
        self._active: dict[int, dict[str, FaultRaised]] = {}

    def raise_fault(
        self,
        connector_id: int,
        source: str,
        error_code: str,
        info: str | None = None,
        vendor_error_code: str | None = None,
    ) -> None:
        """Raise (or restate) ``source``'s fault; the newest fault is the one reported."""
        fault = FaultRaised(
            connector_id,
            error_code,
            info[:_TEXT_MAX] if info is not None else None,
            vendor_error_code[:_TEXT_MAX] if vendor_error_code is not None else None,
        )
        faults = self._active.setdefault(connector_id, {})
        if faults.get(source) == fault:
            return
        faults.pop(source, None)
        faults[source] = fault
        self._sink(fault)

    def clear_fault(self, connector_id: int, source: str) -> None:
        faults = self._active.get(connector_id, {})
        if faults.pop(source, None) is None:
            return
        if faults:
            # Another device still fails here: report it instead.
            self._sink(next(reversed(faults.values())))
        else:
            self._sink(FaultCleared(connector_id))

    def active(self, connector_id: int) -> list[str]:
        """The sources failing on ``connector_id`` now, oldest first."""
        return list(self._active.get(connector_id, {}))
