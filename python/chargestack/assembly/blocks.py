"""Every block of one station, typed: what the composition root built and how it starts.

The Station sees only ``Block`` (through ``BlockSet``); whoever built the station (its
runner, a test, an integrator registering a DataTransfer handler) reaches a block here by
name and type. An optional profile the station file does not offer is None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chargestack.ocpp.connection_settings import ConnectionSettings
from chargestack.profiles.core.aligned_meter_values import AlignedMeterValues
from chargestack.profiles.core.authorization import AuthorizationService
from chargestack.profiles.core.authorization_wait import AuthorizationWait
from chargestack.profiles.core.availability import AvailabilityService
from chargestack.profiles.core.cable_lock import CableLock
from chargestack.profiles.core.configuration import ConfigurationService
from chargestack.profiles.core.data_transfer import DataTransferService
from chargestack.profiles.core.metering import Metering
from chargestack.profiles.core.reset import ResetService
from chargestack.profiles.core.running_transactions import RunningTransactions
from chargestack.profiles.core.transaction_lifecycle import TransactionLifecycle
from chargestack.profiles.core.unlock import UnlockService
from chargestack.profiles.firmware.diagnostics import DiagnosticsService
from chargestack.profiles.firmware.update import FirmwareService
from chargestack.profiles.local_auth import LocalListService
from chargestack.profiles.reservation import ReservationService
from chargestack.profiles.security.log_upload import LogUploadService
from chargestack.profiles.security.service import SecurityService
from chargestack.profiles.security.signed_firmware import SignedFirmwareService
from chargestack.profiles.smart_charging import SmartChargingService
from chargestack.profiles.trigger import ExtendedTriggerService
from chargestack.station.block import Block
from chargestack.station.durable_sender import DurableSender


@dataclass(frozen=True)
class CoreBlocks:
    """The Core profile's blocks, in the order they start."""

    configuration: ConfigurationService
    availability: AvailabilityService
    reset: ResetService
    unlock: UnlockService
    data_transfer: DataTransferService
    authorization: AuthorizationService
    sender: DurableSender
    metering: Metering
    cable_lock: CableLock
    lifecycle: TransactionLifecycle
    authorization_wait: AuthorizationWait
    aligned_meter_values: AlignedMeterValues
    #: The transactions running now (read-only outside the lifecycle).
    running: RunningTransactions

    def in_start_order(self) -> list[Block]:
        return [
            self.configuration,
            self.availability,
            self.reset,
            self.unlock,
            self.data_transfer,
            self.authorization,
            self.sender,
            self.metering,
            self.cable_lock,
            self.lifecycle,
            self.authorization_wait,
            self.aligned_meter_values,
        ]


@dataclass(frozen=True)
class SecurityBlocks:
    """The security whitepaper's blocks (always there), in the order they start."""

    service: SecurityService
    log_upload: LogUploadService
    signed_firmware: SignedFirmwareService

    def in_start_order(self) -> list[Block]:
        return [self.service, self.log_upload, self.signed_firmware]


@dataclass(frozen=True)
class ProfileBlocks:
    """Implements ``station.block.BlockSet``."""

    core: CoreBlocks
    smart_charging: SmartChargingService | None
    reservation: ReservationService | None
    local_list: LocalListService | None
    #: TriggerMessage with the RemoteTrigger profile, else ExtendedTriggerMessage alone.
    trigger: ExtendedTriggerService
    diagnostics: DiagnosticsService | None
    firmware: FirmwareService | None
    security: SecurityBlocks

    def in_start_order(self) -> Sequence[Block]:
        optional = [self.smart_charging, self.reservation, self.local_list]
        blocks: list[Block] = [*self.core.in_start_order()]
        blocks.extend(b for b in optional if b is not None)
        blocks.append(self.trigger)
        # Diagnostics first: its log file is open before the firmware job logs anything.
        blocks.extend(b for b in (self.diagnostics, self.firmware) if b is not None)
        blocks.extend(self.security.in_start_order())
        return blocks

    def connection_settings(self, base: ConnectionSettings) -> ConnectionSettings:
        return self.security.service.connection_settings(base)
