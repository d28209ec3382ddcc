"""OCTT core cases of boot, registration and the heartbeat (TC_001, TC_002)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from central_system import CentralSystem, now_iso
from station_harness import running_station


async def test_TC_001_cold_boot_rejected_then_accepted(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    answers = iter(["Rejected", "Accepted"])
    cs.responders["BootNotification"] = lambda _p: {
        "status": next(answers),
        "currentTime": now_iso(),
        "interval": 1,
    }
    async with running_station(cs, tmp_path, boot=False) as rs:
        first = await cs.wait_for("BootNotification")
        second = await cs.wait_for("BootNotification", since=cs.received.index(first) + 1)
        # Silent while rejected: nothing between the two boots, and they are an interval apart.
        between = cs.received[cs.received.index(first) + 1 : cs.received.index(second)]
        assert between == []
        assert second.at - first.at >= 0.9
        for cid in (0, 1, 2):
            await rs.status(cid, "Available")
        heartbeat = await cs.wait_for("Heartbeat", timeout=5)
        assert heartbeat.at > second.at
        assert first.payload["chargePointVendor"] == "Chargestack"
        assert first.payload["firmwareVersion"] == "1.0.0"


async def test_TC_002_cold_boot_pending(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    answers = iter(["Pending", "Accepted"])
    cs.responders["BootNotification"] = lambda _p: {
        "status": next(answers),
        "currentTime": now_iso(),
        "interval": 2,
    }
    async with running_station(cs, tmp_path, boot=False) as rs:
        first = await cs.wait_for("BootNotification")
        # While pending the charge point answers the central system...
        config = await rs.call("GetConfiguration", {})
        keys = {k["key"] for k in config["configurationKey"]}
        assert "HeartbeatInterval" in keys
        changed = await rs.call(
            "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"}
        )
        assert changed["status"] == "Accepted"
        remote = await rs.call("RemoteStartTransaction", {"idTag": "TAG1", "connectorId": 1})
        assert remote["status"] == "Rejected"
        # ...but sends nothing of its own until it boots again after the interval.
        second = await cs.wait_for("BootNotification", since=cs.received.index(first) + 1)
        own = [
            r.action for r in cs.received[cs.received.index(first) + 1 : cs.received.index(second)]
        ]
        assert own == []
        for cid in (0, 1, 2):
            await rs.status(cid, "Available")
        await cs.wait_for("Heartbeat", timeout=5)


@pytest.mark.parametrize("status", ["Pending", "Rejected"])
async def test_a_boot_answer_with_interval_0_is_retried_after_the_boot_retry_time(
    central_system: CentralSystem, tmp_path: Path, status: str
) -> None:
    """Not Accepted, interval is "the minimum wait time before sending a next
    BootNotification": 0 would allow a retry at once, answer after answer; the station waits
    [timers] boot_retry_s instead (the harness: 0.5 s)."""
    cs = central_system
    answers = iter([status, "Accepted"])
    cs.responders["BootNotification"] = lambda _p: {
        "status": next(answers),
        "currentTime": now_iso(),
        "interval": 0,
    }
    async with running_station(cs, tmp_path, boot=False):
        first = await cs.wait_for("BootNotification")
        second = await cs.wait_for("BootNotification", since=cs.received.index(first) + 1)
        assert second.at - first.at >= 0.45


async def test_section_4_2_a_rejected_charge_point_answers_no_call_until_it_boots_again(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Section 4.2: "While Rejected, the Charge Point SHALL NOT respond to any Central System
    initiated message": a CALL of that time gets no answer, ever; once Accepted, CALLs are
    answered again."""
    cs = central_system
    answers = iter(["Rejected", "Accepted"])
    cs.responders["BootNotification"] = lambda _p: {
        "status": next(answers),
        "currentTime": now_iso(),
        "interval": 2,
    }
    async with running_station(cs, tmp_path, boot=False) as rs:
        first = await cs.wait_for("BootNotification")
        # The CALL goes once the station has read the Rejected answer, not merely once the
        # central system has seen the BootNotification.
        await rs.wait(lambda: rs.station.registration.status.value == "Rejected")
        frame = json.dumps([2, "while-rejected", "GetConfiguration", {}])
        reply = asyncio.create_task(cs.send_raw(rs.cp_id, frame, timeout=30))
        await cs.wait_for("BootNotification", since=cs.received.index(first) + 1)
        await rs.status(0, "Available")
        try:
            assert not reply.done(), reply.result()
        finally:
            reply.cancel()
        # Answered now, with the interval of the Accepted BootNotification.conf.
        answered = await rs.call("GetConfiguration", {"key": ["HeartbeatInterval"]})
        assert answered["configurationKey"][0]["value"] == "2"


@pytest.mark.parametrize("status", ["Pending", "Rejected"])
async def test_section_4_2_a_new_connection_does_not_cut_the_boot_interval_short(
    central_system: CentralSystem, tmp_path: Path, status: str
) -> None:
    """Section 4.2: not Accepted, "interval" is "the minimum wait time before sending a next
    BootNotification request" (Rejected: no OCPP message at all until it expired). The central
    system "MAY close the communication channel" meanwhile: the charge point reconnects, but
    boots again only once the interval has passed."""
    cs = central_system
    answers = iter([status, "Accepted"])
    cs.responders["BootNotification"] = lambda _p: {
        "status": next(answers),
        "currentTime": now_iso(),
        "interval": 2,
    }
    async with running_station(cs, tmp_path, boot=False) as rs:
        first = await cs.wait_for("BootNotification")
        await rs.wait(lambda: rs.station.registration.status.value == status)
        await cs.disconnect(rs.cp_id)
        await cs.wait_until(lambda: cs.connect_count.get(rs.cp_id, 0) >= 2)
        second = await cs.wait_for("BootNotification", since=cs.received.index(first) + 1)
        assert second.at - first.at >= 1.9
        await rs.status(0, "Available")
