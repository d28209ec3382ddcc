"""The OCPP 1.6 status of a connector as a pure function of what is true about it.

Rather than a transition table that can drift from reality, the status is derived from the
facts (plugged, authorized, transaction, suspended, reserved, availability, fault) every
time one of them changes; the reporter then sends a StatusNotification when the derived
status differs from the last one reported (errata 3.19: on every change).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EV = "SuspendedEV"
    SUSPENDED_EVSE = "SuspendedEVSE"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


@dataclass
class ConnectorFacts:
    plugged: bool = False
    # Authorized (or a remote start accepted) and waiting for the plug or the start.
    preparing: bool = False
    in_transaction: bool = False
    # The EV stopped taking energy while it is offered (errata 3.55).
    ev_suspended: bool = False
    # StopTransactionOnEVSideDisconnect false: the cable left the EV and the transaction goes
    # on without energy until the EV is back (section 4.10, TC_005_3).
    ev_disconnected: bool = False
    # The EVSE is not offering energy: limit 0, invalid id with StopTransactionOnInvalidId
    # false, power stage holding off (errata 3.55/3.64).
    evse_suspended: bool = False
    # The transaction has ended but the user has not yet unplugged / left (Finishing).
    finishing: bool = False
    # That transaction was stopped by the cable leaving the EV (section 4.9: Finishing says so).
    ev_side_stopped: bool = False
    reserved: bool = False
    operative: bool = True
    faulted: bool = False
    # Connector 0 only: the store cannot journal (issue 17 item 1), so no transaction may
    # start; running ones go on. Not an availability: nothing of it is stored.
    store_unwritable: bool = False
    # Connector 0 only: the central system's IdTagInfo for a tag contradicts the local list's
    # (section 3.5.2), until it sends a list again. Reported as errorCode LocalListConflict;
    # no status of its own: the charge point goes on working.
    local_list_conflict: bool = False


def derive_status(facts: ConnectorFacts, station: ConnectorFacts | None = None) -> Status:
    """Status of a connector; ``station`` holds the facts of connector 0 (the whole charger)."""
    if facts.faulted or (station is not None and station.faulted):
        return Status.FAULTED
    if facts.in_transaction:
        if facts.evse_suspended:
            return Status.SUSPENDED_EVSE
        if facts.ev_suspended or facts.ev_disconnected:
            return Status.SUSPENDED_EV
        return Status.CHARGING
    station_operative = station is None or (station.operative and not station.store_unwritable)
    if not facts.operative or not station_operative:
        return Status.UNAVAILABLE
    if facts.finishing:
        return Status.FINISHING
    # A reserved connector stays Reserved when somebody plugs in; only the reserved tag (or
    # its parent) moves it on (OCTT precondition "Charging": "Preparing unless Reserved").
    if facts.reserved and not facts.preparing:
        return Status.RESERVED
    if facts.preparing or facts.plugged:
        return Status.PREPARING
    return Status.AVAILABLE


def status_info(facts: ConnectorFacts, status: Status) -> str | None:
    """StatusNotification's info when no error says more: section 4.9 asks SuspendedEV after
    an EV-side disconnect (StopTransactionOnEVSideDisconnect false), and Finishing after the
    stop it brings (true), to give the reason of the suspension or the stop."""
    suspended = status is Status.SUSPENDED_EV and facts.ev_disconnected
    stopped = status is Status.FINISHING and facts.ev_side_stopped
    return "EV side disconnected" if suspended or stopped else None


def derive_station_status(station: ConnectorFacts) -> Status:
    """Connector 0 reports only Available, Unavailable or Faulted (OCPP 1.6 section 4.9)."""
    if station.faulted:
        return Status.FAULTED
    if not station.operative or station.store_unwritable:
        return Status.UNAVAILABLE
    return Status.AVAILABLE
