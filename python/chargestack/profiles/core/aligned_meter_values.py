"""Clock-aligned meter values (OCPP 1.6 section 3.16.2, TC_071).

Samples fall on multiples of ClockAlignedDataInterval counted from midnight UTC, context
Sample.Clock, measurands of MeterValuesAlignedData. During a transaction the value carries
its transactionId and goes through the durable queue; outside one it is sent directly.
StopTxnAlignedData values are kept for the transaction's StopTransaction.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from chargestack.exceptions import ChargestackError
from chargestack.ocpp import messages as m
from chargestack.profiles.core.meter_sampling import meter_value, sampled_values
from chargestack.station.clock import from_ms

if TYPE_CHECKING:
    from chargestack.profiles.core.transactions import TransactionService
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.meter.aligned")


def next_aligned_ms(now_ms: int, interval_s: int) -> int:
    """The next instant after ``now_ms`` on the interval grid that starts at midnight UTC."""
    day_ms = 86_400_000
    midnight = now_ms - now_ms % day_ms
    step = interval_s * 1000
    since = now_ms - midnight
    return midnight + (since // step + 1) * step


class AlignedMeterValues:
    def __init__(self, station: Station, transactions: TransactionService) -> None:
        self.station = station
        self.transactions = transactions
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self.station.config.on_change("ClockAlignedDataInterval", lambda _v: self._changed.set())
        self.station.spawn(self._loop(), "aligned-meter-values")

    async def _loop(self) -> None:
        while True:
            interval = self.station.config.get_int("ClockAlignedDataInterval")
            self._changed.clear()
            if interval <= 0:
                await self._changed.wait()
                continue
            # A change of interval wakes the loop, which starts over from the next slot of
            # the new grid after now: no catch-up (issue 12 item 8).
            due = next_aligned_ms(self.station.clock.now_ms(), interval)
            delay = (due - self.station.clock.now_ms()) / 1000
            if await self.station.clock.sleep(delay, self._changed):
                continue
            await self._sample_all(from_ms(due))

    async def _sample_all(self, at: datetime) -> None:
        measurands = list(self.station.config.get_csl("MeterValuesAlignedData"))
        stop_measurands = list(self.station.config.get_csl("StopTxnAlignedData"))
        for cid in self.station.connectors:
            tx = self.transactions.active_on(cid)
            if tx is not None:
                # One reading for the MeterValues and the StopTxnAlignedData kept with it.
                register = self.transactions.registers.register_wh(cid)
                if measurands:
                    self.transactions.send_transaction_sample(
                        tx, "Sample.Clock", measurands, at, register_wh=register
                    )
                if stop_measurands:
                    kept = self.transactions._sample(
                        tx, "Sample.Clock", stop_measurands, at, register_wh=register
                    )
                    if kept is not None:
                        self.station.store.journal.add_meter_value(tx.ref, kept)
                continue
            if not measurands:
                continue
            reading = self.station.hardware.meter.read(cid)
            register = self.transactions.registers.register_wh(cid)
            values = sampled_values(reading, register, measurands, "Sample.Clock")
            if not values:
                continue
            request = m.MeterValuesRequest(connector_id=cid, meter_value=[meter_value(at, values)])
            try:
                await self.station.send(request)
            except ChargestackError as exc:
                log.info("aligned MeterValues for connector %d not sent: %s", cid, exc)
