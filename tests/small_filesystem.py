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
import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

_CHUNKS = (1 << 20, 1 << 16, 1 << 12, 1 << 8, 1)


class SmallFilesystem:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / ".filler"
        self._inode_filler = path / ".filler.d"

    def fill(self, *, inodes: bool = False) -> int:
        """Take every free byte; returns how many were taken. With ``inodes`` every free inode
        too, so no file or directory can be made either (a tmpfs makes them without blocks;
        on flash filesystems a new directory needs a block of its own)."""
        taken = self._fill_blocks()
        if inodes:
            self._inode_filler.mkdir()
            for n in itertools.count():
                try:
                    (self._inode_filler / str(n)).touch()
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
        return taken

    def _fill_blocks(self) -> int:
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
        shutil.rmtree(self._inode_filler, ignore_errors=True)

    def free_bytes(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize


@contextlib.contextmanager
def small_filesystem(
    path: Path, size_mib: int = 8, inodes: int = 1024
) -> Iterator[SmallFilesystem]:
    """A tmpfs of ``size_mib`` MiB and ``inodes`` inodes mounted at ``path`` (created) for
    the ``with`` block."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size_mib}m,nr_inodes={inodes},mode=0700"
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
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
