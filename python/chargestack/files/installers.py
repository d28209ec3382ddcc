"""The installer a station file asks for (``[firmware] installer``), and the version it reports."""

from __future__ import annotations

from chargestack import __version__
from chargestack.files.installer import Installer, SlotInstaller
from chargestack.files.slots import active_firmware_version
from chargestack.settings import StationSettings


def reported_firmware_version(settings: StationSettings) -> str:
    """BootNotification firmwareVersion: the chargestack package that runs, or for the
    simulated installer the version its boot record names."""
    if settings.firmware.installer != "simulated":
        return __version__
    return (
        active_firmware_version(settings.data_dir)
        or settings.identity.firmware_version
        or __version__
    )


def make_installer(settings: StationSettings) -> Installer:
    firmware = settings.firmware
    if firmware.installer == "venv":
        from chargestack.files.venv_installer import VenvSlotInstaller

        return VenvSlotInstaller(settings.data_dir, settings.slots_dir)
    if firmware.installer == "command":
        from chargestack.files.command_installer import CommandInstaller

        assert firmware.command is not None  # the settings validator requires it
        return CommandInstaller(
            settings.data_dir, firmware.command, max_trial_boots=firmware.max_trial_boots
        )
    return SlotInstaller(settings.data_dir, reported_firmware_version(settings))
