"""Core's transaction blocks when the store's working copy refuses commits (issue 17, item 1).

A full disk shows on the store's writer thread, not here (``store.py``); the working copy
refuses a commit only on a bug or when memory runs out. Whatever the reason, a failed write
must not end the sampling, must be logged once and not per attempt, and a stop must leave
the connector as the hardware is (power off, no transaction). The working copy is made to
refuse writes for real: SQLite's ``query_only``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chargestack.store import Store
from core_bench import CoreBench, core_bench

ENERGY = "Energy.Active.Import.Register"


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[CoreBench]:
    bench = await core_bench(
        tmp_path,
        configuration={
            "MeterValueSampleInterval": 60,
            "MeterValuesSampledData": ENERGY,
            "StopTxnSampledData": ENERGY,
        },
    )
    await bench.start()
    try:
        yield bench
    finally:
        await bench.close()


def refuse_writes(store: Store, refuse: bool) -> None:
    store.query(f"PRAGMA query_only = {'ON' if refuse else 'OFF'}")


def sampled(bench: CoreBench) -> int:
    return len(bench.queue.of("MeterValues"))


def logged(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if text in r.getMessage()]


async def test_sampling_survives_refused_writes_and_says_so_once_each_way(
    bench: CoreBench, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chargestack")
    bench.set_energy(1, 1000.0)
    bench.board.connector(1).facts.plugged = True
    await bench.lifecycle.start_transaction(1, "TAG-1", None)
    await bench.advance(60)
    assert sampled(bench) == 1
    refuse_writes(bench.store, True)
    for _ in range(3):
        await bench.advance(60)
    assert sampled(bench) == 1  # those samples could not be kept
    refuse_writes(bench.store, False)
    await bench.advance(60)
    assert sampled(bench) == 2  # the sampler is still there
    assert len(logged(caplog, "sampling connector 1 failed")) == 1
    assert len(logged(caplog, "sampling connector 1 works again after 3 failures")) == 1


async def test_a_stop_the_working_copy_refuses_still_ends_the_transaction_on_the_connector(
    bench: CoreBench, caplog: pytest.LogCaptureFixture
) -> None:
    bench.set_energy(1, 1000.0)
    await bench.plug_in(1)
    await bench.lifecycle.start_transaction(1, "TAG-1", None)
    tx = bench.running.active_on(1)
    assert tx is not None and bench.enabled(1) is True
    refuse_writes(bench.store, True)
    await bench.plug_out(1)
    # The power is off and the connector says so, though nothing could be journalled.
    assert bench.enabled(1) is False
    assert bench.running.active_on(1) is None
    facts = bench.board.connector(1).facts
    assert not facts.in_transaction and not facts.finishing
    assert bench.observer.ended == [1]
    assert logged(caplog, f"transaction ref {tx.ref}: its stop could not be journalled")
    refuse_writes(bench.store, False)
    entry = bench.store.journal.get(tx.ref)
    assert entry is not None and entry.state == "running"  # a restart closes it (PowerLoss)
