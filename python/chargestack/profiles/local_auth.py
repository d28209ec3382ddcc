"""Local Authorization List Management (OCPP 1.6 sections 3.5.3, 5.10 and 5.15).

The central system installs a list of idTags with their IdTagInfo; authorization consults it
before the cache (the Core profile's ``IdTagSource``). Updates are all-or-nothing: a request
that is refused or fails on its way changes neither the entries nor the version.
"""

from __future__ import annotations

import logging
from typing import Any

from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Refuse, on
from chargestack.station.block import Block
from chargestack.station.clock import to_ms
from chargestack.station.config_keys import ConfigValue
from chargestack.station.configuration import Configuration
from chargestack.station.ports import ConnectorBoard
from chargestack.store import Store
from chargestack.store.auth_cache import AuthEntry
from chargestack.store.local_list import ListTooLong, LocalList

log = logging.getLogger("chargestack.local_auth")


class LocalListService(Block):
    """Implements the Core profile's ``IdTagSource``."""

    def __init__(self, *, store: Store, config: Configuration, board: ConnectorBoard) -> None:
        self._store = store
        self._config = config
        self._board = board
        self._list: LocalList | None = None

    async def start(self) -> None:
        self._list = LocalList(self._store)
        self._config.on_change("LocalAuthListEnabled", self._enabled_changed)

    def _enabled_changed(self, enabled: ConfigValue) -> None:
        # Section 3.5.2: a disabled list cannot be in conflict with the central system; the
        # authorization does not consult it (nor report conflicts) until it is enabled again.
        if not enabled:
            self._set_conflict(False)

    # -- IdTagSource -----------------------------------------------------------------------

    def enabled(self) -> bool:
        """LocalAuthListEnabled (section 9.2)."""
        return self._config.get_bool("LocalAuthListEnabled")

    def lookup(self, id_tag: str) -> AuthEntry | None:
        """The list's entry for ``id_tag`` as installed (expiry is applied by the caller)."""
        return self._entries().get(id_tag)

    def conflict(self, id_tag: str, status: str) -> None:
        """Section 3.5.2: a StatusNotification for connector 0 with LocalListConflict; it
        stays until the central system sends a list again or disables the list."""
        log.warning("central system says %s for %s, unlike the local list", status, id_tag)
        self._set_conflict(True)

    def _set_conflict(self, conflict: bool) -> None:
        facts = self._board.station_facts
        if facts.local_list_conflict != conflict:
            facts.local_list_conflict = conflict
            self._board.refresh(0)

    def describe_station(self) -> dict[str, Any]:
        entries = self._entries()
        return {"localListVersion": entries.version(), "localListSize": entries.size()}

    # -- OCPP ------------------------------------------------------------------------------

    @on(Action.GET_LOCAL_LIST_VERSION)
    async def get_local_list_version(
        self, request: m.GetLocalListVersionRequest
    ) -> m.GetLocalListVersionResponse:
        del request
        if not self.enabled():
            return m.GetLocalListVersionResponse(list_version=-1)
        return m.GetLocalListVersionResponse(list_version=self._current_version())

    def _current_version(self) -> int:
        """Section 5.10: 0 means an empty list, whatever version made it empty (TC_042_2);
        the version a Differential update must exceed is this one too (section 7.47)."""
        entries = self._entries()
        return entries.version() if entries.size() > 0 else 0

    @on(
        Action.SEND_LOCAL_LIST,
        without_storage=Refuse(m.SendLocalListResponse(status=m.UpdateStatus("Failed"))),
    )
    async def send_local_list(self, request: m.SendLocalListRequest) -> m.SendLocalListResponse:
        status = self._update(request)
        if status == "Accepted":
            self._set_conflict(False)  # the central system's list, up to date again
        log.info(
            "SendLocalList %s version %d (%d entries): %s",
            request.update_type.value,
            request.list_version,
            len(request.local_authorization_list or []),
            status,
        )
        return m.SendLocalListResponse(status=m.UpdateStatus(status))

    def _update(self, request: m.SendLocalListRequest) -> str:
        if not self.enabled():
            return "NotSupported"
        config = self._config
        items = request.local_authorization_list or []
        # Errata 3.52: 0 and -1 are the "no list" and "disabled" answers of
        # GetLocalListVersion, never the version of a list; negatives make no sense either.
        if request.list_version <= 0:
            return "Failed"
        if len(items) > config.get_int("SendLocalListMaxLength"):
            return "Failed"
        if len({item.id_tag.casefold() for item in items}) != len(items):
            return "Failed"  # one request naming a tag twice has no defined meaning
        full = request.update_type is m.UpdateType.FULL
        entries = self._entries()
        if not full and request.list_version <= self._current_version():
            # Section 5.15: a differential update must move the version forward (TC_043_2).
            return "VersionMismatch"
        upserts: list[AuthEntry] = []
        removals: list[str] = []
        for item in items:
            info = item.id_tag_info
            if info is None:
                if full:
                    return "Failed"  # section 7.3: idTagInfo is required in a Full update
                removals.append(item.id_tag)
                continue
            upserts.append(
                AuthEntry(
                    item.id_tag,
                    info.status.value,
                    to_ms(info.expiry_date) if info.expiry_date is not None else None,
                    info.parent_id_tag,
                )
            )
        try:
            entries.update(
                request.list_version,
                full=full,
                upserts=upserts,
                removals=removals,
                max_size=config.get_int("LocalAuthListMaxLength"),
            )
        except ListTooLong as exc:
            log.info("SendLocalList refused: %s", exc)
            return "Failed"
        return "Accepted"

    def _entries(self) -> LocalList:
        assert self._list is not None, "LocalListService used before start()"
        return self._list
