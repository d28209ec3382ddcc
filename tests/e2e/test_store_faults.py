"""A store that lost its WAL, was moved aside, or is corrupt (issue 17, item 3).

The station must notice a store younger than its data directory (ERROR log, a StoreLost
security event to the central system) and start; what the database file holds (every
session's start, transactionId and end are checkpoints) is still delivered. A corrupt store
stops the station with one clear line, and `chargestack db inspect` prints the same line.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from central_system import CentralSystem
from station_harness import running_station
from station_process import StationProcess, run_cli, write_station_file

CP = "CRASH-CP"
TAG = "WALTAG1"


async def _registered(sp: StationProcess) -> None:
    # A tag presented before the BootNotification answer arrives is not authorized.
    for _ in range(500):
        if (await sp.get("/status"))["registration"] == "Accepted":
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the station never registered")


async def _store_status(sp: StationProcess) -> dict[str, object]:
    status = await sp.get("/status")
    store: dict[str, object] = status["store"]
    return store


async def test_a_lost_wal_is_reported_and_the_open_session_still_stopped(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    station_file = tmp_path / "station.toml"
    data = tmp_path / "data"
    write_station_file(
        station_file, cs.url, data, {"MinimumStatusDuration": 0, "MeterValueSampleInterval": 1}
    )
    sp = StationProcess(station_file)
    try:
        await sp.start()
        await cs.wait_for("BootNotification", timeout=30)
        await _registered(sp)
        start, tx_id = await sp.start_session(cs, TAG)
        await cs.wait_for("MeterValues", lambda p: p.get("transactionId") == tx_id)
        # The start and the transactionId were checkpointed into the database file.
        for _ in range(500):
            if int(str((await _store_status(sp))["checkpoints"])) >= 2:
                break
            await asyncio.sleep(0.02)
        sp.kill()
        await sp.wait_exit()
        (data / "station.db-wal").unlink()  # what a careless repair or a bad fsck does
        mark = cs.mark()
        await sp.start()
        await cs.wait_for("BootNotification", since=mark, timeout=30)
        event = await cs.wait_for(
            "SecurityEventNotification", lambda p: p["type"] == "StoreLost", since=mark
        )
        stop = await cs.wait_for(
            "StopTransaction", lambda p: p["transactionId"] == tx_id, since=mark
        )
        assert await sp.terminate() == 0
    finally:
        await sp.close()
    assert "station.db-wal is missing" in event.payload["techInfo"]
    assert stop.payload["reason"] == "PowerLoss"
    assert stop.payload["meterStop"] >= start.payload["meterStart"]
    errors = [line for line in sp.stderr_lines if " ERROR " in line and "younger" in line]
    assert errors, sp.stderr_lines


async def test_a_store_moved_aside_starts_fresh_and_says_so(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path):
        pass
    # The technician's step for a corrupt store (README): move it aside, start again.
    aside = tmp_path / "aside"
    aside.mkdir()
    shutil.move(tmp_path / "station.db", aside / "station.db")
    mark = cs.mark()
    async with running_station(cs, tmp_path) as rs:
        event = await cs.wait_for(
            "SecurityEventNotification", lambda p: p["type"] == "StoreLost", since=mark
        )
        assert "created empty" in event.payload["techInfo"]
        assert rs.station.store.lost_state is not None
    # Said once: the new store is this data directory's store from now on.
    mark = cs.mark()
    async with running_station(cs, tmp_path) as rs:
        assert rs.station.store.lost_state is None
    assert not [
        r for r in cs.messages("SecurityEventNotification")[0:] if r.payload["type"] == "StoreLost"
    ][1:]


async def test_a_corrupt_store_gives_the_same_one_line_message_to_run_and_db_inspect(
    tmp_path: Path,
) -> None:
    station_file = tmp_path / "station.toml"
    data = tmp_path / "data"
    write_station_file(station_file, "ws://127.0.0.1:9/ocpp", data, {})
    data.mkdir()
    (data / "station.db").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 64)
    run = await run_cli("run", "--config", str(station_file))
    inspect = await run_cli("db", "inspect", "--config", str(station_file))
    assert run.code == inspect.code == 1
    assert inspect.stdout == ""
    assert "Traceback" not in inspect.stderr
    message = inspect.stderr.strip()
    assert len(message.splitlines()) == 1
    assert message.startswith("chargestack: ")
    assert "corrupt" in message
    assert message in run.stderr.splitlines()
