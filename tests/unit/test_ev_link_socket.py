"""The EV link's unix socket, spoken to by a real client: every line is answered, a refused
line is answered with what is wrong and changes nothing, the accepted ones reach the stage's
sink in order."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from chargestack.exceptions import PowerStageError
from chargestack.hardware.devices.errors import DeviceOpenError
from chargestack.hardware.devices.ev_link_socket import MAX_LINE, UnixSocketEvLink
from chargestack.hardware.ev_link import (
    EvConnected,
    EvDisconnected,
    EvLinkEvent,
    EvRequest,
    EvseStatus,
    EvStopped,
)
from chargestack.settings.devices import EvLinkDeviceSettings
from ev_link_client import HlcClient

STATUS = EvseStatus(
    state="charging",
    enabled=True,
    contactor_closed=True,
    voltage_v=398.5,
    current_a=99.5,
    max_current_a=100.0,
    max_power_w=40_000.0,
)


def link_at(path: Path) -> UnixSocketEvLink:
    settings = EvLinkDeviceSettings(kind="socket", path=path)
    return UnixSocketEvLink(settings, range(1, 3), "devices.ev_link")


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        (b"not json\n", "not JSON: "),
        (b"[1]\n", "not a JSON object"),
        (b"\n", "empty line"),
        (b'{"type": "fly", "connector": 1}\n', "type: Input tag 'fly' found using 'type'"),
        (b'{"type": "plugged_in", "connector": "1"}\n', "connector: Input should be a valid int"),
        (b'{"type": "plugged_in", "connector": 3}\n', "connector 3 is not one of 1..2"),
        (b'{"type": "plugged_in", "connector": 1, "vin": "x"}\n', "vin: Extra inputs are not"),
        (
            b'{"type": "request", "connector": 1, "voltage_v": 400, "current_a": 10}\n',
            "connector 1 has no EV plugged in (send plugged_in first)",
        ),
        (b'{"type": "stop", "connector": 2}\n', "connector 2 has no EV plugged in"),
        (b"x" * (MAX_LINE * 2) + b"\n", f"line longer than {MAX_LINE} bytes"),
    ],
)
async def test_a_refused_line_is_answered_and_changes_nothing(
    tmp_path: Path, line: bytes, answer: str
) -> None:
    events: list[EvLinkEvent] = []
    link = link_at(tmp_path / "ev.sock")
    await link.start(events.append, lambda cid: STATUS)
    client = await HlcClient.connect(tmp_path / "ev.sock")
    try:
        refused = await client.send_raw(line)
        assert refused["type"] == "error"
        assert refused["message"].startswith(answer), refused
        assert events == []
        # The connection goes on: the next line is served as if nothing had happened.
        assert await client.send(type="plugged_in", connector=1) == {"type": "ok", "connector": 1}
        assert events == [EvConnected(1)]
    finally:
        await client.close()
        await link.stop()


async def test_a_session_of_messages_reaches_the_sink_in_order(tmp_path: Path) -> None:
    events: list[EvLinkEvent] = []
    path = tmp_path / "ev.sock"
    link = link_at(path)
    await link.start(events.append, lambda cid: STATUS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o660
    client = await HlcClient.connect(path)
    try:
        assert await client.send(type="plugged_in", connector=2) == {"type": "ok", "connector": 2}
        again = await client.send(type="plugged_in", connector=2)
        assert again == {"type": "error", "message": "connector 2 is already plugged in"}
        answer = await client.send(
            type="request", connector=2, voltage_v=400.0, current_a=100.0, soc=55.5
        )
        assert answer == {
            "type": "evse_status",
            "connector": 2,
            "state": "charging",
            "enabled": True,
            "contactor_closed": True,
            "voltage_v": 398.5,
            "current_a": 99.5,
            "max_current_a": 100.0,
            "max_power_w": 40_000.0,
        }
        assert (await client.send(type="status", connector=1))["type"] == "evse_status"
        assert await client.send(type="stop", connector=2) == {"type": "ok", "connector": 2}
        assert await client.send(type="unplugged", connector=2) == {"type": "ok", "connector": 2}
        assert events == [
            EvConnected(2),
            EvRequest(2, 400.0, 100.0, 55.5),
            EvStopped(2),
            EvDisconnected(2),
        ]
    finally:
        await client.close()
        await link.stop()
    assert not path.exists(), "the socket file goes with the link"


async def test_a_stale_socket_is_replaced_and_anything_else_is_a_one_line_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ev.sock"
    with socket.socket(socket.AF_UNIX) as left_over:  # a station that died left it
        left_over.bind(str(path))
    link = link_at(path)
    await link.start(lambda event: None, lambda cid: STATUS)
    await link.stop()

    path.write_text("not a socket")
    with pytest.raises(DeviceOpenError) as raised:
        await link_at(path).start(lambda event: None, lambda cid: STATUS)
    assert str(raised.value) == (
        f"devices.ev_link: cannot listen on {path}: a file that is not a socket is in the way"
    )
    assert path.read_text() == "not a socket", "another file is never removed"

    nowhere = tmp_path / "missing" / "ev.sock"
    with pytest.raises(DeviceOpenError) as raised:
        await link_at(nowhere).start(lambda event: None, lambda cid: STATUS)
    assert str(raised.value).startswith(f"devices.ev_link: cannot listen on {nowhere}: ")
    assert "\n" not in str(raised.value)


async def test_what_the_power_stage_refuses_is_answered_and_not_recorded(tmp_path: Path) -> None:
    def refusing_stage(event: EvLinkEvent) -> None:
        raise PowerStageError("the power stage is not running")

    link = link_at(tmp_path / "ev.sock")
    await link.start(refusing_stage, lambda cid: STATUS)
    client = await HlcClient.connect(tmp_path / "ev.sock")
    try:
        answer = await client.send(type="plugged_in", connector=1)
        assert answer == {
            "type": "error",
            "message": "the power stage refused it: the power stage is not running",
        }
        later = await client.send(type="request", connector=1, voltage_v=400.0, current_a=1.0)
        assert later["message"].startswith("connector 1 has no EV plugged in")
    finally:
        await client.close()
        await link.stop()
