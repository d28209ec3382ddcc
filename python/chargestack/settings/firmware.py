"""The station file's ``[firmware]`` table: how UpdateFirmware / SignedUpdateFirmware replace
the running software."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from chargestack.settings.strict import Strict


class CommandInstallerSettings(Strict):
    """An OS-level updater (RAUC, SWUpdate, Mender): argument lists, ``{image}`` substituted."""

    install: Annotated[list[str], Field(min_length=1)]
    mark_good: list[str] = Field(default_factory=list)
    mark_bad: list[str] = Field(default_factory=list)
    # Run after the station stopped to boot the new system (e.g. ["systemctl", "reboot"]);
    # empty: the process restarts as [firmware] restart says.
    reboot: list[str] = Field(default_factory=list)
    timeout_s: Annotated[float, Field(gt=0)] = 900.0


class FirmwareSettings(Strict):
    """How UpdateFirmware / SignedUpdateFirmware replace the running software."""

    # "venv": A/B virtual environments installed from the image's wheels (a controller);
    # "command": an OS-level updater does it; "simulated": the image's files are unpacked
    # into a slot and its version reported, the code does not change (simulators, tests).
    installer: Literal["venv", "command", "simulated"] = "venv"
    # After an installation or a rollback: "exec" replaces this process with the new slot's
    # interpreter (same PID and arguments); "exit" ends it with exit code 4 for a supervisor
    # (systemd) that starts it again.
    restart: Literal["exec", "exit"] = "exec"
    # Where the venv slots live; default <data_dir>/firmware/slots.
    slots_dir: Path | None = None
    # The new software must register (BootNotification Accepted) within this time...
    confirm_timeout_s: Annotated[float, Field(gt=0)] = 300.0
    # ...and within this many starts, or the previous slot boots again.
    max_trial_boots: Annotated[int, Field(ge=1, le=20)] = 3
    command: CommandInstallerSettings | None = None

    @model_validator(mode="after")
    def _command_given(self) -> FirmwareSettings:
        if self.installer == "command" and self.command is None:
            raise ValueError('installer = "command" needs a [firmware.command] table')
        if self.installer != "command" and self.command is not None:
            raise ValueError('[firmware.command] applies only to installer = "command"')
        return self
