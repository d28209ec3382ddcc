"""A station started again while its data directory's filesystem is full.

``test_disk_full.py`` fills the disk under a running station; here the station (the real
``chargestack run`` process) stops mid-session, by a power loss or cleanly, the disk fills,
and it starts again. It must come up and register, report the storage fault on connector 0
as it does at run time (Unavailable, InternalError, StorageWriteFailed), start no
transaction, deliver what its store already holds (the interrupted transaction's
StopTransaction, rebuilt from the journal on disk; after a clean stop, the Reboot stop the
central system did not answer before the process ended), and recover by itself once space
returns: the fault cleared, the store's marker written, a transaction started. A data
directory with no store yet on a full disk is refused in one line that names it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from central_system import CentralSystem, Received
from chargestack.store.marker import read_marker
from small_filesystem import small_filesystem
from station_process import StationProcess, run_to_exit, write_station_file

CP = "CRASH-CP"
TAG = "RESTART1"
OTHER_TAG = "RESTART2"


async def storage_status(cs: CentralSystem, error_code: str, since: int) -> Received:
    return await cs.wait_for(
        "StatusNotification",
        lambda p: p["connectorId"] == 0 and p["errorCode"] == error_code,
        since=since,
        timeout=30,
    )


@pytest.mark.parametrize("stop", ["power loss", "clean stop"])
async def test_a_station_started_on_a_full_disk_boots_reports_it_delivers_and_recovers(
    central_system: CentralSystem, tmp_path: Path, stop: str
) -> None:
    cs = central_system
    with small_filesystem(tmp_path / "data") as disk:
        station_file = tmp_path / "station.toml"
        write_station_file(station_file, cs.url, disk.path, {"MinimumStatusDuration": 0})
        sp = StationProcess(station_file)
        try:
            await sp.start()
            # A tag is authorized once the station is registered.
            await sp.wait_status(lambda s: s["registration"] == "Accepted", "registered")
            await sp.post("/connectors/1/plug-in")
            await sp.post("/rfid", {"idTag": TAG})
            tx_id = await cs.wait_for_transaction_id(await cs.wait_for("StartTransaction"))
            # Everything so far on disk: the restart finds the session, and only it, open.
            await sp.wait_status(
                lambda s: s["queueDepth"] == 0 and s["store"]["commitsNotOnDisk"] == 0,
                "the started session is on disk",
            )
            if stop == "power loss":
                sp.kill()
                await sp.wait_exit()
            else:
                # The session stops (Reboot); unanswered, its stop stays queued on disk.
                cs.silent_actions.add("StopTransaction")
                assert await sp.terminate() == 0
                cs.silent_actions.discard("StopTransaction")
            disk.fill()

            mark = cs.mark()
            await sp.start()
            await cs.wait_for("BootNotification", since=mark, timeout=30)
            fault = (await storage_status(cs, "InternalError", mark)).payload
            assert fault["status"] == "Unavailable"
            assert fault["vendorErrorCode"] == "StorageWriteFailed"
            stopped = await cs.wait_for(
                "StopTransaction", lambda p: p["transactionId"] == tx_id, since=mark
            )
            assert stopped.payload["reason"] == ("PowerLoss" if stop == "power loss" else "Reboot")
            refused = await cs.call(
                CP, "RemoteStartTransaction", {"idTag": OTHER_TAG, "connectorId": 2}
            )
            assert refused["status"] == "Rejected"
            marker = read_marker(disk.path / "station.db")
            assert marker is not None
            # What the last stop left: the new start could not say "running" yet.
            assert marker.running is (stop == "power loss")

            mark = cs.mark()
            disk.free()
            await storage_status(cs, "NoError", mark)
            marker = read_marker(disk.path / "station.db")
            assert marker is not None and marker.running
            accepted = await cs.call(
                CP, "RemoteStartTransaction", {"idTag": OTHER_TAG, "connectorId": 2}
            )
            assert accepted["status"] == "Accepted"
            await sp.post("/connectors/2/plug-in")
            await cs.wait_for("StartTransaction", lambda p: p["idTag"] == OTHER_TAG, since=mark)
        finally:
            await sp.close()
    stops = [r for r in cs.messages("StopTransaction") if r.payload["transactionId"] == tx_id]
    assert len({r.unique_id for r in stops}) == 1, "one stop, however often it was sent"


@pytest.mark.parametrize(
    ("directory", "refusal"),
    [
        ("", "has no room for a new store"),
        # No inode left for the directory itself (on flash filesystems it needs a block).
        ("new", "cannot create it: [Errno 28] No space left on device"),
    ],
)
async def test_a_new_data_directory_on_a_full_disk_is_refused_in_one_line_naming_it(
    central_system: CentralSystem, tmp_path: Path, directory: str, refusal: str
) -> None:
    with small_filesystem(tmp_path / "disk") as disk:
        data_dir = disk.path / directory
        station_file = tmp_path / "station.toml"
        write_station_file(station_file, central_system.url, data_dir, {})
        disk.fill(inodes=True)
        code, stderr = await run_to_exit(station_file)
    assert code == 1
    # Log lines aside (the control API came up first), the refusal is one line, no traceback.
    lines = [line for line in stderr.splitlines() if not line[:4].isdigit()]
    assert lines == [stderr.splitlines()[-1]]
    assert lines[0].startswith(f"chargestack: data directory {data_dir}")
    assert refusal in lines[0]
    assert not central_system.messages("BootNotification")
