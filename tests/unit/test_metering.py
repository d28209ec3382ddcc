"""Metering on its own: periodic samples, interval changes mid-transaction, the values kept
for StopTransaction, clock-aligned and triggered samples, registers across a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chargestack.ocpp import messages as m
from chargestack.profiles.core.aligned_meter_values import AlignedMeterValues
from core_bench import START, CoreBench, core_bench

ENERGY = "Energy.Active.Import.Register"


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[CoreBench]:
    bench = await core_bench(
        tmp_path,
        configuration={"MeterValueSampleInterval": 60, "MeterValuesSampledData": ENERGY},
    )
    await bench.start()
    try:
        yield bench
    finally:
        await bench.close()


async def start_session(bench: CoreBench, connector_id: int = 1) -> int:
    bench.set_energy(connector_id, 1000.0)
    bench.board.connector(connector_id).facts.plugged = True
    await bench.lifecycle.start_transaction(connector_id, "TAG-1", None)
    tx = bench.running.active_on(connector_id)
    assert tx is not None
    return tx.ref


def samples(bench: CoreBench, context: str = "Sample.Periodic") -> list[tuple[Any, int | None]]:
    """Queued MeterValues of ``context``: (the MeterValue, the transaction's journal ref)."""
    found = []
    for request, ref in bench.queue.of("MeterValues"):
        [value] = request.meter_value
        if value.sampled_value[0].context.value == context:
            found.append((value, ref))
    return found


def stamps(bench: CoreBench, context: str = "Sample.Periodic") -> list[float]:
    """Seconds after START of each queued sample of ``context``."""
    return [(v.timestamp - START).total_seconds() for v, _ in samples(bench, context)]


async def change(bench: CoreBench, key: str, value: str) -> None:
    assert bench.config.set_from_ocpp(key, value) == "Accepted"
    await bench.settle()


async def test_periodic_samples_run_from_the_transaction_start(bench: CoreBench) -> None:
    """TC_070: every MeterValueSampleInterval from the start, with the transaction's ref."""
    ref = await start_session(bench)
    await bench.advance(59)
    assert samples(bench) == []
    bench.set_energy(1, 1500.5)
    await bench.advance(1)
    [(value, tx_ref)] = samples(bench)
    assert tx_ref == ref
    assert value.sampled_value[0].measurand.value == ENERGY
    assert value.sampled_value[0].value == "1500"
    for _ in range(2):
        await bench.advance(60)
    assert stamps(bench) == [60, 120, 180]
    # The sample's register is the power-loss reading from then on.
    entry = bench.store.journal.get(ref)
    assert entry is not None and entry.last_meter_wh == 1500


async def test_a_shorter_interval_mid_transaction_re_anchors_without_a_burst(
    bench: CoreBench,
) -> None:
    """Issue 12 item 8: the next sample is one new interval after the change."""
    await start_session(bench)
    await bench.advance(60)
    await bench.advance(40)  # 100 s after the start, 40 s into the second interval
    await change(bench, "MeterValueSampleInterval", "15")
    await bench.advance(14)
    assert stamps(bench) == [60]
    await bench.advance(1)
    assert stamps(bench) == [60, 115]
    await bench.advance(15)
    await bench.advance(15)
    assert stamps(bench) == [60, 115, 130, 145]


async def test_a_longer_interval_mid_transaction_waits_one_new_interval(
    bench: CoreBench,
) -> None:
    await start_session(bench)
    await bench.advance(30)
    await change(bench, "MeterValueSampleInterval", "300")
    await bench.advance(270)  # where the old grid's samples would have been
    assert stamps(bench) == []
    await bench.advance(30)
    assert stamps(bench) == [330]


async def test_interval_zero_mid_transaction_stops_sampling_until_set_again(
    bench: CoreBench,
) -> None:
    await start_session(bench)
    await bench.advance(60)
    await change(bench, "MeterValueSampleInterval", "0")
    await bench.advance(600)
    assert stamps(bench) == [60]
    await change(bench, "MeterValueSampleInterval", "20")
    await bench.advance(20)
    assert stamps(bench) == [60, 680]


async def test_a_loop_that_ran_late_skips_the_slots_it_missed(bench: CoreBench) -> None:
    await start_session(bench)
    await bench.advance(185)  # three slots pass while the loop is not scheduled
    assert stamps(bench) == [185]
    await bench.advance(55)
    assert stamps(bench) == [185, 240]


async def test_sampling_ends_with_the_transaction(bench: CoreBench) -> None:
    await start_session(bench)
    await bench.advance(60)
    await bench.lifecycle.stop_on_connector(1, "Local")
    await bench.advance(600)
    assert stamps(bench) == [60]
    assert bench.clock.due("sampler-1") is None


async def test_stop_transaction_data_keeps_begin_and_end_and_drops_the_middle_evenly(
    tmp_path: Path,
) -> None:
    """Errata 3.14/3.91: StopTransactionMaxMeterValues bounds transactionData."""
    bench = await core_bench(
        tmp_path,
        configuration={
            "MeterValueSampleInterval": 10,
            "MeterValuesSampledData": "",
            "StopTxnSampledData": ENERGY,
            "StopTransactionMaxMeterValues": 4,
        },
    )
    await bench.start()
    try:
        await start_session(bench)
        for step in range(1, 7):
            bench.set_energy(1, 1000.0 + step * 10)
            await bench.advance(10)
        bench.set_energy(1, 1099.0)
        await bench.lifecycle.stop_on_connector(1, "Local")
        [(request, _)] = bench.queue.of("StopTransaction")
        data = request.transaction_data
        contexts = [v.sampled_value[0].context.value for v in data]
        values = [v.sampled_value[0].value for v in data]
        assert contexts == [
            "Transaction.Begin",
            "Sample.Periodic",
            "Sample.Periodic",
            "Transaction.End",
        ]
        # Begin 1000, periodic 1010..1060 (six), End 1099: two of the six kept, evenly.
        assert values == ["1000", "1010", "1040", "1099"]
        # MeterValuesSampledData empty: the samples sent hold the default register alone.
        sent = samples(bench)
        assert len(sent) == 6
        assert {tuple(v.measurand.value for v in s.sampled_value) for s, _ in sent} == {(ENERGY,)}
    finally:
        await bench.close()


async def test_clock_aligned_sample_during_a_transaction_is_queued_and_kept(
    tmp_path: Path,
) -> None:
    bench = await core_bench(
        tmp_path,
        configuration={
            "ClockAlignedDataInterval": 900,
            "MeterValuesAlignedData": ENERGY,
            "StopTxnAlignedData": ENERGY,
        },
    )
    aligned = AlignedMeterValues(
        config=bench.config, clock=bench.clock, spawn=bench.tasks.spawn, metering=bench.metering
    )
    await bench.start()
    await aligned.start()
    try:
        ref = await start_session(bench)
        bench.set_energy(1, 1200.0)
        bench.set_energy(2, 77.0)
        await bench.advance(895 - 6)  # START is 12:00:05; the grid has 12:15:00
        assert samples(bench, "Sample.Clock") == []
        await bench.advance(6)
        [(value, tx_ref)] = samples(bench, "Sample.Clock")
        assert tx_ref == ref
        assert value.timestamp == START.replace(minute=15, second=0)
        assert value.sampled_value[0].value == "1200"
        # Connector 2 has no transaction: its sample goes straight to the central system.
        [direct] = bench.central.of(m.MeterValuesRequest)
        assert direct.connector_id == 2 and direct.transaction_id is None
        assert direct.meter_value[0].sampled_value[0].value == "77"
        await bench.lifecycle.stop_on_connector(1, "Local")
        [(stop, _)] = bench.queue.of("StopTransaction")
        kept = [v.sampled_value[0].context.value for v in stop.transaction_data]
        # StopTxnSampledData (its default) brings Begin and End around the aligned value.
        assert kept == ["Transaction.Begin", "Sample.Clock", "Transaction.End"]
    finally:
        await bench.close()


async def test_a_changed_clock_aligned_interval_takes_the_next_slot_of_the_new_grid(
    tmp_path: Path,
) -> None:
    bench = await core_bench(
        tmp_path,
        configuration={"ClockAlignedDataInterval": 900, "MeterValuesAlignedData": ENERGY},
    )
    aligned = AlignedMeterValues(
        config=bench.config, clock=bench.clock, spawn=bench.tasks.spawn, metering=bench.metering
    )
    await bench.start()
    await aligned.start()
    try:
        await bench.advance(100)  # 12:01:45
        await change(bench, "ClockAlignedDataInterval", "60")
        await bench.advance(14)  # 12:01:59
        assert bench.central.of(m.MeterValuesRequest) == []
        await bench.advance(1)  # 12:02:00
        sent = bench.central.of(m.MeterValuesRequest)
        assert [r.meter_value[0].timestamp for r in sent] == [START.replace(minute=2, second=0)] * 2
    finally:
        await bench.close()


async def test_triggered_meter_values_carry_the_running_transaction(bench: CoreBench) -> None:
    """Errata 3.46 and 3.16: context Trigger; a transaction's sample is queued with it."""
    ref = await start_session(bench)
    await bench.metering.send_triggered(1)
    [(_, tx_ref)] = samples(bench, "Trigger")
    assert tx_ref == ref
    await bench.metering.send_triggered(2)
    [direct] = bench.central.of(m.MeterValuesRequest)
    assert direct.connector_id == 2
    assert direct.meter_value[0].sampled_value[0].context.value == "Trigger"
    assert direct.meter_value[0].timestamp == START


async def test_the_register_survives_a_restart_of_a_meter_that_restarts_at_zero(
    tmp_path: Path,
) -> None:
    """Errata 3.9: meterStart and meterStop stay monotonic across a restart."""
    first = await core_bench(tmp_path)
    await first.start()
    first.set_energy(1, 500.0)
    assert first.metering.persist_register(1) == 500
    await first.close()
    second = await core_bench(tmp_path)
    await second.start()  # the simulated meter counts from zero again
    try:
        second.set_energy(1, 20.0)
        assert second.metering.register_wh(1) == 520.0
        await start_session(second)  # its stage reads 1000 Wh since the restart
        [(request, _)] = second.queue.of("StartTransaction")
        assert request.meter_start == 1500
    finally:
        await second.close()


async def test_a_clock_adjusted_back_never_sends_a_clock_aligned_slot_twice(
    tmp_path: Path,
) -> None:
    """Issue 17 item 4: after an adjustment the next slot of the adjusted clock is taken,
    but never one already sent."""
    bench = await core_bench(
        tmp_path,
        configuration={"ClockAlignedDataInterval": 60, "MeterValuesAlignedData": ENERGY},
    )
    aligned = AlignedMeterValues(
        config=bench.config, clock=bench.clock, spawn=bench.tasks.spawn, metering=bench.metering
    )
    await bench.start()
    await aligned.start()
    try:
        await bench.advance(55)  # 12:01:00
        bench.clock.adjust_to(bench.clock.now() - timedelta(seconds=50))  # 12:00:10
        await bench.settle()
        assert bench.clock.due("aligned-meter-values") == 110  # 12:02:00, not 12:01:00 again
        bench.clock.adjust_to(bench.clock.now() + timedelta(seconds=100))  # 12:01:50
        await bench.settle()
        assert bench.clock.due("aligned-meter-values") == 10  # still 12:02:00
        await bench.advance(10)
        stamps = {r.meter_value[0].timestamp for r in bench.central.of(m.MeterValuesRequest)}
        assert stamps == {START.replace(minute=1, second=0), START.replace(minute=2, second=0)}
    finally:
        await bench.close()
