"""The registry of OCPP configuration keys: type, access, range, and the wire format.

A :class:`ConfigKey` says everything the station knows about one key. Parsing a wire string
(ChangeConfiguration) and coercing a station-file value go through the same checks, so both
paths accept exactly the same values. :func:`standard_keys` declares every standard key
(OCPP 1.6 Ed.2 section 9, errata v4.0, OCPP-J 1.6, security whitepaper Ed.3).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from chargestack.exceptions import ConfigurationError
from chargestack.settings import FEATURE_PROFILES
from chargestack.station.meter_sampling import SAMPLED_MEASURANDS

ConfigValue = bool | int | str | tuple[str, ...]

#: OCPP 1.6 section 9: a configuration value is at most 500 characters, a key at most 50.
MAX_VALUE_LENGTH = 500
MAX_KEY_LENGTH = 50
_INT32_MAX = 2**31 - 1
_INTEGER = re.compile(r"^-?[0-9]+$")


class KeyKind(StrEnum):
    """The value type of a key (OCPP 1.6 section 9 "Type" column)."""

    BOOL = "bool"
    INT = "int"
    STR = "str"
    CSL = "csl"


@dataclass(frozen=True, slots=True)
class KeyContext:
    """Station facts that some defaults and checks depend on."""

    number_of_connectors: int


#: Extra check on a parsed value: returns None when fine, else what was expected.
Validator = Callable[[ConfigValue, KeyContext], str | None]
DefaultFactory = Callable[[KeyContext], ConfigValue]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigKey:
    """One configuration key.

    ``profile`` is the feature profile that owns the key (``SupportedFeatureProfiles`` token) or
    None for keys of the security whitepaper and vendor keys, which are always offered.
    ``readonly`` keys are set by the integrator in the station file, never by the central system;
    ``computed`` keys come from the station itself (e.g. NumberOfConnectors).
    ``allowed`` restricts a string or the members of a CSL; ``max_items_key`` names the key
    holding the CSL's maximum length (e.g. MeterValuesSampledDataMaxLength).
    """

    name: str
    kind: KeyKind
    default: ConfigValue | DefaultFactory
    profile: str | None = "Core"
    readonly: bool = False
    write_only: bool = False
    reboot_required: bool = False
    computed: bool = False
    minimum: int | None = None
    maximum: int | None = None
    allowed: frozenset[str] | None = None
    max_items_key: str | None = None
    max_length: int = MAX_VALUE_LENGTH
    validator: Validator | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not 0 < len(self.name) <= MAX_KEY_LENGTH or not self.name.isascii():
            raise ConfigurationError(
                f"configuration key name {self.name!r}: 1 to 50 ASCII characters"
            )
        if self.readonly and self.write_only:
            raise ConfigurationError(
                f"configuration key {self.name}: cannot be read-only and write-only"
            )
        if not callable(self.default) and not _has_kind(self.default, self.kind):
            raise ConfigurationError(
                f"configuration key {self.name}: default {self.default!r} is not of kind {self.kind.value}"
            )

    def default_value(self, ctx: KeyContext) -> ConfigValue:
        """The value when neither the station file nor the central system set one."""
        return self.default(ctx) if callable(self.default) else self.default

    def expected(self) -> str:
        """What a valid value looks like, for error messages."""
        if self.kind is KeyKind.BOOL:
            return "true or false"
        if self.kind is KeyKind.INT:
            low = "" if self.minimum is None else f" >= {self.minimum}"
            high = "" if self.maximum is None else f" <= {self.maximum}"
            return f"an integer{low}{' and' if low and high else ''}{high}"
        members = "" if self.allowed is None else f" of {', '.join(sorted(self.allowed))}"
        if self.kind is KeyKind.STR:
            return (
                f"one{members}" if members else f"a string of at most {self.max_length} characters"
            )
        return f"a comma-separated list{members}"

    def parse(self, raw: str, ctx: KeyContext, max_items: int | None = None) -> ConfigValue:
        """The typed value of a wire string; ValueError saying what was expected otherwise."""
        if len(raw) > MAX_VALUE_LENGTH:
            raise ValueError(f"at most {MAX_VALUE_LENGTH} characters, found {len(raw)}")
        value: ConfigValue
        if self.kind is KeyKind.BOOL:
            # OCPP 1.6 section 9 spells booleans "true"/"false"; some central systems send
            # "True" (leniency: case-insensitive).
            lowered = raw.lower()
            if lowered not in ("true", "false"):
                raise ValueError(self._mismatch(raw))
            value = lowered == "true"
        elif self.kind is KeyKind.INT:
            if not _INTEGER.match(raw):
                raise ValueError(self._mismatch(raw))
            value = int(raw)
        elif self.kind is KeyKind.STR:
            value = raw
        else:
            # Leniency: blanks around members ("a, b") are dropped; an empty string is an
            # empty list (StopTxnAlignedData "" means no values, section 9.1.35).
            value = tuple(item.strip() for item in raw.split(",")) if raw.strip() else ()
        self.check(value, ctx, max_items)
        return value

    def coerce(self, found: object, ctx: KeyContext, max_items: int | None = None) -> ConfigValue:
        """The typed value of a station-file entry (TOML value or its wire string)."""
        if isinstance(found, str):
            return self.parse(found, ctx, max_items)
        if self.kind is KeyKind.CSL and isinstance(found, list | tuple):
            if not all(isinstance(item, str) for item in found):
                raise ValueError(self._mismatch(found))
            value: ConfigValue = tuple(str(item) for item in found)
        elif _has_kind(found, self.kind):
            value = found  # type: ignore[assignment]  # _has_kind narrowed it to ConfigValue
        else:
            raise ValueError(self._mismatch(found))
        self.check(value, ctx, max_items)
        return value

    def check(self, value: ConfigValue, ctx: KeyContext, max_items: int | None = None) -> None:
        """Range, membership, length and validator checks; ValueError when one fails."""
        if isinstance(value, int) and not isinstance(value, bool):
            low = self.minimum if self.minimum is not None else -_INT32_MAX - 1
            high = self.maximum if self.maximum is not None else _INT32_MAX
            if not low <= value <= high:
                raise ValueError(self._mismatch(value))
        elif isinstance(value, str):
            if len(value) > self.max_length:
                raise ValueError(f"at most {self.max_length} characters, found {len(value)}")
            if self.allowed is not None and value not in self.allowed:
                raise ValueError(self._mismatch(value))
        elif isinstance(value, tuple):
            for item in value:
                if not item or (self.allowed is not None and item not in self.allowed):
                    raise ValueError(f"{self.expected()}, found unsupported member {item!r}")
            if len(set(value)) != len(value):
                raise ValueError(f"{self.expected()} without repeats, found {','.join(value)!r}")
            if max_items is not None and len(value) > max_items:
                raise ValueError(f"at most {max_items} members, found {len(value)}")
        if self.validator is not None:
            problem = self.validator(value, ctx)
            if problem is not None:
                raise ValueError(f"{problem}, found {self.to_wire(value)!r}")

    def to_wire(self, value: ConfigValue) -> str:
        """The GetConfiguration / persisted form of a typed value."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, tuple):
            return ",".join(value)
        return str(value)

    def _mismatch(self, found: object) -> str:
        return f"{self.expected()}, found {found!r}"


