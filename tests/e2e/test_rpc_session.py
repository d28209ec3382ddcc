"""The OCPP-J RPC session against the real central system: framing, errors, security, links."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.protocol import State

from central_system import CentralSystem
from certs import issue, make_ca
from chargestack.exceptions import (
    CallTimeoutError,
    InternalError,
    NotConnectedError,
    OcppError,
)
from chargestack.ocpp import messages as m
from chargestack.ocpp.connection_settings import ConnectionSettings
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Router, on
from chargestack.ocpp.session import OcppSession, SessionState, SessionTimers

CP = "RPC-CP"
KEY_HEX = "00112233445566778899aabbccddeeff"


class Handlers:
    @on(Action.CHANGE_AVAILABILITY)
    async def change_availability(
        self, request: m.ChangeAvailabilityRequest
    ) -> m.ChangeAvailabilityResponse:
        return m.ChangeAvailabilityResponse(status=m.AvailabilityStatus("Accepted"))

    @on(Action.CLEAR_CACHE)
    async def clear_cache(self, request: m.ClearCacheRequest) -> m.ClearCacheResponse:
        raise RuntimeError("a handler bug")


def router() -> Router:
    r = Router(known_actions=frozenset(str(a) for a in m.Action))
    r.register_object(Handlers())
    return r


@contextlib.asynccontextmanager
async def session(settings: ConnectionSettings, **timers: float) -> AsyncIterator[OcppSession]:
    defaults = {
        "call_timeout_s": 2.0,
        "backoff_initial_s": 0.05,
        "backoff_max_s": 0.2,
        "ping_interval_s": 0.0,
    }
    s = OcppSession(settings, router(), SessionTimers(**{**defaults, **timers}))
    task = asyncio.create_task(s.run())
    try:
        yield s
    finally:
        await s.close()
        await asyncio.wait_for(task, 5)


async def _connect_error(s: OcppSession) -> None:
    """Until the session has recorded a failed connection attempt."""
    while s.last_connect_error is None:  # noqa: ASYNC110 - the session exposes no event for this
        await asyncio.sleep(0.01)


def boot() -> m.BootNotificationRequest:
    return m.BootNotificationRequest(charge_point_vendor="Chargestack", charge_point_model="DC-190")


async def test_boot_exchange_and_calls_both_ways(central_system: CentralSystem) -> None:
    cs = central_system
    async with session(ConnectionSettings(cs.url, CP)) as s:
        await asyncio.wait_for(s.wait_connected(), 5)
        response = await s.call(boot())
        assert isinstance(response, m.BootNotificationResponse)
        assert response.status.value == "Accepted"
        answer = await cs.call(CP, "ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
        assert answer == {"status": "Accepted"}


async def test_a_call_on_a_lost_link_leaves_no_stale_connected_state(
    central_system: CentralSystem,
) -> None:
    """A CALL on a link that is gone before the receive side has noticed must not leave the
    session looking connected: the durable sender answers NotConnectedError by waiting for
    the link, and a stale "connected" made that wait return at once, so the sender spun
    without yielding and starved the event loop (a SIGTERM then went unanswered)."""
    cs = central_system
    async with session(ConnectionSettings(cs.url, CP)) as s:
        await asyncio.wait_for(s.wait_connected(), 5)
        ws = s._ws
        assert ws is not None
        ws.transport.abort()
        # One round of the event loop runs connection_lost; the serving task wakes a round later.
        await asyncio.sleep(0)
        assert ws.protocol.state is State.CLOSED
        with pytest.raises(NotConnectedError):
            await s.call(boot())
        assert not s._connected.is_set()
        # And the session comes back on a new link.
        await asyncio.wait_for(s.wait_connected(), 5)
        assert s._ws is not ws


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('[2,"e1","NoSuchAction",{}]', "NotImplemented"),
        ('[2,"e2","Reset",{"type":"Hard"}]', "NotSupported"),
        (
            '[2,"e3","ChangeAvailability",{"connectorId":"one","type":"Operative"}]',
            "TypeConstraintViolation",
        ),
        ('[2,"e4","ChangeAvailability",{"type":"Operative"}]', "OccurenceConstraintViolation"),
        (
            '[2,"e5","ChangeAvailability",{"connectorId":1,"type":"Sometimes"}]',
            "PropertyConstraintViolation",
        ),
        ('[2,"e6","ChangeAvailability"]', "ProtocolError"),
        (
            '[2,"e7","ChangeAvailability",{"connectorId":1,"type":"Operative","extra":1}]',
            "FormationViolation",
        ),
        ('[2,"e8","ClearCache",{}]', "InternalError"),
    ],
)
async def test_callerror_paths(central_system: CentralSystem, frame: str, code: str) -> None:
    cs = central_system
    async with session(ConnectionSettings(cs.url, CP)) as s:
        await asyncio.wait_for(s.wait_connected(), 5)
        reply = await cs.send_raw(CP, frame)
        assert reply is not None
        assert reply[0] == 4
        assert reply[2] == code, reply
        # The connection survives every malformed frame.
        answer = await cs.call(CP, "ChangeAvailability", {"connectorId": 1, "type": "Operative"})
        assert answer["status"] == "Accepted"


async def test_frames_without_an_id_are_dropped(central_system: CentralSystem) -> None:
    cs = central_system
    async with session(ConnectionSettings(cs.url, CP)) as s:
        await asyncio.wait_for(s.wait_connected(), 5)
        for frame in ["not json", "{}", "[]", "[9]", '"text"']:
            assert await cs.send_raw(CP, frame, expect_reply=False, timeout=0.2) is None
        assert s.state is SessionState.CONNECTED
        assert (await s.call(boot())) is not None


async def test_late_answer_never_confuses_the_next_call(central_system: CentralSystem) -> None:
    cs = central_system
    cs.silent_actions.add("Heartbeat")
    async with session(ConnectionSettings(cs.url, CP)) as s:
        await asyncio.wait_for(s.wait_connected(), 5)
        with pytest.raises(CallTimeoutError):
            await s.call(m.HeartbeatRequest(), timeout=0.3)
        late = cs.messages("Heartbeat")[-1]
        connection = cs.connections[CP].connection
        await connection.send(
            f'[3,"{late.unique_id}",{{"currentTime":"2026-01-01T00:00:00.000Z"}}]'
        )
        response = await s.call(boot())
        assert isinstance(response, m.BootNotificationResponse)


async def test_callerror_raises_with_its_code(central_system: CentralSystem) -> None:
    cs = central_system

    def refuse(_payload: object) -> dict[str, object]:
        from ocpp.exceptions import NotSupportedError

        raise NotSupportedError("no data transfer here")

    cs.responders["DataTransfer"] = refuse
    async with session(ConnectionSettings(cs.url, CP)) as s:
        await asyncio.wait_for(s.wait_connected(), 5)
        with pytest.raises(OcppError) as info:
            await s.call(m.DataTransferRequest(vendor_id="x"))
        assert not isinstance(info.value, InternalError)
        assert info.value.code in {"NotSupported", "NotImplemented"}
    cs.errors_sent.clear()


async def test_ping_timeout_reconnects(central_system: CentralSystem) -> None:
    cs = central_system
    async with session(
        ConnectionSettings(cs.url, CP), ping_interval_s=0.1, pong_timeout_s=0.2
    ) as s:
        await asyncio.wait_for(s.wait_connected(), 5)
        # The central system stops reading: no pong comes back, the link is declared dead.
        cs.connections[CP].connection.transport.pause_reading()
        await cs.wait_until(lambda: cs.connect_count.get(CP, 0) >= 2, 5)
        await asyncio.wait_for(s.wait_connected(), 5)
        assert s.connection_count >= 2


async def test_basic_auth_accepted_and_refused() -> None:
    cs = CentralSystem(basic_auth={CP: bytes.fromhex(KEY_HEX)})
    await cs.start()
    try:
        good = ConnectionSettings(cs.url, CP, security_profile=1, authorization_key=KEY_HEX)
        async with session(good) as s:
            await asyncio.wait_for(s.wait_connected(), 5)
        bad = ConnectionSettings(cs.url, CP, security_profile=1, authorization_key="ff" * 16)
        async with session(bad) as s:
            await cs.wait_until(lambda: cs.rejected_auth >= 1, 5)
            assert not s.connected
            assert s.last_connect_error is not None and "401" in s.last_connect_error
    finally:
        await cs.stop()


def _server_context(tmp_path: Path, require_client: bool) -> tuple[ssl.SSLContext, Path, Path]:
    ca = make_ca(tmp_path)
    server = issue(tmp_path, ca, "central.test", server=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server.cert_path, server.key_path)
    if require_client:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(ca.cert_path)
    return context, ca.cert_path, ca.key_path


async def test_tls_with_server_validation(tmp_path: Path) -> None:
    context, ca_file, _ = _server_context(tmp_path, require_client=False)
    cs = CentralSystem(ssl_context=context, basic_auth={CP: bytes.fromhex(KEY_HEX)})
    await cs.start()
    try:
        settings = ConnectionSettings(
            cs.url, CP, security_profile=2, authorization_key=KEY_HEX, ca_file=ca_file
        )
        async with session(settings) as s:
            await asyncio.wait_for(s.wait_connected(), 5)
            assert (await s.call(boot())) is not None
        # A CA that did not sign the server certificate: no connection.
        other = make_ca(
            tmp_path / "other" if (tmp_path / "other").mkdir() is None else tmp_path, "Other CA"
        )
        wrong = ConnectionSettings(
            cs.url, CP, security_profile=2, authorization_key=KEY_HEX, ca_file=other.cert_path
        )
        async with session(wrong) as s:
            await asyncio.wait_for(_connect_error(s), 5)
            assert not s.connected
            assert s.last_connect_error is not None and "SSL" in s.last_connect_error.upper()
    finally:
        await cs.stop()


async def test_mutual_tls(tmp_path: Path) -> None:
    context, ca_file, _ = _server_context(tmp_path, require_client=True)
    ca = make_ca(tmp_path / "client-ca" if (tmp_path / "client-ca").mkdir() is None else tmp_path)
    context.load_verify_locations(ca.cert_path)
    client = issue(tmp_path, ca, CP, client=True)
    cs = CentralSystem(ssl_context=context)
    await cs.start()
    try:
        settings = ConnectionSettings(
            cs.url,
            CP,
            security_profile=3,
            ca_file=ca_file,
            client_cert=client.cert_path,
            client_key=client.key_path,
        )
        async with session(settings) as s:
            await asyncio.wait_for(s.wait_connected(), 5)
            assert (await s.call(boot())) is not None
    finally:
        await cs.stop()


async def test_server_refusing_the_subprotocol() -> None:
    cs = CentralSystem(subprotocols=["ocpp2.0.1"])
    await cs.start()
    try:
        async with session(ConnectionSettings(cs.url, CP)) as s:
            await asyncio.wait_for(_connect_error(s), 5)
            assert not s.connected
            # websockets answers 400 to a handshake without a common subprotocol; a server
            # that completes it anyway is refused by our own check.
            assert s.last_connect_error is not None
            assert "subprotocol" in s.last_connect_error or "400" in s.last_connect_error
            assert CP not in cs.connections
    finally:
        await cs.stop()
