"""systemd's service notification protocol (sd_notify(3)): READY, WATCHDOG and STATUS.

The protocol is a datagram of ``KEY=VALUE`` lines to the unix socket named by
``NOTIFY_SOCKET`` (a leading ``@`` names an abstract socket). The few lines are written
here: the PyPI packages for it are unmaintained (sdnotify, last release 2017) or wrap
libsystemd in C (cysystemd, systemd-python), which a controller image may not carry.

:class:`ServiceNotifier` runs on the station's event loop: READY=1 once the first
connection attempt has been made (connected or not: a station that is offline still
charges), WATCHDOG=1 every half ``WATCHDOG_USEC`` (so a blocked loop, which also starves
the power stage's watchdog, is restarted by systemd), STATUS= with the registration state.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping

log = logging.getLogger("chargestack.deploy.sd_notify")

#: Before the first connection attempt READY is checked this often.
_READY_POLL_S = 0.1


class NotifySocket:
    """One datagram per notification; a failure to send is logged, never raised."""

    def __init__(self, address: str) -> None:
        # An abstract socket's name starts with a NUL byte where the variable has "@".
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._socket.setblocking(False)

    def send(self, *lines: str) -> None:
        try:
            self._socket.sendto("\n".join(lines).encode(), self.address)
        except OSError as exc:
            log.warning("sd_notify %s: %s", lines[0].split("=", 1)[0], exc)

    def close(self) -> None:
        self._socket.close()


def watchdog_interval_s(environ: Mapping[str, str]) -> float | None:
    """Half of systemd's WatchdogSec, when the watchdog is meant for this process."""
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


class ServiceNotifier:
    """See the module docstring. ``ready`` and ``status`` are read from the loop."""

    def __init__(
        self,
        notify: NotifySocket,
        watchdog_s: float | None,
        ready: Callable[[], bool],
        status: Callable[[], str],
    ) -> None:
        self.notify = notify
        self.watchdog_s = watchdog_s
        self.ready = ready
        self.status = status

    @classmethod
    def from_environment(
        cls,
        ready: Callable[[], bool],
        status: Callable[[], str],
        environ: Mapping[str, str] | None = None,
    ) -> ServiceNotifier | None:
        """None when not started by systemd with Type=notify (no NOTIFY_SOCKET)."""
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET")
        if not address:
            return None
        return cls(NotifySocket(address), watchdog_interval_s(env), ready, status)

    async def run(self) -> None:
        """Until cancelled: READY once, then WATCHDOG pings and STATUS changes."""
        announced_ready = False
        last_status = ""
        try:
            while True:
                lines: list[str] = []
                if not announced_ready and self.ready():
                    announced_ready = True
                    lines.append("READY=1")
                status = self.status()
                if status != last_status:
                    last_status = status
                    lines.append(f"STATUS={status}")
                if self.watchdog_s is not None:
                    lines.append("WATCHDOG=1")
                if lines:
                    self.notify.send(*lines)
                await asyncio.sleep(self._period(announced_ready))
        finally:
            self.notify.close()

    def _period(self, ready: bool) -> float:
        if self.watchdog_s is not None:
            return min(self.watchdog_s, _READY_POLL_S) if not ready else self.watchdog_s
        return _READY_POLL_S if not ready else 1.0
