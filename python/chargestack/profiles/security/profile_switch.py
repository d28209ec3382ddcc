"""Changing how the charge point connects: SecurityProfile and AuthorizationKey.

Whitepaper Ed.3 section 2.3 (and OCTT TC_073, TC_083, TC_084): the profile is only ever
raised, and only when its prerequisites are present (an AuthorizationKey for 1 and 2, a
central-system root certificate for 2 and 3, a client certificate for 3). After an accepted
change the charge point closes the link (its queue is kept) and reconnects with the new
settings. If the new settings cannot register within ``max_failed_attempts`` connection
attempts or ``confirm_timeout_s``, the previous values are restored and used again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from chargestack.profiles.security.certificate_store import CertificateStore
from chargestack.profiles.security.events import SecurityEvent, SecurityEvents
from chargestack.station.config_keys import ConfigValue

if TYPE_CHECKING:
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.security.profile")

_WATCHED = ("SecurityProfile", "AuthorizationKey")
_FALLBACK_META = "security_profile_fallback"


@dataclass(frozen=True, slots=True)
class ConnectionSecrets:
    """The values a switch may have to restore."""

    security_profile: int
    authorization_key: str


class ProfileSwitch:
    def __init__(self, station: Station, store: CertificateStore, events: SecurityEvents) -> None:
        self.station = station
        self.store = store
        self.events = events
        self.max_failed_attempts = 3
        self.confirm_timeout_s = 60.0
        self._current = self._read()
        self._pending_from: ConnectionSecrets | None = None
        self._restoring = False
        self._failures = 0
        self._outcome = asyncio.Event()
        self._confirmed = False
        self.fallbacks = 0

    def install(self) -> None:
        config = self.station.config
        config.add_guard("SecurityProfile", self._prerequisites)
        for name in _WATCHED:
            config.on_change(name, self._changed)

    def _read(self) -> ConnectionSecrets:
        config = self.station.config
        return ConnectionSecrets(
            config.get_int("SecurityProfile"), config.get_str("AuthorizationKey")
        )

    # -- ChangeConfiguration ---------------------------------------------------------------

    def _prerequisites(self, current: ConfigValue, proposed: ConfigValue) -> str | None:
        assert isinstance(current, int) and isinstance(proposed, int)
        if proposed <= current:
            return None  # the configuration's own guard refuses it: no raise
        if proposed in (1, 2) and not self.station.authorization_key_in_use():
            return f"SecurityProfile {proposed} needs an AuthorizationKey first"
        if proposed >= 2 and not self.store.has_central_system_root():
            return f"SecurityProfile {proposed} needs a CentralSystemRootCertificate first"
        if proposed == 3 and not self.store.has_client_certificate():
            return "SecurityProfile 3 needs a charge point certificate first"
        return None

    def _changed(self, _value: object) -> None:
        before, self._current = self._current, self._read()
        if self._restoring or before == self._current:
            return
        affects_link = (
            before.security_profile != self._current.security_profile
            or self._current.security_profile in (1, 2)
        )
        if affects_link and self._pending_from is None:
            self._pending_from = before
            # Persisted with the change itself: a restart before or during the trial still
            # finds the settings to fall back to.
            self.station.store.meta.set(
                _FALLBACK_META,
                orjson.dumps(
                    {
                        "securityProfile": before.security_profile,
                        "authorizationKey": before.authorization_key,
                    }
                ).decode(),
            )

    async def after_change(self) -> None:
        """After the ChangeConfiguration answer went out: reconnect if the link changed."""
        previous, self._pending_from = self._pending_from, None
        if previous is None:
            return
        now = self._current
        self.events.raise_event(
            SecurityEvent.RECONFIGURATION_OF_SECURITY_PARAMETERS,
            f"SecurityProfile {previous.security_profile} -> {now.security_profile}"
            + ("" if previous.authorization_key == now.authorization_key else ", new password"),
        )
        self._begin_trial()
        await self.reconnect()
        if await self._trial_outcome():
            log.info("security profile %d in use", now.security_profile)
            if previous.security_profile != now.security_profile:
                # OCTT TC_083: the upgraded charge point registers anew (BootNotification,
                # then every connector's status) on its first connection with the new profile.
                await self.station.registration.boot_once()
            return
        self._fall_back(previous)

    async def resume(self) -> None:
        """At start: finish a trial that a restart interrupted (its fallback is persisted)."""
        raw = self.station.store.meta.get(_FALLBACK_META)
        if raw is None:
            return
        data = orjson.loads(raw)
        previous = ConnectionSecrets(int(data["securityProfile"]), str(data["authorizationKey"]))
        self._begin_trial()
        if not await self._trial_outcome():
            self._fall_back(previous)

    def _fall_back(self, previous: ConnectionSecrets) -> None:
        log.warning(
            "security profile %d could not connect; back to profile %d",
            self._current.security_profile,
            previous.security_profile,
        )
        self._restore(previous)

    def _begin_trial(self) -> None:
        self._failures = 0
        self._confirmed = False
        self._outcome.clear()

    async def _trial_outcome(self) -> bool:
        """True once registered with the current settings; False after too many failed
        attempts or the timeout. The persisted fallback is settled either way."""
        # Not in a finally: a trial cut short by a stop resumes at the next start.
        outcome = await self._wait_outcome()
        self.station.store.meta.delete(_FALLBACK_META)
        return outcome

    async def _wait_outcome(self) -> bool:
        try:
            async with asyncio.timeout(self.confirm_timeout_s):
                await self._outcome.wait()
        except TimeoutError:
            return False
        return self._confirmed

    async def trial_reconnect(self) -> bool:
        """Reconnect with the station's connection settings; True once registered on them,
        False after too many failed attempts or the timeout."""
        self._begin_trial()
        await self.reconnect()
        return await self._wait_outcome()

    async def reconnect(self) -> None:
        """Close the link cleanly; the session reconnects with the station's connection
        settings at once."""
        session = self.station.session
        session.update_settings(self.station.connection_settings())
        await session.restart_link()

    def _restore(self, previous: ConnectionSecrets) -> None:
        config = self.station.config
        self._restoring = True
        try:
            # set_internal skips the raise-only guard: this lowering is the whitepaper's fallback.
            config.set_internal("SecurityProfile", previous.security_profile)
            if previous.authorization_key != config.get_str("AuthorizationKey"):
                if previous.authorization_key:
                    config.set_internal("AuthorizationKey", previous.authorization_key)
                else:
                    # The key was never set over OCPP (the station file's one was in use);
                    # an empty value is no valid key, so the new one has to stay.
                    log.warning("AuthorizationKey kept: there is no earlier value to restore")
        finally:
            self._restoring = False
        self._current = self._read()
        self.fallbacks += 1
        self.station.session.update_settings(self.station.connection_settings())
        self.station.session.reconnect_now()

    # -- outcome of the new link -----------------------------------------------------------

    def connect_failed(self) -> None:
        self._failures += 1
        if self._failures >= self.max_failed_attempts:
            self._outcome.set()

    def registered(self) -> None:
        self._confirmed = True
        self._outcome.set()
