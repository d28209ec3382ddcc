"""The station clock adjusted by the central system's currentTime (issue 17, item 4).

While a charging schedule's change (50 kW to 20 kW), a reservation's expiry and a
clock-aligned sample are pending, a Heartbeat answer moves the station's clock by +50 s,
-50 s or +1 h. Each must then happen at its instant of the adjusted clock: not before, not
later, and at once if the clock jumped past it (a clock-aligned slot jumped over is skipped,
since no reading was taken at it). The station's time is a ``ManualClock`` the test moves;
one case runs on the real clock. A firmware retrieveDate follows an adjustment back. The
whitepaper's SettingSystemTime event keeps its 60 s threshold; every adjustment is logged at
INFO with its size. A step of the controller's own clock (NTP, ``date -s``) is an adjustment
too: a schedule's change comes at its instant of the stepped clock.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from central_system import CentralSystem, Payload
from chargestack.files.image import build_image
from chargestack.profiles.core.aligned_meter_values import next_aligned_ms
from chargestack.station.clock import to_ms
from manual_clock import ManualClock, SteppedClock
from servers import HttpFileServer
from station_harness import RunningStation, running_station, start_local_session

OTHER_TAG = "CLOCKTAG2"
ALIGNED_S = 300
#: The schedule's change and the reservation's expiry, in seconds after the start.
CHANGE_AFTER_S = 195  # hh:03:20
EXPIRY_AFTER_S = 235  # hh:04:00


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def tx_default(start: datetime, change_at: datetime) -> dict[str, object]:
    """50 kW from an hour before ``start``, 20 kW from ``change_at`` (grid-side W)."""
    begin = start - timedelta(hours=1)
    return {
        "connectorId": 0,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "startSchedule": iso(begin),
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 50_000.0},
                    {"startPeriod": int((change_at - begin).total_seconds()), "limit": 20_000.0},
                ],
            },
        },
    }


def applied_w(rs: RunningStation) -> float | None:
    applier = rs.blocks.smart_charging
    assert applier is not None
    return applier.applier.applied.get(1)


def aligned_stamps(cs: CentralSystem) -> list[str]:
    return [
        r.payload["meterValue"][0]["timestamp"]
        for r in cs.messages("MeterValues")
        if r.payload["connectorId"] == 1
        and r.payload["meterValue"][0]["sampledValue"][0].get("context") == "Sample.Clock"
    ]


def manual_time(cs: CentralSystem) -> tuple[ManualClock, dict[str, str]]:
    """A station clock at 5 s past a whole hour that the central system boots it with, and
    the Heartbeat answer the test sets (:func:`adjust_by`)."""
    clock = ManualClock(datetime.now(UTC).replace(minute=0, second=5, microsecond=0))
    heartbeat: dict[str, str] = {}
    cs.responders["BootNotification"] = lambda _p: {
        "status": "Accepted",
        "currentTime": clock.iso_now(),
        "interval": 3600,
    }
    cs.responders["Heartbeat"] = lambda _p: dict(heartbeat)
    return clock, heartbeat


async def adjust_by(rs: RunningStation, answer: dict[str, str], moment: datetime) -> None:
    """The central system's next Heartbeat answer says ``moment``; the station asks for it."""
    answer["currentTime"] = iso(moment)
    reply = await rs.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
    assert reply["status"] == "Accepted"
    await rs.wait(lambda: abs(rs.station.clock.now_ms() - to_ms(moment)) < 1000)


async def reserve(rs: RunningStation, expiry: datetime) -> None:
    payload = {"connectorId": 2, "expiryDate": iso(expiry), "idTag": OTHER_TAG, "reservationId": 5}
    assert (await rs.call("ReserveNow", payload))["status"] == "Accepted"
    await rs.status(2, "Reserved")


