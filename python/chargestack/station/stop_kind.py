"""Why a station stops: what its blocks do before it goes, and whether the runner restarts it."""

from __future__ import annotations

from enum import StrEnum


class StopKind(StrEnum):
    """Why a station stopped (``await station.stopped()``)."""

    SHUTDOWN = "Shutdown"
    # A simulated loss of power: nothing gets to run (no StopTransaction, no drain); the
    # runner restarts the station as a controller would when power returns.
    POWER_CUT = "PowerCut"
    # The same loss on a charger whose controller has backup power (station file
    # backup_power): transactions stop with reason PowerLoss and the queue drains before it
    # goes down (OCTT TC_032_1); the runner restarts it when power returns.
    MAINS_LOST = "MainsLost"
    SOFT_RESET = "Soft"
    HARD_RESET = "Hard"
    # New firmware was installed, or its trial abandoned: start the software the boot record
    # names (the runner ends and the process restarts, unless the installer is simulated).
    FIRMWARE = "Firmware"
