"""Boot and registration (OCPP 1.6 section 4.2) and the heartbeat (4.6).

Accepted: take the clock from currentTime, heartbeat every interval, report every
connector's status. Pending: answer the central system and send what a TriggerMessage (or
ExtendedTriggerMessage) asks for, nothing else of our own except BootNotification after the
interval. Rejected: stay silent until the interval, answering no CALL of the central system
either, then boot again. A reconnect meanwhile does not cut the interval short. No Heartbeat
of our own before Accepted (OCTT TC_001, TC_002).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from enum import StrEnum
from typing import TYPE_CHECKING

from chargestack.exceptions import ChargestackError
from chargestack.ocpp import messages as m

if TYPE_CHECKING:
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.station.registration")

# Section 4.6: "With JSON over WebSocket, sending heartbeats is not mandatory. However, for
# time synchronization it is advised to at least send one heartbeat per 24 hour." The longest
# wait between heartbeats, so also the one while HeartbeatInterval is 0 (no interval).
CLOCK_SYNC_HEARTBEAT_S = 86_400


# Section 4.2: in Pending "the Charge Point SHALL NOT send request messages to the Central
# System unless it has been instructed by the Central System to do so with a
# TriggerMessage.req". Set while a trigger's follow-up runs, so whichever service sends the
# requested message (status reporter, firmware, diagnostics, security) is let through.
_triggered: ContextVar[bool] = ContextVar("triggered", default=False)


@contextlib.contextmanager
def sending_triggered_message() -> Iterator[None]:
    """The requests sent inside this block were asked for by the central system."""
    token = _triggered.set(True)
    try:
        yield
    finally:
        _triggered.reset(token)


class RegistrationStatus(StrEnum):
    UNKNOWN = "Unknown"
    PENDING = "Pending"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class Registration:
    def __init__(self, station: Station) -> None:
        self.station = station
        self.status = RegistrationStatus.UNKNOWN
        self._accepted = asyncio.Event()
        self._heartbeat_changed = asyncio.Event()
        self.boot_count = 0
        # Errata 3.35/3.40: after Accepted, TriggerMessage(BootNotification) is rejected
        # until the next reconnect.
        self.accepted_on_this_connection = False
        # Event-loop time before which no BootNotification goes out: the interval of the last
        # answer that was not Accepted, whatever connection it came on (section 4.2).
        self._next_boot_at = 0.0

    @property
    def accepted(self) -> bool:
        return self.status is RegistrationStatus.ACCEPTED and self.station.session.connected

    def may_send(self) -> bool:
        """Whether a request of ours may go out now: Accepted, or Pending and triggered."""
        if not self.station.session.connected:
            return False
        if self.status is RegistrationStatus.ACCEPTED:
            return True
        return self.status is RegistrationStatus.PENDING and _triggered.get()

    def answers_central_system(self) -> bool:
        """Section 4.2: "While Rejected, the Charge Point SHALL NOT respond to any Central
        System initiated message" (until a later BootNotification is answered otherwise)."""
        return self.status is not RegistrationStatus.REJECTED

    async def wait_accepted(self) -> None:
        while True:
            await self._accepted.wait()
            if self.station.session.connected:
                return
            await self.station.session.wait_connected()

    def on_disconnected(self) -> None:
        self._accepted.clear()
        self.accepted_on_this_connection = False

    async def on_connected(self) -> None:
        """Boot on the first connection; on a reconnect of an accepted station, resume."""
        if self.status is RegistrationStatus.ACCEPTED:
            self._accepted.set()
            self.station.on_registered(reconnect=True)
            return
        await self.boot_until_accepted()

    async def boot_until_accepted(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            # Section 4.2: "interval" is "the minimum wait time before sending a next
            # BootNotification request" (Rejected: "SHALL NOT send any OCPP message [...]
            # until" it expired); a new connection meanwhile does not cut it short.
            early = self._next_boot_at - loop.time()
            if early > 0:
                await asyncio.sleep(early)
            interval = await self.boot_once()
            if self.status is RegistrationStatus.ACCEPTED:
                return
            await asyncio.sleep(interval)

    async def boot_once(self) -> float:
        """Send one BootNotification; returns the wait before the next attempt."""
        identity = self.station.settings.identity
        request = m.BootNotificationRequest(
            charge_point_vendor=identity.vendor,
            charge_point_model=identity.model,
            charge_point_serial_number=identity.charge_point_serial_number,
            charge_box_serial_number=identity.charge_box_serial_number,
            firmware_version=self.station.firmware_version,
            iccid=identity.iccid,
            imsi=identity.imsi,
            meter_type=identity.meter_type,
            meter_serial_number=identity.meter_serial_number,
        )
        retry = self.station.settings.timers.boot_retry_s
        try:
            response = await self.station.session.call(request)
        except ChargestackError as exc:
            log.warning("BootNotification failed: %s", exc)
            return retry
        assert isinstance(response, m.BootNotificationResponse)
        self.boot_count += 1
        self.station.clock.adjust_to(response.current_time)
        self.status = RegistrationStatus(response.status.value)
        self.station.store.meta.set("registration_status", self.status.value)
        log.info("BootNotification %s, interval %ss", self.status, response.interval)
        if self.status is RegistrationStatus.ACCEPTED:
            # "When RegistrationStatus is Accepted, this contains the heartbeat interval": 0
            # too, which means here what HeartbeatInterval 0 means (heartbeat_loop).
            interval = max(0, response.interval)
            self.station.config.set_internal("HeartbeatInterval", str(interval))
            self.accepted_on_this_connection = True
            self._accepted.set()
            self.station.on_registered(reconnect=False)
            return 0.0
        wait = float(response.interval) if response.interval > 0 else retry
        self._next_boot_at = asyncio.get_running_loop().time() + wait
        return wait

    def heartbeat_interval_changed(self) -> None:
        self._heartbeat_changed.set()

    async def heartbeat_loop(self) -> None:
        """Heartbeat every HeartbeatInterval once accepted, at least once a day (0: only
        that one); a new interval applies at once."""
        while True:
            await self.wait_accepted()
            interval = self.station.config.get_int("HeartbeatInterval")
            self._heartbeat_changed.clear()
            wait = interval if 0 < interval <= CLOCK_SYNC_HEARTBEAT_S else CLOCK_SYNC_HEARTBEAT_S
            # Issue 12 item 8: a change re-anchors the wait (one new interval from the
            # change), it never catches up on heartbeats.
            if await self.station.clock.sleep(wait, self._heartbeat_changed):
                continue  # rescheduled by a configuration change
            await self.send_heartbeat()

    async def send_heartbeat(self) -> None:
        try:
            response = await self.station.send(m.HeartbeatRequest())
        except ChargestackError as exc:
            log.info("Heartbeat failed: %s", exc)
            return
        assert isinstance(response, m.HeartbeatResponse)
        self.station.clock.adjust_to(response.current_time)
