"""What an EV link tells a hardware power stage, and what the stage tells it back.

In a DC charger the EV's request comes from the EV-side stack (ISO 15118, DIN 70121 or
CHAdeMO), a process of its own; the power stage follows it (EVerest's split: the EV-side
stack sets voltage and current, the power driver follows). An ``EvLink``
(``hardware.interfaces``) turns that stack's messages into the events below and asks for
the ``EvseStatus`` its answers to the EV need (present voltage and current, the limits on
offer). The request must be renewed: one not renewed within ``ev_request_timeout_ms`` counts
as gone and the stage ramps that connector down (IEC 61851-23: loss of valid EV data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class EvConnected:
    """An EV is plugged in (and its EV-side stack is talking)."""

    connector_id: int


@dataclass(frozen=True)
class EvRequest:
    """The EV's target voltage and current request (ISO 15118 CurrentDemandReq and its
    relatives); ``soc`` in percent when the EV tells it."""

    connector_id: int
    voltage_v: float
    current_a: float
    soc: float | None = None


@dataclass(frozen=True)
class EvStopped:
    """The EV ended its charge (PowerDelivery stop); it may ask again later."""

    connector_id: int


@dataclass(frozen=True)
class EvDisconnected:
    """The EV is unplugged."""

    connector_id: int


EvLinkEvent = EvConnected | EvRequest | EvStopped | EvDisconnected


class EvLinkSink(Protocol):
    """Where an EV link puts what the EV said; called on the event loop, never blocks."""

    def __call__(self, event: EvLinkEvent, /) -> None: ...


@dataclass(frozen=True)
class EvseStatus:
    """The charger's side of one connector, as the EV-side stack needs it for its answers."""

    # "idle", "ready", "charging", "stopping" or "faulted" (the power stage's state).
    state: str
    # The station allows power (a transaction runs and may charge).
    enabled: bool
    contactor_closed: bool
    voltage_v: float
    current_a: float
    # What is on offer now: the smallest of every limit (EVSEMaximumCurrentLimit, ...).
    max_current_a: float
    max_power_w: float


EvseStatusSource = Callable[[int], EvseStatus]
