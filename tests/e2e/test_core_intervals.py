"""A change of an interval key takes effect without a burst (OCPP 1.6 section 9.1).

Each test changes one interval from 900 s to 60 s during a transaction, 100 s after the loop
last started waiting, on a clock the test moves itself (``ManualClock``): the loop must
re-anchor on the change (next event one new interval after it, or at the next slot of the
clock-aligned grid), send exactly one message when that instant comes, and never catch up
on the slots the old interval would have had.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from central_system import CentralSystem, Payload
from manual_clock import ManualClock, told_by_central_system
from station_harness import RunningStation, running_station, start_local_session


def clock_for(cs: CentralSystem) -> ManualClock:
    """A clock at 5 s past a whole hour; the central system tells the station that time."""
    clock = ManualClock(datetime.now(UTC).replace(minute=0, second=5, microsecond=0))
    told_by_central_system(cs, clock)
    return clock


async def change(rs: RunningStation, key: str, value: int) -> None:
    answer = await rs.call("ChangeConfiguration", {"key": key, "value": str(value)})
    assert answer["status"] == "Accepted"


async def delivered(rs: RunningStation) -> None:
    """Everything the station queued has reached the central system."""
    await rs.wait(lambda: rs.station.store.outbox.depth() == 0)


def meter_values(cs: CentralSystem, since: int, context: str) -> list[Payload]:
    """Connector 1's MeterValues of ``context`` since the mark."""
    return [
        r.payload
        for r in cs.received[since:]
        if r.action == "MeterValues"
        and r.payload["connectorId"] == 1
        and r.payload["meterValue"][0]["sampledValue"][0]["context"] == context
    ]


async def test_meter_value_sample_interval_change_re_anchors_without_a_burst(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    clock = clock_for(cs)
    config = {"MeterValueSampleInterval": 900}
    async with running_station(cs, tmp_path, clock=clock, configuration=config) as rs:
        await start_local_session(rs)
        await rs.wait(lambda: clock.due("sampler-1") == 900)
        clock.advance(100)
        mark = cs.mark()
        await change(rs, "MeterValueSampleInterval", 60)
        await rs.wait(lambda: clock.due("sampler-1") == 60)
        clock.advance(59)
        clock.advance(1)
        await cs.wait_for("MeterValues", since=mark)
        await rs.wait(lambda: clock.due("sampler-1") == 60)
        await delivered(rs)
        assert len(meter_values(cs, mark, "Sample.Periodic")) == 1


async def test_clock_aligned_data_interval_change_takes_the_next_slot_of_the_new_grid(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    clock = clock_for(cs)
    config = {"ClockAlignedDataInterval": 900}
    async with running_station(cs, tmp_path, clock=clock, configuration=config) as rs:
        await start_local_session(rs)
        await rs.wait(lambda: clock.due("aligned-meter-values") == 895)  # hh:15:00
        clock.advance(100)  # hh:01:45
        mark = cs.mark()
        await change(rs, "ClockAlignedDataInterval", 60)
        await rs.wait(lambda: clock.due("aligned-meter-values") == 15)  # hh:02:00
        clock.advance(15)
        sample = await cs.wait_for("MeterValues", lambda p: p["connectorId"] == 1, since=mark)
        await rs.wait(lambda: clock.due("aligned-meter-values") == 60)
        await delivered(rs)
        assert len(meter_values(cs, mark, "Sample.Clock")) == 1
        stamp = sample.payload["meterValue"][0]["timestamp"]
        assert stamp.endswith(":02:00.000Z"), stamp


async def test_heartbeat_interval_change_re_anchors_without_a_burst(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    clock = clock_for(cs)
    async with running_station(cs, tmp_path, clock=clock) as rs:
        await start_local_session(rs)
        await rs.wait(lambda: clock.due(":heartbeat") == 900)
        clock.advance(100)
        await change(rs, "HeartbeatInterval", 60)
        await rs.wait(lambda: clock.due(":heartbeat") == 60)
        mark = cs.mark()
        clock.advance(60)
        await cs.wait_for("Heartbeat", since=mark)
        await rs.wait(lambda: clock.due(":heartbeat") == 60)
        assert len([r for r in cs.received[mark:] if r.action == "Heartbeat"]) == 1


async def test_websocket_ping_interval_change_re_anchors_without_a_burst(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    clock = clock_for(cs)
    config = {"WebSocketPingInterval": 900}
    async with running_station(cs, tmp_path, clock=clock, configuration=config) as rs:
        await start_local_session(rs)
        await rs.wait(lambda: clock.due("ocpp-ping") == 900)
        clock.advance(100)
        await change(rs, "WebSocketPingInterval", 60)
        await rs.wait(lambda: clock.due("ocpp-ping") == 60)
        assert rs.station.session.pings_sent == 0
        clock.advance(60)
        # One ping, answered (the loop waits for the pong before it waits again).
        await rs.wait(lambda: clock.due("ocpp-ping") == 60 and rs.station.session.pings_sent)
        assert rs.station.session.pings_sent == 1
        assert rs.station.session.connected


@pytest.mark.parametrize("source", ["ChangeConfiguration", "BootNotification"])
async def test_section_4_6_heartbeat_interval_0_leaves_one_heartbeat_a_day_for_the_clock(
    central_system: CentralSystem, tmp_path: Path, source: str
) -> None:
    """0 is no interval heartbeat (with JSON heartbeats are not mandatory), from either
    source; the note of section 4.6 still advises one a day for time synchronization."""
    cs = central_system
    clock = clock_for(cs)
    if source == "BootNotification":
        # BootNotification.conf: when Accepted, "interval" is the heartbeat interval.
        cs.responders["BootNotification"] = lambda _payload: {
            "status": "Accepted",
            "currentTime": clock.iso_now(),
            "interval": 0,
        }
    async with running_station(cs, tmp_path, clock=clock) as rs:
        if source == "ChangeConfiguration":
            await rs.wait(lambda: clock.due(":heartbeat") == 900)
            await change(rs, "HeartbeatInterval", 0)
        await rs.wait(lambda: clock.due(":heartbeat") == 86_400)
        got = await rs.call("GetConfiguration", {"key": ["HeartbeatInterval"]})
        assert got["configurationKey"][0]["value"] == "0"
        mark = cs.mark()
        clock.advance(86_400)
        await cs.wait_for("Heartbeat", since=mark)
        await rs.wait(lambda: clock.due(":heartbeat") == 86_400)
        assert len([r for r in cs.received[mark:] if r.action == "Heartbeat"]) == 1
