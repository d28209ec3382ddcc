"""OCTT Smart Charging cases (conformance doc section 1.9) and limits reaching the power stage.

Composite periods are checked against the document's expected values. A period that starts
after the request's receipt is shifted by the time already elapsed since its profile began
(the document's "offsets minus elapsed time x"); the engine gives whole seconds, the second
in which a limit changes getting the lower limit, so a start may land one second either side.

Unit arithmetic of this station (smart_charging/limit_applier.py): 230 V, 3 phases, so
1 A per phase = 690 W from the grid; the connector rating of 150 kW DC at 95 % efficiency is
157 894.7 W = 228.8 A from the grid (rounded down to tenths).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ocpp.exceptions import OCPPError

from central_system import CentralSystem, now_iso
from station_harness import RunningStation, running_station, start_local_session

VALID = "VALIDTAG1"
CONNECTOR_RATING_A = 228.8
W_PER_A = 690.0
EFFICIENCY = 0.95


def profile(
    profile_id: int,
    purpose: str,
    periods: list[tuple[int, float]],
    *,
    stack: int = 0,
    kind: str = "Absolute",
    unit: str = "A",
    duration: int | None = None,
    start: str | None = None,
    transaction_id: int | None = None,
) -> dict[str, Any]:
    schedule: dict[str, Any] = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [{"startPeriod": s, "limit": limit} for s, limit in periods],
    }
    if duration is not None:
        schedule["duration"] = duration
    if kind == "Absolute":
        schedule["startSchedule"] = start or now_iso()
    body: dict[str, Any] = {
        "chargingProfileId": profile_id,
        "stackLevel": stack,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
        "chargingSchedule": schedule,
    }
    if transaction_id is not None:
        body["transactionId"] = transaction_id
    return body


async def set_profile(rs: RunningStation, connector_id: int, body: dict[str, Any]) -> str:
    answer = await rs.call(
        "SetChargingProfile", {"connectorId": connector_id, "csChargingProfiles": body}
    )
    status: str = answer["status"]
    return status


async def composite(
    rs: RunningStation, connector_id: int, duration: int, unit: str = "A"
) -> dict[str, Any]:
    answer = await rs.call(
        "GetCompositeSchedule",
        {"connectorId": connector_id, "duration": duration, "chargingRateUnit": unit},
    )
    assert answer["status"] == "Accepted", answer
    assert answer["connectorId"] == connector_id
    schedule = answer["chargingSchedule"]
    assert schedule["duration"] == duration
    assert schedule["chargingRateUnit"] == unit
    # Errata 3.57: the start is the top-level scheduleStart only.
    assert "startSchedule" not in schedule
    return answer


def periods(answer: dict[str, Any]) -> list[tuple[int, float]]:
    return [
        (p["startPeriod"], float(p["limit"]))
        for p in answer["chargingSchedule"]["chargingSchedulePeriod"]
    ]


def elapsed_s(answer: dict[str, Any], since_iso: str) -> float:
    """Seconds from ``since_iso`` to the composite's scheduleStart."""
    return (_parse(answer["scheduleStart"]) - _parse(since_iso)).total_seconds()


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_periods(
    got: list[tuple[int, float]], expected: list[tuple[int, float]], shift: float = 0.0
) -> None:
    assert [limit for _, limit in got] == [limit for _, limit in expected], got
    assert got[0][0] == 0
    for (start, _), (nominal, _) in zip(got[1:], expected[1:], strict=True):
        at = nominal - shift
        assert at - 1 <= start <= at + 1, (got, expected, shift)


def assert_starts_now(answer: dict[str, Any]) -> None:
    # Errata 3.29: the schedule starts at the receipt of the request.
    lag = (datetime.now(UTC) - _parse(answer["scheduleStart"])).total_seconds()
    assert 0 <= lag < 2, answer["scheduleStart"]


