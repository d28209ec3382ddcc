"""A real small filesystem for a test: a tmpfs of a few MiB that the test fills and frees.

Disk-full tests (issue 17 item 1) put a station's data directory on it. :meth:`fill` takes
every free block with a filler file, so the next write that needs a new block fails with
ENOSPC in SQLite, in the log files, everywhere, as on a controller whose flash ran full;
:meth:`free` deletes the filler: space has returned.

Mounting needs CAP_SYS_ADMIN (the test machines and CI run as root); the mount is private
to the test's directory and undone when the test ends, lazily if something still holds a
file in it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

_CHUNKS = (1 << 20, 1 << 16, 1 << 12, 1 << 8, 1)


class SmallFilesystem:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / ".filler"

    def fill(self) -> int:
        """Take every free byte; returns how many were taken."""
        taken = 0
        # Unbuffered, so the ENOSPC comes from the write itself and nothing is left pending.
        with open(self._filler, "ab", buffering=0) as filler:
            for chunk in _CHUNKS:
                block = bytes(chunk)
                while True:
                    try:
                        written = filler.write(block)
                    except OSError as exc:
                        if exc.errno != errno.ENOSPC:
                            raise
                        break
                    taken += written or 0
                    if not written:
                        break
        return taken

    def free(self) -> None:
        """Give the space back."""
        self._filler.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize


@contextlib.contextmanager
def small_filesystem(path: Path, size_mib: int = 8) -> Iterator[SmallFilesystem]:
    """A tmpfs of ``size_mib`` MiB mounted at ``path`` (created) for the ``with`` block."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        raise RuntimeError(
            f"disk-full tests mount a tmpfs and need CAP_SYS_ADMIN: {mounted.stderr.strip()}"
        )
    try:
        yield SmallFilesystem(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)
