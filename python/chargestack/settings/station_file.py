"""The station file (TOML), validated by pydantic.

A bad file is refused whole, with one message per problem naming the key (as a dotted
TOML path), what was expected and what was found; nothing is written before it validates.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from chargestack.exceptions import ConfigurationError
from chargestack.settings.devices import DevicesSettings
from chargestack.settings.firmware import FirmwareSettings
from chargestack.settings.strict import Strict

#: The feature profiles of OCPP 1.6 (section 3.3) as SupportedFeatureProfiles spells them,
#: in the order of errata v4.0 3.2; a station file offers Core and any of the others.
FEATURE_PROFILES = (
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "SmartCharging",
    "RemoteTrigger",
)


class Identity(Strict):
    charge_point_id: Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[^/\s]+$")]
    vendor: Annotated[str, Field(min_length=1, max_length=20)]
    model: Annotated[str, Field(min_length=1, max_length=20)]
    charge_point_serial_number: Annotated[str | None, Field(max_length=25)] = None
    charge_box_serial_number: Annotated[str | None, Field(max_length=25)] = None
    # Only for installer = "simulated": a real installation reports the version of the
    # chargestack package it runs (BootNotification firmwareVersion).
    firmware_version: Annotated[str | None, Field(min_length=1, max_length=50)] = None
    iccid: Annotated[str | None, Field(max_length=20)] = None
    imsi: Annotated[str | None, Field(max_length=20)] = None
    meter_type: Annotated[str | None, Field(max_length=25)] = None
    meter_serial_number: Annotated[str | None, Field(max_length=25)] = None


class CentralSystemSettings(Strict):
    url: Annotated[str, Field(pattern=r"^wss?://")]
    security_profile: Annotated[int, Field(ge=0, le=3)] = 0
    authorization_key: str | None = None
    ca_file: Path | None = None
    client_certificate: Path | None = None
    client_key: Path | None = None
    server_hostname: str | None = None
    # Longest incoming frame decoded, in bytes; larger CALLs get a CALLERROR, frames over 4x
    # this close the link (1009). Unset: derived from SendLocalListMaxLength so the largest
    # SendLocalList fits (ocpp/frame_limits.py).
    max_frame_bytes: Annotated[int | None, Field(ge=4096, le=64 * 1024 * 1024)] = None

    @model_validator(mode="after")
    def _profile_prerequisites(self) -> CentralSystemSettings:
        # Whitepaper section 2: each profile has prerequisites that must hold before use.
        if self.security_profile in (1, 2) and not self.authorization_key:
            raise ValueError("security_profile 1 and 2 need authorization_key")
        if self.security_profile >= 2 and not self.url.startswith("wss://"):
            raise ValueError("security_profile 2 and 3 need a wss:// url")
        if self.security_profile == 3 and (
            self.client_certificate is None or self.client_key is None
        ):
            raise ValueError("security_profile 3 needs client_certificate and client_key")
        return self


class ConnectorType(StrEnum):
    CCS2 = "CCS2"
    CCS1 = "CCS1"
    CHADEMO = "CHAdeMO"
    GBT = "GBT"
    NACS = "NACS"


class ConnectorSettings(Strict):
    id: Annotated[int, Field(ge=1, le=16)]
    type: ConnectorType = ConnectorType.CCS2
    max_current_a: Annotated[float, Field(gt=0, le=1000)] = 200.0
    max_power_w: Annotated[float, Field(gt=0, le=1_000_000)] = 150_000.0
    min_voltage_v: Annotated[float, Field(ge=0, le=1500)] = 150.0
    max_voltage_v: Annotated[float, Field(gt=0, le=1500)] = 920.0
    fixed_cable: bool = True

    @model_validator(mode="after")
    def _voltage_range(self) -> ConnectorSettings:
        if self.min_voltage_v >= self.max_voltage_v:
            raise ValueError("min_voltage_v must be below max_voltage_v")
        return self


class GridSettings(Strict):
    phases: Literal[1, 3] = 3
    nominal_voltage_v: Annotated[float, Field(gt=0, le=500)] = 230.0
    max_current_a: Annotated[float, Field(gt=0, le=2000)] = 315.0
    # Fraction of grid power that reaches the EV; used to convert W limits to DC output.
    efficiency: Annotated[float, Field(gt=0.5, le=1.0)] = 0.95


# Infypower REG: up to 60 modules on one bus (reference, section 2.1).
_MODULES_PER_BUS = 60


class ModuleSettings(Strict):
    count: Annotated[int, Field(ge=1, le=64)] = 6
    max_power_w: Annotated[float, Field(gt=0)] = 30_000.0
    max_current_a: Annotated[float, Field(gt=0)] = 100.0
    min_voltage_v: Annotated[float, Field(ge=0)] = 150.0
    max_voltage_v: Annotated[float, Field(gt=0)] = 1000.0
    # Switch matrix: for each module (by index), the connectors it can be switched to.
    # Empty means every module can serve every connector.
    matrix: list[list[int]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _voltage_range(self) -> ModuleSettings:
        if self.min_voltage_v >= self.max_voltage_v:
            raise ValueError("min_voltage_v must be below max_voltage_v")
        return self


class PowerSettings(Strict):
    modules: ModuleSettings = ModuleSettings()
    loop_period_ms: Annotated[int, Field(ge=1, le=1000)] = 50
    ramp_a_per_s: Annotated[float, Field(gt=0)] = 50.0
    watchdog_ms: Annotated[int, Field(ge=50, le=60_000)] = 1000
    silent_bus_ticks: Annotated[int, Field(ge=1, le=1000)] = 20
    # "own": the control loop has a thread of its own, SCHED_FIFO where permitted (a charger).
    # "shared": every station of the process with "shared" ticks on one thread (a fleet of
    # simulated chargers in one process, e.g. for load-testing a central system).
    loop_thread: Literal["own", "shared"] = "own"


class ControlApiSettings(Strict):
    host: Literal["127.0.0.1", "localhost", "::1"] = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 0
    enabled: bool = True
    # Serve on this unix-domain socket instead of host:port; its file mode is the access
    # control (owner only by default; 0o660 lets a group such as the HMI's in).
    unix_socket: Path | None = None
    unix_socket_mode: Annotated[int, Field(ge=0o600, le=0o666)] = 0o600


class TimerSettings(Strict):
    """Protocol timers that are not OCPP configuration keys; tests shrink them.

    How long a CALL waits for its answer is the key MessageTimeout ([configuration])."""

    boot_retry_s: Annotated[float, Field(gt=0)] = 60.0  # when the response gives interval 0
    backoff_initial_s: Annotated[float, Field(gt=0)] = 1.0
    backoff_max_s: Annotated[float, Field(gt=0)] = 60.0
    pong_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    # A link restarted for new connection settings closes with a handshake within this time,
    # or is aborted.
    close_timeout_s: Annotated[float, Field(gt=0)] = 5.0
    reset_delay_s: Annotated[float, Field(ge=0)] = 0.5
    # How long a graceful stop waits for queued messages to reach the central system.
    drain_s: Annotated[float, Field(ge=0)] = 5.0
    # The longest the answer to a central-system CALL waits for what its handler stored to
    # reach the disk; then it is a CALLERROR naming the storage (ocpp/storage_answers.py).
    storage_answer_s: Annotated[float, Field(gt=0)] = 5.0

    @model_validator(mode="before")
    @classmethod
    def _no_call_timeout(cls, data: Any) -> Any:
        # Removed key: it never took effect (MessageTimeout's default overrode it), so a file
        # that sets it is told where the answer timeout lives rather than "extra input".
        if isinstance(data, dict) and "call_timeout_s" in data:
            raise ValueError(
                "call_timeout_s is no longer a timer: the time a CALL waits for its answer is "
                "the OCPP key MessageTimeout, set it under [configuration]"
            )
        return data


class StationSettings(Strict):
    """A validated station file: the charge point's identity, its central system, its
    connectors, grid, power stage, hardware, firmware installer and initial OCPP keys."""

    identity: Identity
    central_system: CentralSystemSettings
    connectors: Annotated[list[ConnectorSettings], Field(min_length=1)]
    grid: GridSettings = GridSettings()
    power: PowerSettings = PowerSettings()
    data_dir: Path
    # "sim": everything simulated; "devices": each part from the [devices] tables.
    hardware: Literal["sim", "devices"] = "sim"
    devices: DevicesSettings | None = None
    # The controller rides through a mains failure on backup power long enough to stop its
    # transactions (reason PowerLoss) and send them before it goes down (OCTT TC_032_1).
    backup_power: bool = False
    control_api: ControlApiSettings = ControlApiSettings()
    feature_profiles: list[str] = Field(default_factory=lambda: list(FEATURE_PROFILES))
    timers: TimerSettings = TimerSettings()
    firmware: FirmwareSettings = FirmwareSettings()
    # Initial values of OCPP configuration keys, by their OCPP names.
    configuration: dict[str, bool | int | float | str] = Field(default_factory=dict)

    @field_validator("feature_profiles")
    @classmethod
    def _known_profiles(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in FEATURE_PROFILES]
        if unknown:
            raise ValueError(
                f"unknown feature profile(s) {unknown}; known: {list(FEATURE_PROFILES)}"
            )
        if "Core" not in value:
            raise ValueError("Core is mandatory")
        return value

    @model_validator(mode="after")
    def _connector_ids(self) -> StationSettings:
        ids = [c.id for c in self.connectors]
        if sorted(ids) != list(range(1, len(ids) + 1)):
            raise ValueError(f"connector ids must be 1..{len(ids)} without gaps, found {ids}")
        return self

    @model_validator(mode="after")
    def _devices(self) -> StationSettings:
        if self.devices is not None and self.hardware != "devices":
            raise ValueError('a [devices] table needs hardware = "devices"')
        ids = {c.id for c in self.connectors}
        for meter in self.devices.meter if self.devices is not None else []:
            if meter.connector not in ids:
                raise ValueError(
                    f"devices.meter: connector {meter.connector} is not one of the "
                    f"connectors {sorted(ids)}"
                )
        power = self.device_settings().power
        modules = self.power.modules
        if power.addresses is not None and len(power.addresses) != modules.count:
            raise ValueError(
                f"devices.power.addresses: {len(power.addresses)} addresses for "
                f"power.modules.count = {modules.count} modules"
            )
        if power.kind == "socketcan" and modules.count > _MODULES_PER_BUS:
            raise ValueError(
                f"power.modules.count: {modules.count} modules on one CAN bus (at most "
                f"{_MODULES_PER_BUS}: Infypower addresses 0x00-0x3E)"
            )
        return self

    def device_settings(self) -> DevicesSettings:
        """The [devices] tables, their defaults where the file has none."""
        return self.devices if self.devices is not None else DevicesSettings()

    @model_validator(mode="after")
    def _firmware_version_only_simulated(self) -> StationSettings:
        if self.identity.firmware_version is not None and self.firmware.installer != "simulated":
            raise ValueError(
                "identity.firmware_version applies only to [firmware] installer = "
                '"simulated"; otherwise the running chargestack package\'s version is reported'
            )
        return self

    @property
    def slots_dir(self) -> Path:
        """Where the firmware slots (virtual environments) live."""
        return self.firmware.slots_dir or self.data_dir / "firmware" / "slots"

    def connector(self, connector_id: int) -> ConnectorSettings:
        return self.connectors[connector_id - 1]


def _format_errors(error: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid station file"]
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        found = item.get("input")
        shown = "missing" if item["type"] == "missing" else repr(found)
        if isinstance(found, dict):
            shown = "a table"
        lines.append(f"  {key}: {item['msg']} (found {shown})")
    return "\n".join(lines)


def parse_station_settings(data: dict[str, Any], source: str = "station file") -> StationSettings:
    """Validate a station file's data; ``ConfigurationError`` names every bad key, with
    ``source`` (the file) in its first line."""
    try:
        return StationSettings.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(_format_errors(exc, source)) from None


def load_station_file(path: Path) -> StationSettings:
    """Read and validate a station file; relative paths inside it are relative to the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read station file: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from None
    base = path.parent
    if isinstance(data.get("data_dir"), str):
        data["data_dir"] = str((base / data["data_dir"]).resolve())
    firmware = data.get("firmware")
    if isinstance(firmware, dict) and isinstance(firmware.get("slots_dir"), str):
        firmware["slots_dir"] = str((base / firmware["slots_dir"]).resolve())
    api = data.get("control_api")
    if isinstance(api, dict) and isinstance(api.get("unix_socket"), str):
        api["unix_socket"] = str((base / api["unix_socket"]).resolve())
    devices = data.get("devices")
    link = devices.get("ev_link") if isinstance(devices, dict) else None
    if isinstance(link, dict) and isinstance(link.get("path"), str):
        link["path"] = str((base / link["path"]).resolve())
    return parse_station_settings(data, str(path))
