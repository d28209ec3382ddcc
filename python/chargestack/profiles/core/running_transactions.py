"""The transactions running now, one per connector: written by the lifecycle, read by all.

``TransactionLifecycle`` alone adds and removes entries; the authorization wait, metering,
clock-aligned values, UnlockConnector and TriggerMessage read them. The journal in the store
is the durable record; this table is what runs in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class ActiveTransaction:
    """A running transaction (implements ``extension_points.TransactionInfo``)."""

    ref: int  # the journal's row
    connector_id: int
    id_tag: str
    parent_id_tag: str | None
    start_ms: int
    meter_start_wh: int
    reservation_id: int | None
    transaction_id: int | None = None
    # Errata 3.5/3.17: StartTransaction answered not Accepted and StopTransactionOnInvalidId
    # false: the session stays, energy stops after MaxEnergyOnInvalidId.
    deauthorized: bool = False


class RunningTransactions:
    """Connector id -> its running transaction."""

    def __init__(self) -> None:
        self._by_connector: dict[int, ActiveTransaction] = {}

    def active_on(self, connector_id: int) -> ActiveTransaction | None:
        return self._by_connector.get(connector_id)

    def by_transaction_id(self, transaction_id: int) -> ActiveTransaction | None:
        return next(
            (tx for tx in self._by_connector.values() if tx.transaction_id == transaction_id),
            None,
        )

    def by_ref(self, ref: int) -> ActiveTransaction | None:
        return next((tx for tx in self._by_connector.values() if tx.ref == ref), None)

    def __contains__(self, connector_id: object) -> bool:
        return connector_id in self._by_connector

    def __iter__(self) -> Iterator[ActiveTransaction]:
        return iter(list(self._by_connector.values()))

    def connector_ids(self) -> list[int]:
        return list(self._by_connector)

    def add(self, tx: ActiveTransaction) -> None:
        """The lifecycle's: ``tx`` has started."""
        self._by_connector[tx.connector_id] = tx

    def remove(self, connector_id: int) -> None:
        """The lifecycle's: the transaction on ``connector_id`` has ended."""
        del self._by_connector[connector_id]
