"""AuthorizationWait on its own: tag and plug pairing, ConnectionTimeOut on the station clock,
remote start and stop, and what the start gate and the limit source decide."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chargestack.hardware import events as hw
from chargestack.ocpp import messages as m
from chargestack.station.connector_status import Status
from core_bench import CoreBench, core_bench


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[CoreBench]:
    bench = await core_bench(tmp_path)
    bench.central.tags = {"TAG-1": ("Accepted", "FLEET"), "TAG-2": ("Accepted", "TAXI")}
    await bench.start()
    try:
        yield bench
    finally:
        await bench.close()


def started_on(bench: CoreBench) -> list[tuple[int, str]]:
    return [(r.connector_id, r.id_tag) for r, _ in bench.queue.of("StartTransaction")]


def stop_reasons(bench: CoreBench) -> list[str]:
    return [r.reason.value for r, _ in bench.queue.of("StopTransaction")]


async def test_tag_then_plug_starts_on_the_connector_plugged(bench: CoreBench) -> None:
    await bench.event(hw.IdTagPresented("TAG-1"))
    assert len(bench.central.of(m.AuthorizeRequest)) == 1
    assert bench.board.status(1) is Status.PREPARING
    assert bench.board.status(2) is Status.PREPARING
    await bench.plug_in(2)
    assert started_on(bench) == [(2, "TAG-1")]
    assert bench.wait.waiting is None
    assert bench.board.status(1) is Status.AVAILABLE


async def test_plug_then_tag_starts_at_once(bench: CoreBench) -> None:
    await bench.plug_in(1)
    assert started_on(bench) == []
    await bench.event(hw.IdTagPresented("TAG-1"))
    assert started_on(bench) == [(1, "TAG-1")]
    # The group the central system gave is the transaction's.
    tx = bench.running.active_on(1)
    assert tx is not None and tx.parent_id_tag == "FLEET"


async def test_an_invalid_tag_starts_nothing(bench: CoreBench) -> None:
    await bench.plug_in(1)
    await bench.event(hw.IdTagPresented("STRANGER"))
    assert started_on(bench) == []
    assert bench.wait.waiting is None


async def test_connection_timeout_ends_the_wait_for_a_plug(bench: CoreBench) -> None:
    """TC_004_2: no plug within ConnectionTimeOut (30 s): Available again, no start."""
    await bench.event(hw.IdTagPresented("TAG-1"))
    await bench.advance(29)
    assert bench.wait.waiting is not None
    await bench.advance(1)
    assert bench.wait.waiting is None
    assert bench.board.status(1) is Status.AVAILABLE
    await bench.plug_in(1)
    assert started_on(bench) == []


async def test_a_second_swipe_cancels_the_waiting_tag(bench: CoreBench) -> None:
    """TC_061; the cancelled wait's timeout is gone with it."""
    await bench.event(hw.IdTagPresented("TAG-1"))
    await bench.event(hw.IdTagPresented("tag-1"))
    assert bench.wait.waiting is None
    assert bench.board.status(1) is Status.AVAILABLE
    await bench.advance(20)
    await bench.event(hw.IdTagPresented("TAG-2"))
    await bench.advance(20)  # past the first tag's timeout: the second tag still waits
    assert bench.wait.waiting is not None and bench.wait.waiting.id_tag == "TAG-2"
    await bench.advance(10)
    assert bench.wait.waiting is None


async def test_the_own_tag_stops_without_authorize_and_a_group_tag_after_one(
    bench: CoreBench,
) -> None:
    """TC_068 and TC_069: the own tag at once; another tag of the group after Authorize."""
    await bench.plug_in(1)
    await bench.event(hw.IdTagPresented("TAG-1"))
    await bench.plug_in(2)
    await bench.event(hw.IdTagPresented("TAG-2"))
    assert started_on(bench) == [(1, "TAG-1"), (2, "TAG-2")]
    authorizations = len(bench.central.of(m.AuthorizeRequest))
    await bench.event(hw.IdTagPresented("TAG-1"))
    assert len(bench.central.of(m.AuthorizeRequest)) == authorizations
    bench.central.tags["TAG-3"] = ("Accepted", "TAXI")
    await bench.event(hw.IdTagPresented("TAG-3"))
    assert stop_reasons(bench) == ["Local", "Local"]
    ids = [r.id_tag for r, _ in bench.queue.of("StopTransaction")]
    assert ids == ["TAG-1", "TAG-3"]


