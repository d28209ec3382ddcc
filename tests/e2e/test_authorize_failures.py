"""An Authorize.req the central system does not answer as it should (OCPP 1.6 section 3.5).

The offline rules (LocalAuthorizeOffline, AllowOfflineTxForUnknownId) are for "unavailability
of the communications or even of the Central System". A central system that answers with a
CALLERROR, or with an answer that cannot be read, is there: it did not authorize the tag, so
the tag is not authorized. One that does not answer at all is unavailable: offline rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from central_system import CentralSystem
from station_harness import running_station

UNKNOWN = "UNKNOWN1"
VALID = "VALIDTAG1"
OFFLINE_RULES = {"LocalAuthorizeOffline": True, "AllowOfflineTxForUnknownId": True}


@pytest.mark.parametrize("failure", ["callerror", "unreadable answer"])
async def test_section_3_5_an_authorize_answered_with_an_error_does_not_authorize_the_tag(
    central_system: CentralSystem, tmp_path: Path, failure: str
) -> None:
    cs = central_system
    cs.fail_to_process("Authorize", failure, only=lambda p: p["idTag"] == UNKNOWN)
    async with running_station(cs, tmp_path, configuration=OFFLINE_RULES) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        rs.present(UNKNOWN)
        await cs.wait_for("Authorize", lambda p: p["idTag"] == UNKNOWN, since=mark)
        # Tags are handled in turn: when the next one starts, the first was refused.
        rs.present(VALID)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert start.payload["idTag"] == VALID
    cs.errors_sent.clear()


async def test_section_3_5_an_authorize_without_answer_applies_the_offline_rules(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    cs.fail_to_process("Authorize", "no answer")
    config = {**OFFLINE_RULES, "MessageTimeout": 1}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        mark = cs.mark()
        rs.plug_in(1)
        rs.present(UNKNOWN)
        start = await cs.wait_for("StartTransaction", since=mark)
        assert start.payload["idTag"] == UNKNOWN
        assert cs.connect_count[rs.cp_id] == 1
