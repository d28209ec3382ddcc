"""Why a fault ends a transaction (OCPP 1.6 section 7.36, Reason): EmergencyStop is the
emergency stop button's ("Emergency stop button was used"); any other fault of the charger,
a power module's or the cabinet's, is Other ("Any other reason")."""

from __future__ import annotations

from pathlib import Path

from central_system import CentralSystem
from station_harness import running_station, start_local_session
from station_process import booted_station_process


async def test_module_faults_that_leave_a_connector_no_power_stop_it_with_reason_other(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """Driven through the control API, as the OCTT manual action "fault" is."""
    cs = central_system
    async with booted_station_process(cs, tmp_path, {"MinimumStatusDuration": 0}) as sp:
        _, tx_id = await sp.start_session(cs, "VALIDTAG1")
        await cs.wait_for("StatusNotification", lambda p: p["status"] == "Charging")
        modules = (await sp.get("/power"))["modules"]
        # One module lost: the others take its share and the session goes on.
        mark = cs.mark()
        await sp.post("/power/modules/0/faults", {"fault": "Dead"})
        for module in modules[1:]:
            assert not cs.messages("StopTransaction")
            await sp.post(f"/power/modules/{module['index']}/faults", {"fault": "OutputShort"})
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert (stop.payload["transactionId"], stop.payload["reason"]) == (tx_id, "Other")
        faulted = await cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == 1 and p["status"] == "Faulted",
            since=mark,
        )
        assert faulted.payload["errorCode"] == "InternalError"
        # A module back: the connector can be served again.
        mark = cs.mark()
        await sp.delete("/power/modules/0/faults")
        await cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == 1 and p["status"] == "Finishing",
            since=mark,
        )
        assert await sp.terminate() == 0


async def test_only_the_emergency_stop_ends_transactions_with_reason_emergency_stop(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        tx1 = await start_local_session(rs, 1, "VALIDTAG1")
        tx2 = await start_local_session(rs, 2, "VALIDTAG2")
        mark = cs.mark()
        # A fault of the whole charger that is not the button: the cabinet overheats.
        rs.sim.raise_fault(0, "HighTemperature", "cabinet too hot")
        stops = {}
        for tx in (tx1, tx2):
            stop = await cs.wait_for(
                "StopTransaction", lambda p, tx=tx: p["transactionId"] == tx, since=mark
            )
            stops[tx] = stop.payload["reason"]
        assert stops == {tx1: "Other", tx2: "Other"}
        rs.sim.clear_fault(0)
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)
        tx3 = await start_local_session(rs, 1, "VALIDTAG3")
        mark = cs.mark()
        # The button, as the digital I/O reports it (docs/drivers.md).
        rs.sim.raise_fault(0, "OtherError", "emergency stop pressed", "EmergencyStop")
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert (stop.payload["transactionId"], stop.payload["reason"]) == (tx3, "EmergencyStop")
