"""A listening unix-domain socket whose file mode is its access control.

The control API and the EV link both listen on a socket file. A file left behind by a
station that died is cleared; a socket another live process listens on, or a file that is not
a socket, is never replaced: one station per socket path.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from pathlib import Path


class SocketPathTaken(OSError):
    """The socket path holds another file, or a live process listens on it."""


def bind_unix_socket(path: Path, mode: int) -> socket.socket:
    """A listening socket at ``path``, never accessible beyond ``mode``, not even briefly."""
    _clear_stale_socket(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        # bind() creates the file with the umask applied: mask everything ``mode`` denies.
        previous = os.umask(0o777 & ~mode)
        try:
            sock.bind(str(path))
        finally:
            os.umask(previous)
        os.chmod(path, mode)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _clear_stale_socket(path: Path) -> None:
    try:
        file_mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(file_mode):
        raise SocketPathTaken(errno.EEXIST, "a file that is not a socket is in the way", str(path))
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink()  # left by a station that did not stop cleanly: nobody listens
        return
    finally:
        probe.close()
    raise SocketPathTaken(
        errno.EADDRINUSE, "another process listens on it (one station per socket)", str(path)
    )
