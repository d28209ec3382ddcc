"""The lifecycle every functional block shares: what the Station calls on it, and when.

A block is one OCPP profile's service or a part of one (the Core profile has several). It
subclasses :class:`Block` and overrides only the hooks it needs; the defaults do nothing.
The Station holds its blocks as ``Block`` and calls every hook through the type, in start
order (the stop hooks in reverse), so a misspelt hook is a type error, never a hook that is
silently not called. The composition root (``chargestack.assembly``) builds the blocks with
their collaborators and hands them to the Station as a :class:`BlockSet`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chargestack.hardware.events import HardwareEvent
    from chargestack.ocpp.connection_settings import ConnectionSettings
    from chargestack.station.stop_kind import StopKind


class Block:
    """A functional block of the station; every hook is optional."""

    async def start(self) -> None:
        """The store, configuration, hardware and session exist; the link is not up yet."""

    async def before_stop(self, kind: StopKind) -> None:
        """A graceful stop begins (never for a power cut): end what must end (transactions
        stop with the reason ``kind`` implies) while the link can still carry it."""

    async def stop(self) -> None:
        """Release what :meth:`start` took; the link is closed and the tasks are cancelled."""

    def on_registered(self, reconnect: bool) -> None:
        """BootNotification was Accepted (``reconnect`` False), or a registered station
        connected again (True)."""

    async def on_hardware_event(self, event: HardwareEvent) -> None:
        """Something happened at the hardware; the station has updated the connectors' fault
        facts and re-derives every status once all blocks have heard of it."""

    def describe_connector(self, connector_id: int) -> dict[str, Any]:
        """This block's part of the control API's view of a connector."""
        return {}

    def describe_station(self) -> dict[str, Any]:
        """This block's part of the control API's view of the station."""
        return {}


class BlockSet(Protocol):
    """What the composition root hands the Station: its blocks and the one customisation of
    the link that a block owns (the security extension's certificates)."""

    def in_start_order(self) -> Sequence[Block]:
        """Every block, in the order they start (they stop in reverse)."""
        ...

    def connection_settings(self, base: ConnectionSettings) -> ConnectionSettings:
        """``base`` (from the station file and the configuration) as the blocks amend it."""
        ...
