"""Slow flash must not stop the power (issue 17, item 2).

`chargestack run` with every fsync and fdatasync slowed to 200 ms and to 1 s by an LD_PRELOAD
shim (cheap eMMC under load): a whole session charges, the supervisor watchdog never trips,
and no sync runs on the event loop's thread. The latency of central-system CALLs that need
no commit is measured and printed (a behaviour check, not a wall-clock threshold, decides).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import pytest
from ocpp.exceptions import InternalError

from central_system import CentralSystem
from certs import make_ca
from fsync_delay import SlowFlash
from security_support import pem
from station_process import StationProcess, write_station_file

TAG = "SLOWFLASH1"
CONFIG = {
    "MeterValueSampleInterval": 1,
    "MinimumStatusDuration": 0,
    "HeartbeatInterval": 300,
    "TransactionMessageRetryInterval": 1,
    "StopTxnSampledData": "Energy.Active.Import.Register",
}


async def _measure_calls(
    cs: CentralSystem, cp_id: str, done: asyncio.Event, turn: asyncio.Lock
) -> list[float]:
    """GetConfiguration (reads only) back to back until ``done``; each round trip in ms.

    The central system sends one CALL at a time: ``turn`` keeps the test's own calls from
    being counted as the probe's wait."""
    latencies: list[float] = []
    while not done.is_set():
        async with turn:
            began = time.perf_counter()
            await cs.call(cp_id, "GetConfiguration", {"key": ["HeartbeatInterval"]})
            latencies.append((time.perf_counter() - began) * 1000)
        await asyncio.sleep(0.02)
    return latencies


@pytest.mark.parametrize("delay_ms", [200, 1000])
async def test_a_whole_session_charges_on_slow_flash(
    central_system: CentralSystem, tmp_path: Path, delay_ms: int
) -> None:
    cs = central_system
    flash = SlowFlash.build(tmp_path / "shim")
    station_file = tmp_path / "station.toml"
    write_station_file(station_file, cs.url, tmp_path / "data", CONFIG)
    sp = StationProcess(station_file, env=flash.environment())
    try:
        await sp.start()
        await cs.wait_for("BootNotification", timeout=30)
        await cs.wait_until(
            lambda: (
                {r.payload["connectorId"] for r in cs.messages("StatusNotification")} >= {0, 1, 2}
            ),
            30,
        )
        flash.set_delay_ms(delay_ms)
        synced_before = len(flash.calls())
        mark = cs.mark()
        done = asyncio.Event()
        turn = asyncio.Lock()
        probe = asyncio.create_task(_measure_calls(cs, "CRASH-CP", done, turn))

        await sp.post("/connectors/1/plug-in")
        await sp.post("/rfid", {"idTag": TAG})
        start = await cs.wait_for("StartTransaction", since=mark, timeout=30)
        tx_id = await cs.wait_for_transaction_id(start, timeout=30)
        await cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == 1 and p["status"] == "Charging",
            since=mark,
            timeout=30,
        )

        def samples() -> int:
            return len(
                [
                    r
                    for r in cs.messages("MeterValues")[mark:]
                    if r.payload.get("transactionId") == tx_id
                ]
            )

        def tripped() -> bool:
            return any(
                r.payload["status"] == "Faulted" for r in cs.messages("StatusNotification")[mark:]
            ) or any(r.payload["transactionId"] == tx_id for r in cs.messages("StopTransaction"))

        await cs.wait_until(lambda: samples() >= 3 or tripped(), 60)
        assert not tripped(), "the session was cut short: " + "".join(sp.stderr_lines[-5:])
        # A certificate file written while charging: its fsyncs are off the loop too.
        root = make_ca(tmp_path, "Slow Flash Root")
        async with turn:
            installed = await cs.call(
                "CRASH-CP",
                "InstallCertificate",
                {"certificateType": "CentralSystemRootCertificate", "certificate": pem(root.cert)},
            )
        assert installed == {"status": "Accepted"}
        await sp.post("/rfid", {"idTag": TAG})
        stop = await cs.wait_for(
            "StopTransaction", lambda p: p["transactionId"] == tx_id, since=mark, timeout=60
        )
        await sp.post("/connectors/1/plug-out")
        done.set()
        latencies = await probe
        # A call whose answer waits for its commit (the central system's CALLs go one at a
        # time, so it is measured apart from the probe).
        changed = time.perf_counter()
        answer = await cs.call(
            "CRASH-CP", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "600"}
        )
        commit_call_ms = (time.perf_counter() - changed) * 1000
        assert answer == {"status": "Accepted"}
        assert await sp.terminate() == 0
    finally:
        await sp.close()

    statuses = [r.payload for r in cs.messages("StatusNotification")[mark:]]
    assert not [s for s in statuses if s["status"] == "Faulted"], statuses
    assert stop.payload["reason"] == "Local"
    assert stop.payload["meterStop"] > start.payload["meterStart"]
    assert not [line for line in sp.stderr_lines if "watchdog" in line]
    slowed = flash.calls()[synced_before:]
    assert [ms for _, ms in slowed].count(delay_ms) >= 3, "the shim did not slow the flash"
    assert [who for who, _ in slowed if who == "main"] == [], "a sync ran on the event loop"
    p50 = statistics.median(latencies)
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 2 else max(latencies)
    print(
        f"\nfsync {delay_ms} ms: {len(latencies)} GetConfiguration p50 {p50:.1f} ms "
        f"p99 {p99:.1f} ms max {max(latencies):.1f} ms; ChangeConfiguration {commit_call_ms:.0f} ms"
    )


async def test_a_change_the_flash_does_not_take_within_storage_answer_s_is_not_confirmed(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """The answer to a CALL that stored something waits for the disk, but not for ever:
    after ``timers.storage_answer_s`` it is a CALLERROR InternalError naming the storage
    (never an answer the central system times out on). The change itself is applied and
    reaches the disk when the flash gets there."""
    cs = central_system
    flash = SlowFlash.build(tmp_path / "shim")
    station_file = tmp_path / "station.toml"
    write_station_file(
        station_file, cs.url, tmp_path / "data", CONFIG, timers={"storage_answer_s": 0.3}
    )
    sp = StationProcess(station_file, env=flash.environment())
    change = {"key": "ConnectionTimeOut", "value": "45"}
    try:
        await sp.start()
        await cs.wait_for("BootNotification", timeout=30)
        flash.set_delay_ms(3000)
        with pytest.raises(InternalError, match="storage"):
            await cs.call("CRASH-CP", "ChangeConfiguration", change)
        # Answered at the bound, before the sync returned.
        assert (await sp.get("/status"))["store"]["commitsNotOnDisk"] > 0
        await sp.wait_status(lambda s: s["store"]["commitsNotOnDisk"] == 0, "on disk", 30)
        flash.set_delay_ms(0)
        found = await cs.call("CRASH-CP", "GetConfiguration", {"key": ["ConnectionTimeOut"]})
        assert found["configurationKey"][0]["value"] == "45"
        assert await cs.call("CRASH-CP", "ChangeConfiguration", change) == {"status": "Accepted"}
        assert await sp.terminate() == 0
    finally:
        await sp.close()
    assert len([line for line in sp.stderr_lines if "not on disk" in line]) == 1
