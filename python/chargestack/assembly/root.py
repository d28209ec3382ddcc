"""The composition root: every block of a station, built with its collaborators, wired once.

Read top to bottom, the order is the order of dependencies: a block is built after the ones
it is given, so construction order cannot be wrong without a name being used before it is
bound. Optional profiles are built only when the station file offers them, and plug into
the Core profile through the protocols of ``station.extension_points``: the local list into
authorization (``IdTagSource``), reservations into the sessions (``StartGate``), smart
charging into remote starts (``LimitSource``) and, with metering, availability and the
firmware jobs, into every transaction's start and end (``TransactionObserver``); reservations
hear of every change of availability, the firmware installations' too (``AvailabilityObserver``). The status
notifications other blocks own are registered for the trigger (``TriggerableMessages``).
Finally every block's handlers, and the answers of the profiles not offered, are put on the
station's router.
"""

from __future__ import annotations

from chargestack.assembly.blocks import CoreBlocks, ProfileBlocks, SecurityBlocks
from chargestack.assembly.transactions import build_transactions
from chargestack.files.firmware_lane import FirmwareLane
from chargestack.ocpp import messages as m
from chargestack.profiles.core.aligned_meter_values import AlignedMeterValues
from chargestack.profiles.core.authorization import AuthorizationService
from chargestack.profiles.core.availability import AvailabilityService
from chargestack.profiles.core.configuration import ConfigurationService
from chargestack.profiles.core.data_transfer import DataTransferService
from chargestack.profiles.core.reset import ResetService
from chargestack.profiles.core.unlock import UnlockService
from chargestack.profiles.firmware.diagnostics import DiagnosticsService
from chargestack.profiles.firmware.update import FirmwareService
from chargestack.profiles.local_auth import LocalListService
from chargestack.profiles.not_offered import NOT_OFFERED
from chargestack.profiles.reservation import ReservationService
from chargestack.profiles.security.log_upload import LogUploadService
from chargestack.profiles.security.service import SecurityService
from chargestack.profiles.security.signed_firmware import SignedFirmwareService
from chargestack.profiles.smart_charging import SmartChargingService
from chargestack.profiles.smart_charging.limit_applier import station_ratings
from chargestack.profiles.trigger import ExtendedTriggerService, TriggerService
from chargestack.station.durable_sender import DurableSender
from chargestack.station.extension_points import (
    AvailabilityObserver,
    NoLimitSource,
    OpenGate,
    TransactionObserver,
    TriggerableMessages,
)
from chargestack.station.file_job_host import StationInstallSite
from chargestack.station.station import Station


