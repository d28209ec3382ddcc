"""Authorization (OCPP 1.6 section 3.5): local list, cache, central system, offline rules.

Order of lookup: the local authorization list (takes precedence over the cache), then the
cache; with LocalPreAuthorize a locally valid tag starts at once without Authorize (TC_007).
Offline (no link, or no answer to Authorize), LocalAuthorizeOffline allows locally valid
tags and AllowOfflineTxForUnknownId allows unknown ones; a central system that answers
Authorize with an error authorizes nothing. Every IdTagInfo received updates the cache.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from chargestack.exceptions import CallTimeoutError, NotConnectedError, OcppError
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Refuse, on
from chargestack.station.block import Block
from chargestack.station.clock import Clock, to_ms
from chargestack.station.configuration import Configuration
from chargestack.station.extension_points import IdTagSource, NoLocalList
from chargestack.station.ports import LinkState, Send
from chargestack.store.auth_cache import AuthCache, AuthEntry

log = logging.getLogger("chargestack.authorization")


@dataclass(frozen=True)
class AuthResult:
    accepted: bool
    status: str
    parent_id_tag: str | None
    source: str  # "list", "cache", "central", "offline"


class AuthorizationService(Block):
    """Authorize.req and the local rules; ``local_list`` is the Local Auth List profile's
    list when the station offers it."""

    def __init__(
        self,
        *,
        config: Configuration,
        cache: AuthCache,
        clock: Clock,
        link: LinkState,
        send: Send,
        local_list: IdTagSource | None = None,
    ) -> None:
        self._config = config
        self._cache = cache
        self._clock = clock
        self._link = link
        self._send = send
        self._local_list: IdTagSource = local_list if local_list is not None else NoLocalList()

    def _cfg_bool(self, key: str, default: bool = False) -> bool:
        config = self._config
        return config.get_bool(key) if config.has(key) else default

    def local_entry(self, id_tag: str) -> tuple[AuthEntry | None, str]:
        """The list entry (preferred) or the cache entry, with expiry applied."""
        now = self._clock.now_ms()
        if self._local_list.enabled():
            entry = self._local_list.lookup(id_tag)
            if entry is not None:
                return _expired(entry, now), "list"
        if self._cfg_bool("AuthorizationCacheEnabled"):
            entry = self._cache.get(id_tag, now)
            if entry is not None:
                return _expired(entry, now), "cache"
        return None, ""

    async def authorize(self, id_tag: str) -> AuthResult:
        entry, source = self.local_entry(id_tag)
        online = self._link.accepted
        if online:
            if (
                self._cfg_bool("LocalPreAuthorize")
                and entry is not None
                and entry.status == "Accepted"
            ):
                return AuthResult(True, "Accepted", entry.parent_id_tag, source)
            try:
                response = await self._send(m.AuthorizeRequest(id_tag=id_tag))
            except (CallTimeoutError, NotConnectedError) as exc:
                # Section 3.5: offline is "unavailability of the communications or even of
                # the Central System", and one that gives no answer is unavailable.
                log.info("Authorize not answered (%s); applying offline rules", exc)
            except OcppError as exc:
                # A CALLERROR, or an answer not even the leniencies read: the central
                # system is there and did not authorize the tag. Offline rules here would
                # let AllowOfflineTxForUnknownId start any tag it fails on.
                log.warning("Authorize of %s failed at the central system: %s", id_tag, exc)
                return AuthResult(False, "Invalid", None, "central")
            else:
                assert isinstance(response, m.AuthorizeResponse)
                info = response.id_tag_info
                self.remember(id_tag, info)
                status = info.status.value
                return AuthResult(status == "Accepted", status, info.parent_id_tag, "central")
        return self._offline(id_tag, entry, source)

    def _offline(self, id_tag: str, entry: AuthEntry | None, source: str) -> AuthResult:
        if entry is not None:
            if self._cfg_bool("LocalAuthorizeOffline") and entry.status == "Accepted":
                return AuthResult(True, "Accepted", entry.parent_id_tag, source)
            return AuthResult(False, entry.status, entry.parent_id_tag, source)
        if self._cfg_bool("AllowOfflineTxForUnknownId"):
            return AuthResult(True, "Accepted", None, "offline")
        return AuthResult(False, "Invalid", None, "offline")

    def remember(self, id_tag: str, info: m.IdTagInfo) -> None:
        """Update the cache from any IdTagInfo (Authorize, Start- and StopTransaction); one
        that contradicts the local list is a LocalListConflict (section 3.5.2)."""
        listed = self._local_list.lookup(id_tag) if self._local_list.enabled() else None
        if listed is not None:
            if _validity(_expired(listed, self._clock.now_ms()).status) != _validity(
                info.status.value
            ):
                self._local_list.conflict(id_tag, info.status.value)
            # Section 3.5.3: identifiers on the local list are not kept in the cache too.
            return
        if not self._cfg_bool("AuthorizationCacheEnabled"):
            return
        expiry = to_ms(info.expiry_date) if info.expiry_date is not None else None
        self._cache.put(
            AuthEntry(id_tag, info.status.value, expiry, info.parent_id_tag),
            self._clock.now_ms(),
        )

    async def parent_of(self, id_tag: str) -> str | None:
        """The parentIdTag of a tag: local list/cache first, else ask the central system."""
        entry, _ = self.local_entry(id_tag)
        if entry is not None and entry.parent_id_tag is not None:
            return entry.parent_id_tag
        result = await self.authorize(id_tag)
        return result.parent_id_tag if result.accepted else None

    @on(
        Action.CLEAR_CACHE,
        without_storage=Refuse(m.ClearCacheResponse(status=m.ClearCacheStatus("Rejected"))),
    )
    async def clear_cache(self, request: m.ClearCacheRequest) -> m.ClearCacheResponse:
        # Errata 3.23: a charge point without a cache answers Rejected.
        if not self._config.has("AuthorizationCacheEnabled"):
            return m.ClearCacheResponse(status=m.ClearCacheStatus("Rejected"))
        self._cache.clear()
        return m.ClearCacheResponse(status=m.ClearCacheStatus("Accepted"))


def _expired(entry: AuthEntry, now_ms: int) -> AuthEntry:
    if entry.expiry_ms is not None and entry.expiry_ms <= now_ms and entry.status == "Accepted":
        return AuthEntry(entry.id_tag, "Expired", entry.expiry_ms, entry.parent_id_tag)
    return entry


def _validity(status: str) -> str:
    # Section 3.5.2: Accepted and ConcurrentTx both mark a valid identifier (ConcurrentTx only
    # says it is in another transaction now), so they do not contradict each other.
    return "Accepted" if status == "ConcurrentTx" else status
