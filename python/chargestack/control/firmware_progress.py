"""`chargestack firmware watch`: a progress bar for a firmware download on a running station.

Reads the station's GET /status (the firmware job's bytesDone/bytesTotal and status) through
the control API; ends when the job reaches a final status.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

FINAL = frozenset({"Installed", "InstallationFailed", "DownloadFailed", "Idle"})


def watch_firmware(
    read_status: Callable[[], dict[str, Any]], *, poll_s: float = 0.25, timeout_s: float = 3600.0
) -> str:
    """Show the download until the job ends; returns the final firmware status."""
    deadline = time.monotonic() + timeout_s
    with Progress(
        TextColumn("[bold]firmware[/bold] {task.fields[status]}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    ) as progress:
        task = progress.add_task("download", total=None, status="")
        while True:
            firmware = read_status().get("firmware") or {}
            status = str(firmware.get("status", "Idle"))
            total = firmware.get("bytesTotal")
            progress.update(
                task,
                completed=int(firmware.get("bytesDone") or 0),
                total=int(total) if total else None,
                status=status,
            )
            if status in FINAL or time.monotonic() > deadline:
                return status
            time.sleep(poll_s)
