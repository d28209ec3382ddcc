"""TransactionLifecycle on its own: durable start, stop for every reason, the answers, and
recovery after a power loss (fake clock, fake queue; real store and simulator hardware)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from chargestack.hardware import events as hw
from chargestack.ocpp import messages as m
from chargestack.profiles.core.unlock import UnlockService
from chargestack.station.connector_status import Status
from chargestack.station.stop_kind import StopKind
from core_bench import START, CoreBench, core_bench


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[CoreBench]:
    bench = await core_bench(tmp_path)
    await bench.start()
    try:
        yield bench
    finally:
        await bench.close()


async def started(bench: CoreBench, connector_id: int = 1, tag: str = "TAG-1") -> int:
    """Start a transaction on a plugged connector; its journal ref."""
    bench.set_energy(connector_id, 1234.9)
    bench.hardware.connector(connector_id).set_plugged(True)
    bench.board.connector(connector_id).facts.plugged = True
    await bench.lifecycle.start_transaction(connector_id, tag, None)
    tx = bench.running.active_on(connector_id)
    assert tx is not None
    return tx.ref


def stop_request(bench: CoreBench) -> tuple[m.StopTransactionRequest, int | None]:
    stops = bench.queue.of("StopTransaction")
    assert len(stops) == 1, stops
    request, ref = stops[0]
    assert isinstance(request, m.StopTransactionRequest)
    return request, ref


async def test_a_start_is_journaled_then_queued_and_the_connector_charges(
    bench: CoreBench,
) -> None:
    ref = await started(bench)
    entry = bench.store.journal.get(ref)
    assert entry is not None and entry.state == "running"
    # Whole Wh, rounded down: the register a meter shows (issue 12 item 9).
    assert entry.meter_start_wh == 1234
    [(request, tx_ref)] = bench.queue.of("StartTransaction")
    assert tx_ref == ref
    assert request.connector_id == 1
    assert request.id_tag == "TAG-1"
    assert request.meter_start == 1234
    assert request.timestamp == START
    assert bench.enabled(1) is True
    assert bench.board.status(1) is Status.CHARGING
    assert [tx.connector_id for tx in bench.observer.started] == [1]


async def test_a_socket_whose_cable_cannot_be_locked_starts_nothing(bench: CoreBench) -> None:
    """TC_024: connector 2 is a socket; the lock fails once (the OCTT manual action)."""
    bench.hardware.connector(2).arm_lock_failure()
    bench.board.connector(2).facts.plugged = True
    await bench.lifecycle.start_transaction(2, "TAG-1", None)
    assert bench.running.active_on(2) is None
    assert bench.queue.of("StartTransaction") == []
    assert bench.board.connector(2).fault is not None
    assert bench.board.status(2) is Status.FAULTED
    # Taking the cable out clears the lock failure.
    await bench.plug_out(2)
    assert bench.board.status(2) is Status.AVAILABLE


async def stop_by_ev_disconnect(bench: CoreBench) -> None:
    await bench.plug_out(1)


async def stop_by_emergency_stop(bench: CoreBench) -> None:
    await bench.event(hw.FaultRaised(0, "OtherError", "emergency stop", hw.EMERGENCY_STOP))


async def stop_by_charger_fault(bench: CoreBench) -> None:
    await bench.event(hw.FaultRaised(0, "HighTemperature", "cabinet too hot"))


async def stop_by_connector_fault(bench: CoreBench) -> None:
    await bench.event(hw.FaultRaised(1, "GroundFailure"))


async def stop_by_power_stage_fault(bench: CoreBench) -> None:
    await bench.event(hw.PowerStageFault(1, "OverVoltage", "module 3 over voltage"))


async def stop_by_deauthorization(bench: CoreBench) -> None:
    info = m.IdTagInfo(status=m.AuthorizationStatus("Invalid"))
    await bench.queue.answer(
        "StartTransaction", m.StartTransactionResponse(transaction_id=7, id_tag_info=info)
    )


async def stop_by_own_tag(bench: CoreBench) -> None:
    await bench.event(hw.IdTagPresented("tag-1"))  # CiString: any case


async def stop_by_remote_stop(bench: CoreBench) -> None:
    info = m.IdTagInfo(status=m.AuthorizationStatus("Accepted"))
    await bench.queue.answer(
        "StartTransaction", m.StartTransactionResponse(transaction_id=7, id_tag_info=info)
    )
    request = m.RemoteStopTransactionRequest(transaction_id=7)
    answer = await bench.wait.remote_stop(request)
    assert answer.status.value == "Accepted"
    await bench.wait.remote_stop_follow_up(request)


def stop_by_reset(kind: StopKind) -> Callable[[CoreBench], Awaitable[None]]:
    async def stop(bench: CoreBench) -> None:
        await bench.lifecycle.before_stop(kind)

    return stop


STOPS = [
    pytest.param(stop_by_ev_disconnect, "EVDisconnected", None, id="EVDisconnected"),
    pytest.param(stop_by_emergency_stop, "EmergencyStop", None, id="EmergencyStop"),
    pytest.param(stop_by_charger_fault, "Other", None, id="Other-charger-fault"),
    pytest.param(stop_by_connector_fault, "Other", None, id="Other-fault"),
    pytest.param(stop_by_power_stage_fault, "Other", None, id="Other-power-stage"),
    pytest.param(stop_by_deauthorization, "DeAuthorized", None, id="DeAuthorized"),
    pytest.param(stop_by_own_tag, "Local", "tag-1", id="Local"),
    pytest.param(stop_by_remote_stop, "Remote", None, id="Remote"),
    pytest.param(stop_by_reset(StopKind.SOFT_RESET), "SoftReset", None, id="SoftReset"),
    pytest.param(stop_by_reset(StopKind.HARD_RESET), "HardReset", None, id="HardReset"),
    pytest.param(stop_by_reset(StopKind.MAINS_LOST), "PowerLoss", None, id="PowerLoss"),
    pytest.param(stop_by_reset(StopKind.FIRMWARE), "Reboot", None, id="Reboot"),
    pytest.param(stop_by_reset(StopKind.SHUTDOWN), "Reboot", None, id="Reboot-shutdown"),
]


@pytest.mark.parametrize(("stop", "reason", "stop_tag"), STOPS)
async def test_every_stop_reason_is_journaled_queued_and_told(
    bench: CoreBench,
    stop: Callable[[CoreBench], Awaitable[None]],
    reason: str,
    stop_tag: str | None,
) -> None:
    ref = await started(bench)
    await bench.advance(90)
    bench.set_energy(1, 5678.6)
    await stop(bench)
    request, tx_ref = stop_request(bench)
    assert tx_ref == ref
    assert request.reason is not None and request.reason.value == reason
    assert request.meter_stop == 5678
    assert request.timestamp == START + timedelta(seconds=90)
    assert request.id_tag == stop_tag
    entry = bench.store.journal.get(ref)
    assert entry is not None
    assert (entry.state, entry.stop_reason, entry.meter_stop_wh) == ("stopped", reason, 5678)
    assert bench.enabled(1) is False
    assert bench.running.active_on(1) is None
    assert bench.observer.ended == [1]
    assert not bench.board.connector(1).facts.in_transaction


SOCKET_STOPS = [
    pytest.param(stop_by_reset(StopKind.SOFT_RESET), id="SoftReset"),
    pytest.param(stop_by_reset(StopKind.HARD_RESET), id="HardReset"),
    pytest.param(stop_by_reset(StopKind.MAINS_LOST), id="PowerLoss"),
    pytest.param(stop_by_reset(StopKind.FIRMWARE), id="Reboot"),
]


@pytest.mark.parametrize("stop", SOCKET_STOPS)
async def test_a_stop_unlocks_the_socket_its_cable_is_still_in(
    bench: CoreBench, stop: Callable[[CoreBench], Awaitable[None]]
) -> None:
    """Section 4.10: a stop is a normal termination whoever asked for it; connector 2 is a
    socket."""
    await started(bench, connector_id=2)
    socket = bench.hardware.connector(2)
    assert socket.is_locked()
    await stop(bench)
    assert bench.running.active_on(2) is None
    assert not socket.is_locked()
    assert bench.board.connector(2).fault is None


async def test_unlock_command_stops_the_transaction_on_a_socket(bench: CoreBench) -> None:
    await started(bench, connector_id=2)
    unlock = UnlockService(
        fixed_cable={1: True, 2: False}, cable_lock=bench.cable_lock, lifecycle=bench.lifecycle
    )
    answer = await unlock.unlock_connector(m.UnlockConnectorRequest(connector_id=2))
    assert answer.status.value == "Unlocked"
    request, _ = stop_request(bench)
    assert request.reason is not None and request.reason.value == "UnlockCommand"
    # A fixed cable has no lock of the station's to open (errata 3.87): nothing stops.
    answer = await unlock.unlock_connector(m.UnlockConnectorRequest(connector_id=1))
    assert answer.status.value == "NotSupported"


async def test_ev_disconnect_without_stop_suspends_and_keeps_the_transaction(
    tmp_path: Path,
) -> None:
    """TC_005_3: StopTransactionOnEVSideDisconnect false."""
    bench = await core_bench(tmp_path, configuration={"StopTransactionOnEVSideDisconnect": False})
    await bench.start()
    try:
        await started(bench)
        await bench.plug_out(1)
        assert bench.queue.of("StopTransaction") == []
        assert bench.running.active_on(1) is not None
        assert bench.enabled(1) is False
        assert bench.board.status(1) is Status.SUSPENDED_EV
    finally:
        await bench.close()


async def test_recovery_after_power_loss_stops_once_with_the_last_register(
    tmp_path: Path,
) -> None:
    first = await core_bench(tmp_path)
    await first.start()
    await started(first)
    await first.advance(45)
    first.set_energy(1, 3000.7)
    tx = first.running.active_on(1)
    assert tx is not None
    first.metering.record_register(tx)  # the reading recorded each second
    first.set_energy(1, 3100.0)  # energy after the last recording is not billed
    # Power lost: nothing else runs; the store is all that is left.
    await first.close()

    second = await core_bench(tmp_path, clock=first.clock)
    await second.advance(600)
    await second.start()
    try:
        request, ref = stop_request(second)
        assert ref == tx.ref
        assert request.reason is not None and request.reason.value == "PowerLoss"
        assert request.meter_stop == 3000
        assert request.timestamp == START + timedelta(seconds=45)
        assert second.running.active_on(1) is None
        # Nothing live was stopped: no observer hears of a transaction of the last run.
        assert second.observer.ended == []
        entry = second.store.journal.get(ref)
        assert entry is not None and entry.state == "stopped"
    finally:
        await second.close()

    third = await core_bench(tmp_path)
    await third.start()
    try:
        assert third.queue.of("StopTransaction") == []  # closed exactly once
    finally:
        await third.close()


async def test_start_transaction_answer_gives_the_id_and_the_group(bench: CoreBench) -> None:
    ref = await started(bench)
    info = m.IdTagInfo(status=m.AuthorizationStatus("Accepted"), parent_id_tag="FLEET")
    await bench.queue.answer(
        "StartTransaction", m.StartTransactionResponse(transaction_id=42, id_tag_info=info)
    )
    tx = bench.running.active_on(1)
    assert tx is not None
    assert (tx.transaction_id, tx.parent_id_tag) == (42, "FLEET")
    entry = bench.store.journal.get(ref)
    assert entry is not None
    assert (entry.transaction_id, entry.id_tag_status) == (42, "Accepted")
    assert bench.running.by_transaction_id(42) is tx


async def test_invalid_tag_without_stop_holds_the_energy_once_the_allowance_is_used(
    tmp_path: Path,
) -> None:
    """Errata 3.5/3.17: StopTransactionOnInvalidId false, MaxEnergyOnInvalidId 100 Wh."""
    bench = await core_bench(
        tmp_path,
        configuration={"StopTransactionOnInvalidId": False, "MaxEnergyOnInvalidId": 100},
    )
    await bench.start()
    try:
        await started(bench)  # meterStart 1234
        info = m.IdTagInfo(status=m.AuthorizationStatus("Invalid"))
        await bench.queue.answer(
            "StartTransaction", m.StartTransactionResponse(transaction_id=7, id_tag_info=info)
        )
        tx = bench.running.active_on(1)
        assert tx is not None and tx.deauthorized
        assert bench.queue.of("StopTransaction") == []
        assert bench.enabled(1) is True
        bench.set_energy(1, 1334.9)  # 100 Wh used
        await bench.advance(1)
        assert bench.enabled(1) is False
        assert bench.board.status(1) is Status.SUSPENDED_EVSE
        assert bench.running.active_on(1) is tx
    finally:
        await bench.close()
