"""Metering (OCPP 1.6 sections 3.16 and 9.1): what the meter says, when, and to whom.

- Periodic MeterValues of a transaction every MeterValueSampleInterval from its start
  (TC_070); a change of the interval re-anchors the loop, a loop that ran late skips the
  slots it missed (issue 12 item 8).
- The values kept in the journal for StopTransaction's transactionData (StopTxnSampledData,
  StopTxnAlignedData, Transaction.Begin/End), bounded by StopTransactionMaxMeterValues.
- The energy registers: meterStart and meterStop, and the power-loss reading recorded every
  second while a transaction runs (the meterStop of a transaction a restart closes).
- The clock-aligned sample of every connector (``AlignedMeterValues`` keeps the grid) and a
  triggered MeterValues (errata 3.46).

During a transaction every MeterValues carries its transactionId and goes through the
durable queue; outside one it is sent directly. One register reading serves a MeterValues
and the journal row kept with it (issue 12 item 9).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chargestack.exceptions import ChargestackError, StoreError
from chargestack.hardware.interfaces import Meter
from chargestack.ocpp import messages as m
from chargestack.profiles.core.meter_registers import EnergyRegisters
from chargestack.profiles.core.running_transactions import ActiveTransaction, RunningTransactions
from chargestack.station.block import Block
from chargestack.station.clock import Clock, next_slot
from chargestack.station.configuration import Configuration
from chargestack.station.extension_points import TransactionInfo
from chargestack.station.meter_sampling import (
    message_values,
    meter_value,
    sampled_values,
    whole_wh,
)
from chargestack.station.ports import DurableQueue, Send, Spawn
from chargestack.station.repeated_failure import RepeatedFailure
from chargestack.station.stop_kind import StopKind
from chargestack.store import Store

log = logging.getLogger("chargestack.meter")

#: How often the power-loss reading of running transactions is recorded, in seconds.
REGISTER_RECORD_INTERVAL_S = 1.0


class Metering(Block):
    """Meter values and energy registers of every connector (implements TransactionObserver:
    a transaction's periodic sampling runs from its start to its end)."""

    def __init__(
        self,
        *,
        store: Store,
        config: Configuration,
        clock: Clock,
        meter: Meter,
        queue: DurableQueue,
        send: Send,
        spawn: Spawn,
        running: RunningTransactions,
        connector_ids: Iterable[int],
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._meter = meter
        self._queue = queue
        self._send = send
        self._spawn = spawn
        self._running = running
        self._connector_ids = tuple(connector_ids)
        self._registers = EnergyRegisters(store.meter_registers, meter, self._connector_ids)
        self._samplers: dict[int, asyncio.Task[None]] = {}
        # Set by a change of MeterValueSampleInterval: each sampler re-anchors at once.
        self._interval_changed: dict[int, asyncio.Event] = {}

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._config.on_change("MeterValueSampleInterval", lambda _v: self._wake_samplers())
        self._registers.start()
        self._spawn(self._keep_registers(), "meter-registers")

    async def before_stop(self, kind: StopKind) -> None:
        # The transactions that stay open (a shutdown) have had their register recorded.
        for task in self._samplers.values():
            task.cancel()

    def describe_connector(self, connector_id: int) -> dict[str, Any]:
        reading = self._meter.read(connector_id)
        return {
            "energyWh": round(self._registers.register_wh(connector_id), 1),
            "powerW": round(reading.power_w, 1),
            "soc": reading.soc_percent,
        }

    # -- TransactionObserver ---------------------------------------------------------------

    def transaction_started(self, tx: TransactionInfo) -> None:
        active = self._running.active_on(tx.connector_id)
        assert active is not None, "told of a transaction that is not running"
        cid = tx.connector_id
        changed = self._interval_changed[cid] = asyncio.Event()
        self._samplers[cid] = self._spawn(self._sample_loop(active, changed), f"sampler-{cid}")

    def transaction_ended(self, connector_id: int) -> None:
        sampler = self._samplers.pop(connector_id, None)
        self._interval_changed.pop(connector_id, None)
        if sampler is not None:
            sampler.cancel()

    # -- energy registers ------------------------------------------------------------------

    def register_wh(self, connector_id: int) -> float:
        """The connector's energy register now (not stored)."""
        return self._registers.register_wh(connector_id)

    def persist_register(self, connector_id: int) -> int:
        """The register now, stored: meterStart or meterStop, in whole Wh."""
        return whole_wh(self._registers.persist(connector_id))

    def record_register(self, tx: ActiveTransaction, register_wh: float | None = None) -> None:
        """The power-loss reading: meterStop of a transaction the next start closes."""
        value = self._registers.persist(tx.connector_id, register_wh)
        self._store.journal.record_meter(tx.ref, whole_wh(value), self._clock.now_ms())

    async def _keep_registers(self) -> None:
        """Record the registers each second while energy flows (the power-loss reading)."""
        failure = RepeatedFailure(log, "recording the meter registers")
        while True:
            await asyncio.sleep(REGISTER_RECORD_INTERVAL_S)
            active = list(self._running)
            if not active:
                continue
            try:
                # One synced commit for all connectors, not two per transaction.
                with self._store.transaction():
                    for tx in active:
                        self.record_register(tx)
            except StoreError as exc:
                failure.failed(exc)
                continue
            failure.succeeded()

    # -- values kept for StopTransaction ---------------------------------------------------

    def stop_txn_sampled(self) -> list[str]:
        return list(self._config.get_csl("StopTxnSampledData"))

    def stop_txn_begin_end(self) -> list[str]:
        """The measurands of Transaction.Begin and Transaction.End: every one configured for
        the transactionData, sampled or clock-aligned (errata 3.14); none when both lists are
        empty (section 3.16.5)."""
        sampled = self.stop_txn_sampled()
        aligned = self._config.get_csl("StopTxnAlignedData")
        return [*sampled, *(name for name in aligned if name not in sampled)]

    def keep_for_stop(
        self,
        tx: ActiveTransaction,
        context: str,
        measurands: list[str],
        *,
        register_wh: float,
        at: datetime | None = None,
    ) -> None:
        """Keep a MeterValue of ``measurands`` in the journal for the transactionData."""
        if not measurands:
            return  # section 3.16.5: an empty list puts nothing in the transactionData
        kept = self._sample(tx.connector_id, context, measurands, at, register_wh=register_wh)
        if kept is not None:
            self._store.journal.add_meter_value(tx.ref, kept)

    def transaction_data(self, ref: int) -> list[m.MeterValue]:
        """The values kept for a transaction, bounded by StopTransactionMaxMeterValues.

        Errata 3.14/3.91: Transaction.Begin and Transaction.End are always kept; intermediate
        values are dropped first, evenly.
        """
        raw = self._store.journal.meter_values(ref)
        config = self._config
        bound = (
            config.get_int("StopTransactionMaxMeterValues")
            if config.has("StopTransactionMaxMeterValues")
            else 0
        )
        if bound > 0 and len(raw) > bound:
            keep = max(bound, 2)
            middle = raw[1:-1]
            slots = keep - 2
            step = len(middle) / slots if slots > 0 else 0
            chosen = [middle[int(i * step)] for i in range(slots)] if slots > 0 else []
            raw = [raw[0], *chosen, raw[-1]]
        return [m.MeterValue.model_validate_json(r) for r in raw]

    # -- MeterValues -----------------------------------------------------------------------

    def send_transaction_sample(
        self,
        tx: ActiveTransaction,
        context: str,
        measurands: list[str],
        at: datetime | None = None,
        *,
        register_wh: float | None = None,
    ) -> None:
        """A MeterValues of the transaction, durably queued; its register is the power-loss
        reading from now on."""
        register = self.register_wh(tx.connector_id) if register_wh is None else register_wh
        sample = self._sample(
            tx.connector_id, context, measurands, at, register_wh=register, message=True
        )
        assert sample is not None, "a MeterValues always has values"
        self.record_register(tx, register)
        request = m.MeterValuesRequest(
            connector_id=tx.connector_id,
            meter_value=[m.MeterValue.model_validate_json(sample)],
            transaction_id=0,
        )
        self._queue.enqueue(request, tx_ref=tx.ref)

    async def send_triggered(self, connector_id: int) -> None:
        """TriggerMessage(MeterValues), errata 3.46: every MeterValuesSampledData measurand,
        context Trigger; a running transaction's sample carries its transactionId (3.16)."""
        measurands = list(self._config.get_csl("MeterValuesSampledData"))
        tx = self._running.active_on(connector_id)
        if tx is not None:
            self.send_transaction_sample(tx, "Trigger", measurands)
            return
        reading = self._meter.read(connector_id)
        values = message_values(reading, self.register_wh(connector_id), measurands, "Trigger")
        request = m.MeterValuesRequest(
            connector_id=connector_id, meter_value=[meter_value(self._clock.now(), values)]
        )
        await self._send(request)

    async def send_aligned(self, at: datetime) -> None:
        """The clock-aligned sample of every connector at the grid instant ``at`` (section
        3.16.2): MeterValuesAlignedData sent, StopTxnAlignedData kept for the transaction."""
        measurands = list(self._config.get_csl("MeterValuesAlignedData"))
        stop_measurands = list(self._config.get_csl("StopTxnAlignedData"))
        for cid in self._connector_ids:
            tx = self._running.active_on(cid)
            if tx is not None:
                # One reading for the MeterValues and the StopTxnAlignedData kept with it.
                register = self.register_wh(cid)
                self.send_transaction_sample(
                    tx, "Sample.Clock", measurands, at, register_wh=register
                )
                self.keep_for_stop(tx, "Sample.Clock", stop_measurands, register_wh=register, at=at)
                continue
            reading = self._meter.read(cid)
            values = message_values(reading, self.register_wh(cid), measurands, "Sample.Clock")
            request = m.MeterValuesRequest(connector_id=cid, meter_value=[meter_value(at, values)])
            try:
                await self._send(request)
            except ChargestackError as exc:
                log.info("aligned MeterValues for connector %d not sent: %s", cid, exc)

    def _sample(
        self,
        connector_id: int,
        context: str,
        measurands: list[str],
        at: datetime | None = None,
        *,
        register_wh: float,
        message: bool = False,
    ) -> str | None:
        """One MeterValue as JSON; ``at`` is the instant it stands for (a clock-aligned
        sample is stamped with its grid instant even when the loop ran late);
        ``register_wh`` is the reading already put in the same message or journal row. A
        ``message`` (MeterValues.req) always has values; a value kept for StopTransaction
        has none (None) when its measurands give none."""
        reading = self._meter.read(connector_id)
        pick = message_values if message else sampled_values
        values = pick(reading, register_wh, measurands, context)
        if not values:
            return None
        # A failed meter's values are its last good reading: stamped when they were taken.
        mv = meter_value(reading.measured_at or at or self._clock.now(), values)
        return mv.model_dump_json(by_alias=True, exclude_none=True)

    # -- the periodic sampler --------------------------------------------------------------

    def _wake_samplers(self) -> None:
        for changed in self._interval_changed.values():
            changed.set()

    async def _sample_loop(self, tx: ActiveTransaction, changed: asyncio.Event) -> None:
        """MeterValues every MeterValueSampleInterval from the transaction start (TC_070).

        Issue 12 item 8: a change of the interval re-anchors the loop (the next sample comes
        one new interval after the change), and a loop that ran late skips the slots it
        missed: never a burst of catch-up samples.
        """
        clock = self._clock
        due: float | None = None
        failure = RepeatedFailure(log, f"sampling connector {tx.connector_id}")
        while True:
            changed.clear()
            interval = self._config.get_int("MeterValueSampleInterval")
            if interval <= 0:
                await changed.wait()
                due = None
                continue
            now = clock.monotonic()
            due = now + interval if due is None else next_slot(due, interval, now)
            if await clock.sleep(due - now, changed):
                due = None
                continue
            if self._running.active_on(tx.connector_id) is not tx:
                return
            try:
                self._sample_periodic(tx)
            except StoreError as exc:
                # The sample is lost, the sampling goes on (issue 17 item 1).
                failure.failed(exc)
                continue
            failure.succeeded()

    def _sample_periodic(self, tx: ActiveTransaction) -> None:
        # One reading for the MeterValues and the StopTxnSampledData kept at this instant.
        register = self.register_wh(tx.connector_id)
        self.send_transaction_sample(
            tx,
            "Sample.Periodic",
            list(self._config.get_csl("MeterValuesSampledData")),
            register_wh=register,
        )
        self.keep_for_stop(tx, "Sample.Periodic", self.stop_txn_sampled(), register_wh=register)
