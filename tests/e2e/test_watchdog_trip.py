"""A stalled event loop trips the power stage's supervisor watchdog (issue 17, item 2).

The trip is deliberate (the loop feeds the watchdog, so a stalled loop stops the power); when
it happens the station must say so: an ERROR log naming the supervisor watchdog, the
connector Faulted with InternalError and an info naming it, and a StopTransaction whose
meterStop is the register reached, not 0.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from central_system import CentralSystem
from station_harness import running_station, start_local_session

WATCHDOG_MS = 300


async def test_a_watchdog_trip_is_logged_reported_and_stops_at_the_last_register(
    central_system: CentralSystem, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cs = central_system
    power = {"loop_period_ms": 20, "watchdog_ms": WATCHDOG_MS}
    async with running_station(cs, tmp_path, power=power) as rs:
        tx_id = await start_local_session(rs)
        metering = rs.blocks.core.metering
        await rs.wait(lambda: metering.register_wh(1) > 1.0)
        before_stall = metering.register_wh(1)
        mark = cs.mark()
        with caplog.at_level(logging.ERROR):
            # The whole event loop stops: nothing feeds the watchdog.
            time.sleep(3 * WATCHDOG_MS / 1000)  # noqa: ASYNC251 - the stall is the point
            faulted = await rs.status(1, "Faulted", since=mark)
            stop = await cs.wait_for(
                "StopTransaction", lambda p: p["transactionId"] == tx_id, since=mark
            )
        assert faulted["errorCode"] == "InternalError"
        assert "watchdog" in faulted.get("info", "")
        start = cs.messages("StartTransaction")[-1].payload
        assert stop.payload["meterStop"] >= int(before_stall) > start["meterStart"]
        trips = [
            r
            for r in caplog.records
            if "supervisor" in r.getMessage() and "watchdog" in r.getMessage()
        ]
        assert trips and trips[0].levelno == logging.ERROR
