"""The [devices] tables: each bad key is named with what was expected."""

from __future__ import annotations

from typing import Any

import pytest

from chargestack.exceptions import ConfigurationError
from chargestack.settings import parse_station_settings

BASE: dict[str, Any] = {
    "identity": {"charge_point_id": "CP", "vendor": "v", "model": "m"},
    "central_system": {"url": "ws://127.0.0.1:9/ocpp"},
    "connectors": [{"id": 1}, {"id": 2}],
    "data_dir": "/tmp/unused",
}
METER = {"connector": 1, "model": "accuenergy-acudc240", "transport": "tcp", "host": "meter"}


def refused(**station: Any) -> str:
    with pytest.raises(ConfigurationError) as raised:
        parse_station_settings({**BASE, **station})
    return str(raised.value)


def test_defaults_are_all_simulated() -> None:
    settings = parse_station_settings({**BASE, "hardware": "devices"})
    devices = settings.device_settings()
    assert devices.power.kind == "simulated"
    assert (devices.meter, devices.reader, devices.io) == ([], None, None)


@pytest.mark.parametrize(
    ("devices", "message"),
    [
        (
            {"power": {"kind": "socketcan", "interface": "can0"}},
            'devices.power: Value error, "socketcan" is not available in this build',
        ),
        ({"meter": [{**METER, "model": "acme-1"}]}, "unknown meter model 'acme-1'"),
        ({"meter": [{**METER, "host": None}]}, 'transport "tcp" needs host'),
        (
            {"meter": [{**METER, "transport": "rtu", "host": None}]},
            'transport "rtu" needs serial_port',
        ),
        ({"meter": [{**METER, "model": "custom"}]}, 'model "custom" needs a registers table'),
        ({"meter": [{**METER, "unit_id": 0}]}, "devices.meter.0.unit_id: Input should be greater"),
        ({"meter": [METER, METER]}, "more than one meter on connector(s) [1]"),
        ({"meter": [{**METER, "connector": 3}]}, "devices.meter: connector 3 is not one of"),
        (
            {
                "meter": [
                    {
                        **METER,
                        "model": "custom",
                        "registers": {"energy_import": {"address": 1, "type": "int24"}},
                    }
                ]
            },
            "devices.meter.0.registers.energy_import.type: Input should be",
        ),
        ({"reader": {"port": "/dev/x", "uid_format": "octal"}}, "devices.reader.uid_format"),
        ({"reader": {}}, "devices.reader.port: Field required"),
        ({"io": {"kind": "gpiod"}}, "devices.io.kind: Input should be 'simulated'"),
        ({"io": {"contactor_feedback_timeout_ms": 1}}, "devices.io.contactor_feedback_timeout_ms"),
        ({"lights": {}}, "devices.lights: Extra inputs are not permitted"),
    ],
)
def test_bad_device_keys_are_named(devices: dict[str, Any], message: str) -> None:
    assert message in refused(hardware="devices", devices=devices)


def test_devices_tables_need_the_devices_hardware() -> None:
    assert 'a [devices] table needs hardware = "devices"' in refused(devices={})