async def test_remote_start_waits_for_the_plug_then_starts(bench: CoreBench) -> None:
    request = m.RemoteStartTransactionRequest(connector_id=2, id_tag="TAG-9")
    answer = await bench.wait.remote_start(request)
    assert answer.status.value == "Accepted"
    await bench.wait.remote_start_follow_up(request)
    assert bench.board.status(2) is Status.PREPARING
    # AuthorizeRemoteTxRequests is false by default: no Authorize for a remote start.
    assert bench.central.of(m.AuthorizeRequest) == []
    await bench.advance(20)
    await bench.plug_in(2)
    assert started_on(bench) == [(2, "TAG-9")]


async def test_a_remote_start_claims_its_connector_before_its_tag_is_authorized(
    tmp_path: Path,
) -> None:
    """The connector is the remote start's from its Accepted on, though it reports Preparing
    only once the idTag is authorized (AuthorizeRemoteTxRequests; TC_011_1's order); an EV
    plugged in before that is started by the authorization."""
    bench = await core_bench(tmp_path, configuration={"AuthorizeRemoteTxRequests": True})
    bench.central.tags = {"TAG-9": ("Accepted", "FLEET"), "TAG-1": ("Accepted", None)}
    await bench.start()
    try:
        request = m.RemoteStartTransactionRequest(connector_id=1, id_tag="TAG-9")
        assert (await bench.wait.remote_start(request)).status.value == "Accepted"
        assert bench.board.status(1) is Status.AVAILABLE
        await bench.plug_in(1)
        await bench.event(hw.IdTagPresented("TAG-1"))
        assert started_on(bench) == []
        again = m.RemoteStartTransactionRequest(connector_id=1, id_tag="TAG-1")
        assert (await bench.wait.remote_start(again)).status.value == "Rejected"
        await bench.wait.remote_start_follow_up(request)
        assert started_on(bench) == [(1, "TAG-9")]
        tx = bench.running.active_on(1)
        assert tx is not None and tx.parent_id_tag == "FLEET"
    finally:
        await bench.close()


async def test_remote_start_without_a_plug_ends_after_connection_timeout(
    bench: CoreBench,
) -> None:
    """TC_011_2."""
    request = m.RemoteStartTransactionRequest(connector_id=1, id_tag="TAG-9")
    await bench.wait.remote_start(request)
    await bench.wait.remote_start_follow_up(request)
    await bench.advance(30)
    assert bench.wait.remote_waiting == {}
    assert bench.board.status(1) is Status.AVAILABLE
    await bench.plug_in(1)
    assert started_on(bench) == []


async def test_remote_start_on_connector_zero_or_a_busy_connector_is_rejected(
    bench: CoreBench,
) -> None:
    """TC_027; a connector with a transaction is not usable."""
    answer = await bench.wait.remote_start(
        m.RemoteStartTransactionRequest(connector_id=0, id_tag="TAG-9")
    )
    assert answer.status.value == "Rejected"
    await bench.plug_in(1)
    await bench.event(hw.IdTagPresented("TAG-1"))
    answer = await bench.wait.remote_start(
        m.RemoteStartTransactionRequest(connector_id=1, id_tag="TAG-9")
    )
    assert answer.status.value == "Rejected"


async def test_remote_start_is_rejected_while_not_registered(bench: CoreBench) -> None:
    bench.link.accepted = False
    answer = await bench.wait.remote_start(
        m.RemoteStartTransactionRequest(connector_id=1, id_tag="TAG-9")
    )
    assert answer.status.value == "Rejected"


