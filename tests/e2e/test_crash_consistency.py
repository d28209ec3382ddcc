"""Power loss at any moment loses no transaction (issue: charging sessions, durability).

The station runs as its own process and is killed with SIGKILL at more than twenty points
of its sessions: during authorization, right after StartTransaction is queued, before and
after the central system answers it, during meter values, during the stop, while offline,
and while the queue is being delivered. After each restart the station must close what was
interrupted (PowerLoss, last recorded register) and deliver its queue. At the end the
central system must have seen every transaction started once and stopped once, with
consistent meter values and never a transactionId it did not give.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from central_system import CentralSystem, Received, _default_response
from station_process import StationProcess, write_station_file

CP = "CRASH-CP"
Action = Callable[[], Awaitable[None]]


class Crasher:
    def __init__(self, cs: CentralSystem, sp: StationProcess) -> None:
        self.cs = cs
        self.sp = sp
        self.sessions = 0

    async def restart(self) -> None:
        await self.sp.wait_exit()
        mark = self.cs.mark()
        await self.sp.start()
        await self.cs.wait_for("BootNotification", since=mark, timeout=30)
        await self.drained()

    async def drained(self) -> None:
        await self.sp.wait_status(
            lambda s: s.get("registration") == "Accepted" and s.get("queueDepth") == 0,
            "the station delivered its queue",
        )

    def online_session(self, tag: str) -> list[tuple[str, Action]]:
        cs, sp = self.cs, self.sp
        state: dict[str, Any] = {}

        async def plug() -> None:
            await sp.post("/connectors/1/plug-in")

        async def present() -> None:
            state["mark"] = cs.mark()
            await sp.post("/rfid", {"idTag": tag})

        async def start_seen() -> None:
            state["start"] = await cs.wait_for(
                "StartTransaction", lambda p: p["idTag"] == tag, since=state["mark"]
            )

        async def start_answered() -> None:
            tx_id = await cs.wait_for_transaction_id(state["start"])
            state["tx"] = tx_id
            await sp.wait_status(
                lambda s: s["connectors"][0].get("transactionId") == tx_id,
                "the station learned its transactionId",
            )

        async def meter_seen() -> None:
            await cs.wait_for(
                "MeterValues", lambda p: p.get("transactionId") == state["tx"], since=state["mark"]
            )

        async def stop_tag() -> None:
            await sp.post("/rfid", {"idTag": tag})

        async def stop_seen() -> None:
            await cs.wait_for(
                "StopTransaction", lambda p: p["transactionId"] == state["tx"], since=state["mark"]
            )

        async def unplug() -> None:
            await sp.post("/connectors/1/plug-out")

        return [
            ("plugged in", plug),
            ("tag presented (authorizing)", present),
            ("StartTransaction at the central system", start_seen),
            ("StartTransaction answered", start_answered),
            ("MeterValues sent", meter_seen),
            ("stop tag presented", stop_tag),
            ("StopTransaction at the central system", stop_seen),
            ("unplugged", unplug),
        ]

    def offline_session(self, tag: str) -> list[tuple[str, Action]]:
        sp = self.sp

        async def disconnect() -> None:
            await sp.post("/network/disconnect")

        async def plug() -> None:
            await sp.post("/connectors/1/plug-in")

        async def present() -> None:
            await sp.post("/rfid", {"idTag": tag})

        async def queued(n: int) -> None:
            await sp.wait_status(lambda s: s.get("queueDepth", 0) >= n, f"queue reached {n}")

        async def start_queued() -> None:
            await queued(1)

        async def meter_queued() -> None:
            await queued(2)

        async def stop_tag() -> None:
            await sp.post("/rfid", {"idTag": tag})

        async def unplug() -> None:
            await sp.post("/connectors/1/plug-out")

        async def reconnect() -> None:
            await sp.post("/network/connect")

        return [
            ("offline", disconnect),
            ("offline: plugged in", plug),
            ("offline: tag presented", present),
            ("offline: StartTransaction queued", start_queued),
            ("offline: MeterValues queued", meter_queued),
            ("offline: stop tag presented", stop_tag),
            ("offline: unplugged", unplug),
            ("back online, delivering the queue", reconnect),
        ]

    async def run_until_kill(self, steps: list[tuple[str, Action]], kill_after: int) -> str:
        for index, (name, action) in enumerate(steps):
            await action()
            if index == kill_after:
                self.sp.kill()
                return name
        raise AssertionError("kill point beyond the session")


def _kill_in_responder(cs: CentralSystem, sp: StationProcess, action: str) -> None:
    """Kill the station after the central system got ``action`` but before it answers."""

    def responder(payload: dict[str, Any]) -> dict[str, Any]:
        del cs.responders[action]
        assert sp.proc is not None
        os.kill(sp.proc.pid, signal.SIGKILL)
        return _default_response(cs, action, payload)

    cs.responders[action] = responder


async def test_no_transaction_lost_across_power_loss(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    station_file = tmp_path / "station.toml"
    config = {
        "MeterValueSampleInterval": 1,
        "MinimumStatusDuration": 0,
        "HeartbeatInterval": 300,
        "TransactionMessageRetryInterval": 1,
        "LocalAuthorizeOffline": True,
        "AllowOfflineTxForUnknownId": True,
        "StopTxnSampledData": "Energy.Active.Import.Register",
    }
    write_station_file(station_file, cs.url, tmp_path / "data", config)
    sp = StationProcess(station_file)
    crasher = Crasher(cs, sp)
    killed_at: list[str] = []
    try:
        await sp.start()
        await cs.wait_for("BootNotification", timeout=30)
        await crasher.drained()
        n = 0
        for kill_after in range(8):
            n += 1
            killed_at.append(
                await crasher.run_until_kill(crasher.online_session(f"ONLINE{n}"), kill_after)
            )
            await crasher.restart()
        for kill_after in range(8):
            n += 1
            killed_at.append(
                await crasher.run_until_kill(crasher.offline_session(f"OFFLINE{n}"), kill_after)
            )
            await crasher.restart()
        for action in ("StartTransaction", "StopTransaction", "MeterValues", "Authorize"):
            n += 1
            _kill_in_responder(cs, sp, action)
            steps = crasher.online_session(f"RESP{n}")
            for _, step in steps:
                try:
                    await step()
                except Exception:
                    break
                if sp.proc is not None and sp.proc.returncode is not None:
                    break
            killed_at.append(f"central system received {action}, not yet answered")
            await crasher.restart()
        assert len(killed_at) >= 20
        # One more ordinary session after all of that, then a graceful stop.
        for _, step in crasher.online_session("FINAL"):
            await step()
        await crasher.drained()
        assert await sp.terminate() == 0
    finally:
        await sp.close()

    starts: dict[str, Received] = {r.unique_id: r for r in cs.messages("StartTransaction")}
    stops: dict[str, Received] = {r.unique_id: r for r in cs.messages("StopTransaction")}
    started_ids = {cs.start_by_unique_id[uid]: starts[uid] for uid in starts}
    stops_by_tx: dict[int, list[Received]] = {}
    for stop in stops.values():
        stops_by_tx.setdefault(stop.payload["transactionId"], []).append(stop)
    assert started_ids, "no transaction reached the central system"
    for tx_id, start in started_ids.items():
        assert len(stops_by_tx.get(tx_id, [])) == 1, (tx_id, killed_at)
        stop = stops_by_tx[tx_id][0]
        assert stop.payload["meterStop"] >= start.payload["meterStart"]
    assert set(stops_by_tx) <= set(started_ids), "a StopTransaction for a transaction never started"
    assert -1 not in stops_by_tx
    power_losses = [s for s in stops.values() if s.payload.get("reason") == "PowerLoss"]
    assert power_losses, "killed sessions must be closed with reason PowerLoss"
