"""Configuration keys: the registry, GetConfiguration, ChangeConfiguration, persistence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chargestack.exceptions import ConfigurationError
from chargestack.hardware.interfaces import MeterReading
from chargestack.settings import FEATURE_PROFILES
from chargestack.station.config_keys import (
    ConfigKey,
    ConfigRegistry,
    ConfigValue,
    KeyKind,
    standard_registry,
)
from chargestack.station.configuration import Configuration
from chargestack.station.meter_sampling import SAMPLED_MEASURANDS, sampled_values, whole_wh
from chargestack.store import Store

VALID_KEY = "0123456789abcdef0123456789ABCDEF"  # 16 bytes in hex

# OCPP 1.6 Ed.2 section 9 + errata v4.0 + whitepaper: (key, profile, access).
STANDARD_KEYS = [
    ("AllowOfflineTxForUnknownId", "Core", "RW"),
    ("AuthorizationCacheEnabled", "Core", "RW"),
    ("AuthorizeRemoteTxRequests", "Core", "RW"),
    ("BlinkRepeat", "Core", "RW"),
    ("ClockAlignedDataInterval", "Core", "RW"),
    ("ConnectionTimeOut", "Core", "RW"),
    ("ConnectorPhaseRotation", "Core", "RW"),
    ("ConnectorPhaseRotationMaxLength", "Core", "R"),
    ("GetConfigurationMaxKeys", "Core", "R"),
    ("HeartbeatInterval", "Core", "RW"),
    ("LightIntensity", "Core", "RW"),
    ("LocalAuthorizeOffline", "Core", "RW"),
    ("LocalPreAuthorize", "Core", "RW"),
    ("MaxEnergyOnInvalidId", "Core", "RW"),
    ("MessageTimeout", "Core", "RW"),
    ("MeterValuesAlignedData", "Core", "RW"),
    ("MeterValuesAlignedDataMaxLength", "Core", "R"),
    ("MeterValuesSampledData", "Core", "RW"),
    ("MeterValuesSampledDataMaxLength", "Core", "R"),
    ("MeterValueSampleInterval", "Core", "RW"),
    ("MinimumStatusDuration", "Core", "RW"),
    ("NumberOfConnectors", "Core", "R"),
    ("ResetRetries", "Core", "RW"),
    ("StopTransactionOnEVSideDisconnect", "Core", "RW"),
    ("StopTransactionOnInvalidId", "Core", "RW"),
    ("StopTransactionMaxMeterValues", "Core", "R"),
    ("StopTxnAlignedData", "Core", "RW"),
    ("StopTxnAlignedDataMaxLength", "Core", "R"),
    ("StopTxnSampledData", "Core", "RW"),
    ("StopTxnSampledDataMaxLength", "Core", "R"),
    ("SupportedFeatureProfiles", "Core", "R"),
    ("SupportedFeatureProfilesMaxLength", "Core", "R"),
    ("TransactionMessageAttempts", "Core", "RW"),
    ("TransactionMessageRetryInterval", "Core", "RW"),
    ("UnlockConnectorOnEVSideDisconnect", "Core", "RW"),
    ("WebSocketPingInterval", "Core", "RW"),
    ("LocalAuthListEnabled", "LocalAuthListManagement", "RW"),
    ("LocalAuthListMaxLength", "LocalAuthListManagement", "R"),
    ("SendLocalListMaxLength", "LocalAuthListManagement", "R"),
    ("ReserveConnectorZeroSupported", "Reservation", "R"),
    ("ChargeProfileMaxStackLevel", "SmartCharging", "R"),
    ("ChargingScheduleAllowedChargingRateUnit", "SmartCharging", "R"),
    ("ChargingScheduleMaxPeriods", "SmartCharging", "R"),
    ("ConnectorSwitch3to1PhaseSupported", "SmartCharging", "R"),
    ("MaxChargingProfilesInstalled", "SmartCharging", "R"),
    ("SupportedFileTransferProtocols", "FirmwareManagement", "R"),
    ("AdditionalRootCertificateCheck", None, "R"),
    ("AuthorizationKey", None, "W"),
    ("CertificateSignedMaxChainSize", None, "R"),
    ("CertificateStoreMaxLength", None, "R"),
    ("CpoName", None, "RW"),
    ("SecurityProfile", None, "RW"),
]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "station.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as opened:
        yield opened


def make(
    store: Store,
    *,
    profiles: tuple[str, ...] = FEATURE_PROFILES,
    connectors: int = 2,
    initial: dict[str, object] | None = None,
    fixed_cable: bool = False,
    registry: ConfigRegistry | None = None,
) -> Configuration:
    return Configuration(
        registry or standard_registry(),
        store,
        offered_profiles=profiles,
        number_of_connectors=connectors,
        initial=initial,
        fixed_cable=fixed_cable,
    )


# --- the registry -------------------------------------------------------------------------


def test_registry_declares_every_standard_key_with_profile_and_access() -> None:
    registry = standard_registry()
    declared = [
        (k.name, k.profile, "W" if k.write_only else "R" if k.readonly else "RW") for k in registry
    ]
    assert sorted(declared, key=str) == sorted(STANDARD_KEYS, key=str)


def test_dc_charger_defaults(store: Store) -> None:
    config = make(store)
    assert config.get_int("HeartbeatInterval") == 300
    assert config.get_int("MeterValueSampleInterval") == 60
    assert config.get_int("ConnectionTimeOut") == 60
    assert config.get_int("TransactionMessageAttempts") == 3
    assert config.get_int("TransactionMessageRetryInterval") == 60
    assert config.get_csl("MeterValuesSampledData") == (
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "SoC",
    )
    assert config.get_int("ChargeProfileMaxStackLevel") == 10
    assert config.get_int("ChargingScheduleMaxPeriods") == 24
    assert config.get_int("MaxChargingProfilesInstalled") == 32
    assert config.get_int("LocalAuthListMaxLength") == 10_000
    assert config.get_int("SendLocalListMaxLength") == 1_000
    assert config.wire_value("SupportedFileTransferProtocols") == "FTP,FTPS,HTTP,HTTPS"
    assert config.wire_value("ChargingScheduleAllowedChargingRateUnit") == "Current,Power"
    assert (
        config.wire_value("ConnectorPhaseRotation") == "0.Unknown,1.NotApplicable,2.NotApplicable"
    )
    assert config.get_int("SecurityProfile") == 0
    assert config.get_str("AuthorizationKey") == ""
    assert config.get_bool("UnlockConnectorOnEVSideDisconnect") is True


def test_computed_keys_come_from_the_station(store: Store) -> None:
    config = make(store, profiles=("SmartCharging", "Core", "RemoteTrigger"), connectors=3)
    assert config.wire_value("SupportedFeatureProfiles") == "Core,SmartCharging,RemoteTrigger"
    assert config.get_int("NumberOfConnectors") == 3
    assert config.set_from_ocpp("NumberOfConnectors", "4") == "Rejected"


@pytest.mark.parametrize(
    "key",
    [
        "MeterValuesSampledData",
        "MeterValuesAlignedData",
        "StopTxnSampledData",
        "StopTxnAlignedData",
    ],
)
def test_measurand_lists_accept_exactly_what_the_sampler_reads(store: Store, key: str) -> None:
    config = make(store)
    assert config.set_from_ocpp(key, ",".join(SAMPLED_MEASURANDS)) == "Accepted"
    assert config.get_int(f"{key}MaxLength") == len(SAMPLED_MEASURANDS)
    for unsampled in ("Frequency", "Energy.Active.Export.Register", "Power.Factor"):
        assert config.set_from_ocpp(key, unsampled) == "Rejected"
    assert config.get_csl(key) == SAMPLED_MEASURANDS


def test_the_sampler_reads_every_measurand_it_offers() -> None:
    reading = MeterReading(
        energy_wh=73.6,
        power_w=1000.0,
        current_a=2.5,
        voltage_v=400.0,
        current_offered_a=3.0,
        power_offered_w=1200.0,
        soc_percent=40.0,
        temperature_c=25.0,
    )
    values = sampled_values(reading, whole_wh(73.6), list(SAMPLED_MEASURANDS), "Trigger")
    assert [str(v.measurand) for v in values] == list(SAMPLED_MEASURANDS)
    assert values[0].value == "73"  # whole Wh, rounded down like meterStart and meterStop


def test_key_declarations_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="default 'x' is not of kind int"):
        ConfigKey(name="VendorX", kind=KeyKind.INT, default="x")
    with pytest.raises(ConfigurationError, match="cannot be read-only and write-only"):
        ConfigKey(name="VendorY", kind=KeyKind.STR, default="", readonly=True, write_only=True)
    with pytest.raises(ConfigurationError, match="1 to 50 ASCII characters"):
        ConfigKey(name="K" * 51, kind=KeyKind.STR, default="")
    registry = standard_registry()
    with pytest.raises(
        ConfigurationError,
        match="heartbeatinterval is declared twice \\(already as HeartbeatInterval\\)",
    ):
        registry.add(ConfigKey(name="heartbeatinterval", kind=KeyKind.INT, default=1))


# --- GetConfiguration ---------------------------------------------------------------------


def test_describe_all_lists_every_offered_key_without_the_authorization_key_value(
    store: Store,
) -> None:
    config = make(store, initial={"AuthorizationKey": VALID_KEY})
    entries, unknown = config.describe(None)
    assert unknown == []
    assert [e["key"] for e in entries] == [k.name for k in standard_registry()]
    by_key = {e["key"]: e for e in entries}
    assert by_key["AuthorizationKey"] == {"key": "AuthorizationKey", "readonly": False}
    assert by_key["HeartbeatInterval"] == {
        "key": "HeartbeatInterval",
        "readonly": False,
        "value": "300",
    }
    assert by_key["NumberOfConnectors"] == {
        "key": "NumberOfConnectors",
        "readonly": True,
        "value": "2",
    }
    assert VALID_KEY not in str(entries)
    assert config.describe([]) == (entries, [])


def test_describe_listed_keys_with_unknown_ones_case_insensitively(store: Store) -> None:
    config = make(store)
    entries, unknown = config.describe(["heartbeatinterval", "Testing", "HeartbeatInterval"])
    assert entries == [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
    assert unknown == ["Testing"]


def test_keys_of_profiles_not_offered_are_unknown_and_not_supported(store: Store) -> None:
    config = make(store, profiles=("Core", "SmartCharging"))
    entries, unknown = config.describe(["LocalAuthListEnabled", "ReserveConnectorZeroSupported"])
    assert entries == []
    assert unknown == ["LocalAuthListEnabled", "ReserveConnectorZeroSupported"]
    all_keys = {e["key"] for e in config.describe(None)[0]}
    assert "LocalAuthListMaxLength" not in all_keys
    assert "SupportedFileTransferProtocols" not in all_keys
    assert "ChargeProfileMaxStackLevel" in all_keys
    assert config.set_from_ocpp("LocalAuthListEnabled", "false") == "NotSupported"
    assert config.is_offered("ChargeProfileMaxStackLevel")
    assert not config.is_offered("LocalAuthListEnabled")
    assert config.has("LocalAuthListEnabled")


def test_describe_answers_at_most_get_configuration_max_keys(store: Store) -> None:
    config = make(store, initial={"GetConfigurationMaxKeys": 3})
    requested = ["HeartbeatInterval", "Nope", "ResetRetries", "BlinkRepeat", "LightIntensity"]
    entries, unknown = config.describe(requested)
    assert [e["key"] for e in entries] == ["HeartbeatInterval", "ResetRetries"]
    assert unknown == ["Nope"]
    # TC_019: exactly GetConfigurationMaxKeys known keys are all answered.
    entries, unknown = config.describe(requested[2:])
    assert len(entries) == 3
    assert unknown == []
    # Asking for everything is not limited (section 5.8).
    assert len(config.describe(None)[0]) > 3


# --- ChangeConfiguration ------------------------------------------------------------------


def test_accepted_change_persists_and_fires_listeners(store: Store, db_path: Path) -> None:
    config = make(store)
    seen: list[ConfigValue] = []
    config.on_change("HeartbeatInterval", seen.append)
    assert config.set_from_ocpp("HeartbeatInterval", "30") == "Accepted"
    assert seen == [30]
    assert config.get_int("HeartbeatInterval") == 30
    store.close()
    with Store.open(db_path) as reopened:
        assert make(reopened).get_int("heartbeatinterval") == 30


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("MeterValueSampleInterval", "-1"),  # TC_040_2
        ("WebSocketPingInterval", "-5"),
        ("HeartbeatInterval", "abc"),
        ("HeartbeatInterval", "1.5"),
        ("HeartbeatInterval", " 30"),
        ("HeartbeatInterval", "99999999999"),
        ("LightIntensity", "101"),
        ("ConnectionTimeOut", "0"),
        ("LocalPreAuthorize", "yes"),
        ("MeterValuesSampledData", "Energy.Active.Import.Register,Bogus"),
        ("MeterValuesSampledData", "SoC,SoC"),
        ("MeterValuesSampledData", "SoC,,Voltage"),
        ("ConnectorPhaseRotation", "3.RST"),
        ("ConnectorPhaseRotation", "1.XYZ"),
        ("AuthorizationKey", "0123"),
        ("AuthorizationKey", "z" * 32),
        ("AuthorizationKey", "a" * 33),
        ("AuthorizationKey", "a" * 42),
        ("SecurityProfile", "4"),
        ("CpoName", "x" * 65),
        ("ConnectorPhaseRotation", "RST"),
        ("ConnectorPhaseRotation", "1.RST,1.RTS"),
    ],
)
def test_bad_values_are_rejected_without_change(store: Store, key: str, raw: str) -> None:
    config = make(store)
    before = config.get(key)
    fired: list[ConfigValue] = []
    config.on_change(key, fired.append)
    assert config.set_from_ocpp(key, raw) == "Rejected"
    assert config.get(key) == before
    assert fired == []
    assert store.config.get_all() == {}


def test_read_only_key_is_rejected(store: Store) -> None:
    config = make(store)
    assert config.set_from_ocpp("GetConfigurationMaxKeys", "5") == "Rejected"
    assert config.set_from_ocpp("ChargeProfileMaxStackLevel", "10") == "Rejected"


def test_unknown_key_is_not_supported(store: Store) -> None:
    assert make(store).set_from_ocpp("Testing", "1") == "NotSupported"  # TC_040_1


def test_values_that_must_be_accepted(store: Store) -> None:
    config = make(store)
    assert config.set_from_ocpp("MinimumStatusDuration", "0") == "Accepted"
    assert config.set_from_ocpp("MeterValueSampleInterval", "0") == "Accepted"
    assert config.set_from_ocpp("LocalPreAuthorize", "True") == "Accepted"
    assert config.get_bool("LocalPreAuthorize") is True
    assert config.set_from_ocpp("StopTxnAlignedData", "") == "Accepted"
    assert config.get_csl("StopTxnAlignedData") == ()
    assert config.set_from_ocpp("MeterValuesAlignedData", "Voltage, Current.Import") == "Accepted"
    assert config.wire_value("MeterValuesAlignedData") == "Voltage,Current.Import"
    assert config.set_from_ocpp("ConnectorPhaseRotation", "0.RST,1.NotApplicable") == "Accepted"
    assert config.set_from_ocpp("CpoName", "ACME Charging") == "Accepted"
    assert config.set_from_ocpp("AuthorizationKey", "ab" * 20) == "Accepted"


def test_list_longer_than_its_max_length_key_is_rejected(store: Store) -> None:
    config = make(store, initial={"MeterValuesSampledDataMaxLength": 2})
    assert (
        config.set_from_ocpp("MeterValuesSampledData", "SoC,Voltage,Current.Import") == "Rejected"
    )
    assert config.set_from_ocpp("MeterValuesSampledData", "SoC,Voltage") == "Accepted"


def test_listeners_fire_only_on_a_change_and_can_unsubscribe(store: Store) -> None:
    config = make(store)
    seen: list[ConfigValue] = []
    unsubscribe = config.on_change("ResetRetries", seen.append)

    def broken(_value: ConfigValue) -> None:
        raise RuntimeError("listener bug")

    config.on_change("ResetRetries", broken)
    assert config.set_from_ocpp("ResetRetries", "3") == "Accepted"  # same value as before
    assert config.set_from_ocpp("ResetRetries", "5") == "Accepted"
    unsubscribe()
    assert config.set_from_ocpp("ResetRetries", "6") == "Accepted"
    assert seen == [5]
    assert config.get_int("ResetRetries") == 6


def test_authorization_key_is_write_only(store: Store) -> None:
    config = make(store)
    assert config.set_from_ocpp("AuthorizationKey", VALID_KEY) == "Accepted"
    assert config.get_str("AuthorizationKey") == VALID_KEY
    entries, _ = config.describe(["AuthorizationKey"])
    assert entries == [{"key": "AuthorizationKey", "readonly": False}]


def test_security_profile_may_only_be_raised(store: Store) -> None:
    config = make(store)
    # The password prerequisite is the security extension's guard (profile_switch.py).
    assert config.set_from_ocpp("SecurityProfile", "1") == "Accepted"
    assert config.set_from_ocpp("SecurityProfile", "1") == "Rejected"  # equal: no raise
    assert config.set_from_ocpp("SecurityProfile", "0") == "Rejected"
    assert config.get_int("SecurityProfile") == 1
    vetoes: list[tuple[ConfigValue, ConfigValue]] = []

    def no_certificate(current: ConfigValue, proposed: ConfigValue) -> str | None:
        vetoes.append((current, proposed))
        return "no client certificate" if proposed == 3 else None

    config.add_guard("SecurityProfile", no_certificate)
    assert config.set_from_ocpp("SecurityProfile", "3") == "Rejected"
    assert vetoes == [(1, 3)]
    assert config.set_from_ocpp("SecurityProfile", "2") == "Accepted"


def test_fixed_cable_makes_unlock_on_ev_side_disconnect_read_only_false(store: Store) -> None:
    config = make(store, fixed_cable=True)
    assert config.get_bool("UnlockConnectorOnEVSideDisconnect") is False
    entries, _ = config.describe(["UnlockConnectorOnEVSideDisconnect"])
    assert entries == [
        {"key": "UnlockConnectorOnEVSideDisconnect", "readonly": True, "value": "false"}
    ]
    assert config.set_from_ocpp("UnlockConnectorOnEVSideDisconnect", "true") == "Rejected"
    assert make(store, fixed_cable=True, initial={"UnlockConnectorOnEVSideDisconnect": False})


# --- the station's own writes -------------------------------------------------------------


def test_set_internal_validates_persists_and_notifies(store: Store) -> None:
    config = make(store)
    seen: list[ConfigValue] = []
    config.on_change("HeartbeatInterval", seen.append)
    config.set_internal("HeartbeatInterval", "0")
    assert seen == [0]
    assert store.config.get("HeartbeatInterval") == "0"
    config.set_internal("SecurityProfile", 0)  # guards are for the central system only
    with pytest.raises(
        ConfigurationError, match="configuration key GetConfigurationMaxKeys is read-only"
    ):
        config.set_internal("GetConfigurationMaxKeys", 5)
    with pytest.raises(
        ConfigurationError, match=r"HeartbeatInterval: expected an integer >= 0, found -1"
    ):
        config.set_internal("HeartbeatInterval", -1)
    with pytest.raises(ConfigurationError, match="unknown configuration key 'Nope'"):
        config.set_internal("Nope", 1)


def test_getters_check_name_and_kind(store: Store) -> None:
    config = make(store)
    with pytest.raises(KeyError, match="Nope"):
        config.get("Nope")
    with pytest.raises(KeyError, match="Nope"):
        config.on_change("Nope", print)
    with pytest.raises(TypeError, match="not an integer key"):
        config.get_int("LocalPreAuthorize")
    with pytest.raises(TypeError, match="not a boolean key"):
        config.get_bool("HeartbeatInterval")
    with pytest.raises(TypeError, match="not a string key"):
        config.get_str("MeterValuesSampledData")
    with pytest.raises(TypeError, match="not a comma-separated-list key"):
        config.get_csl("CpoName")


# --- the station file's initial values ----------------------------------------------------


@pytest.mark.parametrize(
    ("initial", "message"),
    [
        (
            {"HeartbeatInterval": "abc"},
            "configuration key HeartbeatInterval: expected an integer >= 0, found 'abc'",
        ),
        (
            {"HeartbeatInterval": 1.5},
            "configuration key HeartbeatInterval: expected an integer >= 0, found 1.5",
        ),
        (
            {"HeartbeatInterval": True},
            "configuration key HeartbeatInterval: expected an integer >= 0, found True",
        ),
        (
            {"LightIntensity": 150},
            "configuration key LightIntensity: expected an integer >= 0 and <= 100, found 150",
        ),
        (
            {"LocalPreAuthorize": "yes"},
            "configuration key LocalPreAuthorize: expected true or false, found 'yes'",
        ),
        (
            {"LocalPreAuthorize": 1},
            "configuration key LocalPreAuthorize: expected true or false, found 1",
        ),
        (
            {"CpoName": 7},
            "configuration key CpoName: expected a string of at most 64 characters, found 7",
        ),
        (
            {"MeterValuesSampledData": "SoC,Power.Factor"},
            "configuration key MeterValuesSampledData: expected a comma-separated list of "
            "Current.Import, Current.Offered, Energy.Active.Import.Register, "
            "Power.Active.Import, Power.Offered, SoC, Temperature, Voltage, found unsupported member 'Power.Factor'",
        ),
        (
            {"MeterValuesSampledData": ["SoC", 3]},
            "configuration key MeterValuesSampledData: expected a comma-separated list of "
            "Current.Import, Current.Offered, Energy.Active.Import.Register, "
            "Power.Active.Import, Power.Offered, SoC, Temperature, Voltage, found ['SoC', 3]",
        ),
        (
            {"MeterValuesSampledDataMaxLength": 1, "MeterValuesSampledData": "SoC,Voltage"},
            "configuration key MeterValuesSampledData: expected at most 1 members, found 2",
        ),
        (
            {"ConnectorPhaseRotation": "5.RST"},
            "configuration key ConnectorPhaseRotation: expected connectorId.rotation items, one "
            "per connector from 0 to 2, with a rotation of NotApplicable, RST, RTS, SRT, STR, "
            "TRS, TSR, Unknown, found '5.RST'",
        ),
        (
            {"AuthorizationKey": "secret"},
            "configuration key AuthorizationKey: expected 16 to 20 bytes as 32 to 40 hexadecimal "
            "characters, found 'secret'",
        ),
        (
            {"AdditionalRootCertificateCheck": True},
            "configuration key AdditionalRootCertificateCheck: expected false (the additional "
            "root certificate check is not implemented), found 'true'",
        ),
        (
            {"SupportedFileTransferProtocols": "FTP,SFTP"},
            "configuration key SupportedFileTransferProtocols: expected a comma-separated list "
            "of FTP, FTPS, HTTP, HTTPS, found unsupported member 'SFTP'",
        ),
        (
            {"SecurityProfile": 5},
            "configuration key SecurityProfile: expected an integer >= 0 and <= 3, found 5",
        ),
        ({"Testing": 1}, "unknown configuration key 'Testing'"),
        (
            {"NumberOfConnectors": 4},
            "configuration key NumberOfConnectors is set by the station (the number of "
            "connectors in the station file): expected '2' or nothing, found 4",
        ),
        (
            {"SupportedFeatureProfiles": "Core"},
            "configuration key SupportedFeatureProfiles is set by the station (the "
            "feature_profiles of the station file): expected 'Core,FirmwareManagement,"
            "LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger' or nothing, "
            "found 'Core'",
        ),
    ],
)
def test_bad_initial_values_name_key_expectation_and_finding(
    store: Store, initial: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(store, initial=initial)
    assert str(caught.value) == message


def test_initial_value_of_a_profile_not_offered_is_an_error(store: Store) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(store, profiles=("Core",), initial={"LocalAuthListEnabled": False})
    assert str(caught.value) == (
        "configuration key LocalAuthListEnabled belongs to feature profile "
        "LocalAuthListManagement, which this station does not offer (offered: Core)"
    )


def test_fixed_cable_refuses_unlock_on_ev_side_disconnect_true(store: Store) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make(store, fixed_cable=True, initial={"UnlockConnectorOnEVSideDisconnect": True})
    assert str(caught.value) == (
        "configuration key UnlockConnectorOnEVSideDisconnect is set by the station (always "
        "false with fixed cables, errata v4.0 3.85): expected 'false' or nothing, found True"
    )


@pytest.mark.parametrize(
    ("profiles", "connectors", "message"),
    [
        (("SmartCharging",), 1, "feature profiles: expected Core plus any of"),
        (("Core", "Billing"), 1, r"found \['Billing', 'Core'\]"),
        (("Core",), 0, "number of connectors: expected >= 1, found 0"),
    ],
)
def test_station_facts_are_checked(
    store: Store, profiles: tuple[str, ...], connectors: int, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make(store, profiles=profiles, connectors=connectors)


def test_initial_values_of_every_type_are_applied(store: Store) -> None:
    config = make(
        store,
        initial={
            "heartbeatinterval": 120,
            "LocalPreAuthorize": True,
            "AuthorizeRemoteTxRequests": "true",
            "MeterValuesSampledData": ["Voltage", "SoC"],
            "StopTxnSampledData": "Energy.Active.Import.Register,SoC",
            "CpoName": "ACME",
            "ReserveConnectorZeroSupported": True,
            "NumberOfConnectors": 2,
        },
    )
    assert config.get_int("HeartbeatInterval") == 120
    assert config.get_bool("LocalPreAuthorize") is True
    assert config.get_bool("AuthorizeRemoteTxRequests") is True
    assert config.get_csl("MeterValuesSampledData") == ("Voltage", "SoC")
    assert config.get_csl("StopTxnSampledData") == ("Energy.Active.Import.Register", "SoC")
    assert config.get_str("CpoName") == "ACME"
    assert config.get_bool("ReserveConnectorZeroSupported") is True
    assert store.config.get_all() == {}  # the station file is not copied into the store


def test_persisted_value_wins_over_the_station_file(store: Store) -> None:
    initial: dict[str, object] = {"HeartbeatInterval": 120, "ResetRetries": 1}
    config = make(store, initial=initial)
    assert config.set_from_ocpp("HeartbeatInterval", "45") == "Accepted"
    again = make(store, initial=initial)
    assert again.get_int("HeartbeatInterval") == 45
    assert again.get_int("ResetRetries") == 1


def test_unusable_stored_values_fall_back_without_deleting(store: Store) -> None:
    store.config.set("HeartbeatInterval", "-3")
    store.config.set("GetConfigurationMaxKeys", "1")  # read-only keys are the file's to set
    config = make(store, initial={"HeartbeatInterval": 90})
    assert config.get_int("HeartbeatInterval") == 90
    assert config.get_int("GetConfigurationMaxKeys") == 100
    assert store.config.get("HeartbeatInterval") == "-3"


# --- vendor keys --------------------------------------------------------------------------


def _vendor_key(**overrides: object) -> ConfigKey:
    fields: dict[str, object] = {
        "name": "AcmeFanSpeed",
        "kind": KeyKind.INT,
        "default": 50,
        "profile": None,
        "minimum": 0,
        "maximum": 100,
    }
    fields.update(overrides)
    return ConfigKey(**fields)  # type: ignore[arg-type]


def test_vendor_key_declared_in_the_registry_takes_a_station_file_value(store: Store) -> None:
    registry = standard_registry()
    registry.add(_vendor_key())
    config = make(store, registry=registry, initial={"AcmeFanSpeed": 70})
    assert config.get_int("AcmeFanSpeed") == 70
    assert config.set_from_ocpp("AcmeFanSpeed", "101") == "Rejected"
    assert config.set_from_ocpp("AcmeFanSpeed", "80") == "Accepted"
    assert {"key": "AcmeFanSpeed", "readonly": False, "value": "80"} in config.describe(None)[0]
    with pytest.raises(
        ConfigurationError, match=r"AcmeFanSpeed: expected an integer >= 0 and <= 100, found 'fast'"
    ):
        make(store, registry=registry, initial={"AcmeFanSpeed": "fast"})


def test_vendor_key_registered_later_restores_its_stored_value(store: Store) -> None:
    store.config.set("AcmeFanSpeed", "30")
    config = make(store)
    assert config.set_from_ocpp("AcmeFanSpeed", "10") == "NotSupported"
    config.register_vendor_key(_vendor_key())
    assert config.get_int("AcmeFanSpeed") == 30
    with pytest.raises(ConfigurationError, match="AcmeFanSpeed is declared twice"):
        config.register_vendor_key(_vendor_key())
    with pytest.raises(ConfigurationError, match="unknown profile 'Billing'"):
        config.register_vendor_key(_vendor_key(name="AcmeOther", profile="Billing"))


def test_reboot_required_key_is_persisted_and_announced(store: Store) -> None:
    config = make(store)
    config.register_vendor_key(
        _vendor_key(
            name="AcmeCanBitrate",
            kind=KeyKind.STR,
            default="500k",
            minimum=None,
            maximum=None,
            allowed=frozenset({"250k", "500k"}),
            reboot_required=True,
        )
    )
    seen: list[ConfigValue] = []
    config.on_change("AcmeCanBitrate", seen.append)
    assert config.set_from_ocpp("AcmeCanBitrate", "1M") == "Rejected"
    assert config.set_from_ocpp("AcmeCanBitrate", "250k") == "RebootRequired"
    assert seen == ["250k"]
    assert store.config.get("AcmeCanBitrate") == "250k"
