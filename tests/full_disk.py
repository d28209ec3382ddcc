"""Waiting on a station whose data directory runs full (``small_filesystem.py``).

A full disk shows itself only when written to: ``fill_when_idle`` fills it once everything
so far is on disk, and ``storage_reported`` / ``storage_cleared`` wait for connector 0 to say
the store cannot write, and that it writes again.
"""

from __future__ import annotations

from central_system import Received
from small_filesystem import SmallFilesystem
from station_harness import RunningStation


async def fill_when_idle(rs: RunningStation, disk: SmallFilesystem) -> None:
    """Fill the filesystem once everything so far is on disk."""
    store = rs.station.store
    await rs.wait(lambda: store.durable_through == store.written)
    disk.fill()


async def storage_reported(rs: RunningStation, since: int) -> Received:
    return await rs.cs.wait_for(
        "StatusNotification",
        lambda p: p["connectorId"] == 0 and p["errorCode"] == "InternalError",
        since=since,
    )


async def storage_cleared(rs: RunningStation, since: int) -> Received:
    return await rs.cs.wait_for(
        "StatusNotification",
        lambda p: p["connectorId"] == 0 and p["errorCode"] == "NoError",
        since=since,
    )


async def fill_and_notice(rs: RunningStation, disk: SmallFilesystem, id_tag: str) -> None:
    """Fill the filesystem and let the station find out: an EV plugged in at connector 1
    and ``id_tag`` presented, whose Authorize answer is remembered (the first write that
    fails); returns once connector 0 reports the storage fault."""
    await fill_when_idle(rs, disk)
    mark = rs.cs.mark()
    rs.plug_in(1)
    await rs.status(1, "Preparing", since=mark)
    rs.present(id_tag)
    await storage_reported(rs, mark)
