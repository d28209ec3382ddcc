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
CAN = {"kind": "socketcan", "interface": "can0"}
LINK = {"kind": "socket", "path": "/run/chargestack/ev-link.sock"}


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
            'power: kind "socketcan" needs [devices.io] (the contactors and their feedback)',
        ),
        (
            {"power": {"kind": "socketcan", "interface": "can0"}, "io": {}},
            'power: kind "socketcan" needs [devices.ev_link]',
        ),
        ({"power": {"kind": "socketcan"}}, 'kind "socketcan" needs interface'),
        (
            {"power": {"interface": "can0"}},
            'interface and addresses apply only to kind "socketcan"',
        ),
        ({"power": {**CAN, "interface": "can 0"}}, "devices.power.interface: String should match"),
        ({"power": {**CAN, "protocol": "winline"}}, "devices.power.protocol: Input should be"),
        ({"power": {**CAN, "addresses": [1, 1]}}, "addresses: an address is given twice"),
        ({"power": {**CAN, "addresses": [63]}}, "devices.power.addresses.0: Input should be less"),
        ({"power": {**CAN, "controller_address": 1}}, "devices.power.controller_address"),
        ({"power": {**CAN, "ev_request_timeout_ms": 0}}, "devices.power.ev_request_timeout_ms"),
        (
            {"power": {**CAN, "addresses": [1, 2]}, "io": {}, "ev_link": LINK},
            "devices.power.addresses: 2 addresses for power.modules.count = 6 modules",
        ),
        ({"ev_link": LINK}, 'ev_link: an EV link drives only power kind "socketcan"'),
        (
            {"power": CAN, "io": {}, "ev_link": {"kind": "simulated"}},
            'ev_link: kind "simulated" needs power interface "virtual"',
        ),
        ({"power": CAN, "io": {}, "ev_link": {"kind": "socket"}}, 'kind "socket" needs path'),
        (
            {"power": CAN, "io": {}, "ev_link": {"kind": "bluetooth"}},
            "devices.ev_link.kind: Input should be 'socket' or 'simulated'",
        ),
        ({"meter": [{**METER, "model": "acme-1"}]}, "unknown meter model 'acme-1'"),
        ({"meter": [{**METER, "host": None}]}, 'transport "tcp" needs host'),
        (
            {"meter": [{**METER, "transport": "rtu", "host": None}]},
            'transport "rtu" needs serial_port',
        ),
        ({"meter": [{**METER, "model": "custom"}]}, 'model "custom" needs a registers table'),
        (
            {"meter": [{**METER, "sunspec_base": 40000}]},
            "sunspec_base applies only to model \"sunspec\", not 'accuenergy-acudc240'",
        ),
        (
            {"meter": [{**METER, "model": "sunspec", "sunspec_base": 65534}]},
            "devices.meter.0.sunspec_base: Input should be less than or equal to 65533",
        ),
        (
            {
                "meter": [
                    {**METER, "model": "sunspec", "registers": {"energy_import": {"address": 1}}}
                ]
            },
            "registers apply only to model \"custom\", not 'sunspec'",
        ),
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


def test_a_hardware_stage_reads_its_bus_its_modules_and_its_ev_link() -> None:
    settings = parse_station_settings(
        {
            **BASE,
            "hardware": "devices",
            "power": {"modules": {"count": 3}},
            "devices": {
                "power": {**CAN, "addresses": [16, 17, 18], "controller_address": 0xF1},
                "io": {"contactor_feedback_timeout_ms": 300},
                "ev_link": LINK,
            },
        }
    )
    devices = settings.device_settings()
    assert (devices.power.interface, devices.power.addresses) == ("can0", [16, 17, 18])
    assert devices.ev_link is not None and str(devices.ev_link.path).endswith("ev-link.sock")
    assert not devices.power.on_bench()


def test_module_ratings_and_count_on_one_bus_are_named() -> None:
    bad_range = {"modules": {"min_voltage_v": 500.0, "max_voltage_v": 400.0}}
    assert "power.modules: Value error, min_voltage_v must be below max_voltage_v" in refused(
        power=bad_range
    )
    assert "power.modules.max_power_w: Input should be greater than 0" in refused(
        power={"modules": {"max_power_w": 0}}
    )
    too_many = refused(
        hardware="devices",
        power={"modules": {"count": 61}},
        devices={"power": CAN, "io": {}, "ev_link": LINK},
    )
    assert "power.modules.count: 61 modules on one CAN bus (at most 60" in too_many