def _has_kind(value: object, kind: KeyKind) -> bool:
    if kind is KeyKind.BOOL:
        return isinstance(value, bool)
    if kind is KeyKind.INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is KeyKind.STR:
        return isinstance(value, str)
    return isinstance(value, tuple) and all(isinstance(item, str) for item in value)


class ConfigRegistry:
    """An ordered set of key declarations; names are matched case-insensitively.

    OCPP 1.6 section 7.17: the key of KeyValue / ChangeConfiguration is a CiString50Type,
    i.e. compared without regard to case. Each station builds its own registry.
    """

    def __init__(self, keys: Iterable[ConfigKey] = ()) -> None:
        self._keys: dict[str, ConfigKey] = {}
        for key in keys:
            self.add(key)

    @classmethod
    def standard(cls) -> ConfigRegistry:
        """Every standard OCPP 1.6 key (six profiles, errata v4.0, security whitepaper)."""
        return cls(standard_keys())

    def add(self, key: ConfigKey) -> None:
        """Declare ``key``; ConfigurationError if a key of that name exists."""
        folded = key.name.casefold()
        existing = self._keys.get(folded)
        if existing is not None:
            raise ConfigurationError(
                f"configuration key {key.name} is declared twice (already as {existing.name})"
            )
        self._keys[folded] = key

    def replace(self, key: ConfigKey) -> None:
        """Swap the declaration of an existing key (e.g. to make it read-only)."""
        folded = key.name.casefold()
        if folded not in self._keys:
            raise ConfigurationError(f"configuration key {key.name} is not declared")
        self._keys[folded] = key

    def find(self, name: str) -> ConfigKey | None:
        """The declaration of ``name`` in any case, or None."""
        return self._keys.get(name.casefold())

    def __iter__(self) -> Iterator[ConfigKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in self._keys


# --- the standard keys -------------------------------------------------------------------

_PHASE_ROTATIONS = frozenset({"NotApplicable", "Unknown", "RST", "RTS", "SRT", "STR", "TRS", "TSR"})
_CONNECTOR_ID = re.compile(r"0|[1-9][0-9]{0,5}")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2}){16,20}$")
# Whitepaper Ed.3: CpoName is the O of the charge point's certificate request, which X.509
# bounds at 64 characters (RFC 5280, ub-organization-name).
_CPO_NAME_MAX = 64