async def test_remote_stop_of_an_unknown_transaction_is_rejected(bench: CoreBench) -> None:
    answer = await bench.wait.remote_stop(m.RemoteStopTransactionRequest(transaction_id=99))
    assert answer.status.value == "Rejected"


def tx_profile() -> m.ChargingProfile:
    return m.ChargingProfile.model_validate_json(
        json.dumps(
            {
                "chargingProfileId": 1,
                "stackLevel": 0,
                "chargingProfilePurpose": "TxProfile",
                "chargingProfileKind": "Relative",
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}],
                },
            }
        )
    )


@dataclass
class TakingLimits:
    """A ``LimitSource`` that takes every profile and records what it is told."""

    pending: list[tuple[int, m.ChargingProfile | None]] = field(default_factory=list)

    def accepts_remote_start_profile(self, profile: m.ChargingProfile) -> bool:
        return True

    def pending_remote_profile(self, connector_id: int, profile: m.ChargingProfile | None) -> None:
        self.pending.append((connector_id, profile))


async def test_without_smart_charging_a_remote_start_profile_is_ignored(bench: CoreBench) -> None:
    """Section 5.11: a charger without Smart Charging ignores the profile ("this parameter
    SHOULD be ignored"); the remote start is Accepted and claims its connector."""
    request = m.RemoteStartTransactionRequest(
        connector_id=1, id_tag="TAG-9", charging_profile=tx_profile()
    )
    assert (await bench.wait.remote_start(request)).status.value == "Accepted"
    await bench.wait.remote_start_follow_up(request)
    assert list(bench.wait.remote_waiting) == [1]


async def test_a_remote_start_profile_goes_to_the_limit_source(tmp_path: Path) -> None:
    limits = TakingLimits()
    bench = await core_bench(tmp_path, limits=limits)
    await bench.start()
    try:
        profile = tx_profile()
        request = m.RemoteStartTransactionRequest(
            connector_id=1, id_tag="TAG-9", charging_profile=profile
        )
        assert (await bench.wait.remote_start(request)).status.value == "Accepted"
        await bench.wait.remote_start_follow_up(request)
        assert limits.pending == [(1, profile)]
        await bench.advance(30)  # no plug: the pending profile is given up
        assert limits.pending == [(1, profile), (1, None)]
    finally:
        await bench.close()


@dataclass
class ReservedFor:
    """A ``StartGate`` with one reservation (id 5) of connector 1 for one tag."""

    id_tag: str
    consumed: list[int] = field(default_factory=list)

    def allows(self, connector_id: int, id_tag: str, parent_id_tag: str | None) -> bool:
        return connector_id != 1 or id_tag == self.id_tag

    def consume(self, connector_id: int, id_tag: str, parent_id_tag: str | None) -> int | None:
        if connector_id == 1 and id_tag == self.id_tag:
            self.consumed.append(5)
            return 5
        return None

    async def parent_for(self, connector_id: int, id_tag: str) -> str | None:
        return None


async def test_the_start_gate_keeps_a_reserved_connector_for_its_tag(tmp_path: Path) -> None:
    gate = ReservedFor("TAG-2")
    bench = await core_bench(tmp_path, gate=gate)
    bench.central.tags = {"TAG-1": ("Accepted", None), "TAG-2": ("Accepted", None)}
    await bench.start()
    try:
        await bench.plug_in(1)
        await bench.event(hw.IdTagPresented("TAG-1"))
        assert started_on(bench) == []
        answer = await bench.wait.remote_start(
            m.RemoteStartTransactionRequest(connector_id=1, id_tag="TAG-1")
        )
        assert answer.status.value == "Rejected"
        bench.wait.waiting = None
        await bench.event(hw.IdTagPresented("TAG-2"))
        [(request, _)] = bench.queue.of("StartTransaction")
        assert (request.connector_id, request.reservation_id) == (1, 5)
        assert gate.consumed == [5]
    finally:
        await bench.close()