async def remote_charging(rs: RunningStation, **extra: Any) -> tuple[str, Any]:
    """OCTT state "Charging" by RemoteStartTransaction; the answer and StartTransaction."""
    cs = rs.cs
    mark = cs.mark()
    rs.plug_in(1)
    await rs.status(1, "Preparing", since=mark)
    answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID, **extra})
    if answer["status"] != "Accepted":
        return answer["status"], None
    start = await cs.wait_for("StartTransaction", since=mark)
    await rs.status(1, "Charging", since=mark)
    await cs.wait_for_transaction_id(start)
    return answer["status"], start


# -- OCTT cases -----------------------------------------------------------------------------


async def test_TC_056_tx_default_profile(central_system: CentralSystem, tmp_path: Path) -> None:
    async with running_station(central_system, tmp_path) as rs:
        body = profile(1, "TxDefaultProfile", [(0, 6.0)])
        assert await set_profile(rs, 1, body) == "Accepted"
        answer = await composite(rs, 1, 300)
        assert_starts_now(answer)
        assert periods(answer) == [(0, 6.0)]
        # The same limit in W is grid power: 6 A x 230 V x 3 phases.
        assert periods(await composite(rs, 1, 300, "W")) == [(0, 6 * W_PER_A)]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


@pytest.mark.parametrize("kind", ["Absolute", "Recurring", "Relative"])
async def test_TC_056_composite_covers_the_requested_duration_after_the_profile_ends(
    central_system: CentralSystem, tmp_path: Path, kind: str
) -> None:
    """Section 7.13 / errata 3.29: the composite covers the whole requested duration. Where
    the profile's duration ends, the station's own limit (the connector rating, in the
    requested unit) follows; a profile on whole seconds is reported on the same seconds."""
    async with running_station(central_system, tmp_path) as rs:
        rating = {unit: periods(await composite(rs, 1, 60, unit)) for unit in ("A", "W")}
        assert rating["A"] == [(0, CONNECTOR_RATING_A)]
        # Started one whole second ago (Recurring: daily, first occurrence yesterday).
        started_ms = (int(datetime.now(UTC).timestamp()) - 1) * 1000
        first_ms = started_ms - 86_400_000 if kind == "Recurring" else started_ms
        body = profile(
            20,
            "TxDefaultProfile",
            [(0, 6.0), (60, 10.0), (120, 8.0)],
            kind=kind,
            duration=300,
            start=_iso(first_ms),
        )
        if kind == "Recurring":
            body["recurrencyKind"] = "Daily"
            body["chargingSchedule"]["startSchedule"] = _iso(first_ms)
        assert await set_profile(rs, 1, body) == "Accepted"
        for duration, unit in ((300, "A"), (400, "A"), (400, "W")):
            answer = await composite(rs, 1, duration, unit)
            assert_starts_now(answer)
            start_ms = int(_parse(answer["scheduleStart"]).timestamp() * 1000)
            # Relative (no transaction) starts at the request itself.
            elapsed_ms = 0 if kind == "Relative" else start_ms - started_ms
            assert elapsed_ms % 1000 == 0, answer["scheduleStart"]
            k = elapsed_ms // 1000
            per_a = 1.0 if unit == "A" else W_PER_A
            expected = [(0, 6.0 * per_a), (60 - k, 10.0 * per_a), (120 - k, 8.0 * per_a)]
            if 300 - k < duration:
                expected.append((300 - k, rating[unit][0][1]))
            assert periods(answer) == expected, (kind, duration, unit, k)


async def test_TC_057_tx_profile(central_system: CentralSystem, tmp_path: Path) -> None:
    async with running_station(central_system, tmp_path) as rs:
        tx_id = await start_local_session(rs)
        body = profile(2, "TxProfile", [(0, 8.0)], kind="Relative", transaction_id=tx_id)
        assert await set_profile(rs, 1, body) == "Accepted"
        answer = await composite(rs, 1, 300)
        assert_starts_now(answer)
        assert periods(answer) == [(0, 8.0)]