def _phase_rotation(value: ConfigValue, ctx: KeyContext) -> str | None:
    # OCPP 1.6 section 9.1.7: "0.RST,1.RST,2.RTS"; connector 0 is the grid connection. One
    # item per connector, the id as the station numbers it (ASCII, no leading zeros).
    assert isinstance(value, tuple)
    expected = (
        f"connectorId.rotation items, one per connector from 0 to {ctx.number_of_connectors}, "
        f"with a rotation of {', '.join(sorted(_PHASE_ROTATIONS))}"
    )
    if not value:
        return expected
    seen: set[str] = set()
    for item in value:
        connector, dot, rotation = item.partition(".")
        if (
            not dot
            or rotation not in _PHASE_ROTATIONS
            or _CONNECTOR_ID.fullmatch(connector) is None
            or int(connector) > ctx.number_of_connectors
            or connector in seen
        ):
            return expected
        seen.add(connector)
    return None


def _authorization_key(value: ConfigValue, ctx: KeyContext) -> str | None:
    # OCPP-J 1.6 section 7 / whitepaper: 16 to 20 bytes, written as hexadecimal.
    assert isinstance(value, str)
    return None if _HEX.match(value) else "16 to 20 bytes as 32 to 40 hexadecimal characters"


def _additional_root_check_not_implemented(value: ConfigValue, ctx: KeyContext) -> str | None:
    # Claiming the check without making it would mislead the central system.
    return "false (the additional root certificate check is not implemented)" if value else None


def _int(name: str, default: int | DefaultFactory, **kw: object) -> ConfigKey:
    kw.setdefault("minimum", 0)
    return ConfigKey(name=name, kind=KeyKind.INT, default=default, **kw)  # type: ignore[arg-type]


def _bool(name: str, default: bool, **kw: object) -> ConfigKey:
    return ConfigKey(name=name, kind=KeyKind.BOOL, default=default, **kw)  # type: ignore[arg-type]


def _csl(name: str, default: str, **kw: object) -> ConfigKey:
    value = tuple(default.split(",")) if default else ()
    return ConfigKey(name=name, kind=KeyKind.CSL, default=value, **kw)  # type: ignore[arg-type]


def standard_registry() -> ConfigRegistry:
    """A new registry of the standard keys (see :meth:`ConfigRegistry.standard`)."""
    return ConfigRegistry.standard()


