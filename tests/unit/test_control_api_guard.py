"""The control API cannot be driven by a web page (issue 17, item 5).

A page in a browser on the controller can reach 127.0.0.1: through DNS rebinding (its own
host name resolving to 127.0.0.1, so the browser sends ``Host: evil.example``) or with
cross-origin "simple" requests (``Origin`` set, a text/plain or form body, no preflight).
Each such request must get a 4xx and change nothing. The unix-domain socket alternative is
guarded by its file permissions.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from chargestack.control import ControlApi
from chargestack.control.client import ControlClient
from chargestack.exceptions import ConfigurationError
from chargestack.hardware.sim import SimHardware
from sim_support import FakeStation, RecordingPowerStage, drain, serving, station_settings


@dataclass
class Guarded:
    station: FakeStation
    http: aiohttp.ClientSession
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def send(
        self, method: str, path: str, *, headers: dict[str, str], data: bytes | None = None
    ) -> tuple[int, dict[str, object]]:
        async with self.http.request(
            method, self.base + path, headers=headers, data=data
        ) as response:
            return response.status, await response.json()

    def nothing_happened(self) -> bool:
        hardware = self.station.hardware
        return (
            drain(hardware) == []
            and not hardware.connector(1).is_plugged()
            and self.station.connected
            and self.station.power_cuts == 0
        )


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[Guarded]:
    station = FakeStation(SimHardware(station_settings(tmp_path), RecordingPowerStage()))
    station.connected = True
    async with serving(station) as server, aiohttp.ClientSession() as http:
        assert server.port is not None
        yield Guarded(station, http, server.port)


JSON = "application/json"
TAG = b'{"idTag": "EVILTAG"}'


async def test_dns_rebinding_cannot_read_or_drive_the_api(guarded: Guarded) -> None:
    for host in ("evil.example", f"evil.example:{guarded.port}", "127.0.0.1:1"):
        status, body = await guarded.send("GET", "/status", headers={"Host": host})
        assert status == 403, host
        assert "Host" in str(body["error"])
        status, _ = await guarded.send(
            "POST", "/rfid", headers={"Host": host, "Content-Type": JSON}, data=TAG
        )
        assert status == 403
    assert guarded.nothing_happened()


async def test_loopback_and_localhost_with_the_bound_port_are_served(guarded: Guarded) -> None:
    for host in (f"127.0.0.1:{guarded.port}", f"localhost:{guarded.port}"):
        status, _ = await guarded.send("GET", "/status", headers={"Host": host})
        assert status == 200, host


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", TAG),  # fetch(..., {mode: "no-cors", body: JSON.stringify(...)})
        ("application/x-www-form-urlencoded", b"idTag=EVILTAG"),  # an HTML form
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"'),
        (None, TAG),
    ],
)
async def test_a_body_that_is_not_declared_json_is_refused(
    guarded: Guarded, content_type: str | None, data: bytes
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    status, body = await guarded.send("POST", "/rfid", headers=headers, data=data)
    assert status == 415
    assert "application/json" in str(body["error"])
    status, _ = await guarded.send("POST", "/connectors/1/plug-in", headers=headers, data=data)
    assert status == 415
    assert guarded.nothing_happened()


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
async def test_a_foreign_origin_is_refused(guarded: Guarded, origin: str) -> None:
    headers = {"Origin": origin, "Content-Type": JSON}
    assert (await guarded.send("POST", "/rfid", headers=headers, data=TAG))[0] == 403
    # Body-less actions too: a form or fetch() POST always carries its Origin.
    for path in ("/connectors/1/plug-in", "/network/disconnect", "/power-cut"):
        status, body = await guarded.send("POST", path, headers={"Origin": origin})
        assert status == 403, path
        assert "Origin" in str(body["error"])
    assert (await guarded.send("GET", "/status", headers={"Origin": origin}))[0] == 403
    assert guarded.nothing_happened()


async def test_the_apis_own_origin_and_json_bodies_are_served(guarded: Guarded) -> None:
    headers = {"Origin": guarded.base, "Content-Type": "application/json; charset=utf-8"}
    assert (await guarded.send("POST", "/rfid", headers=headers, data=TAG))[0] == 200
    # The CLI's body-less actions carry no Content-Type.
    assert (await guarded.send("POST", "/connectors/1/plug-in", headers={}))[0] == 200
    assert guarded.station.hardware.connector(1).is_plugged()


async def test_the_unix_socket_is_owner_only_and_serves_the_cli_client(tmp_path: Path) -> None:
    station = FakeStation(SimHardware(station_settings(tmp_path), RecordingPowerStage()))
    path = tmp_path / "run" / "control.sock"
    path.parent.mkdir()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))  # left behind by a station that was killed: replaced
    stale.close()
    api = ControlApi(station, unix_socket=path)
    await api.start()
    try:
        assert api.url == f"unix:{path}"
        mode = os.stat(path).st_mode
        assert stat.S_ISSOCK(mode)
        assert stat.S_IMODE(mode) == 0o600
        connector = aiohttp.UnixConnector(path=str(path))
        async with aiohttp.ClientSession(connector=connector) as http:
            async with http.get("http://localhost/status") as response:
                assert response.status == 200
            # The other guards apply on the socket as well.
            async with http.post(
                "http://localhost/rfid", data=TAG, headers={"Content-Type": "text/plain"}
            ) as response:
                assert response.status == 415
        client = ControlClient(f"unix:{path}")
        status = await asyncio.to_thread(client.get, "/status")
        assert status["registration"] == "Accepted"
        await asyncio.to_thread(client.post, "/rfid", {"idTag": "CLITAG"})
        assert [type(e).__name__ for e in drain(station.hardware)] == ["IdTagPresented"]
    finally:
        await api.stop()
    assert not path.exists()


async def test_a_file_in_the_way_of_the_socket_is_left_alone(tmp_path: Path) -> None:
    station = FakeStation(SimHardware(station_settings(tmp_path), RecordingPowerStage()))
    path = tmp_path / "control.sock"
    path.write_text("not a socket")
    with pytest.raises(ConfigurationError, match="not a socket"):
        await ControlApi(station, unix_socket=path).start()
    assert path.read_text() == "not a socket"
