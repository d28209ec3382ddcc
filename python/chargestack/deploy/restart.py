"""The process restart after a firmware installation or rollback, or a Hard reset
(``[firmware] restart``).

``exec``: the process replaces itself (same PID, so systemd and the watchdog keep tracking
it) with the slot the boot record names, or with itself when the slot is the same.
``exit``: it ends with :data:`EXIT_RESTART` and the supervisor starts it again, which then
boots the slot the record names. With the command installer a configured ``reboot`` command
runs first (an OS-level update needs the whole controller restarted).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from chargestack.deploy.boot import boot_active_slot, exec_process
from chargestack.settings import StationSettings

log = logging.getLogger("chargestack.deploy.restart")

#: `chargestack run` exit code: "start me again" (new firmware installed or rolled back, or
#: a Hard reset).
EXIT_RESTART = 4


def restart_process(settings: StationSettings, reason: str = "new firmware") -> int:
    """Restart into the installed software; returns the exit code when the process exits."""
    firmware = settings.firmware
    if firmware.command is not None and firmware.command.reboot:
        log.warning("rebooting (%s): %s", reason, " ".join(firmware.command.reboot))
        result = subprocess.run(firmware.command.reboot, check=False)
        if result.returncode != 0:
            log.error("reboot command failed (exit %d)", result.returncode)
        return EXIT_RESTART
    if firmware.restart == "exit":
        log.warning("exiting with %d (%s): the supervisor starts it again", EXIT_RESTART, reason)
        return EXIT_RESTART
    if firmware.installer == "venv":
        boot_active_slot(settings.data_dir, firmware.max_trial_boots)  # execs another slot
    log.warning("restarting %s (%s)", sys.executable, reason)
    exec_process([sys.executable, *sys.orig_argv[1:]], dict(os.environ))
    return EXIT_RESTART  # not reached: exec does not return
