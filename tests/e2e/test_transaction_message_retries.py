"""OCPP 1.6 section 3.7.1: a transaction message the central system keeps failing to process.

It is sent again up to TransactionMessageAttempts times, TransactionMessageRetryInterval x
the number of earlier transmissions apart, then discarded; the queue goes on with the next
transaction message on the same link, without waiting for a reconnect.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from central_system import CentralSystem
from station_harness import running_station, start_local_session

VALID = "VALIDTAG1"


@pytest.mark.parametrize("failure", ["callerror", "no answer"])
async def test_section_3_7_1_a_stop_transaction_that_keeps_failing_is_dropped_and_the_queue_goes_on(
    central_system: CentralSystem, tmp_path: Path, failure: str
) -> None:
    cs = central_system
    cs.fail_to_process("StopTransaction", failure)
    config = {
        "TransactionMessageAttempts": 2,
        "TransactionMessageRetryInterval": 1,
        "MessageTimeout": 1,
    }
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await start_local_session(rs, connector_id=1)
        rs.present(VALID)
        await cs.wait_until(lambda: len(cs.messages("StopTransaction")) == 2, 15)
        # The next transaction's start goes out on the same link.
        await start_local_session(rs, connector_id=2, tag="VALIDTAG2")
        assert cs.connect_count[rs.cp_id] == 1
        stops = cs.messages("StopTransaction")
        assert len(stops) == 2, "sent TransactionMessageAttempts times, then discarded"
        assert stops[0].unique_id == stops[1].unique_id, "a retry is the same message"
        assert stops[1].at - stops[0].at >= 1.0, "the retry waits RetryInterval x 1"
        # The StartTransaction's row goes once its answer is journalled, just after Charging.
        await rs.wait(lambda: rs.station.store.outbox.depth() == 0)
    cs.errors_sent.clear()


@pytest.mark.parametrize("failure", ["callerror", "unreadable answer"])
async def test_errata_3_18_a_discarded_start_transaction_leaves_its_stop_with_transaction_id_minus_1(
    central_system: CentralSystem, tmp_path: Path, failure: str
) -> None:
    cs = central_system
    # An answer not understood, even leniently, is a failed attempt like a CALLERROR.
    cs.fail_to_process("StartTransaction", failure)
    config = {"TransactionMessageAttempts": 2, "TransactionMessageRetryInterval": 1}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        rs.present(VALID)
        await rs.status(1, "Charging", since=mark)
        await cs.wait_until(lambda: len(cs.messages("StartTransaction")) == 2, 15)
        rs.present(VALID)
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["transactionId"] == -1
        assert len(cs.messages("StartTransaction")) == 2
        assert cs.connect_count[rs.cp_id] == 1
    cs.errors_sent.clear()
