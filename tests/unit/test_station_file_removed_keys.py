"""A key the station file no longer has is refused with where its setting went."""

from __future__ import annotations

from pathlib import Path

import pytest

from chargestack.exceptions import ConfigurationError
from chargestack.settings import parse_station_settings


def test_call_timeout_s_points_to_message_timeout(tmp_path: Path) -> None:
    station = {
        "identity": {"charge_point_id": "CP-1", "vendor": "Chargestack", "model": "DC"},
        "central_system": {"url": "ws://127.0.0.1:9/ocpp"},
        "connectors": [{"id": 1}],
        "data_dir": str(tmp_path),
        "timers": {"call_timeout_s": 2},
    }
    with pytest.raises(ConfigurationError) as raised:
        parse_station_settings(station)
    message = str(raised.value)
    assert "call_timeout_s" in message and "MessageTimeout" in message
    del station["timers"]
    assert parse_station_settings(station).timers.drain_s == 5.0
