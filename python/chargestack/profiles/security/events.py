"""Security events (whitepaper Ed.3 section 2.7 and its list of security events).

Every event goes to the persisted security log first, then to the central system as a
SecurityEventNotification through the durable queue (oldest first, retried, kept across
restarts), so an event raised while offline or before BootNotification is delivered later.
The whitepaper requires critical events to be pushed; OCTT (TC_077, TC_078) expects the
non-critical certificate events as well, so every event is pushed and the log records which
ones are critical.
"""

from __future__ import annotations

import logging
import ssl
from enum import StrEnum
from typing import TYPE_CHECKING

from websockets.exceptions import InvalidStatus

from chargestack.ocpp import messages as m
from chargestack.store.security import SecurityLog

if TYPE_CHECKING:
    from chargestack.station.ports import DurableQueue
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.security.events")

#: A clock correction smaller than this is drift, not a change of system time.
SYSTEM_TIME_EVENT_THRESHOLD_S = 60.0


class SecurityEvent(StrEnum):
    """The whitepaper's security events (type names as on the wire)."""

    FIRMWARE_UPDATED = "FirmwareUpdated"
    FAILED_TO_AUTHENTICATE_AT_CENTRAL_SYSTEM = "FailedToAuthenticateAtCentralSystem"
    CENTRAL_SYSTEM_FAILED_TO_AUTHENTICATE = "CentralSystemFailedToAuthenticate"
    SETTING_SYSTEM_TIME = "SettingSystemTime"
    STARTUP_OF_THE_DEVICE = "StartupOfTheDevice"
    RESET_OR_REBOOT = "ResetOrReboot"
    SECURITY_LOG_WAS_CLEARED = "SecurityLogWasCleared"
    RECONFIGURATION_OF_SECURITY_PARAMETERS = "ReconfigurationOfSecurityParameters"
    MEMORY_EXHAUSTION = "MemoryExhaustion"
    INVALID_MESSAGES = "InvalidMessages"
    ATTEMPTED_REPLAY_ATTACKS = "AttemptedReplayAttacks"
    TAMPER_DETECTION_ACTIVATED = "TamperDetectionActivated"
    INVALID_FIRMWARE_SIGNATURE = "InvalidFirmwareSignature"
    INVALID_FIRMWARE_SIGNING_CERTIFICATE = "InvalidFirmwareSigningCertificate"
    INVALID_CENTRAL_SYSTEM_CERTIFICATE = "InvalidCentralSystemCertificate"
    INVALID_CHARGE_POINT_CERTIFICATE = "InvalidChargePointCertificate"
    INVALID_TLS_VERSION = "InvalidTLSVersion"
    INVALID_TLS_CIPHER_SUITE = "InvalidTLSCipherSuite"
    # Not in the whitepaper's list, which is not exhaustive: the store came up younger than
    # its data directory (store/marker.py), so state the central system relies on is gone.
    STORE_LOST = "StoreLost"


#: The events the whitepaper's table marks critical.
CRITICAL = frozenset(
    {
        SecurityEvent.FIRMWARE_UPDATED,
        SecurityEvent.SETTING_SYSTEM_TIME,
        SecurityEvent.STARTUP_OF_THE_DEVICE,
        SecurityEvent.RESET_OR_REBOOT,
        SecurityEvent.SECURITY_LOG_WAS_CLEARED,
        SecurityEvent.MEMORY_EXHAUSTION,
        SecurityEvent.TAMPER_DETECTION_ACTIVATED,
        SecurityEvent.STORE_LOST,
    }
)


class SecurityEvents:
    """Raise, log and deliver security events of one station."""

    def __init__(self, station: Station, queue: DurableQueue) -> None:
        self.station = station
        self._queue = queue
        self.log = SecurityLog(station.store)
        # Connection failures repeat on every retry: each kind is raised once until the
        # next successful registration, so an unreachable central system cannot flood the queue.
        self._connect_events_raised: set[SecurityEvent] = set()

    def raise_event(self, event: SecurityEvent, tech_info: str | None = None) -> None:
        """Persist ``event`` in the security log and queue its SecurityEventNotification."""
        now = self.station.clock.now()
        info = tech_info[:255] if tech_info else None
        self.log.append(self.station.clock.now_ms(), event.value, info, event in CRITICAL)
        log.info("security event %s%s", event.value, f": {info}" if info else "")
        request = m.SecurityEventNotificationRequest(
            type=event.value, timestamp=now, tech_info=info
        )
        self._queue.enqueue(request)

    def clear_log(self) -> int:
        """Empty the security log; the clearing itself is the first entry of the new log."""
        removed = self.log.clear()
        self.raise_event(SecurityEvent.SECURITY_LOG_WAS_CLEARED, f"{removed} entries removed")
        return removed

    # -- sources of events -----------------------------------------------------------------

    def clock_adjusted(self, change_s: float) -> None:
        if abs(change_s) >= SYSTEM_TIME_EVENT_THRESHOLD_S:
            self.raise_event(SecurityEvent.SETTING_SYSTEM_TIME, f"clock moved by {change_s:+.0f} s")

    def connect_failed(self, exc: BaseException) -> None:
        event = connect_error_event(exc)
        if event is None or event in self._connect_events_raised:
            return
        self._connect_events_raised.add(event)
        self.raise_event(event, f"{type(exc).__name__}: {exc}")

    def connected(self) -> None:
        self._connect_events_raised.clear()


def connect_error_event(exc: BaseException) -> SecurityEvent | None:
    """The security event a failed connection attempt stands for, if any."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SecurityEvent.INVALID_CENTRAL_SYSTEM_CERTIFICATE
    if isinstance(exc, ssl.SSLError):
        reason = (exc.reason or "").upper()
        if "VERSION" in reason or "PROTOCOL" in reason:
            return SecurityEvent.INVALID_TLS_VERSION
        if "CIPHER" in reason:
            return SecurityEvent.INVALID_TLS_CIPHER_SUITE
        return None
    if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403):
        return SecurityEvent.FAILED_TO_AUTHENTICATE_AT_CENTRAL_SYSTEM
    return None