async def test_TC_058_1_tx_profile_without_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        body = profile(3, "TxProfile", [(0, 8.0)], kind="Relative", transaction_id=1)
        assert await set_profile(rs, 1, body) == "Rejected"
        assert periods(await composite(rs, 1, 60)) == [(0, CONNECTOR_RATING_A)]


async def test_TC_058_2_tx_profile_wrong_transaction_id(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        tx_id = await start_local_session(rs)
        body = profile(4, "TxProfile", [(0, 8.0)], kind="Relative", transaction_id=tx_id + 1)
        assert await set_profile(rs, 1, body) == "Rejected"
        assert periods(await composite(rs, 1, 60)) == [(0, CONNECTOR_RATING_A)]


async def test_TC_059_remote_start_with_charging_profile(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        tx_profile = profile(5, "TxProfile", [(0, 6.0)], kind="Relative")
        status, _ = await remote_charging(rs, chargingProfile=tx_profile)
        assert status == "Accepted"
        assert periods(await composite(rs, 1, 300)) == [(0, 6.0)]
        # The TxProfile ends with its transaction.
        mark = rs.cs.mark()
        rs.plug_out(1)
        await rs.cs.wait_for("StopTransaction", since=mark)
        assert periods(await composite(rs, 1, 300)) == [(0, CONNECTOR_RATING_A)]


async def test_TC_060_remote_start_with_non_tx_profile_rejected(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        default = profile(6, "TxDefaultProfile", [(0, 6.0)], kind="Relative")
        status, _ = await remote_charging(rs, chargingProfile=default)
        assert status == "Rejected"
        assert not rs.cs.messages("StartTransaction")


async def test_TC_066_get_composite_schedule(central_system: CentralSystem, tmp_path: Path) -> None:
    configuration = {"MaxChargingProfilesInstalled": 3, "ChargingScheduleMaxPeriods": 5}
    async with running_station(central_system, tmp_path, configuration=configuration) as rs:
        _, start = await remote_charging(rs)
        tx_id = await rs.cs.wait_for_transaction_id(start)
        cp_max = profile(10, "ChargePointMaxProfile", [(0, 10.0)])
        assert await set_profile(rs, 0, cp_max) == "Accepted"
        default = profile(
            11,
            "TxDefaultProfile",
            [(0, 6.0), (60, 10.0), (120, 8.0), (180, 15.0), (260, 8.0)],
            kind="Relative",
            duration=300,
        )
        assert await set_profile(rs, 1, default) == "Accepted"
        tx_profile = profile(
            12,
            "TxProfile",
            [(0, 8.0), (50, 11.0), (140, 16.0), (200, 6.0), (240, 12.0)],
            kind="Relative",
            duration=260,
            transaction_id=tx_id,
        )
        assert await set_profile(rs, 1, tx_profile) == "Accepted"
        answer = await composite(rs, 1, 400)
        assert_starts_now(answer)
        # The document lists 8, 10 @50, 6 @200, 10 @240 and stops there. After the
        # TxProfile's 260 s the TxDefaultProfile is in force again (errata 3.43-3.45: fall
        # back when a duration ends; libocpp, which passes OCTT, does the same), 8 @260, and
        # after its 300 s the connector rating, capped at 10 by the CPMax.
        assert_periods(
            periods(answer),
            [(0, 8.0), (50, 10.0), (200, 6.0), (240, 10.0), (260, 8.0), (300, 10.0)],
            elapsed_s(answer, start.payload["timestamp"]),
        )


async def test_TC_067_clear_charging_profile(central_system: CentralSystem, tmp_path: Path) -> None:
    async with running_station(central_system, tmp_path) as rs:
        begin = now_iso()
        level1 = profile(
            20, "TxDefaultProfile", [(0, 6.0), (100, 8.0), (200, 10.0)], stack=1, start=begin
        )
        level0 = profile(21, "TxDefaultProfile", [(0, 7.0), (100, 9.0)], start=begin)
        cp_max = profile(22, "ChargePointMaxProfile", [(0, 11.0), (200, 12.0)], start=begin)
        assert await set_profile(rs, 1, level1) == "Accepted"
        assert await set_profile(rs, 1, level0) == "Accepted"
        assert await set_profile(rs, 0, cp_max) == "Accepted"
        answer = await composite(rs, 1, 300)
        shift = elapsed_s(answer, begin)
        assert_periods(periods(answer), [(0, 6.0), (100, 8.0), (200, 10.0)], shift)

        assert (await rs.call("ClearChargingProfile", {"id": 20}))["status"] == "Accepted"
        answer = await composite(rs, 1, 300)
        assert_periods(periods(answer), [(0, 7.0), (100, 9.0)], elapsed_s(answer, begin))

        cleared = await rs.call(
            "ClearChargingProfile", {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0}
        )
        assert cleared["status"] == "Accepted"
        answer = await composite(rs, 1, 300)
        assert_periods(periods(answer), [(0, 11.0), (200, 12.0)], elapsed_s(answer, begin))

        assert (await rs.call("ClearChargingProfile", {}))["status"] == "Accepted"
        assert periods(await composite(rs, 1, 300)) == [(0, CONNECTOR_RATING_A)]
        assert (await rs.call("ClearChargingProfile", {}))["status"] == "Unknown"


async def test_TC_072_stacking_charging_profiles(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        begin = now_iso()
        level0 = profile(
            30, "TxDefaultProfile", [(0, 6.0), (100, 8.0), (200, 10.0)], duration=400, start=begin
        )
        level1 = profile(
            31, "TxDefaultProfile", [(0, 7.0), (100, 9.0)], stack=1, duration=150, start=begin
        )
        assert await set_profile(rs, 1, level0) == "Accepted"
        assert await set_profile(rs, 1, level1) == "Accepted"
        # 350 s keeps the end of level 0 (at 400 s from its start) out of the window.
        answer = await composite(rs, 1, 350)
        assert_periods(
            periods(answer),
            [(0, 7.0), (100, 9.0), (150, 8.0), (200, 10.0)],
            elapsed_s(answer, begin),
        )


async def test_TC_082_tx_default_profile_during_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        await start_local_session(rs)
        assert periods(await composite(rs, 1, 60)) == [(0, CONNECTOR_RATING_A)]
        body = profile(40, "TxDefaultProfile", [(0, 6.0)], kind="Relative")
        assert await set_profile(rs, 0, body) == "Accepted"
        # Errata 3.8: a new TxDefaultProfile applies to the running transaction at once.
        assert periods(await composite(rs, 1, 60)) == [(0, 6.0)]
        await stage_limit(rs, 1, 6 * W_PER_A)


# -- errata and validation ------------------------------------------------------------------


async def test_invalid_profile_is_rejected_whole(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        assert await set_profile(rs, 1, profile(50, "TxDefaultProfile", [(0, 6.0)])) == "Accepted"
        invalid = [
            # Errata 3.43: the first period starts at 0.
            profile(50, "TxDefaultProfile", [(10, 7.0)]),
            # startPeriod must increase.
            profile(50, "TxDefaultProfile", [(0, 7.0), (60, 8.0), (60, 9.0)]),
            # Above ChargeProfileMaxStackLevel (10 by default).
            profile(50, "TxDefaultProfile", [(0, 7.0)], stack=11),
            # Negative limit.
            profile(50, "TxDefaultProfile", [(0, -1.0)]),
            # A ChargePointMaxProfile belongs on connector 0 only.
            profile(51, "ChargePointMaxProfile", [(0, 7.0)]),
            # Errata 3.56: recurrencyKind only on Recurring profiles.
            {**profile(50, "TxDefaultProfile", [(0, 7.0)]), "recurrencyKind": "Daily"},
        ]
        for body in invalid:
            assert await set_profile(rs, 1, body) == "Rejected", body
        # Nothing of them was installed, and the profile they would replace is still there.
        assert periods(await composite(rs, 1, 60)) == [(0, 6.0)]


async def test_section_7_9_absolute_or_recurring_without_start_schedule_is_rejected(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """An Absolute profile's periods are "relative to a fixed point in time defined in the
    schedule" (7.9), a Recurring one restarts at startSchedule (7.37): without it neither
    can be executed, so SetChargingProfile answers Rejected ("will not be executed", 7.11)
    and installs nothing."""
    async with running_station(central_system, tmp_path) as rs:
        rating = periods(await composite(rs, 1, 60))
        absolute = profile(60, "TxDefaultProfile", [(0, 6.0)])
        del absolute["chargingSchedule"]["startSchedule"]
        recurring = {**profile(61, "TxDefaultProfile", [(0, 6.0)], kind="Recurring")}
        recurring["recurrencyKind"] = "Daily"
        for body in (absolute, recurring):
            assert "startSchedule" not in body["chargingSchedule"]
            assert await set_profile(rs, 1, body) == "Rejected", body
        assert periods(await composite(rs, 1, 60)) == rating


async def test_invalid_connector_id_is_property_constraint_violation(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        # Errata 3.39.
        with pytest.raises(OCPPError) as info:
            await set_profile(rs, 3, profile(60, "TxDefaultProfile", [(0, 6.0)]))
        assert info.value.code == "PropertyConstraintViolation"
        # Errata 3.24/3.38: an unknown chargingRateUnit, sent raw past the CS's own schema.
        frame = (
            '[2,"gcs-1","GetCompositeSchedule",'
            '{"connectorId":1,"duration":60,"chargingRateUnit":"kW"}]'
        )
        reply = await rs.cs.send_raw(rs.cp_id, frame)
        assert reply is not None and reply[0] == 4
        assert reply[2] == "PropertyConstraintViolation"
        answer = await rs.call("GetCompositeSchedule", {"connectorId": 3, "duration": 60})
        assert answer["status"] == "Rejected"


async def test_replacement_by_purpose_and_stack_level_at_capacity(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    configuration = {"MaxChargingProfilesInstalled": 1}
    async with running_station(central_system, tmp_path, configuration=configuration) as rs:
        assert await set_profile(rs, 1, profile(70, "TxDefaultProfile", [(0, 6.0)])) == "Accepted"
        # Same purpose and stackLevel on the same connector: a replacement, still accepted.
        assert await set_profile(rs, 1, profile(71, "TxDefaultProfile", [(0, 9.0)])) == "Accepted"
        assert periods(await composite(rs, 1, 60)) == [(0, 9.0)]
        # A second profile beyond MaxChargingProfilesInstalled.
        extra = profile(72, "TxDefaultProfile", [(0, 5.0)], stack=1)
        assert await set_profile(rs, 1, extra) == "Rejected"
        assert (await rs.call("ClearChargingProfile", {"id": 70}))["status"] == "Unknown"


async def test_profiles_persist_across_restart(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        assert await set_profile(rs, 0, profile(80, "TxDefaultProfile", [(0, 10.0)])) == "Accepted"
        assert await set_profile(rs, 0, profile(81, "ChargePointMaxProfile", [(0, 20.0)])) == (
            "Accepted"
        )
        mark = cs.mark()
        assert (await rs.call("Reset", {"type": "Hard"}))["status"] == "Accepted"
        await cs.wait_for("BootNotification", since=mark)
        await rs.status(1, "Available", since=mark)
        # Errata 3.37: both profiles survived the reboot and are in force again.
        assert periods(await composite(rs, 1, 60)) == [(0, 10.0)]
        assert periods(await composite(rs, 0, 60)) == [(0, 20.0)]
        await stage_limit(rs, 1, 10 * W_PER_A)


# -- limits reaching the power stage -------------------------------------------------------


async def test_limit_reaches_the_power_stage_and_the_meter(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        tx_id = await start_local_session(rs)
        # Charging well above the limit to come, so the meter has to follow it down.
        await rs.wait(lambda: _power_w(rs, 1) > 20_000, timeout=20)
        body = profile(90, "TxProfile", [(0, 10.0)], kind="Relative", transaction_id=tx_id)
        assert await set_profile(rs, 1, body) == "Accepted"
        limit_w = 10 * W_PER_A
        await stage_limit(rs, 1, limit_w)
        await rs.wait(lambda: 0 < _power_w(rs, 1) <= limit_w, timeout=10)
        # Cleared: the hardware limit only, and the power rises again.
        assert (await rs.call("ClearChargingProfile", {"id": 90}))["status"] == "Accepted"
        await stage_limit(rs, 1, None)
        await rs.wait(lambda: _power_w(rs, 1) > 2 * limit_w, timeout=20)


async def test_zero_limit_suspends_and_schedule_step_resumes(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await start_local_session(rs)
        mark = cs.mark()
        # 0 A now, 16 A two seconds later: the step comes from the engine's next-change
        # instant (a timer), not from a request.
        body = profile(91, "TxDefaultProfile", [(0, 0.0), (2, 16.0)])
        assert await set_profile(rs, 1, body) == "Accepted"
        await rs.status(1, "SuspendedEVSE", since=mark)
        await stage_limit(rs, 1, 0.0)
        await rs.status(1, "Charging", since=mark, timeout=5)
        await stage_limit(rs, 1, 16 * W_PER_A)


async def test_charge_point_max_is_shared_by_the_charging_connectors(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        await start_local_session(rs, 1, VALID)
        await start_local_session(rs, 2, "VALIDTAG2")
        cap = profile(92, "ChargePointMaxProfile", [(0, 20.0)])
        assert await set_profile(rs, 0, cap) == "Accepted"
        # The stage takes one limit per connector: 20 A for the station is 10 A each, so
        # the sum of the setpoints never exceeds the ChargePointMaxProfile.
        await stage_limit(rs, 1, 10 * W_PER_A)
        await stage_limit(rs, 2, 10 * W_PER_A)
        # One transaction ends: the other may have the whole cap.
        mark = rs.cs.mark()
        rs.plug_out(2)
        await rs.cs.wait_for("StopTransaction", since=mark)
        await stage_limit(rs, 1, 20 * W_PER_A)


async def stage_limit(rs: RunningStation, connector_id: int, grid_w: float | None) -> None:
    """Wait (bounded) until the stage holds the DC limit of ``grid_w`` from the grid.

    The stage takes commands on its loop thread; its snapshot shows them a tick later.
    """
    expected = None if grid_w is None else grid_w * EFFICIENCY

    def holds() -> bool:
        value = _stage_limit_w(rs, connector_id)
        if expected is None or value is None:
            return value is expected
        return abs(value - expected) < 1.0

    await rs.wait(holds, timeout=2)


def _stage_connector(rs: RunningStation, connector_id: int) -> dict[str, Any]:
    snapshot = rs.sim.power.snapshot()
    found: dict[str, Any] = next(c for c in snapshot["connectors"] if c["id"] == connector_id)
    return found


def _stage_limit_w(rs: RunningStation, connector_id: int) -> float | None:
    """The DC limit the stage holds: grid limit x efficiency (power_bridge.py)."""
    value = _stage_connector(rs, connector_id)["limit_w"]
    return None if value is None else float(value)


def _power_w(rs: RunningStation, connector_id: int) -> float:
    return float(rs.station.hardware.meter.read(connector_id).power_w)
