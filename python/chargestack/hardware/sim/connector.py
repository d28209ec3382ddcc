"""A simulated connector: plug state (the station side and the EV side of the cable), lock
with an injectable failure, EV pause flag."""

from __future__ import annotations

import logging

from chargestack.settings import ConnectorSettings

log = logging.getLogger(__name__)


class SimConnector:
    """Implements ``ConnectorHardware`` for one connector of the station file."""

    def __init__(self, settings: ConnectorSettings) -> None:
        self.connector_id = settings.id
        self.fixed_cable = settings.fixed_cable
        # A cable at the connector: in the socket, or a fixed cable in an EV.
        self._plugged = False
        # An EV at the other end of that cable (a socket's cable can stay without one).
        self._ev_connected = False
        self._locked = False
        self._ev_paused = False
        self._lock_failure_armed = False

    async def lock(self) -> bool:
        if self._consume_lock_failure("lock"):
            return False
        self._locked = True
        return True

    async def unlock(self) -> bool:
        if self._consume_lock_failure("unlock"):
            return False
        self._locked = False
        return True

    def is_plugged(self) -> bool:
        return self._plugged

    def is_ev_connected(self) -> bool:
        return self._ev_connected

    def is_locked(self) -> bool:
        return self._locked

    def is_ev_paused(self) -> bool:
        return self._ev_paused

    def lock_failure_armed(self) -> bool:
        return self._lock_failure_armed

    def arm_lock_failure(self) -> None:
        """OCTT manual action "connector lock failure": only the next lock or unlock fails."""
        self._lock_failure_armed = True

    def set_plugged(self, plugged: bool) -> None:
        self._plugged = plugged
        self._ev_connected = plugged
        if not plugged:
            # A cable that leaves the socket takes the EV (and its pause) with it; a socket's
            # lock releases mechanically once nothing is inserted.
            self._ev_paused = False
            if not self.fixed_cable:
                self._locked = False

    def set_ev_unplugged(self) -> None:
        """The cable left the EV: a fixed cable is free, a socket's cable stays (and its lock
        holds it) until it is taken out."""
        if self.fixed_cable:
            self.set_plugged(False)
            return
        self._ev_connected = False
        self._ev_paused = False

    def set_ev_paused(self, paused: bool) -> None:
        self._ev_paused = paused

    def _consume_lock_failure(self, action: str) -> bool:
        if not self._lock_failure_armed:
            return False
        self._lock_failure_armed = False
        log.info("connector %d: simulated %s failure", self.connector_id, action)
        return True
