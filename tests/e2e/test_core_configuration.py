"""OCTT core cases of configuration and data transfer (TC_019, TC_021, TC_040, TC_062)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ocpp.exceptions import OCPPError

from central_system import CentralSystem
from station_harness import running_station

REQUIRED_CORE_KEYS = {
    "AuthorizeRemoteTxRequests": None,
    "ClockAlignedDataInterval": False,
    "ConnectionTimeOut": False,
    "GetConfigurationMaxKeys": True,
    "HeartbeatInterval": False,
    "LocalAuthorizeOffline": False,
    "LocalPreAuthorize": False,
    "MeterValuesAlignedData": False,
    "MeterValuesSampledData": False,
    "MeterValueSampleInterval": False,
    "NumberOfConnectors": True,
    "ResetRetries": False,
    "StopTransactionOnInvalidId": False,
    "StopTxnAlignedData": False,
    "StopTxnSampledData": False,
    "SupportedFeatureProfiles": True,
    "TransactionMessageAttempts": False,
    "TransactionMessageRetryInterval": False,
    "UnlockConnectorOnEVSideDisconnect": None,
    "ConnectorPhaseRotation": False,
}


async def test_TC_019_retrieve_configuration(central_system: CentralSystem, tmp_path: Path) -> None:
    async with running_station(central_system, tmp_path) as rs:
        profiles = await rs.call("GetConfiguration", {"key": ["SupportedFeatureProfiles"]})
        assert profiles["configurationKey"][0]["readonly"] is True
        offered = set(profiles["configurationKey"][0]["value"].split(","))
        assert {"Core", "SmartCharging", "RemoteTrigger"} <= offered
        everything = await rs.call("GetConfiguration", {})
        by_key = {k["key"]: k for k in everything["configurationKey"]}
        for key, readonly in REQUIRED_CORE_KEYS.items():
            assert key in by_key, key
            if readonly is not None:
                assert by_key[key]["readonly"] is readonly, key
        assert "AuthorizationKey" not in by_key or "value" not in by_key["AuthorizationKey"]
        max_keys = int(by_key["GetConfigurationMaxKeys"]["value"])
        names = sorted(by_key)[: min(max_keys, len(by_key))]
        some = await rs.call("GetConfiguration", {"key": names})
        assert {k["key"] for k in some["configurationKey"]} == set(names)
        assert not some.get("unknownKey")


async def test_TC_021_change_configuration(central_system: CentralSystem, tmp_path: Path) -> None:
    async with running_station(central_system, tmp_path) as rs:
        changed = await rs.call(
            "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "17"}
        )
        assert changed["status"] == "Accepted"
        got = await rs.call("GetConfiguration", {"key": ["MeterValueSampleInterval"]})
        assert got["configurationKey"][0]["value"] == "17"


async def test_TC_040_1_configuration_key_not_supported(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        changed = await rs.call("ChangeConfiguration", {"key": "Testing", "value": "1"})
        assert changed["status"] == "NotSupported"
        got = await rs.call("GetConfiguration", {"key": ["Testing"]})
        assert got["unknownKey"] == ["Testing"]


async def test_TC_040_2_configuration_key_invalid_value(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        changed = await rs.call(
            "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "-1"}
        )
        assert changed["status"] == "Rejected"
        got = await rs.call("GetConfiguration", {"key": ["MeterValueSampleInterval"]})
        assert got["configurationKey"][0]["value"] == "0"


async def test_TC_062_data_transfer_unknown_vendor(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        answer = await rs.call(
            "DataTransfer", {"vendorId": "com.unknown", "messageId": "x", "data": "1"}
        )
        assert answer["status"] == "UnknownVendorId"
        assert "data" not in answer


async def test_heartbeat_interval_change_reschedules_now(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        await rs.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "1"})
        first = await cs.wait_for("Heartbeat", since=mark, timeout=3)
        second = await cs.wait_for("Heartbeat", since=cs.received.index(first) + 1, timeout=3)
        assert 0.8 <= second.at - first.at <= 2.0


async def test_errata_3_83_message_timeout_applies_to_the_next_call_without_a_restart(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """MessageTimeout is how long a CALL waits for its CALLRESULT; a change applies at once.

    The station has one CALL outstanding (OCPP-J section 4.1.1): its next CALL leaves when the
    unanswered one times out, which shows the timeout in use."""
    cs = central_system
    cs.silent_actions.add("Heartbeat")
    async with running_station(cs, tmp_path) as rs:
        answer = await rs.call("ChangeConfiguration", {"key": "MessageTimeout", "value": "1"})
        assert answer["status"] == "Accepted"
        mark = cs.mark()
        await rs.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        heartbeat = await cs.wait_for("Heartbeat", since=mark)
        await rs.call(
            "TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1}
        )
        status = await cs.wait_for("StatusNotification", since=mark, timeout=5)
        assert 0.9 <= status.at - heartbeat.at < 3.0


async def test_data_transfer_both_directions(central_system: CentralSystem, tmp_path: Path) -> None:
    async with running_station(central_system, tmp_path) as rs:
        service = rs.blocks.core.data_transfer

        async def echo(message_id: str | None, data: str | None) -> tuple[str, str | None]:
            return "Accepted", (data or "").upper()

        service.register("com.chargestack", "echo", echo)
        answer = await rs.call(
            "DataTransfer", {"vendorId": "com.chargestack", "messageId": "echo", "data": "hi"}
        )
        assert answer == {"status": "Accepted", "data": "HI"}
        answer = await rs.call(
            "DataTransfer", {"vendorId": "com.chargestack", "messageId": "other"}
        )
        assert answer["status"] == "UnknownMessageId"
        response = await service.send("com.chargestack", "hello", "{}")
        assert response.status.value == "Accepted"
        assert central_system.messages("DataTransfer")[-1].payload["vendorId"] == "com.chargestack"


async def test_section_5_8_get_configuration_max_keys_is_enforced(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """More keys than GetConfigurationMaxKeys in one request: the request itself is refused
    (OCPP-J 4.2.3, OccurenceConstraintViolation: the key list breaks its cardinality), not
    answered with some keys silently left out."""
    config = {"GetConfigurationMaxKeys": 2}
    async with running_station(central_system, tmp_path, configuration=config) as rs:
        got = await rs.call("GetConfiguration", {"key": ["GetConfigurationMaxKeys"]})
        assert got["configurationKey"] == [
            {"key": "GetConfigurationMaxKeys", "readonly": True, "value": "2"}
        ]
        two = await rs.call("GetConfiguration", {"key": ["HeartbeatInterval", "NoSuchKey"]})
        assert [k["key"] for k in two["configurationKey"]] == ["HeartbeatInterval"]
        assert two["unknownKey"] == ["NoSuchKey"]
        keys = ["HeartbeatInterval", "ConnectionTimeOut", "ResetRetries"]
        with pytest.raises(OCPPError) as refused:
            await rs.call("GetConfiguration", {"key": keys})
        assert refused.value.code == "OccurenceConstraintViolation"
        # Every key, without a list, is not limited (section 5.8).
        everything = await rs.call("GetConfiguration", {})
        assert len(everything["configurationKey"]) > 2


async def test_cpo_name_of_more_than_64_characters_is_rejected_and_not_stored(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Whitepaper Ed.3: CpoName is the O of the charge point's certificate request, which
    X.509 bounds at 64 characters (RFC 5280 ub-organization-name)."""
    async with running_station(central_system, tmp_path) as rs:
        longest = "C" * 64
        changed = await rs.call("ChangeConfiguration", {"key": "CpoName", "value": longest})
        assert changed["status"] == "Accepted"
        changed = await rs.call("ChangeConfiguration", {"key": "CpoName", "value": "D" * 65})
        assert changed["status"] == "Rejected"
        got = await rs.call("GetConfiguration", {"key": ["CpoName"]})
        assert got["configurationKey"][0]["value"] == longest


