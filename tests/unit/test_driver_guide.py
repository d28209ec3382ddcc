"""docs/drivers.md: its example station file is valid as printed, and every device key of
the station file is explained by ``chargestack config check --explain``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from pydantic import BaseModel

from chargestack.cli import main
from chargestack.settings import load_station_file
from chargestack.settings.devices import (
    DevicesSettings,
    EvLinkDeviceSettings,
    IoDeviceSettings,
    MeterDeviceSettings,
    PowerDeviceSettings,
    ReaderDeviceSettings,
)
from chargestack.settings.register_map import MeterRegisterMap, RegisterSpec
from chargestack.station.preflight import preflight
from driver_guide import example_station_file, hardware_station_file

DEVICE_MODELS: list[type[BaseModel]] = [
    DevicesSettings,
    PowerDeviceSettings,
    MeterDeviceSettings,
    MeterRegisterMap,
    RegisterSpec,
    ReaderDeviceSettings,
    IoDeviceSettings,
    EvLinkDeviceSettings,
]


def test_the_guides_example_station_file_is_valid(tmp_path: Path) -> None:
    station_file = tmp_path / "station.toml"
    station_file.write_text(example_station_file())
    settings = load_station_file(station_file)
    preflight(settings)
    assert settings.hardware == "devices"
    devices = settings.device_settings()
    assert devices.power.kind == "simulated"
    assert [(m.connector, m.model, m.transport) for m in devices.meter] == [
        (1, "accuenergy-acudc240", "tcp"),
        (2, "custom", "rtu"),
    ]
    custom = devices.meter[1].register_map()
    assert (custom.energy_import.address, custom.energy_import.scale) == (0x0300, 10.0)
    assert devices.reader is not None and devices.reader.terminator == "\r\n"
    assert devices.io is not None


def test_every_device_key_has_a_description() -> None:
    missing = [
        f"{model.__name__}.{name}"
        for model in DEVICE_MODELS
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert missing == []


def explanation(line: str) -> tuple[str, str]:
    """(key, description) of ``key = value  # description`` or ``[table]  # description``."""
    left, about = line.split("  # ", 1)
    key = left[1:-1] if left.startswith("[") else left.split(" = ", 1)[0]
    return key, about


def test_config_check_explains_every_device_key(tmp_path: Path) -> None:
    station_file = tmp_path / "station.toml"
    station_file.write_text(example_station_file())
    result = CliRunner().invoke(main, ["config", "check", str(station_file), "--explain"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "hardware = 'devices'"
    explained = dict(explanation(line) for line in lines[1:])
    expected = {"devices.power", "devices.reader", "devices.io"}
    expected |= {f"devices.power.{k}" for k in PowerDeviceSettings.model_fields}
    expected |= {f"devices.reader.{k}" for k in ReaderDeviceSettings.model_fields}
    expected |= {f"devices.io.{k}" for k in IoDeviceSettings.model_fields}
    for i in (0, 1):
        expected |= {f"devices.meter[{i}].{k}" for k in MeterDeviceSettings.model_fields}
    expected |= {f"devices.meter[1].registers.{k}" for k in MeterRegisterMap.model_fields}
    expected |= {f"devices.meter[1].registers.energy_import.{k}" for k in RegisterSpec.model_fields}
    assert expected <= set(explained), sorted(expected - set(explained))
    assert explained["devices.meter[0].poll_interval_s"] == "how often the meter is read (s)"
    assert 'devices.meter[1].serial_port = "/dev/ttyUSB0"' in result.stdout


def test_the_guides_hardware_stage_file_is_valid_and_explained(tmp_path: Path) -> None:
    station_file = tmp_path / "station.toml"
    station_file.write_text(hardware_station_file())
    settings = load_station_file(station_file)
    preflight(settings)
    devices = settings.device_settings()
    assert (devices.power.kind, devices.power.interface) == ("socketcan", "can0")
    assert devices.power.addresses == [16, 17, 18, 19, 20, 21]
    assert devices.ev_link is not None and devices.ev_link.kind == "socket"
    result = CliRunner().invoke(main, ["config", "check", str(station_file), "--explain"])
    assert result.exit_code == 0, result.output
    explained = dict(explanation(line) for line in result.stdout.splitlines()[1:])
    expected = {"devices.ev_link"} | {
        f"devices.ev_link.{k}" for k in EvLinkDeviceSettings.model_fields
    }
    assert expected <= set(explained), sorted(expected - set(explained))
    assert 'devices.power.interface = "can0"' in result.stdout
