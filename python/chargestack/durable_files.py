"""Small files that survive a power cut: replaced whole (the old content or the new, never a
torn one) and synced with their directory, so the rename itself is on disk.

Both block: call them from a thread, never on the event loop that feeds the power watchdog.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` beside ``path``, sync it, rename it over ``path``, sync the directory."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    # POSIX: a rename is durable once its directory is synced.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
