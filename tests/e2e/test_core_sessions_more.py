"""More OCTT core session cases: EV-side disconnect, cached ids, power failure, data bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from central_system import CentralSystem
from chargestack.station.control_target import RunnerControlTarget
from station_harness import (
    RunningStation,
    abandon_transaction,
    running_station,
    start_local_session,
)

VALID = "VALIDTAG1"


async def unplugged_at_the_ev(rs: RunningStation, tx_id: int, reason: str | None) -> int:
    """Unplug connector 1's cable at the EV side; with ``reason``, wait for the
    StopTransaction of ``tx_id`` it brings. The mark taken before the unplug."""
    mark = rs.cs.mark()
    rs.ev_unplug(1)
    if reason is not None:
        stop = await rs.cs.wait_for("StopTransaction", since=mark)
        assert (stop.payload["transactionId"], stop.payload["reason"]) == (tx_id, reason)
    return mark


async def test_TC_005_1_ev_side_disconnect_stops_and_unlocks(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    config = {"StopTransactionOnEVSideDisconnect": True, "UnlockConnectorOnEVSideDisconnect": True}
    async with running_station(
        central_system, tmp_path, fixed_cable=False, configuration=config
    ) as rs:
        tx_id = await start_local_session(rs)
        socket = rs.simulator.connector(1)
        assert socket.is_locked()
        mark = await unplugged_at_the_ev(rs, tx_id, "EVDisconnected")
        # The cable is still in the socket, now unlocked: Finishing until it is taken out.
        await rs.status(1, "Finishing", since=mark)
        assert not socket.is_locked()
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)


async def test_TC_005_2_ev_side_disconnect_stops_and_keeps_the_lock(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    config = {"StopTransactionOnEVSideDisconnect": True, "UnlockConnectorOnEVSideDisconnect": False}
    async with running_station(
        central_system, tmp_path, fixed_cable=False, configuration=config
    ) as rs:
        tx_id = await start_local_session(rs)
        mark = await unplugged_at_the_ev(rs, tx_id, "EVDisconnected")
        await rs.status(1, "Finishing", since=mark)
        socket = rs.simulator.connector(1)
        assert socket.is_locked()
        answer = await rs.call("UnlockConnector", {"connectorId": 1})
        assert answer["status"] == "Unlocked"
        assert not socket.is_locked()
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)


async def test_TC_005_3_ev_side_disconnect_continues_locked(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {
        "StopTransactionOnEVSideDisconnect": False,
        "UnlockConnectorOnEVSideDisconnect": False,
    }
    async with running_station(cs, tmp_path, fixed_cable=False, configuration=config) as rs:
        tx_id = await start_local_session(rs)
        mark = await unplugged_at_the_ev(rs, tx_id, None)
        suspended = await rs.status(1, "SuspendedEV", since=mark)
        assert suspended["info"] == "EV side disconnected"
        assert rs.simulator.connector(1).is_locked()
        answer = await rs.call("RemoteStopTransaction", {"transactionId": tx_id})
        assert answer["status"] == "Accepted"
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert (stop.payload["transactionId"], stop.payload["reason"]) == (tx_id, "Remote")
        assert len(cs.messages("StopTransaction")) == 1
        # The cable is still in the socket.
        await rs.status(1, "Finishing", since=mark)


async def test_ev_side_disconnect_of_a_fixed_cable_frees_the_connector(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    config = {"StopTransactionOnEVSideDisconnect": True}
    async with running_station(central_system, tmp_path, configuration=config) as rs:
        tx_id = await start_local_session(rs)
        mark = await unplugged_at_the_ev(rs, tx_id, "EVDisconnected")
        await rs.status(1, "Available", since=mark)


async def test_TC_007_2_remote_start_from_cached_id(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {
        "AuthorizationCacheEnabled": True,
        "LocalPreAuthorize": True,
        "AuthorizeRemoteTxRequests": True,
    }
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await start_local_session(rs)
        rs.present(VALID)
        await cs.wait_for("StopTransaction")
        rs.plug_out(1)
        mark = cs.mark()
        rs.plug_in(1)
        await rs.status(1, "Preparing", since=mark)
        answer = await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID})
        assert answer["status"] == "Accepted"
        await cs.wait_for("StartTransaction", since=mark)
        assert not [r for r in cs.received[mark:] if r.action == "Authorize"]


async def test_TC_061_2_clear_cache_remote(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    config = {
        "AuthorizationCacheEnabled": True,
        "LocalPreAuthorize": True,
        "AuthorizeRemoteTxRequests": True,
    }
    async with running_station(cs, tmp_path, configuration=config) as rs:
        await start_local_session(rs)
        rs.present(VALID)
        await cs.wait_for("StopTransaction")
        # The StopTransaction answer updates the cache too: let it arrive before clearing.
        await rs.wait(lambda: rs.station.store.outbox.depth() == 0)
        rs.plug_out(1)
        assert (await rs.call("ClearCache", {}))["status"] == "Accepted"
        mark = cs.mark()
        await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID})
        await cs.wait_for("Authorize", lambda p: p["idTag"] == VALID, since=mark)


async def test_TC_032_1_power_failure_with_backup_power(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """OCTT manual action "power loss" on a charger with backup power: the transaction
    stops (PowerLoss) and reaches the central system before the controller goes down; after
    power-up it boots, the EV is still connected and the other connector is Available."""
    cs = central_system
    async with running_station(cs, tmp_path, backup_power=True) as rs:
        tx_id = await start_local_session(rs)
        mark = cs.mark()
        await RunnerControlTarget(rs.runner).power_cut()
        boot = await cs.wait_for("BootNotification", since=mark)
        stop = await cs.wait_for("StopTransaction", since=mark)
        finishing = await cs.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == 1 and p["status"] == "Finishing",
            since=mark,
        )
        assert stop.payload["transactionId"] == tx_id
        assert stop.payload["reason"] == "PowerLoss"
        order = cs.received.index
        assert order(stop) < order(boot) and order(finishing) < order(boot)
        after_boot = cs.received.index(boot)
        await rs.status(1, "Preparing", since=after_boot)
        await rs.status(2, "Available", since=after_boot)
        assert len(cs.messages("StopTransaction")) == 1
        assert rs.runner.restarts == 1


async def test_TC_032_2_power_failure_stop_after_reboot(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """In-process variant (the process-level kill -9 test covers more points): the station
    object is abandoned mid-transaction without any shutdown work, as a power cut would."""
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        tx_id = await start_local_session(rs)
        abandon_transaction(rs)  # power cut
    mark = cs.mark()
    async with running_station(cs, tmp_path) as rs:
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert stop.payload["transactionId"] == tx_id
        assert stop.payload["reason"] == "PowerLoss"
        assert len(cs.messages("StopTransaction")) == 1


async def test_stop_transaction_data_is_bounded(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {
        "MeterValueSampleInterval": 1,
        "StopTxnSampledData": "Energy.Active.Import.Register",
    }
    async with running_station(cs, tmp_path, configuration=config) as rs:
        tx_id = await start_local_session(rs)
        for _ in range(4):
            await cs.wait_for(
                "MeterValues", lambda p: p.get("transactionId") == tx_id, since=cs.mark(), timeout=5
            )
        rs.present(VALID)
        stop = await cs.wait_for("StopTransaction")
        data = stop.payload["transactionData"]
        contexts = [v["sampledValue"][0].get("context") for v in data]
        assert contexts[0] == "Transaction.Begin"
        assert contexts[-1] == "Transaction.End"
        assert "Sample.Periodic" in contexts
        bound = int(
            (await rs.call("GetConfiguration", {"key": ["StopTransactionMaxMeterValues"]}))[
                "configurationKey"
            ][0]["value"]
        )
        assert len(data) <= bound


async def test_TC_024_lock_failure_starts_nothing(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path, fixed_cable=False) as rs:
        mark = cs.mark()
        await rs.call("RemoteStartTransaction", {"connectorId": 1, "idTag": VALID})
        await rs.status(1, "Preparing", since=mark)
        rs.sim.arm_lock_failure(1)  # the cable is only half inserted
        rs.plug_in(1)
        faulted = await rs.status(1, "Faulted", since=mark)
        assert faulted["errorCode"] == "ConnectorLockFailure"
        assert not cs.messages("StartTransaction")
        rs.plug_out(1)
        await rs.status(1, "Available", since=mark)


async def test_remote_start_without_connector_skips_a_reservation(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        reserved = await rs.call(
            "ReserveNow",
            {
                "connectorId": 1,
                "expiryDate": "2099-01-01T00:00:00.000Z",
                "idTag": "OTHER",
                "reservationId": 7,
            },
        )
        assert reserved["status"] == "Accepted"
        mark = cs.mark()
        answer = await rs.call("RemoteStartTransaction", {"idTag": VALID})
        assert answer["status"] == "Accepted"
        await rs.status(2, "Preparing", since=mark)
        rs.plug_in(2)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert start.payload["connectorId"] == 2


@pytest.mark.parametrize("unlock", [True, False], ids=["TC_005_1", "TC_005_2"])
async def test_section_4_9_finishing_after_an_ev_side_disconnect_says_why(
    central_system: CentralSystem, tmp_path: Path, unlock: bool
) -> None:
    """Section 4.9: StopTransactionOnEVSideDisconnect true and the EV disconnected on EV side:
    Finishing "with the 'errorCode' field set to: 'NoError'", and in 'info' "the reason of
    stopping: 'EV side disconnected'". Once the cable is out, Available says nothing more."""
    config = {
        "StopTransactionOnEVSideDisconnect": True,
        "UnlockConnectorOnEVSideDisconnect": unlock,
    }
    cs = central_system
    async with running_station(cs, tmp_path, fixed_cable=False, configuration=config) as rs:
        tx_id = await start_local_session(rs)
        mark = await unplugged_at_the_ev(rs, tx_id, "EVDisconnected")
        finishing = await rs.status(1, "Finishing", since=mark)
        assert (finishing["errorCode"], finishing.get("info")) == (
            "NoError",
            "EV side disconnected",
        )
        if not unlock:
            answer = await rs.call("UnlockConnector", {"connectorId": 1})
            assert answer["status"] == "Unlocked"
        rs.plug_out(1)
        available = await rs.status(1, "Available", since=mark)
        assert "info" not in available
