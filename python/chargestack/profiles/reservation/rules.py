"""What a reservation allows, as plain functions of the connectors' state.

Kept apart from the service so the rules read like section 5.13: which answer ReserveNow
gets, which connectors count as free, and who may use a reserved connector.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from chargestack.station.connector_status import ConnectorFacts, Status, derive_status
from chargestack.store.reservations import Reservation


def underlying_status(facts: ConnectorFacts, station: ConnectorFacts) -> Status:
    """The status a connector would have without any reservation on it."""
    return derive_status(dataclasses.replace(facts, reserved=False), station)


def free_connectors(
    facts: Mapping[int, ConnectorFacts],
    station: ConnectorFacts,
    reservations: Iterable[Reservation],
) -> set[int]:
    """Connectors that are Available and not reserved for a specific tag."""
    taken = {r.connector_id for r in reservations if r.connector_id > 0}
    return {
        cid
        for cid, f in facts.items()
        if cid not in taken and underlying_status(f, station) is Status.AVAILABLE
    }


def matches(reservation: Reservation, id_tag: str, parent_id_tag: str | None) -> bool:
    """Section 5.13: the reserved idTag, or any tag with the reservation's parentIdTag."""
    if reservation.id_tag.casefold() == id_tag.casefold():
        return True
    return (
        reservation.parent_id_tag is not None
        and parent_id_tag is not None
        and reservation.parent_id_tag.casefold() == parent_id_tag.casefold()
    )


def connector_answer(
    connector_id: int,
    facts: Mapping[int, ConnectorFacts],
    station: ConnectorFacts,
    others: list[Reservation],
) -> str:
    """ReserveNow's answer from one connector's state, given the reservations it would live
    beside; "Accepted" means the state allows it (the service checks the request next)."""
    status = underlying_status(facts[connector_id], station)
    if status is Status.FAULTED:
        return "Faulted"
    if status is Status.UNAVAILABLE:
        return "Unavailable"
    if status is not Status.AVAILABLE:
        return "Occupied"
    if any(r.connector_id == connector_id for r in others):
        return "Occupied"
    # A connector-0 reservation keeps one connector free for its tag: this one must not be
    # the last free connector it relies on.
    zero = sum(1 for r in others if r.connector_id == 0)
    if zero and len(free_connectors(facts, station, others) - {connector_id}) < zero:
        return "Occupied"
    return "Accepted"


def station_answer(
    facts: Mapping[int, ConnectorFacts], station: ConnectorFacts, others: list[Reservation]
) -> str:
    """ReserveNow's answer from the state for connector 0 (ReserveConnectorZeroSupported):
    one connector must be free."""
    if station.faulted:
        return "Faulted"
    if not station.operative or station.store_unwritable:
        return "Unavailable"
    zero = sum(1 for r in others if r.connector_id == 0)
    if len(free_connectors(facts, station, others)) > zero:
        return "Accepted"
    statuses = [underlying_status(f, station) for f in facts.values()]
    if all(s is Status.FAULTED for s in statuses):
        return "Faulted"
    if all(s in (Status.FAULTED, Status.UNAVAILABLE) for s in statuses):
        return "Unavailable"
    return "Occupied"


def ended_by_state(
    reservation: Reservation, facts: Mapping[int, ConnectorFacts], station: ConnectorFacts
) -> bool:
    """Section 5.13 (3): the charge point, or the reserved connector, is Faulted or set to
    Unavailable. A connector-0 reservation ends with the charge point only: it moves to
    another free connector while one is left."""
    if station.faulted or not station.operative:
        return True
    own = facts.get(reservation.connector_id)
    return own is not None and (own.faulted or not own.operative)


def reserved_connectors(
    facts: Mapping[int, ConnectorFacts], station: ConnectorFacts, reservations: list[Reservation]
) -> set[int]:
    """Connectors that show Reserved: their own reservation, or the last free connectors
    that connector-0 reservations keep for their tags."""
    shown = {r.connector_id for r in reservations if r.connector_id > 0}
    zero = sum(1 for r in reservations if r.connector_id == 0)
    free = free_connectors(facts, station, reservations)
    if zero and len(free) <= zero:
        shown |= free
    return shown


def admits(
    connector_id: int,
    id_tag: str,
    parent_id_tag: str | None,
    facts: Mapping[int, ConnectorFacts],
    station: ConnectorFacts,
    reservations: list[Reservation],
) -> bool:
    """May ``id_tag`` start a transaction on ``connector_id``?"""
    own = next((r for r in reservations if r.connector_id == connector_id), None)
    if own is not None:
        return matches(own, id_tag, parent_id_tag)
    zero = [r for r in reservations if r.connector_id == 0]
    if not zero or any(matches(r, id_tag, parent_id_tag) for r in zero):
        return True
    others_free = free_connectors(facts, station, reservations) - {connector_id}
    return len(others_free) >= len(zero)


def reservation_for(
    connector_id: int, id_tag: str, parent_id_tag: str | None, reservations: list[Reservation]
) -> Reservation | None:
    """The reservation a transaction of ``id_tag`` on ``connector_id`` uses up, if any."""
    own = next((r for r in reservations if r.connector_id == connector_id), None)
    if own is not None:
        return own if matches(own, id_tag, parent_id_tag) else None
    return next(
        (r for r in reservations if r.connector_id == 0 and matches(r, id_tag, parent_id_tag)),
        None,
    )