@pytest.mark.parametrize("jump_s", [50, -50, 3600])
async def test_pending_instants_follow_an_adjustment_of_the_clock(
    central_system: CentralSystem,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    jump_s: int,
) -> None:
    cs = central_system
    caplog.set_level(logging.INFO, logger="chargestack.clock")
    clock, heartbeat = manual_time(cs)
    start = clock.now()
    change_at = start + timedelta(seconds=CHANGE_AFTER_S)
    expiry_at = start + timedelta(seconds=EXPIRY_AFTER_S)
    config = {"ClockAlignedDataInterval": ALIGNED_S, "HeartbeatInterval": 3600}
    async with running_station(cs, tmp_path, clock=clock, configuration=config) as rs:
        await start_local_session(rs)
        assert (await rs.call("SetChargingProfile", tx_default(start, change_at)))[
            "status"
        ] == "Accepted"
        await rs.wait(lambda: applied_w(rs) is not None)
        before_change = applied_w(rs)
        await reserve(rs, expiry_at)
        await rs.wait(lambda: clock.due("aligned-meter-values") == 295)  # hh:05:00

        mark = cs.mark()
        await adjust_by(rs, heartbeat, start + timedelta(seconds=jump_s))
        now = start + timedelta(seconds=jump_s)
        aligned_at_ms = next_aligned_ms(to_ms(now), ALIGNED_S)
        pending = sorted(
            (at, what)
            for what, at in (
                ("change", to_ms(change_at)),
                ("expiry", to_ms(expiry_at)),
                ("aligned", aligned_at_ms),
            )
        )

        def happened(what: str) -> bool:
            if what == "change":
                return applied_w(rs) != before_change
            if what == "expiry":
                return any(
                    r.payload["connectorId"] == 2 and r.payload["status"] == "Available"
                    for r in cs.received[mark:]
                    if r.action == "StatusNotification"
                )
            return iso(datetime.fromtimestamp(aligned_at_ms / 1000, UTC)) in aligned_stamps(cs)

        # What the clock jumped past happens at once; the rest waits for its instant.
        for at_ms, what in pending:
            if at_ms <= to_ms(now):
                await rs.wait(lambda what=what: happened(what))
        for at_ms, what in pending:
            if at_ms <= to_ms(now):
                continue
            wait_s = (at_ms - clock.now_ms()) / 1000
            await rs.wait(lambda at_ms=at_ms: at_ms in clock.timers_at_ms())
            clock.advance(wait_s - 1)
            assert not happened(what), what
            clock.advance(1)
            await rs.wait(lambda what=what: happened(what))
        assert applied_w(rs) is not None and applied_w(rs) < (before_change or 0)
        stamps = aligned_stamps(cs)
    if jump_s > 0:
        # The slot the station was waiting for, hh:05:00, was jumped over only by +1 h.
        skipped = iso(start + timedelta(seconds=295))
        assert (skipped in stamps) is (jump_s < 295)
    assert len(stamps) == len(set(stamps))
    adjustments = [r for r in caplog.records if r.getMessage().startswith("clock adjusted by")]
    assert [r.levelno for r in adjustments] == [logging.INFO]
    assert f"{jump_s:+.3f} s" in adjustments[0].getMessage()
    system_time_events = [
        r
        for r in cs.messages("SecurityEventNotification")
        if r.payload["type"] == "SettingSystemTime"
    ]
    assert len(system_time_events) == (1 if abs(jump_s) >= 60 else 0)


