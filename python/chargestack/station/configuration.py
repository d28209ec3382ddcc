"""The live OCPP configuration of one station: typed values, ChangeConfiguration, GetConfiguration.

A key's value is, in order of precedence: the value the central system (or the station itself)
last set and the store persisted; the station file's initial value; the registry default.
Read-only keys are never persisted, so the station file always decides them. Keys of a feature
profile the station does not offer are hidden: GetConfiguration lists them as unknown and
ChangeConfiguration answers NotSupported (OCPP 1.6 section 5.3).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal, NotRequired, TypedDict

from chargestack.exceptions import ConfigurationError
from chargestack.settings import FEATURE_PROFILES
from chargestack.station.config_keys import (
    ConfigKey,
    ConfigRegistry,
    ConfigValue,
    KeyContext,
    KeyKind,
)
from chargestack.store import Store

log = logging.getLogger(__name__)

ChangeResult = Literal["Accepted", "Rejected", "RebootRequired", "NotSupported"]
#: Called with the new value after a change is persisted.
ChangeListener = Callable[[ConfigValue], None]
#: Called with (current, proposed) before an OCPP change; returns why it is refused, or None.
ChangeGuard = Callable[[ConfigValue, ConfigValue], str | None]


class KeyValueEntry(TypedDict):
    """One ``configurationKey`` entry of GetConfiguration.conf (OCPP 1.6 section 6.23)."""

    key: str
    readonly: bool
    value: NotRequired[str]


class Configuration:
    """The configuration keys of one station (no module state: one instance per station).

    ``offered_profiles`` are the SupportedFeatureProfiles tokens (Core is mandatory);
    ``fixed_cable`` means every connector has a fixed cable, which makes
    UnlockConnectorOnEVSideDisconnect read-only false (errata v4.0 3.85). ``initial`` holds the
    station file's values by OCPP name (bool, int, str, list of str or the wire string); a bad
    one raises ConfigurationError naming the key, what was expected and what was found.
    """

    def __init__(
        self,
        registry: ConfigRegistry,
        store: Store,
        *,
        offered_profiles: Iterable[str],
        number_of_connectors: int,
        initial: Mapping[str, object] | None = None,
        fixed_cable: bool = False,
    ) -> None:
        offered = set(offered_profiles)
        if "Core" not in offered or not offered <= set(FEATURE_PROFILES):
            raise ConfigurationError(
                f"feature profiles: expected Core plus any of {', '.join(FEATURE_PROFILES)}, "
                f"found {sorted(offered)}"
            )
        if number_of_connectors < 1:
            raise ConfigurationError(
                f"number of connectors: expected >= 1, found {number_of_connectors}"
            )
        self._offered = tuple(p for p in FEATURE_PROFILES if p in offered)
        self._ctx = KeyContext(number_of_connectors)
        self._store = store.config
        self._registry = ConfigRegistry(registry)
        self._values: dict[str, ConfigValue] = {}
        self._listeners: dict[str, list[ChangeListener]] = {}
        self._guards: dict[str, list[ChangeGuard]] = {"SecurityProfile": [self._security_guard]}
        self._computed("SupportedFeatureProfiles", self._offered)
        unlock = self._registry.find("UnlockConnectorOnEVSideDisconnect")
        if fixed_cable and unlock is not None:
            description = "always false with fixed cables, errata v4.0 3.85"
            self._registry.replace(
                dataclasses.replace(
                    unlock, readonly=True, computed=True, default=False, description=description
                )
            )
        for key in self._registry:
            self._values[key.name] = key.default_value(self._ctx)
        self._apply_initial(initial or {})
        self._unclaimed = self._load_persisted()

    # --- reading -------------------------------------------------------------------------

    def get(self, name: str) -> ConfigValue:
        """The typed value of any declared key (hidden ones too); KeyError if undeclared."""
        return self._values[self._declared(name).name]

    def get_int(self, name: str) -> int:
        """The value of an integer key; TypeError for another kind."""
        value = self.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"configuration key {name} is not an integer key")
        return value

    def get_bool(self, name: str) -> bool:
        """The value of a boolean key; TypeError for another kind."""
        value = self.get(name)
        if not isinstance(value, bool):
            raise TypeError(f"configuration key {name} is not a boolean key")
        return value

    def get_str(self, name: str) -> str:
        """The value of a string key ("" when unset); TypeError for another kind."""
        value = self.get(name)
        if not isinstance(value, str):
            raise TypeError(f"configuration key {name} is not a string key")
        return value

    def get_csl(self, name: str) -> tuple[str, ...]:
        """The members of a comma-separated-list key; TypeError for another kind."""
        value = self.get(name)
        if not isinstance(value, tuple):
            raise TypeError(f"configuration key {name} is not a comma-separated-list key")
        return value

    def wire_value(self, name: str) -> str:
        """The value as GetConfiguration would show it (write-only keys included)."""
        key = self._declared(name)
        return key.to_wire(self._values[key.name])

    def has(self, name: str) -> bool:
        """Whether ``name`` is declared (in any case), offered to the central system or not."""
        return name in self._registry

    def is_offered(self, name: str) -> bool:
        """Whether the central system can see ``name`` (declared and its profile offered)."""
        return self._visible(name) is not None

    def describe(self, keys: Sequence[str] | None = None) -> tuple[list[KeyValueEntry], list[str]]:
        """GetConfiguration.conf: (configurationKey entries, unknownKey names).

        No or empty ``keys``: every offered key (OCPP 1.6 section 5.8), not limited. A list:
        each offered key once, in request order; the others are unknown as requested. Section
        5.8 lets the charge point limit the keys of one request to GetConfigurationMaxKeys;
        beyond it we answer the first that many names and ignore the rest (logged): listing
        known keys as unknown would be false, and the central system learns the limit from
        GetConfigurationMaxKeys and can ask again for the remainder.
        """
        if not keys:
            return [self._entry(k) for k in self._registry if self._is_visible(k)], []
        requested = list(dict.fromkeys(keys))
        limit = self.get_int("GetConfigurationMaxKeys")
        if len(requested) > limit:
            log.warning(
                "GetConfiguration asked for %d keys, more than GetConfigurationMaxKeys=%d; "
                "answering the first %d",
                len(requested),
                limit,
                limit,
            )
            requested = requested[:limit]
        entries: list[KeyValueEntry] = []
        unknown: list[str] = []
        seen: set[str] = set()
        for name in requested:
            key = self._visible(name)
            if key is None:
                unknown.append(name)
            elif key.name not in seen:
                seen.add(key.name)
                entries.append(self._entry(key))
        return entries, unknown

    # --- changing ------------------------------------------------------------------------

    def set_from_ocpp(self, name: str, raw: str) -> ChangeResult:
        """ChangeConfiguration (OCPP 1.6 section 5.3): validate, persist, notify.

        NotSupported for an undeclared or hidden key; Rejected, with nothing changed, for a
        read-only key, a bad value (including an unsupported measurand in a list) or a change a
        guard refuses; otherwise the value is persisted, listeners are told when it changed,
        and the answer is RebootRequired for keys that need one, else Accepted.
        """
        key = self._visible(name)
        if key is None:
            log.info("ChangeConfiguration of unknown key %r: NotSupported", name)
            return "NotSupported"
        if key.readonly:
            log.info("ChangeConfiguration of read-only key %s: Rejected", key.name)
            return "Rejected"
        try:
            value = key.parse(raw, self._ctx, self._max_items(key))
        except ValueError as exc:
            log.info("ChangeConfiguration %s: Rejected, expected %s", key.name, exc)
            return "Rejected"
        for guard in self._guards.get(key.name, ()):
            reason = guard(self._values[key.name], value)
            if reason is not None:
                log.info("ChangeConfiguration %s: Rejected, %s", key.name, reason)
                return "Rejected"
        self._commit(key, value)
        return "RebootRequired" if key.reboot_required else "Accepted"

    def set_internal(self, name: str, value: object) -> None:
        """A change decided by the station itself (e.g. the BootNotification interval).

        ``value`` is typed or the wire string. Persisted and announced like an OCPP change,
        without guards; ConfigurationError for an undeclared or read-only key or a bad value.
        """
        key = self._declared_or_error(name)
        if key.readonly:
            raise ConfigurationError(f"configuration key {key.name} is read-only")
        self._commit(key, self._coerce(key, value))

    def on_change(self, name: str, callback: ChangeListener) -> Callable[[], None]:
        """Call ``callback(new_value)`` after each change of ``name``; returns an unsubscriber.

        Listeners run synchronously on the event loop; one that raises is logged and does not
        stop the others (the change is already persisted).
        """
        listeners = self._listeners.setdefault(self._declared(name).name, [])
        listeners.append(callback)
        return lambda: listeners.remove(callback)

    def add_guard(self, name: str, guard: ChangeGuard) -> None:
        """Let ``guard(current, proposed)`` veto ChangeConfiguration of ``name`` (Rejected)."""
        self._guards.setdefault(self._declared(name).name, []).append(guard)

    def register_vendor_key(self, key: ConfigKey) -> None:
        """Declare a key after construction; its value is the persisted one, else the default.

        Vendor keys that the station file sets must instead be added to the registry before
        the Configuration is built, so their initial value is validated with the rest.
        """
        if key.profile is not None and key.profile not in FEATURE_PROFILES:
            raise ConfigurationError(
                f"configuration key {key.name}: unknown profile {key.profile!r}"
            )
        self._registry.add(key)
        self._values[key.name] = key.default_value(self._ctx)
        raw = self._unclaimed.pop(key.name.casefold(), None)
        if raw is not None and not key.readonly:
            self._restore(key, raw)

    # --- internals -----------------------------------------------------------------------

    def _commit(self, key: ConfigKey, value: ConfigValue) -> None:
        # Durable first (STYLE habit 7): a crash after the answer must not lose the change.
        self._store.set(key.name, key.to_wire(value))
        old, self._values[key.name] = self._values[key.name], value
        shown = "(hidden)" if key.write_only else key.to_wire(value)
        log.info("configuration %s = %s", key.name, shown)
        if old == value:
            return
        for listener in list(self._listeners.get(key.name, ())):
            try:
                listener(value)
            except Exception:
                log.exception("listener of configuration key %s failed", key.name)

    def _apply_initial(self, initial: Mapping[str, object]) -> None:
        # List keys are checked last: their length limit may come from another initial value.
        ordered = sorted(initial.items(), key=lambda item: self._is_list(item[0]))
        for name, found in ordered:
            key = self._declared_or_error(name)
            if key.profile is not None and key.profile not in self._offered:
                raise ConfigurationError(
                    f"configuration key {key.name} belongs to feature profile {key.profile}, "
                    f"which this station does not offer (offered: {', '.join(self._offered)})"
                )
            value = self._coerce(key, found)
            if key.computed and value != self._values[key.name]:
                raise ConfigurationError(
                    f"configuration key {key.name} is set by the station ({key.description}): "
                    f"expected {key.to_wire(self._values[key.name])!r} or nothing, found {found!r}"
                )
            self._values[key.name] = value

    def _load_persisted(self) -> dict[str, str]:
        unclaimed: dict[str, str] = {}
        for name, raw in self._store.get_all().items():
            key = self._registry.find(name)
            if key is None:
                unclaimed[name.casefold()] = raw  # may be a vendor key registered later
            elif key.readonly:
                log.warning("ignoring stored value of read-only configuration key %s", key.name)
            else:
                self._restore(key, raw)
        return unclaimed

    def _restore(self, key: ConfigKey, raw: str) -> None:
        try:
            self._values[key.name] = key.parse(raw, self._ctx, self._max_items(key))
        except ValueError as exc:
            # A limit of this build or station file no longer admits the stored value: keep
            # the row (nothing is silently deleted) and use the file's value or the default.
            log.warning("ignoring stored value of configuration key %s: expected %s", key.name, exc)

    def _coerce(self, key: ConfigKey, found: object) -> ConfigValue:
        try:
            return key.coerce(found, self._ctx, self._max_items(key))
        except ValueError as exc:
            raise ConfigurationError(f"configuration key {key.name}: expected {exc}") from None

    def _computed(self, name: str, value: ConfigValue) -> None:
        key = self._registry.find(name)
        if key is not None:
            self._registry.replace(dataclasses.replace(key, default=value))

    def _security_guard(self, current: ConfigValue, proposed: ConfigValue) -> str | None:
        # Whitepaper Ed.3 section 2.3 (OCTT TC_084): a value lower than or equal to the
        # current one is Rejected. The prerequisites of a raise (a password, certificates)
        # are the security extension's guard: it knows the key the link actually uses.
        assert isinstance(current, int)
        assert isinstance(proposed, int)
        if proposed <= current:
            return f"SecurityProfile may only be raised (current {current}, proposed {proposed})"
        return None

    def _max_items(self, key: ConfigKey) -> int | None:
        if key.max_items_key is None or key.max_items_key not in self._registry:
            return None
        return self.get_int(key.max_items_key)

    def _entry(self, key: ConfigKey) -> KeyValueEntry:
        entry = KeyValueEntry(key=key.name, readonly=key.readonly)
        if not key.write_only:  # OCPP-J 1.6: AuthorizationKey is never read back
            entry["value"] = key.to_wire(self._values[key.name])
        return entry

    def _is_visible(self, key: ConfigKey) -> bool:
        return key.profile is None or key.profile in self._offered

    def _visible(self, name: str) -> ConfigKey | None:
        key = self._registry.find(name)
        return key if key is not None and self._is_visible(key) else None

    def _is_list(self, name: str) -> bool:
        key = self._registry.find(name)
        return key is not None and key.kind is KeyKind.CSL

    def _declared(self, name: str) -> ConfigKey:
        key = self._registry.find(name)
        if key is None:
            raise KeyError(f"no configuration key {name!r}")
        return key

    def _declared_or_error(self, name: str) -> ConfigKey:
        key = self._registry.find(name)
        if key is None:
            raise ConfigurationError(f"unknown configuration key {name!r}")
        return key