def assemble(station: Station) -> ProfileBlocks:
    """Build every block of ``station`` (started up to its blocks) and register handlers."""
    settings = station.settings
    offered = set(settings.feature_profiles)
    store, config, clock = station.store, station.config, station.clock
    fixed_cable = {c.id: c.fixed_cable for c in settings.connectors}
    sender = DurableSender(station)

    # -- authorization, and what plugs into it -------------------------------------------
    local_list = (
        LocalListService(store=store, config=config, board=station)
        if "LocalAuthListManagement" in offered
        else None
    )
    authorization = AuthorizationService(
        config=config,
        cache=store.auth_cache,
        clock=clock,
        link=station.registration,
        send=station.send,
        local_list=local_list,
    )
    reservation = (
        ReservationService(
            board=station,
            store=store,
            config=config,
            clock=clock,
            spawn=station.spawn,
            tags=authorization,
        )
        if "Reservation" in offered
        else None
    )
    smart_charging = (
        SmartChargingService(
            ratings=station_ratings(settings),
            board=station,
            power=station.hardware.power,
            store=store,
            config=config,
            clock=clock,
        )
        if "SmartCharging" in offered
        else None
    )

    # -- what hears of connectors leaving service and returning to it --------------------
    availability_observers: list[AvailabilityObserver] = []
    if reservation is not None:
        availability_observers.append(reservation)

    # -- the jobs that wait for the transactions to end ------------------------------------
    # Both firmware jobs take every connector out of service while they install.
    install_site = StationInstallSite(station, availability_observers)
    # One firmware job at a time on the A/B slots, whichever message asked for it.
    firmware_lane = FirmwareLane()
    diagnostics = firmware = None
    if "FirmwareManagement" in offered:
        diagnostics = DiagnosticsService(station)
        firmware = FirmwareService(station, install_site, firmware_lane)
    security = SecurityService(station, sender)
    log_upload = LogUploadService(
        station,
        security.events.log,
        diagnostics.log_files if diagnostics is not None else None,
    )
    signed_firmware = SignedFirmwareService(
        station,
        security.certificates,
        security.events,
        site=install_site,
        lane=firmware_lane,
        installer=firmware.installer if firmware is not None else None,
        reads_boot_record=firmware is None,
    )

    # -- transactions ----------------------------------------------------------------------
    availability = AvailabilityService(station, store, availability_observers)
    observers: list[TransactionObserver] = []
    if smart_charging is not None:
        observers.append(smart_charging)
    observers.append(availability)
    if firmware is not None:
        observers.append(firmware)
    observers.append(signed_firmware)
    transactions = build_transactions(
        board=station,
        connector_ids=station.connectors,
        fixed_cable=fixed_cable,
        hardware=station.hardware,
        store=store,
        config=config,
        clock=clock,
        queue=sender,
        send=station.send,
        spawn=station.spawn,
        link=station.registration,
        authorization=authorization,
        gate=reservation if reservation is not None else OpenGate(),
        limits=smart_charging if smart_charging is not None else NoLimitSource(),
        observers=observers,
    )
    # Built after the availability block it observes (that holds this same list).
    availability_observers.append(transactions.authorization_wait)
    core = CoreBlocks(
        configuration=ConfigurationService(config),
        availability=availability,
        reset=ResetService(station.request_stop, delay_s=settings.timers.reset_delay_s),
        unlock=UnlockService(
            fixed_cable=fixed_cable,
            cable_lock=transactions.cable_lock,
            lifecycle=transactions.lifecycle,
        ),
        data_transfer=DataTransferService(station.send, store),
        authorization=authorization,
        sender=sender,
        metering=transactions.metering,
        cable_lock=transactions.cable_lock,
        lifecycle=transactions.lifecycle,
        authorization_wait=transactions.authorization_wait,
        aligned_meter_values=AlignedMeterValues(
            config=config, clock=clock, spawn=station.spawn, metering=transactions.metering
        ),
        running=transactions.running,
    )

    # -- the trigger and what it may ask for -----------------------------------------------
    messages = TriggerableMessages()
    if diagnostics is not None:
        messages.register(
            m.Action.DIAGNOSTICS_STATUS_NOTIFICATION, diagnostics.send_status_notification
        )
    if firmware is not None:
        messages.register(m.Action.FIRMWARE_STATUS_NOTIFICATION, firmware.send_status_notification)
    messages.register(
        m.Action.SIGNED_FIRMWARE_STATUS_NOTIFICATION, signed_firmware.send_status_notification
    )
    messages.register(m.Action.LOG_STATUS_NOTIFICATION, log_upload.send_status_notification)
    messages.register(m.Action.SIGN_CERTIFICATE, security.client_certificate.request_signing)
    # Without the profile, the security extension's ExtendedTriggerMessage is still answered.
    trigger_type = TriggerService if "RemoteTrigger" in offered else ExtendedTriggerService
    trigger = trigger_type(
        connector_ids=station.connectors,
        registration=station.registration,
        status_reporter=station.status_reporter,
        send=station.send,
        send_meter_values=transactions.metering.send_triggered,
        messages=messages,
        serial_number=settings.identity.charge_point_serial_number,
    )

    blocks = ProfileBlocks(
        core=core,
        smart_charging=smart_charging,
        reservation=reservation,
        local_list=local_list,
        trigger=trigger,
        diagnostics=diagnostics,
        firmware=firmware,
        security=SecurityBlocks(security, log_upload, signed_firmware),
    )
    for profile, answers in NOT_OFFERED.items():
        if profile not in offered:
            station.router.register_object(answers())
    for block in blocks.in_start_order():
        station.router.register_object(block)
    return blocks
