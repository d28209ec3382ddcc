"""A running station as the file jobs (``chargestack.files``) see it: narrow collaborators.

The firmware and diagnostics jobs of the Firmware Management profile and the security
whitepaper's signed firmware and log upload take these instead of the ``Station``.
"""

from __future__ import annotations

from collections.abc import Sequence

from chargestack.files.collector import ArchiveSources
from chargestack.files.context import FileJobContext
from chargestack.redaction import maskable
from chargestack.station.extension_points import AvailabilityObserver
from chargestack.station.station import Station, StopKind
from chargestack.store.jobs import Jobs


def file_job_context(station: Station) -> FileJobContext:
    """What every file job uses of ``station`` (started: store, registration, config)."""
    registration = station.registration
    config = station.config
    return FileJobContext(
        settings=station.settings,
        jobs=Jobs(station.store),
        clock=station.clock,
        spawn=station.spawn,
        send=station.send,
        registered=registration.wait_accepted,
        transfer_protocols=lambda: set(config.get_csl("SupportedFileTransferProtocols")),
        durable=station.store.durable,
    )


def archive_sources(station: Station) -> ArchiveSources:
    """What a diagnostics or log archive shows of ``station``."""
    return ArchiveSources(
        configuration=lambda: station.config.describe()[0],
        status=station.status,
        firmware_version=lambda: station.firmware_version,
        secrets=lambda: secrets_of(station),
    )


def secrets_of(station: Station) -> list[str]:
    """Values that must be masked wherever they appear."""
    found = [station.settings.central_system.authorization_key]
    if station.config.has("AuthorizationKey"):
        found.append(station.config.get_str("AuthorizationKey"))
    return maskable(found)


class StationInstallSite:
    """Implements ``files.install_flow.InstallSite`` on a station; ``observers`` hear when
    an installation takes the connectors out of service and gives them back."""

    def __init__(self, station: Station, observers: Sequence[AvailabilityObserver] = ()) -> None:
        self._station = station
        self._observers = observers

    @property
    def firmware_version(self) -> str:
        return self._station.firmware_version

    @firmware_version.setter
    def firmware_version(self, version: str) -> None:
        self._station.firmware_version = version

    def take_out_of_service(self) -> None:
        for connector in self._station.connectors.values():
            connector.facts.operative = False
        self._changed()

    def transactions_running(self) -> bool:
        # A connector is in_transaction exactly while the transaction service has one active.
        return any(c.facts.in_transaction for c in self._station.connectors.values())

    def restore_service(self) -> None:
        availability = self._station.store.availability
        for cid, connector in self._station.connectors.items():
            connector.facts.operative = availability.get(cid) == "Operative"
        self._changed()

    def _changed(self) -> None:
        for observer in self._observers:
            observer.availability_changed()
        self._station.refresh_all()

    def message_timeout_s(self) -> float:
        return self._station.message_timeout_s()

    def restart_into_firmware(self) -> None:
        self._station.request_stop(StopKind.FIRMWARE)