def standard_keys() -> list[ConfigKey]:
    """The standard keys with DC-charger defaults, in GetConfiguration order."""
    measurands = frozenset(SAMPLED_MEASURANDS)
    ro: dict[str, object] = {"readonly": True}
    lal: dict[str, object] = {"profile": "LocalAuthListManagement"}
    sc: dict[str, object] = {"profile": "SmartCharging", "readonly": True}
    sec: dict[str, object] = {"profile": None}

    def data(name: str, default: str) -> ConfigKey:
        # OCPP 1.6 section 9.1: an unsupported measurand in these lists is Rejected; the
        # supported ones are what the sampler reads (station/meter_sampling.py).
        return _csl(
            name,
            default,
            allowed=measurands,
            max_items_key=f"{name}MaxLength",
            description=f"measurands this station samples: {', '.join(SAMPLED_MEASURANDS)}",
        )

    return [
        # Core profile (OCPP 1.6 section 9.1, errata v4.0 3.80-3.91).
        _bool("AllowOfflineTxForUnknownId", False),
        _bool("AuthorizationCacheEnabled", True),
        _bool("AuthorizeRemoteTxRequests", False),
        _int("BlinkRepeat", 3),
        _int("ClockAlignedDataInterval", 0, maximum=86_400),
        _int("ConnectionTimeOut", 60, minimum=1),
        ConfigKey(
            name="ConnectorPhaseRotation",
            kind=KeyKind.CSL,
            # A DC output has no phase rotation; the grid side (connector 0) is not known.
            default=lambda ctx: (
                "0.Unknown",
                *(f"{c}.NotApplicable" for c in range(1, ctx.number_of_connectors + 1)),
            ),
            max_items_key="ConnectorPhaseRotationMaxLength",
            validator=_phase_rotation,
        ),
        _int("ConnectorPhaseRotationMaxLength", lambda ctx: ctx.number_of_connectors + 1, **ro),
        _int("GetConfigurationMaxKeys", 100, minimum=1, **ro),
        _int("HeartbeatInterval", 300),
        _int("LightIntensity", 100, maximum=100),
        _bool("LocalAuthorizeOffline", True),
        _bool("LocalPreAuthorize", False),
        _int("MaxEnergyOnInvalidId", 0),
        _int("MessageTimeout", 30, minimum=1),
        data("MeterValuesAlignedData", "Energy.Active.Import.Register"),
        _int("MeterValuesAlignedDataMaxLength", len(measurands), **ro),
        data(
            "MeterValuesSampledData",
            "Energy.Active.Import.Register,Power.Active.Import,Current.Import,SoC",
        ),
        _int("MeterValuesSampledDataMaxLength", len(measurands), **ro),
        _int("MeterValueSampleInterval", 60),
        _int("MinimumStatusDuration", 0),
        _int(
            "NumberOfConnectors",
            lambda ctx: ctx.number_of_connectors,
            computed=True,
            description="the number of connectors in the station file",
            **ro,
        ),
        _int("ResetRetries", 3),
        _bool("StopTransactionOnEVSideDisconnect", True),
        _bool("StopTransactionOnInvalidId", True),
        _int("StopTransactionMaxMeterValues", 100, minimum=2, **ro),
        data("StopTxnAlignedData", ""),
        _int("StopTxnAlignedDataMaxLength", len(measurands), **ro),
        data("StopTxnSampledData", "Energy.Active.Import.Register"),
        _int("StopTxnSampledDataMaxLength", len(measurands), **ro),
        _csl(
            "SupportedFeatureProfiles",
            "Core",
            allowed=frozenset(FEATURE_PROFILES),
            computed=True,
            description="the feature_profiles of the station file",
            max_items_key="SupportedFeatureProfilesMaxLength",
            **ro,
        ),
        _int("SupportedFeatureProfilesMaxLength", len(FEATURE_PROFILES), **ro),
        _int("TransactionMessageAttempts", 3, minimum=1),
        _int("TransactionMessageRetryInterval", 60),
        _bool("UnlockConnectorOnEVSideDisconnect", True),
        _int("WebSocketPingInterval", 60),
        # Local Auth List Management (section 9.2).
        _bool("LocalAuthListEnabled", True, **lal),
        _int("LocalAuthListMaxLength", 10_000, readonly=True, **lal),
        _int("SendLocalListMaxLength", 1_000, readonly=True, **lal),
        # Reservation (section 9.3).
        _bool("ReserveConnectorZeroSupported", False, profile="Reservation", readonly=True),
        # Smart Charging (section 9.4; errata 3.88 for the rate unit spelling).
        _int("ChargeProfileMaxStackLevel", 10, **sc),
        _csl(
            "ChargingScheduleAllowedChargingRateUnit",
            "Current,Power",
            allowed=frozenset({"Current", "Power"}),
            **sc,
        ),
        _int("ChargingScheduleMaxPeriods", 24, minimum=1, **sc),
        _bool("ConnectorSwitch3to1PhaseSupported", False, **sc),
        _int("MaxChargingProfilesInstalled", 32, minimum=1, **sc),
        # Firmware Management (errata v4.0 3.90).
        _csl(
            "SupportedFileTransferProtocols",
            "FTP,FTPS,HTTP,HTTPS",
            profile="FirmwareManagement",
            # What files/locations.py speaks (IMPLEMENTED_PROTOCOLS).
            allowed=frozenset({"FTP", "FTPS", "HTTP", "HTTPS"}),
            readonly=True,
        ),
        # Security whitepaper Ed.3 section 7 and OCPP-J 1.6 (AuthorizationKey).
        _bool(
            "AdditionalRootCertificateCheck",
            False,
            validator=_additional_root_check_not_implemented,
            **sec,
            **ro,
        ),
        ConfigKey(
            name="AuthorizationKey",
            kind=KeyKind.STR,
            default="",
            profile=None,
            write_only=True,
            validator=_authorization_key,
        ),
        _int("CertificateSignedMaxChainSize", 10_000, maximum=10_000, **sec, **ro),
        _int("CertificateStoreMaxLength", 20, **sec, **ro),
        ConfigKey(
            name="CpoName", kind=KeyKind.STR, default="", profile=None, max_length=_CPO_NAME_MAX
        ),
        # Only ever raised (whitepaper section 2.3); Configuration enforces that.
        _int("SecurityProfile", 0, maximum=3, **sec),
    ]
