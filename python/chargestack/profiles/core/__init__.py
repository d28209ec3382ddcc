"""The Core profile: configuration, availability, reset, unlock, data transfer, sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chargestack.station.station import Station


def core_services(station: Station) -> list[Any]:
    from chargestack.profiles.core.aligned_meter_values import AlignedMeterValues
    from chargestack.profiles.core.authorization import AuthorizationService
    from chargestack.profiles.core.availability import AvailabilityService
    from chargestack.profiles.core.configuration import ConfigurationService
    from chargestack.profiles.core.data_transfer import DataTransferService
    from chargestack.profiles.core.meter_registers import EnergyRegisters
    from chargestack.profiles.core.reset import ResetService
    from chargestack.profiles.core.transactions import TransactionService
    from chargestack.profiles.core.unlock import UnlockService
    from chargestack.station.durable_sender import DurableSender

    sender = DurableSender(station)
    authorization = AuthorizationService(station)
    transactions = TransactionService(station, sender, authorization, EnergyRegisters(station))
    return [
        ConfigurationService(station),
        AvailabilityService(station),
        ResetService(station),
        UnlockService(station),
        DataTransferService(station),
        authorization,
        sender,
        transactions,
        AlignedMeterValues(station, transactions),
    ]
