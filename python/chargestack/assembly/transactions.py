"""The Core profile's three transaction blocks, wired to each other and to what they use.

Metering, the lifecycle and the authorization wait share one ``RunningTransactions``;
metering is the first observer of every start and end (it samples from one to the other).
The cable lock hears of every stop from the lifecycle (section 4.10).
The composition root builds them from a station; the unit tests from fakes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from chargestack.hardware.interfaces import Hardware
from chargestack.profiles.core.authorization import AuthorizationService
from chargestack.profiles.core.authorization_wait import AuthorizationWait
from chargestack.profiles.core.cable_lock import CableLock
from chargestack.profiles.core.metering import Metering
from chargestack.profiles.core.running_transactions import RunningTransactions
from chargestack.profiles.core.transaction_lifecycle import TransactionLifecycle
from chargestack.station.clock import Clock
from chargestack.station.configuration import Configuration
from chargestack.station.extension_points import LimitSource, StartGate, TransactionObserver
from chargestack.station.ports import ConnectorBoard, DurableQueue, LinkState, Send, Spawn
from chargestack.store import Store


@dataclass(frozen=True)
class TransactionBlocks:
    running: RunningTransactions
    metering: Metering
    cable_lock: CableLock
    lifecycle: TransactionLifecycle
    authorization_wait: AuthorizationWait


def build_transactions(
    *,
    board: ConnectorBoard,
    connector_ids: Iterable[int],
    fixed_cable: Mapping[int, bool],
    hardware: Hardware,
    store: Store,
    config: Configuration,
    clock: Clock,
    queue: DurableQueue,
    send: Send,
    spawn: Spawn,
    link: LinkState,
    authorization: AuthorizationService,
    gate: StartGate,
    limits: LimitSource,
    observers: Sequence[TransactionObserver],
) -> TransactionBlocks:
    """``observers``: told of every start and end after metering, in this order."""
    running = RunningTransactions()
    metering = Metering(
        store=store,
        config=config,
        clock=clock,
        meter=hardware.meter,
        queue=queue,
        send=send,
        spawn=spawn,
        running=running,
        connector_ids=connector_ids,
    )
    cable_lock = CableLock(
        board=board, fixed_cable=fixed_cable, hardware=hardware, store=store, config=config
    )
    lifecycle = TransactionLifecycle(
        board=board,
        fixed_cable=fixed_cable,
        hardware=hardware,
        store=store,
        config=config,
        clock=clock,
        queue=queue,
        spawn=spawn,
        running=running,
        metering=metering,
        authorization=authorization,
        gate=gate,
        observers=[metering, *observers],
        cable_lock=cable_lock,
    )
    wait = AuthorizationWait(
        board=board,
        config=config,
        clock=clock,
        spawn=spawn,
        link=link,
        authorization=authorization,
        lifecycle=lifecycle,
        running=running,
        gate=gate,
        limits=limits,
        cable_lock=cable_lock,
    )
    return TransactionBlocks(running, metering, cable_lock, lifecycle, wait)
