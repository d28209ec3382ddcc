"""Where optional profiles plug into the Core profile: typed protocols, owned by Core.

Core (``profiles/core``) consults these and imports no optional profile; an optional profile
implements one and the composition root (``chargestack.assembly``) passes it to the Core
block that consults it. Where no profile plugs in, Core uses the null object below, which
says what a charger without that profile does.

- :class:`TransactionObserver`: told when a transaction starts and ends (smart charging, a
  Scheduled availability change, a firmware installation waiting for idle); one mechanism
  for all of them.
- :class:`AvailabilityObserver`: told when connectors leave service or return to it, whoever
  changed it (ChangeAvailability, a Scheduled change applied, a firmware installation).
- :class:`StartGate`: may a tag start on a connector, and which reservation a start uses
  (Reservation profile).
- :class:`IdTagSource`: the local authorization list, consulted before the cache and told
  when the central system contradicts it (Local Auth List Management).
- :class:`IdTagGroups`: the other way round, what Core's authorization tells a profile of a
  tag's group (the Reservation profile's parentIdTag rule).
- :class:`LimitSource`: the charging profile a RemoteStartTransaction brings (Smart
  Charging).
- :class:`TriggerableMessages`: the status notifications a TriggerMessage or an
  ExtendedTriggerMessage may ask a block for (firmware, diagnostics, log upload, signed
  firmware, certificate signing).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chargestack.ocpp import messages as m
    from chargestack.store.auth_cache import AuthEntry


class TransactionInfo(Protocol):
    """A running transaction as other blocks see it: read-only, always the live values."""

    @property
    def connector_id(self) -> int: ...

    @property
    def id_tag(self) -> str: ...

    @property
    def transaction_id(self) -> int | None:
        """None until StartTransaction.conf has told it."""
        ...

    @property
    def start_ms(self) -> int: ...

    @property
    def deauthorized(self) -> bool:
        """Errata 3.5: the central system did not accept the tag and the session continues
        (StopTransactionOnInvalidId false), with energy only up to MaxEnergyOnInvalidId."""
        ...


class TransactionObserver(Protocol):
    """Told of every transaction that starts on a connector and of its end."""

    def transaction_started(self, tx: TransactionInfo) -> None:
        """The transaction is running (journaled, queued, its connector Charging soon)."""
        ...

    def transaction_ended(self, connector_id: int) -> None:
        """The transaction on ``connector_id`` has ended (its StopTransaction is queued)."""
        ...


class AvailabilityObserver(Protocol):
    """Told when a connector or the charge point leaves service or returns to it."""

    def availability_changed(self) -> None:
        """The connectors' ``operative`` facts (and connector 0's) hold the new state; every
        status is re-derived right after the observers have heard of it."""
        ...


class StartGate(Protocol):
    """Reservations (section 5.13): who may start where, and which reservation a start uses."""

    def allows(self, connector_id: int, id_tag: str, parent_id_tag: str | None) -> bool:
        """May ``id_tag`` (of the group ``parent_id_tag``) start on ``connector_id``?"""
        ...

    def consume(self, connector_id: int, id_tag: str, parent_id_tag: str | None) -> int | None:
        """The reservationId a transaction starting now uses up (ending that reservation)."""
        ...

    async def parent_for(self, connector_id: int, id_tag: str) -> str | None:
        """The parentIdTag of ``id_tag`` where the gate needs it to decide (a remote start
        brings none); None when it does not matter."""
        ...


class OpenGate:
    """A charger without reservations: every connector is open to every tag."""

    def allows(self, connector_id: int, id_tag: str, parent_id_tag: str | None) -> bool:
        return True

    def consume(self, connector_id: int, id_tag: str, parent_id_tag: str | None) -> int | None:
        return None

    async def parent_for(self, connector_id: int, id_tag: str) -> str | None:
        return None


class IdTagSource(Protocol):
    """The local authorization list (section 3.5.3): it takes precedence over the cache."""

    def enabled(self) -> bool:
        """LocalAuthListEnabled (section 9.2)."""
        ...

    def lookup(self, id_tag: str) -> AuthEntry | None:
        """The entry for ``id_tag`` as installed (the caller applies its expiry)."""
        ...

    def conflict(self, id_tag: str, status: str) -> None:
        """The central system gave ``id_tag`` a ``status`` other than the list's entry
        (section 3.5.2): report LocalListConflict."""
        ...


class IdTagGroups(Protocol):
    """A tag's entry and group as authorization knows them (Core's ``AuthorizationService``)."""

    def local_entry(self, id_tag: str) -> tuple[AuthEntry | None, str]:
        """The local list's (preferred) or the cache's entry with its expiry applied, and
        which of the two it came from ("" when neither knows the tag)."""
        ...

    async def parent_of(self, id_tag: str) -> str | None:
        """The tag's parentIdTag: from the list or cache, else by asking (Authorize)."""
        ...


class NoLocalList:
    """A charger without Local Auth List Management: only the cache and the central system."""

    def enabled(self) -> bool:
        return False

    def lookup(self, id_tag: str) -> AuthEntry | None:
        return None

    def conflict(self, id_tag: str, status: str) -> None:
        return None


class LimitSource(Protocol):
    """Smart charging's part in a RemoteStartTransaction that carries a charging profile."""

    def accepts_remote_start_profile(self, profile: m.ChargingProfile) -> bool:
        """Errata 3.41: is this a TxProfile the station could install for the transaction?"""
        ...

    def pending_remote_profile(self, connector_id: int, profile: m.ChargingProfile | None) -> None:
        """Install ``profile`` when the transaction on ``connector_id`` starts (None: the
        remote start was given up)."""
        ...


class NoLimitSource:
    """A charger without Smart Charging: the profile of a RemoteStartTransaction is ignored
    (section 5.11: "this parameter SHOULD be ignored"), the transaction starts without it."""

    def accepts_remote_start_profile(self, profile: m.ChargingProfile) -> bool:
        return True

    def pending_remote_profile(self, connector_id: int, profile: m.ChargingProfile | None) -> None:
        return None


#: Sends a block's current status notification when the central system asks for it.
SendStatus = Callable[[], Awaitable[object]]


class TriggerableMessages:
    """The messages blocks send when a TriggerMessage / ExtendedTriggerMessage asks for them,
    by the action of the message sent (``SignedFirmwareStatusNotification``, not the trigger's
    ``FirmwareStatusNotification``). Filled by the composition root; read by the trigger."""

    def __init__(self) -> None:
        self._senders: dict[str, SendStatus] = {}

    def register(self, action: str, send: SendStatus) -> None:
        if action in self._senders:
            raise ValueError(f"a sender of {action} is already registered")
        self._senders[action] = send

    def sender(self, action: str) -> SendStatus | None:
        return self._senders.get(action)
