"""Frame size and frame type limits of the OCPP-J link (issue 17, item 6).

A legitimate message must fit: the default limit holds the largest SendLocalList the station
accepts (SendLocalListMaxLength entries, every idTag and parentIdTag at its 20-character
maximum). A CALL over the limit is answered with a CALLERROR naming its id, and the link
stays up; only a frame beyond the transport cap closes the connection (1009), logged at
WARNING. OCPP-J uses text frames only: a binary frame closes the connection with 1003.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from central_system import CentralSystem, Payload
from station_harness import running_station

SESSION_LOG = "chargestack.ocpp.session"


def _largest_list(length: int) -> list[Payload]:
    expiry = (datetime.now(UTC) + timedelta(days=3650)).isoformat(timespec="milliseconds")
    return [
        {
            "idTag": f"T{i:019d}",
            "idTagInfo": {
                "status": "ConcurrentTx",
                "expiryDate": expiry,
                "parentIdTag": f"P{i:019d}",
            },
        }
        for i in range(length)
    ]


def _data_transfer(message_id: str, size: int) -> str:
    """A DataTransfer CALL frame of exactly ``size`` bytes."""
    empty = orjson.dumps([2, message_id, "DataTransfer", {"vendorId": "Chargestack", "data": ""}])
    return orjson.dumps(
        [
            2,
            message_id,
            "DataTransfer",
            {"vendorId": "Chargestack", "data": "x" * (size - len(empty))},
        ]
    ).decode()


async def test_the_largest_send_local_list_fits_the_default_frame_limit(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    async with running_station(central_system, tmp_path) as rs:
        keys = await rs.call("GetConfiguration", {"key": ["SendLocalListMaxLength"]})
        length = int(keys["configurationKey"][0]["value"])
        items = _largest_list(length)
        frame_bytes = len(
            orjson.dumps([2, "x" * 36, "SendLocalList", {"localAuthorizationList": items}])
        )
        assert frame_bytes > 64 * 1024  # the old fixed limit could not take it
        answer = await rs.call(
            "SendLocalList",
            {"listVersion": 7, "updateType": "Full", "localAuthorizationList": items},
        )
        assert answer == {"status": "Accepted"}
        assert (await rs.call("GetLocalListVersion", {})) == {"listVersion": 7}


async def test_an_oversized_call_is_answered_with_a_callerror_and_the_link_stays(
    central_system: CentralSystem, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cs = central_system
    limit = 64 * 1024
    async with running_station(
        cs, tmp_path, central_system={"url": cs.url, "max_frame_bytes": limit}
    ) as rs:
        connection = cs.connections[rs.cp_id].connection
        reply = await cs.send_raw(rs.cp_id, _data_transfer("too-big-1", limit + 1))
        assert reply is not None
        assert reply[:3] == [4, "too-big-1", "GenericError"]
        assert str(limit) in reply[3]
        # Exactly at the limit is still a frame like any other.
        fits = await cs.send_raw(rs.cp_id, _data_transfer("fits-1", limit))
        assert fits is not None and fits[:2] == [3, "fits-1"]
        assert cs.connections[rs.cp_id].connection is connection
        assert cs.connect_count[rs.cp_id] == 1


async def test_a_frame_beyond_the_transport_cap_closes_the_link_with_a_warning(
    central_system: CentralSystem, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cs = central_system
    limit = 64 * 1024
    async with running_station(
        cs, tmp_path, central_system={"url": cs.url, "max_frame_bytes": limit}
    ) as rs:
        cap = rs.station.session.transport_cap_bytes
        connection = cs.connections[rs.cp_id].connection
        with caplog.at_level(logging.WARNING, logger=SESSION_LOG):
            await connection.send(_data_transfer("huge-1", cap + 1))
            async with asyncio.timeout(10):
                await connection.wait_closed()
            assert connection.close_code == 1009
            closes = [r for r in caplog.records if r.name == SESSION_LOG and "1009" in r.message]
            assert closes and closes[0].levelno == logging.WARNING
        # The station reconnects on its own.
        await cs.wait_until(lambda: cs.connect_count[rs.cp_id] == 2)


async def test_a_binary_frame_is_refused_with_1003(
    central_system: CentralSystem, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        connection = cs.connections[rs.cp_id].connection
        mark = cs.mark()
        with caplog.at_level(logging.WARNING, logger=SESSION_LOG):
            # A well-formed CALL, but in a binary frame: not OCPP-J.
            await connection.send(
                orjson.dumps(
                    [2, "bin-1", "ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}]
                )
            )
            async with asyncio.timeout(10):
                await connection.wait_closed()
        assert connection.close_code == 1003
        assert any(
            r.levelno == logging.WARNING and "binary" in r.message
            for r in caplog.records
            if r.name == SESSION_LOG
        )
        await cs.wait_until(lambda: cs.connect_count[rs.cp_id] == 2)
        # The request was not acted on.
        assert rs.station.store.availability.get(1) == "Operative"
        assert all(
            not (r.action == "StatusNotification" and r.payload["status"] == "Unavailable")
            for r in cs.received[mark:]
        )
