"""The serial RFID reader on a pseudo-terminal: each framing's UIDs become presented tags,
a held card is one presentation, and a reader that disappears is a ReaderFailure on
connector 0 until it is back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from central_system import CentralSystem
from chargestack.assembly import AssembledStation
from chargestack.hardware.devices.errors import DeviceOpenError
from chargestack.settings import parse_station_settings
from device_peers import SerialLine
from station_harness import running_station, station_config
from station_process import minimal_devices_file, run_to_exit


def with_reader(line: SerialLine, **reader: Any) -> dict[str, Any]:
    return {
        "hardware": "devices",
        "devices": {"reader": {"port": str(line.path), "reopen_interval_s": 0.05, **reader}},
    }


def power_loop_threads() -> int:
    tasks = Path("/proc/self/task")
    return sum((t / "comm").read_text().strip() == "power-loop" for t in tasks.iterdir())


@pytest.mark.parametrize(
    ("framing", "written", "id_tag"),
    [
        ({}, b"04A1B2C3D4E5F6\n", "04A1B2C3D4E5F6"),
        ({"terminator": "\r\n"}, b"a1b2c3d4\r\n", "A1B2C3D4"),
        ({"prefix": "\x02", "terminator": "\x03"}, b"\x02" + b"0A0B0C0D" + b"\x03", "0A0B0C0D"),
        ({"uid_format": "decimal", "terminator": "\r"}, b"0123456789\r", "075BCD15"),
        ({"uid_format": "decimal", "uid_bytes": 7}, b"1234567890123\n", "00011F71FB04CB"),
        ({"byte_order": "reversed", "terminator": "\r\n"}, b"D4C3B2A1\r\n", "A1B2C3D4"),
    ],
)
async def test_uids_in_each_framing_become_presented_tags(
    central_system: CentralSystem,
    tmp_path: Path,
    framing: dict[str, Any],
    written: bytes,
    id_tag: str,
) -> None:
    cs = central_system
    line = SerialLine(tmp_path / "rfid")
    try:
        async with running_station(cs, tmp_path, **with_reader(line, **framing)) as rs:
            terminator = framing.get("terminator", "\n").encode()
            # Noise is ignored, the frame after it is read.
            line.write(b"not a uid" + terminator + written)
            authorize = await cs.wait_for("Authorize")
            assert authorize.payload["idTag"] == id_tag
            assert rs.station.status_of(0) == "Available"
    finally:
        line.unplug()


async def test_a_held_card_is_one_presentation(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    line = SerialLine(tmp_path / "rfid")
    try:
        # The reader repeats a card on it every 100 ms or so; the hold is generous here so
        # that a slow test machine cannot split the repeats.
        async with running_station(cs, tmp_path, **with_reader(line, debounce_s=30.0)):
            line.write(b"11223344\n" * 6)
            line.write(b"55667788\n")
            await cs.wait_for("Authorize", lambda p: p["idTag"] == "55667788")
            tags = [m.payload["idTag"] for m in cs.messages("Authorize")]
            assert tags == ["11223344", "55667788"]
    finally:
        line.unplug()


async def test_reader_that_disappears_is_a_reader_failure_until_it_is_back(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    line = SerialLine(tmp_path / "rfid")
    try:
        async with running_station(cs, tmp_path, **with_reader(line)) as rs:
            mark = cs.mark()
            line.unplug()
            lost = await rs.status(0, "Available", since=mark)
            assert lost["errorCode"] == "ReaderFailure"
            assert lost["vendorErrorCode"] == "ReaderLost"
            # A warning, not a fault: the connectors stay usable (remote starts still work).
            assert rs.station.status_of(1) == "Available"
            assert not [
                m for m in cs.messages("StatusNotification")[mark:] if m.payload["connectorId"] != 0
            ]

            mark = cs.mark()
            line.plug()
            back = await rs.status(0, "Available", since=mark)
            assert back["errorCode"] == "NoError"
            line.write(b"CAFEBABE\n")
            authorize = await cs.wait_for("Authorize", since=mark)
            assert authorize.payload["idTag"] == "CAFEBABE"
    finally:
        line.unplug()


async def test_reader_that_cannot_be_opened_at_start_is_a_one_line_error(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    line = SerialLine(tmp_path / "rfid")
    line.unplug()
    threads_before = power_loop_threads()
    config = station_config(central_system.url, tmp_path, **with_reader(line))
    station = AssembledStation(parse_station_settings(config))
    with pytest.raises(DeviceOpenError) as raised:
        await station.start()
    station.store.close()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"devices.reader: cannot open {line.path}:")
    # The power stage had started before the reader; it was stopped again.
    assert power_loop_threads() == threads_before


async def test_chargestack_run_reports_a_missing_device_in_one_line(tmp_path: Path) -> None:
    station_file = minimal_devices_file(
        tmp_path / "station.toml", ["[devices.reader]", f'port = "{tmp_path / "no-reader"}"']
    )
    returncode, text = await run_to_exit(station_file)
    assert returncode == 1
    assert "Traceback" not in text
    assert text.splitlines()[-1].startswith(
        f"chargestack: devices.reader: cannot open {tmp_path / 'no-reader'}:"
    )