async def test_a_schedule_change_comes_on_time_after_heartbeat_moves_the_real_clock_ahead(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """The same through the real clock: +50 s moves a change due in 55 s to 5 s from now."""
    cs = central_system
    heartbeat: dict[str, str] = {}
    cs.responders["Heartbeat"] = lambda _p: dict(heartbeat)
    async with running_station(cs, tmp_path) as rs:
        await start_local_session(rs)
        start = datetime.now(UTC)
        change_at = start + timedelta(seconds=55)
        answer: Payload = await rs.call("SetChargingProfile", tx_default(start, change_at))
        assert answer["status"] == "Accepted"
        await rs.wait(lambda: applied_w(rs) is not None)
        before_change = applied_w(rs)
        await adjust_by(rs, heartbeat, datetime.now(UTC) + timedelta(seconds=50))
        await rs.wait(lambda: applied_w(rs) != before_change, timeout=15)
        applied_at = rs.station.clock.now_ms()
        seen_at = time.time()
    late_ms = applied_at - to_ms(change_at)
    assert 0 <= late_ms < 500, late_ms
    # The station's clock really was 50 s ahead of the controller's.
    assert abs(applied_at / 1000 - seen_at - 50) < 1


async def test_a_schedule_change_comes_on_time_after_the_system_clock_steps_ahead(
    central_system: CentralSystem, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """NTP steps the controller's clock +20 s while a change is 30 s away: it comes 10 s
    later, at its instant of the stepped clock, not 30 s later."""
    cs = central_system
    caplog.set_level(logging.INFO, logger="chargestack.clock")
    clock = SteppedClock()
    async with running_station(cs, tmp_path, clock=clock) as rs:
        await start_local_session(rs)
        start = clock.now()
        change_at = start + timedelta(seconds=30)
        answer: Payload = await rs.call("SetChargingProfile", tx_default(start, change_at))
        assert answer["status"] == "Accepted"
        await rs.wait(lambda: applied_w(rs) is not None)
        before_change = applied_w(rs)
        clock.step_system(20)
        await rs.wait(lambda: applied_w(rs) != before_change, timeout=15)
        applied_at = clock.now_ms()
    late_ms = applied_at - to_ms(change_at)
    assert 0 <= late_ms < 500, late_ms
    steps = [r for r in caplog.records if r.getMessage().startswith("system clock stepped by")]
    assert [r.levelno for r in steps] == [logging.INFO]
    assert "+20.0" in steps[0].getMessage()
    # Under the whitepaper's 60 s threshold: no SettingSystemTime.
    assert not [
        r
        for r in cs.messages("SecurityEventNotification")
        if r.payload["type"] == "SettingSystemTime"
    ]


async def test_a_firmware_retrieve_date_follows_an_adjustment_back(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    server = HttpFileServer()
    await server.start()
    server.files["fw-2.0.0.tar.gz"] = build_image("2.0.0", {"app.bin": b"new"})
    clock, heartbeat = manual_time(cs)
    start = clock.now()
    retrieve_at = start + timedelta(seconds=100)
    try:
        async with running_station(cs, tmp_path, clock=clock) as rs:
            request = {
                "location": server.url("files/fw-2.0.0.tar.gz"),
                "retrieveDate": iso(retrieve_at),
            }
            await rs.call("UpdateFirmware", request)
            await rs.wait(lambda: to_ms(retrieve_at) in clock.waiting_until_ms.values())
            await adjust_by(rs, heartbeat, start - timedelta(seconds=50))
            # Woken by the adjustment, the job waits again for the same instant: 150 s now.
            await rs.wait(lambda: to_ms(retrieve_at) in clock.waiting_until_ms.values())
            clock.advance(149)
            await rs.wait(lambda: to_ms(retrieve_at) in clock.waiting_until_ms.values())
            assert not cs.messages("FirmwareStatusNotification")
            mark = cs.mark()
            clock.advance(1)
            await cs.wait_for(
                "FirmwareStatusNotification", lambda p: p["status"] == "Downloading", since=mark
            )
            await cs.wait_for(
                "FirmwareStatusNotification", lambda p: p["status"] == "Installed", since=mark
            )
    finally:
        await server.stop()


@pytest.mark.parametrize("jump_s", [50, -50])
async def test_a_relative_tx_profile_counts_the_time_the_transaction_really_ran(
    central_system: CentralSystem, tmp_path: Path, jump_s: int
) -> None:
    cs = central_system
    clock, heartbeat = manual_time(cs)
    start = clock.now()
    async with running_station(cs, tmp_path, clock=clock) as rs:
        tx_id = await start_local_session(rs)
        relative = {
            "connectorId": 1,
            "csChargingProfiles": {
                "chargingProfileId": 2,
                "transactionId": tx_id,
                "stackLevel": 0,
                "chargingProfilePurpose": "TxProfile",
                "chargingProfileKind": "Relative",
                "chargingSchedule": {
                    "chargingRateUnit": "W",
                    "chargingSchedulePeriod": [
                        {"startPeriod": 0, "limit": 50_000.0},
                        {"startPeriod": 200, "limit": 20_000.0},
                    ],
                },
            },
        }
        assert (await rs.call("SetChargingProfile", relative))["status"] == "Accepted"
        await rs.wait(lambda: applied_w(rs) is not None)
        before_change = applied_w(rs)
        await adjust_by(rs, heartbeat, start + timedelta(seconds=jump_s))
        # 200 s of charging from the start, whatever the clock says meanwhile.
        change_ms = to_ms(start) + jump_s * 1000 + 200_000
        # Section 5.7: the composite reports the schedule the stage executes, the change
        # 200 s after the start however far the clock moved (the manual clock stands still).
        composite = await rs.call(
            "GetCompositeSchedule", {"connectorId": 1, "duration": 300, "chargingRateUnit": "W"}
        )
        begin_ms = to_ms(datetime.fromisoformat(composite["scheduleStart"]))
        steps = composite["chargingSchedule"]["chargingSchedulePeriod"]
        assert [(p["startPeriod"], float(p["limit"])) for p in steps[:2]] == [
            (0, 50_000.0),
            ((change_ms - begin_ms) // 1000, 20_000.0),
        ], (composite, jump_s)
        await rs.wait(lambda: change_ms in clock.timers_at_ms())
        clock.advance(199)
        assert applied_w(rs) == before_change
        clock.advance(1)
        await rs.wait(lambda: applied_w(rs) != before_change)


async def test_a_clock_aligned_slot_is_sent_once_when_the_clock_goes_back_over_it(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """One MeterValues per ClockAlignedDataInterval: the clock set back 30 s just after the
    hh:01:00 sample passes hh:01:00 again, and the next sample is hh:02:00's."""
    cs = central_system
    clock, heartbeat = manual_time(cs)
    start = clock.now()
    config = {"ClockAlignedDataInterval": 60, "HeartbeatInterval": 3600}
    async with running_station(cs, tmp_path, clock=clock, configuration=config) as rs:
        await start_local_session(rs)
        await rs.wait(lambda: clock.due("aligned-meter-values") == 55)  # hh:01:00
        clock.advance(55)
        slot = start + timedelta(seconds=55)
        await rs.wait(lambda: iso(slot) in aligned_stamps(cs))
        await adjust_by(rs, heartbeat, slot - timedelta(seconds=30))
        # Waiting for hh:02:00, 90 s away, not for hh:01:00 again.
        await rs.wait(lambda: clock.due("aligned-meter-values") == 90)
        clock.advance(90)
        after = slot + timedelta(seconds=60)
        await rs.wait(lambda: iso(after) in aligned_stamps(cs))
        await rs.wait(lambda: rs.station.store.outbox.depth() == 0)
        assert aligned_stamps(cs) == [iso(slot), iso(after)]
