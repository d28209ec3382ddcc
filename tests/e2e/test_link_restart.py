"""A link restarted for new connection settings ends with a closing handshake.

After an accepted change of AuthorizationKey (OCTT TC_073) or SecurityProfile (TC_083) the
charge point reconnects with the new settings. It must end the old link the way RFC 6455
section 7 asks: a close frame after everything it sent before, so the central system sees
a normal closure and the ChangeConfiguration answer, sent just before, is not lost with an
aborted connection. A TCP relay between the two reads the charge point's frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from central_system import CentralSystem
from security_support import KEY_HEX, OCTT_KEY_HEX, security_event
from station_harness import RunningStation, running_station
from websocket_relay import RelayedConnection, WebSocketRelay

CP = "CP-1"


@pytest.fixture
async def relay(central_system: CentralSystem) -> AsyncIterator[WebSocketRelay]:
    relay = WebSocketRelay(central_system.port)
    await relay.start()
    try:
        yield relay
    finally:
        await relay.stop()


@contextlib.asynccontextmanager
async def profile_1_station(
    cs: CentralSystem, relay: WebSocketRelay, tmp_path: Path
) -> AsyncIterator[RunningStation]:
    """A station on security profile 1 (Basic auth with KEY_HEX) that reaches ``cs``
    through ``relay``."""
    cs.basic_auth = {CP: bytes.fromhex(KEY_HEX)}
    configuration = {"AuthorizationKey": KEY_HEX, "SecurityProfile": 1}
    central = {"url": relay.url}
    async with running_station(
        cs, tmp_path, configuration=configuration, central_system=central
    ) as rs:
        yield rs


def closed_after_the_answer(link: RelayedConnection) -> None:
    """The link's last frame is a normal closure, sent after the charge point's Accepted
    answer to ChangeConfiguration (its only CALLRESULT on this link)."""
    close = link.close_frame
    assert close is not None, "the link ended without a close frame"
    assert close.close_code == 1000
    assert link.frames[-1] is close
    answers = [json.loads(t) for t in link.texts() if t.startswith("[3,")]
    assert [a[2] for a in answers] == [{"status": "Accepted"}]


async def test_TC_073_new_password_closes_the_link_with_a_handshake(
    central_system: CentralSystem, relay: WebSocketRelay, tmp_path: Path
) -> None:
    cs = central_system
    async with profile_1_station(cs, relay, tmp_path) as rs:
        cs.basic_auth[CP] = b"OCA_OCTT_admin_test"
        mark = cs.mark()
        answer = await rs.call(
            "ChangeConfiguration", {"key": "AuthorizationKey", "value": OCTT_KEY_HEX}
        )
        assert answer["status"] == "Accepted"
        await relay.wait_until(lambda: len(relay.connections) == 2 and relay.connections[0].ended)
        await cs.wait_until(lambda: cs.connect_count[CP] == 2)
        await security_event(cs, "ReconfigurationOfSecurityParameters", since=mark)
        closed_after_the_answer(relay.connections[0])
        assert cs.rejected_auth == 0


async def test_TC_083_new_security_profile_closes_the_link_with_a_handshake(
    central_system: CentralSystem, relay: WebSocketRelay, tmp_path: Path
) -> None:
    cs = central_system
    configuration = {"AuthorizationKey": KEY_HEX}
    central = {"url": relay.url}
    async with running_station(
        cs, tmp_path, configuration=configuration, central_system=central
    ) as rs:
        cs.basic_auth = {CP: bytes.fromhex(KEY_HEX)}
        mark = cs.mark()
        answer = await rs.call("ChangeConfiguration", {"key": "SecurityProfile", "value": "1"})
        assert answer["status"] == "Accepted"
        await cs.wait_for("BootNotification", since=mark)
        await rs.status(0, "Available", since=mark)
        assert relay.connections[0].ended
        closed_after_the_answer(relay.connections[0])
        assert cs.rejected_auth == 0


async def test_a_closing_handshake_that_never_finishes_is_aborted(
    central_system: CentralSystem, relay: WebSocketRelay, tmp_path: Path
) -> None:
    """The central system never sees the close frame (the relay drops it), so no answer
    comes: after close_timeout_s (1 s in the harness) the link is aborted and the new
    password is used at once."""
    cs = central_system
    async with profile_1_station(cs, relay, tmp_path) as rs:
        relay.connections[0].swallow_close = True
        cs.basic_auth[CP] = b"OCA_OCTT_admin_test"
        answer = await rs.call(
            "ChangeConfiguration", {"key": "AuthorizationKey", "value": OCTT_KEY_HEX}
        )
        assert answer["status"] == "Accepted"
        first = relay.connections[0]
        await relay.wait_until(lambda: first.close_frame is not None)
        closing = asyncio.get_running_loop().time()
        await relay.wait_until(lambda: first.ended and len(relay.connections) == 2)
        assert 0.5 < asyncio.get_running_loop().time() - closing < 4.0
        await cs.wait_until(lambda: cs.connect_count[CP] == 2)
        assert cs.rejected_auth == 0


async def test_the_call_in_flight_is_waited_for_before_the_close(
    central_system: CentralSystem, relay: WebSocketRelay, tmp_path: Path
) -> None:
    """The charge point's Heartbeat is in flight (this central system never answers it)
    when the password changes: the close frame waits for its answer, here until
    close_timeout_s (1 s in the harness) runs out, and does not follow the ChangeConfiguration
    answer at once."""
    cs = central_system
    async with profile_1_station(cs, relay, tmp_path) as rs:
        cs.silent_actions.add("Heartbeat")
        mark = cs.mark()
        triggered = await rs.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        assert triggered["status"] == "Accepted"
        await cs.wait_for("Heartbeat", since=mark)
        cs.basic_auth[CP] = b"OCA_OCTT_admin_test"
        answer = await rs.call(
            "ChangeConfiguration", {"key": "AuthorizationKey", "value": OCTT_KEY_HEX}
        )
        assert answer["status"] == "Accepted"
        first = relay.connections[0]
        await relay.wait_until(lambda: first.close_frame is not None)
        close = first.close_frame
        assert close is not None and close.close_code == 1000
        # The ChangeConfiguration answer: the link's last CALLRESULT.
        answered = [f for f in first.frames if f.text.startswith("[3,")][-1]
        assert close.at - answered.at >= 0.9
        await cs.wait_until(lambda: cs.connect_count[CP] == 2)
