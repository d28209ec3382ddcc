"""The control API over a real aiohttp server on 127.0.0.1, driving a real SimHardware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chargestack.control import ControlApi
from chargestack.exceptions import ConfigurationError
from chargestack.hardware.events import (
    EvParameters,
    EvSuspended,
    EvUnplugged,
    FaultCleared,
    FaultRaised,
    IdTagPresented,
    PluggedIn,
)
from chargestack.hardware.sim import ModuleFault, SimHardware
from sim_support import FakeStation, RecordingPowerStage, drain, serving, station_settings


@dataclass
class Api:
    station: FakeStation
    power: RecordingPowerStage
    http: aiohttp.ClientSession
    base: str

    async def call(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        # Raw bodies are declared JSON: these tests are about what the body holds.
        headers = {"Content-Type": "application/json"} if raw is not None else None
        async with self.http.request(
            method, self.base + path, json=body if raw is None else None, data=raw, headers=headers
        ) as response:
            assert response.content_type == "application/json"
            return response.status, await response.json()

    @property
    def hardware(self) -> SimHardware:
        return self.station.hardware


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    power = RecordingPowerStage()
    station = FakeStation(SimHardware(station_settings(tmp_path), power))
    async with serving(station) as server, aiohttp.ClientSession() as http:
        yield Api(station, power, http, server.url)


async def test_status(api: Api) -> None:
    api.hardware.plug_in(2)
    status, body = await api.call("GET", "/status")
    assert status == 200
    assert body["registration"] == "Accepted"
    assert [c["plugged"] for c in body["connectors"]] == [False, True]


async def test_plug_in_with_ev_parameters_then_plug_out(api: Api) -> None:
    status, body = await api.call(
        "POST", "/connectors/1/plug-in", {"batteryWh": 80000, "soc": 10.5, "maxCurrentA": 200}
    )
    assert (status, body) == (200, {"ok": True})
    assert await api.call("POST", "/connectors/1/plug-out") == (200, {"ok": True})
    events = drain(api.hardware)
    assert events[0] == PluggedIn(1, EvParameters(80000, 10.5, 200))
    assert len(events) == 2


async def test_plug_in_without_a_body_uses_driver_defaults(api: Api) -> None:
    assert (await api.call("POST", "/connectors/2/plug-in"))[0] == 200
    assert drain(api.hardware) == [PluggedIn(2, EvParameters())]


@pytest.mark.parametrize("path", ["/connectors/3/plug-in", "/connectors/0/plug-out"])
async def test_unknown_connector_is_404_naming_it(api: Api, path: str) -> None:
    status, body = await api.call("POST", path)
    assert status == 404
    assert body["error"].startswith(f"unknown connector {path.split('/')[2]};")


async def test_connector_id_that_is_not_a_number_is_404(api: Api) -> None:
    status, body = await api.call("POST", "/connectors/one/plug-in")
    assert (status, body) == (404, {"error": "unknown connector 'one'"})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"soc": 120}, "soc"),
        ({"soc": "50"}, "soc"),
        ({"batteryWh": -1}, "batteryWh"),
        ({"maxCurrentA": 0}, "maxCurrentA"),
        ({"battery_wh": 1000}, "battery_wh"),
        ([1, 2], "(body)"),
    ],
)
async def test_bad_plug_in_body_is_422_naming_the_field(api: Api, body: Any, field: str) -> None:
    status, answer = await api.call("POST", "/connectors/1/plug-in", body)
    assert status == 422
    assert answer["field"] == field
    assert answer["error"].startswith(f"{field}: ")
    assert not api.hardware.connector(1).is_plugged()


async def test_malformed_json_is_400(api: Api) -> None:
    status, body = await api.call("POST", "/rfid", raw=b'{"idTag": ')
    assert status == 400
    assert body["error"].startswith("malformed JSON body")


async def test_plug_in_twice_is_409(api: Api) -> None:
    await api.call("POST", "/connectors/1/plug-in")
    status, body = await api.call("POST", "/connectors/1/plug-in")
    assert (status, body) == (409, {"error": "connector 1 is already plugged in"})


async def test_rfid(api: Api) -> None:
    assert (await api.call("POST", "/rfid", {"idTag": "ABC123"}))[0] == 200
    assert drain(api.hardware) == [IdTagPresented("ABC123")]


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "idTag"), ({"idTag": ""}, "idTag"), ({"idTag": "X" * 21}, "idTag"), (None, "(body)")],
)
async def test_bad_rfid_body(api: Api, body: Any, field: str) -> None:
    status, answer = await api.call("POST", "/rfid", body)
    assert (status, answer["field"]) == (422, field)
    assert drain(api.hardware) == []


@pytest.mark.parametrize(
    "id_tag",
    [
        "\x07TAG",
        "TAG\n",
        "TAG\r\nX",
        "T\tAG",
        "TAG\x00",
        "TAG\x1b[2J",
        "TAG\x7f",  # DEL
        "TAG\u0085",  # a C1 control character
        "T\u00c4G",  # printable, but not ASCII
        "\u30bf\u30b0",
        "X" * 20 + "\u00e9",
    ],
)
async def test_rfid_tag_that_is_not_printable_ascii_is_422_naming_it(api: Api, id_tag: str) -> None:
    """OCPP 1.6 IdToken is a CiString20Type: at most 20 printable ASCII characters."""
    status, answer = await api.call("POST", "/rfid", {"idTag": id_tag})
    assert (status, answer["field"]) == (422, "idTag")
    assert answer["error"].startswith("idTag: ")
    assert drain(api.hardware) == []


async def test_rfid_tag_of_printable_ascii_with_blanks_is_presented(api: Api) -> None:
    tag = " !~Tag 20 characters"
    assert (await api.call("POST", "/rfid", {"idTag": tag}))[0] == 200
    assert drain(api.hardware) == [IdTagPresented(tag)]


async def test_ev_unplug(api: Api) -> None:
    await api.call("POST", "/connectors/2/plug-in")
    assert await api.call("POST", "/connectors/2/ev/unplug") == (200, {"ok": True})
    assert drain(api.hardware)[-1] == EvUnplugged(2)
    assert api.hardware.connector(2).is_plugged()  # a socket: the cable stays
    status, body = await api.call("POST", "/connectors/2/ev/unplug")
    assert (status, body["error"]) == (409, "no EV on connector 2")
    status, body = await api.call("POST", "/connectors/3/ev/unplug")
    assert status == 404
    assert body["error"].startswith("unknown connector 3;")
    assert drain(api.hardware) == []


async def test_ev_pause_and_resume(api: Api) -> None:
    await api.call("POST", "/connectors/1/plug-in")
    assert (await api.call("POST", "/connectors/1/ev/pause"))[0] == 200
    assert drain(api.hardware)[-1] == EvSuspended(1)
    assert (await api.call("POST", "/connectors/1/ev/resume"))[0] == 200
    status, body = await api.call("POST", "/connectors/1/ev/resume")
    assert (status, body["error"]) == (409, "the EV on connector 1 is not paused")


async def test_faults_raise_and_clear_including_connector_zero(api: Api) -> None:
    body = {"errorCode": "GroundFailure", "info": "isolation"}
    assert (await api.call("POST", "/connectors/1/faults", body))[0] == 200
    assert (await api.call("POST", "/connectors/0/faults", {"errorCode": "OtherError"}))[0] == 200
    assert (await api.call("DELETE", "/connectors/1/faults"))[0] == 200
    assert drain(api.hardware) == [
        FaultRaised(1, "GroundFailure", "isolation"),
        FaultRaised(0, "OtherError"),
        FaultCleared(1),
    ]
    status, answer = await api.call("DELETE", "/connectors/1/faults")
    assert (status, answer["error"]) == (409, "no fault is raised on connector 1")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"errorCode": "GroundFault"}, "errorCode", "Input should be 'ConnectorLockFailure'"),
        ({"errorCode": "NoError"}, "errorCode", "Value error, NoError is not a fault"),
        ({"errorCode": "OtherError", "info": "i" * 51}, "info", "String should have at most 50"),
        ({"info": "x"}, "errorCode", "Field required"),
    ],
)
async def test_bad_fault_body(api: Api, body: Any, field: str, message: str) -> None:
    status, answer = await api.call("POST", "/connectors/1/faults", body)
    assert (status, answer["field"]) == (422, field)
    assert answer["errors"][0]["message"].startswith(message)


async def test_lock_failure_arms_the_next_attempt(api: Api) -> None:
    assert (await api.call("POST", "/connectors/2/lock-failure"))[0] == 200
    assert not await api.hardware.connector(2).unlock()
    assert await api.hardware.connector(2).unlock()


async def test_network_disconnect_and_connect(api: Api) -> None:
    await api.call("POST", "/network/disconnect")
    assert not api.station.connected
    await api.call("POST", "/network/connect")
    assert api.station.connected


async def test_power_endpoints(api: Api) -> None:
    status, body = await api.call("GET", "/power")
    assert (status, body) == (200, {"modules": [], "calls": 0})
    assert (await api.call("POST", "/power/modules/3/faults", {"fault": "CommLoss"}))[0] == 200
    assert (await api.call("DELETE", "/power/modules/3/faults"))[0] == 200
    assert (await api.call("POST", "/power/bus/fail"))[0] == 200
    assert (await api.call("DELETE", "/power/bus/fail"))[0] == 200
    assert api.power.calls == [
        ("inject_module_fault", 3, ModuleFault.COMM_LOSS),
        ("clear_module_fault", 3),
        ("fail_bus", True),
        ("fail_bus", False),
    ]


async def test_bad_module_requests(api: Api) -> None:
    status, body = await api.call("POST", "/power/modules/6/faults", {"fault": "Dead"})
    assert (status, body["error"]) == (404, "unknown power module 6; this cabinet has modules 0..5")
    status, body = await api.call("POST", "/power/modules/1/faults", {"fault": "Melted"})
    assert (status, body["field"]) == (422, "fault")
    assert api.power.calls == []


async def test_unknown_route_and_method_are_json(api: Api) -> None:
    assert (await api.call("GET", "/nothing"))[0] == 404
    assert (await api.call("GET", "/rfid"))[0] == 405


async def test_a_failing_target_gives_500_and_the_server_keeps_serving(api: Api) -> None:
    api.station.fail_status = RuntimeError("boom")
    status, body = await api.call("GET", "/status")
    assert (status, body) == (500, {"error": "internal error; see the station log"})
    api.station.fail_status = None
    assert (await api.call("GET", "/status"))[0] == 200


async def test_garbage_on_every_endpoint_never_changes_state(api: Api) -> None:
    garbage: list[bytes] = [
        b"\xff\xfe",
        b"[]",
        b'{"a":',
        b"1e999",
        b'"x"',
        b"{}" * 10,
        b"x" * 70000,
    ]
    paths = [
        "/connectors/1/plug-in",
        "/rfid",
        "/connectors/1/faults",
        "/power/modules/0/faults",
    ]
    for path in paths:
        for raw in garbage:
            status, _ = await api.call("POST", path, raw=raw)
            assert 400 <= status < 500, (path, raw[:10], status)
    assert drain(api.hardware) == []
    assert api.power.calls == []


def test_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    station = FakeStation(SimHardware(station_settings(tmp_path), RecordingPowerStage()))
    with pytest.raises(ConfigurationError, match="loopback"):
        ControlApi(station, "0.0.0.0", 0)


async def test_power_snapshot_of_the_rust_stage_is_served_as_json(tmp_path: Path) -> None:
    hardware = SimHardware(station_settings(tmp_path, power={"loop_period_ms": 10}))
    await hardware.start()
    try:
        async with serving(FakeStation(hardware)) as server, aiohttp.ClientSession() as http:
            async with http.post(f"{server.url}/connectors/1/plug-in", json={"soc": 90}) as r:
                assert r.status == 200
            async with http.get(f"{server.url}/power") as r:
                body = await r.json()
            assert [m["index"] for m in body["modules"]] == list(range(6))
            assert {"load", "frames_tx"} <= body["bus"].keys()
            assert [c["id"] for c in body["connectors"]] == [1, 2]
            assert "jitter_p99_us" in body["loop"]
    finally:
        await hardware.stop()
