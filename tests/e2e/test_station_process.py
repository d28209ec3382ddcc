"""The station process: bad files, SIGTERM, SIGKILL and what survives a restart."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

from central_system import CentralSystem
from station_process import booted_station_process, run_cli, write_station_file

CP = "CRASH-CP"


async def test_bad_station_file_names_the_key_and_writes_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    station_file = tmp_path / "station.toml"
    write_station_file(station_file, "ws://127.0.0.1:9/ocpp", data_dir, {})
    text = station_file.read_text().replace(
        "[[connectors]]\nid = 2", "[[connectors]]\nid = 2\nmax_current_a = -5"
    )
    station_file.write_text(text)
    done = await run_cli("run", "--config", str(station_file))
    assert done.code == 2
    assert "connectors.1.max_current_a" in done.output
    assert "-5" in done.output
    assert not data_dir.exists()


async def test_bad_configuration_value_names_the_key(tmp_path: Path) -> None:
    station_file = tmp_path / "station.toml"
    write_station_file(
        station_file, "ws://127.0.0.1:9/ocpp", tmp_path / "data", {"HeartbeatInterval": "often"}
    )
    done = await run_cli("config", "check", str(station_file))
    assert done.code == 2
    assert "HeartbeatInterval" in done.output
    done = await run_cli("run", "--config", str(station_file))
    assert done.code == 2
    assert "HeartbeatInterval" in done.output
    assert "often" in done.output
    assert not (tmp_path / "data").exists()


async def test_not_toml(tmp_path: Path) -> None:
    station_file = tmp_path / "station.toml"
    station_file.write_text("this is = = not toml")
    done = await run_cli("run", "--config", str(station_file))
    assert done.code == 2
    assert "not valid TOML" in done.output


async def test_sigkill_keeps_configuration_availability_and_registration(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with booted_station_process(cs, tmp_path, {"MinimumStatusDuration": 0}) as sp:
        await cs.wait_for("StatusNotification", lambda p: p["connectorId"] == 2)
        answer = await cs.call(
            CP, "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "42"}
        )
        assert answer["status"] == "Accepted"
        answer = await cs.call(CP, "ChangeAvailability", {"connectorId": 2, "type": "Inoperative"})
        assert answer["status"] == "Accepted"
        sp.kill()
        await sp.wait_exit()
        mark = cs.mark()
        await sp.start()
        await cs.wait_for("BootNotification", since=mark, timeout=30)
        await cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == 2 and p["status"] == "Unavailable",
            since=mark,
        )
        got = await cs.call(CP, "GetConfiguration", {"key": ["MeterValueSampleInterval"]})
        assert got["configurationKey"][0]["value"] == "42"
        status = await sp.get("/status")
        assert status["registration"] == "Accepted"
        assert await sp.terminate() == 0


async def test_sigterm_stops_cleanly(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with booted_station_process(cs, tmp_path) as sp:
        connection = (await cs.wait_connected(CP)).connection
        assert await sp.terminate() == 0
        await asyncio.wait_for(connection.wait_closed(), 5)
        assert connection.close_code == 1000


async def test_sigterm_stops_a_running_transaction_with_reason_reboot_before_exiting(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """systemd stops the station: a locally initiated reboot (Reason "Reboot", section 7.34),
    sent before the process is gone."""
    cs = central_system
    async with booted_station_process(cs, tmp_path, {"MinimumStatusDuration": 0}) as sp:
        _, tx_id = await sp.start_session(cs, "TERMTAG")
        assert await sp.terminate() == 0
        stops = cs.messages("StopTransaction")
        assert [s.payload["transactionId"] for s in stops] == [tx_id]
        assert stops[0].payload["reason"] == "Reboot"
        assert stops[0].payload["meterStop"] >= 0


async def test_a_stop_transaction_sigterm_could_not_deliver_is_sent_after_the_next_start(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with booted_station_process(cs, tmp_path, {"MinimumStatusDuration": 0}) as sp:
        _, tx_id = await sp.start_session(cs, "TERMTAG")
        cs.silent_actions.add("StopTransaction")
        # The grace period (timers.drain_s) is bounded: the process ends unanswered.
        assert await sp.terminate() == 0
        unanswered = await cs.wait_for("StopTransaction")
        cs.silent_actions.discard("StopTransaction")
        mark = cs.mark()
        await sp.start()
        stop = await cs.wait_for("StopTransaction", since=mark, timeout=30)
        assert stop.unique_id == unanswered.unique_id, "the same message, from the queue"
        assert stop.payload["transactionId"] == tx_id
        assert stop.payload["reason"] == "Reboot"
        assert await sp.terminate() == 0
    assert len({s.unique_id for s in cs.messages("StopTransaction")}) == 1


async def test_sigusr1_dumps_threads_and_tasks_and_keeps_running(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with booted_station_process(cs, tmp_path) as sp:
        assert sp.proc is not None
        sp.proc.send_signal(signal.SIGUSR1)
        await sp.wait_stderr("asyncio tasks ---")
        await sp.wait_stderr("Stack for <Task")
        dump = "".join(sp.stderr_lines)
        assert "Thread 0x" in dump or "Current thread 0x" in dump
        answer = await cs.call(
            CP, "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}
        )
        assert answer["status"] == "Accepted"
        assert await sp.terminate() == 0


async def test_db_inspect(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with booted_station_process(cs, tmp_path) as sp:
        done = await run_cli("db", "inspect", "--config", str(sp.station_file))
        assert done.code == 1
        assert "chargestack status" in done.output  # the running station holds the file
        assert await sp.terminate() == 0
    done = await run_cli("db", "inspect", "--config", str(sp.station_file))
    assert done.code == 0, done.output
    report = json.loads(done.stdout)
    assert report["queueDepth"] == 0
    assert report["openTransactions"] == []


async def test_power_cut_through_the_control_api(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """OCTT manual action "power loss" (TC_032_2) driven the way an integrator would."""
    cs = central_system
    async with booted_station_process(cs, tmp_path, {"MinimumStatusDuration": 0}) as sp:
        _, tx_id = await sp.start_session(cs, "CUTTAG")
        mark = cs.mark()
        await sp.post("/power-cut")
        await cs.wait_for("BootNotification", since=mark, timeout=30)
        stop = await cs.wait_for("StopTransaction", since=mark, timeout=10)
        assert stop.payload["transactionId"] == tx_id
        assert stop.payload["reason"] == "PowerLoss"
        assert await sp.terminate() == 0


async def test_TC_015_hard_reset_restarts_the_process_and_keeps_the_stop(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Reset Hard restarts the whole software, as a controller reboots (the same PID: the
    process replaces itself, so it prints its control API anew). The transaction stops
    with reason HardReset before that; its StopTransaction, unanswered before the restart,
    is on disk and reaches the central system from the new process, with the same unique
    id. The EV is still plugged after the reboot (TC_015: Finishing or Preparing)."""
    cs = central_system
    # The stop is journalled at once; waiting for its answer is cut short.
    timers = {"drain_s": 0.3}
    configuration = {"MinimumStatusDuration": 0}
    async with booted_station_process(cs, tmp_path, configuration, timers=timers) as sp:
        await cs.wait_for("StatusNotification", lambda p: p["connectorId"] == 2)
        assert sp.proc is not None
        pid = sp.proc.pid
        _, tx_id = await sp.start_session(cs, "RESETTAG")
        cs.silent_actions.add("StopTransaction")
        lines, mark = len(sp.stderr_lines), cs.mark()
        answer = await cs.call(CP, "Reset", {"type": "Hard"})
        assert answer["status"] == "Accepted"
        unanswered = await cs.wait_for("StopTransaction", since=mark)
        assert unanswered.payload["transactionId"] == tx_id
        assert unanswered.payload["reason"] == "HardReset"
        cs.silent_actions.discard("StopTransaction")
        await sp.wait_api(since=lines, timeout=30)
        assert sp.proc.returncode is None and sp.proc.pid == pid
        after = cs.received.index(unanswered) + 1
        boot = await cs.wait_for("BootNotification", since=after, timeout=30)
        delivered = await cs.wait_for("StopTransaction", since=cs.received.index(boot), timeout=10)
        assert delivered.unique_id == unanswered.unique_id
        assert delivered.payload == unanswered.payload
        await cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == 1 and p["status"] in ("Finishing", "Preparing"),
            since=cs.received.index(boot),
        )
        # The central system has the StopTransaction before the station has its answer:
        # the queue empties once that answer is read.
        await sp.wait_status(lambda s: s["queueDepth"] == 0, "the delivered stop left the queue")
        assert await sp.terminate() == 0


