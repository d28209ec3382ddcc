"""One station per socket path: a stale socket is cleared, a live one or another file never."""

from __future__ import annotations

import errno
import socket
import stat
from pathlib import Path

import pytest

from chargestack.unix_socket import SocketPathTaken, bind_unix_socket


def test_a_socket_left_by_a_dead_station_is_replaced_with_the_mode_asked_for(
    tmp_path: Path,
) -> None:
    path = tmp_path / "api.sock"
    with socket.socket(socket.AF_UNIX) as left_over:
        left_over.bind(str(path))
    with bind_unix_socket(path, 0o600) as sock:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(path))
        assert sock.getsockname() == str(path)


def test_a_socket_a_live_process_listens_on_is_never_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "api.sock"
    with bind_unix_socket(path, 0o600):
        with pytest.raises(SocketPathTaken) as raised:
            bind_unix_socket(path, 0o600)
        assert raised.value.errno == errno.EADDRINUSE
        assert raised.value.filename == str(path)
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(path))  # the first listener still owns the path


def test_a_file_that_is_not_a_socket_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "api.sock"
    path.write_text("notes")
    with pytest.raises(SocketPathTaken, match="not a socket") as raised:
        bind_unix_socket(path, 0o600)
    assert raised.value.errno == errno.EEXIST
    assert path.read_text() == "notes"