BAD_PHASE_ROTATIONS = [
    "RST",  # no connector
    ".RST",
    "1RST",
    "1.RST.RST",
    "1.rst",  # the rotations are spelled as section 9.1.7 spells them
    "1.XYZ",
    "3.RST",  # the station has connectors 0 (the grid connection), 1 and 2
    "-1.RST",
    "01.RST",
    "\u00b9.RST",  # a digit to str.isdigit, not to OCPP
    "1.RST,1.RTS",  # one rotation per connector
    "1.RST;2.RST",
    "1.RST,,2.RST",
    "",
]


async def test_connector_phase_rotation_accepts_only_connector_rotation_items(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """OCPP 1.6 section 9.1.7: a comma-separated list of connectorId.rotation (connector 0:
    the grid connection), rotation one of NotApplicable, Unknown, RST, RTS, SRT, STR, TRS,
    TSR. A bad value is Rejected and the stored one stays."""
    async with running_station(central_system, tmp_path) as rs:
        good = "0.RST,1.NotApplicable,2.TSR"
        changed = await rs.call(
            "ChangeConfiguration", {"key": "ConnectorPhaseRotation", "value": good}
        )
        assert changed["status"] == "Accepted"
        for value in BAD_PHASE_ROTATIONS:
            changed = await rs.call(
                "ChangeConfiguration", {"key": "ConnectorPhaseRotation", "value": value}
            )
            assert changed["status"] == "Rejected", value
        got = await rs.call("GetConfiguration", {"key": ["ConnectorPhaseRotation"]})
        assert got["configurationKey"][0]["value"] == good
        changed = await rs.call(
            "ChangeConfiguration", {"key": "ConnectorPhaseRotation", "value": "2.Unknown,1.RTS"}
        )
        assert changed["status"] == "Accepted"