async def test_hard_reset_with_restart_exit_ends_the_process_for_the_supervisor(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """With `[firmware] restart = "exit"` a Hard reset ends the process with exit code 4 and
    the supervisor starts a new one; the EV plugged in before is plugged in after."""
    cs = central_system
    extra = '\n[firmware]\nrestart = "exit"\n'
    async with booted_station_process(
        cs, tmp_path, {"MinimumStatusDuration": 0}, extra=extra
    ) as sp:
        await cs.wait_for("StatusNotification", lambda p: p["connectorId"] == 2)
        await sp.post("/connectors/1/plug-in")
        await cs.wait_for(
            "StatusNotification", lambda p: p["connectorId"] == 1 and p["status"] == "Preparing"
        )
        assert sp.proc is not None
        pid = sp.proc.pid
        answer = await cs.call(CP, "Reset", {"type": "Hard"})
        assert answer["status"] == "Accepted"
        assert await asyncio.wait_for(sp.wait_exit(), 30) == 4
        mark = cs.mark()
        await sp.start()
        assert sp.proc.pid != pid
        boot = await cs.wait_for("BootNotification", since=mark, timeout=30)
        await cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == 1 and p["status"] == "Preparing",
            since=cs.received.index(boot),
        )
        assert await sp.terminate() == 0
