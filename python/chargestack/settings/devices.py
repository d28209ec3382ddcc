"""The station file's ``[devices]`` tables: which device drives each part of the charger.

One table per device kind (``[devices.power]``, ``[[devices.meter]]`` one per connector,
``[devices.reader]``, ``[devices.io]``, ``[devices.ev_link]``). Every key is validated and described: the
descriptions are what ``chargestack config check --explain`` prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from chargestack.settings.meter_models import BUILT_IN_MAPS
from chargestack.settings.register_map import MeterRegisterMap
from chargestack.settings.strict import Strict


class PowerDeviceSettings(Strict):
    kind: Annotated[
        Literal["simulated", "socketcan"],
        Field(
            description='"simulated": the Rust stage with simulated modules and EVs; '
            '"socketcan": the hardware stage, rectifier modules on a CAN interface, the EV\'s '
            "request from [devices.ev_link], the contactors through [devices.io]"
        ),
    ] = "simulated"
    interface: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=15,
            pattern=r"^[A-Za-z0-9_.:-]+$",
            description='SocketCAN interface, e.g. "can0" (up, bit rate set); "virtual": the '
            "bench, an in-process bus with the Infypower module simulator on it",
        ),
    ] = None
    protocol: Annotated[
        Literal["infypower"], Field(description="the modules' CAN protocol (Infypower REG)")
    ] = "infypower"
    addresses: Annotated[
        list[Annotated[int, Field(ge=0, le=0x3E)]] | None,
        Field(
            description="the modules' bus addresses (DIP switches, 0-62), one per module of "
            "[power.modules] in its order (default 0, 1, 2, ...)"
        ),
    ] = None
    controller_address: Annotated[
        int,
        Field(ge=0xF0, le=0xF8, description="this controller's address on the bus (240-248)"),
    ] = 0xF0
    ev_request_timeout_ms: Annotated[
        int,
        Field(
            ge=20,
            le=10_000,
            description="an EV request not renewed within this time counts as gone: the "
            "connector ramps down and its contactor opens (ms)",
        ),
    ] = 1000

    @model_validator(mode="after")
    def _consistent(self) -> PowerDeviceSettings:
        if self.kind == "socketcan":
            if self.interface is None:
                raise ValueError('kind "socketcan" needs interface (e.g. "can0", or "virtual")')
            if self.addresses is not None and len(set(self.addresses)) != len(self.addresses):
                raise ValueError(f"addresses: an address is given twice in {self.addresses}")
        elif self.interface is not None or self.addresses is not None:
            raise ValueError('interface and addresses apply only to kind "socketcan"')
        return self

    def on_bench(self) -> bool:
        """The hardware stage on the virtual bus with the module simulator."""
        return self.kind == "socketcan" and self.interface == "virtual"


class EvLinkDeviceSettings(Strict):
    kind: Annotated[
        Literal["socket", "simulated"],
        Field(
            description='"socket": an external HLC stack (ISO 15118 / DIN 70121 / CHAdeMO) '
            'sends the EV\'s request as JSON lines on a unix socket; "simulated": the '
            "simulator's EVs (with interface \"virtual\": their batteries are the bench's load)"
        ),
    ]
    path: Annotated[
        Path | None, Field(description='the unix socket the HLC stack connects to ("socket")')
    ] = None
    socket_mode: Annotated[
        int,
        Field(
            ge=0o600,
            le=0o666,
            description="file mode of the socket: who may feed EV requests (default 0o660: "
            "the owner and its group, e.g. the HLC stack's)",
        ),
    ] = 0o660
    request_interval_ms: Annotated[
        int,
        Field(
            ge=10,
            le=5000,
            description="how often a simulated EV renews its request (ms; ISO 15118 "
            "CurrentDemandReq comes every 50-250 ms)",
        ),
    ] = 100

    @model_validator(mode="after")
    def _consistent(self) -> EvLinkDeviceSettings:
        if self.kind == "socket" and self.path is None:
            raise ValueError('kind "socket" needs path')
        if self.kind == "simulated" and self.path is not None:
            raise ValueError('path applies only to kind "socket"')
        return self


class MeterDeviceSettings(Strict):
    connector: Annotated[int, Field(ge=1, le=16, description="the connector this meter measures")]
    model: Annotated[
        str,
        Field(
            description="a built-in register map ("
            + ", ".join(sorted(BUILT_IN_MAPS))
            + '), "custom" with a [devices.meter.registers] table, or "sunspec": the map '
            "is discovered from the meter's SunSpec models at start"
        ),
    ]
    registers: Annotated[
        MeterRegisterMap | None,
        Field(description='the register map of a "custom" model'),
    ] = None
    sunspec_base: Annotated[
        int | None,
        Field(
            ge=0,
            le=65533,
            description='model "sunspec": the holding register of the "SunS" marker; none: '
            "looked for at the standard addresses 40000, 50000 and 0",
        ),
    ] = None
    transport: Annotated[
        Literal["tcp", "rtu"],
        Field(description='"tcp": Modbus TCP; "rtu": Modbus RTU on a serial line'),
    ]
    host: Annotated[str | None, Field(min_length=1, description="Modbus TCP host")] = None
    port: Annotated[int, Field(ge=1, le=65535, description="Modbus TCP port")] = 502
    serial_port: Annotated[
        str | None, Field(min_length=1, description='Modbus RTU device, e.g. "/dev/ttyUSB0"')
    ] = None
    baudrate: Annotated[int, Field(ge=1200, le=921_600, description="Modbus RTU baud rate")] = 9600
    parity: Annotated[Literal["N", "E", "O"], Field(description="Modbus RTU parity: N, E or O")] = (
        "N"
    )
    stopbits: Annotated[Literal[1, 2], Field(description="Modbus RTU stop bits")] = 1
    unit_id: Annotated[
        int, Field(ge=1, le=247, description="the meter's Modbus address (unit id)")
    ] = 1
    poll_interval_s: Annotated[
        float, Field(gt=0, le=60, description="how often the meter is read (s)")
    ] = 1.0
    timeout_s: Annotated[
        float, Field(gt=0, le=10, description="how long one read may take before it failed (s)")
    ] = 0.5
    failures_before_fault: Annotated[
        int,
        Field(
            ge=1,
            le=100,
            description="consecutive failed reads before PowerMeterFailure is reported",
        ),
    ] = 3
    max_power_w: Annotated[
        float | None,
        Field(
            gt=0,
            description="the most power the meter can see; an energy step beyond it is refused "
            "(default: the connector's max_power_w)",
        ),
    ] = None

    @model_validator(mode="after")
    def _consistent(self) -> MeterDeviceSettings:
        if self.model == "custom":
            if self.registers is None:
                raise ValueError('model "custom" needs a registers table')
        elif self.model != "sunspec" and self.model not in BUILT_IN_MAPS:
            raise ValueError(
                f"unknown meter model {self.model!r}; built in: {sorted(BUILT_IN_MAPS)}, "
                '"custom" or "sunspec"'
            )
        elif self.registers is not None:
            raise ValueError(f'registers apply only to model "custom", not {self.model!r}')
        if self.sunspec_base is not None and self.model != "sunspec":
            raise ValueError(f'sunspec_base applies only to model "sunspec", not {self.model!r}')
        if self.transport == "tcp" and self.host is None:
            raise ValueError('transport "tcp" needs host')
        if self.transport == "rtu" and self.serial_port is None:
            raise ValueError('transport "rtu" needs serial_port')
        return self

    def register_map(self) -> MeterRegisterMap | None:
        """The map from the station file; None for "sunspec", whose map the meter tells."""
        if self.registers is not None:
            return self.registers
        return BUILT_IN_MAPS.get(self.model)

    def endpoint(self) -> str:
        """The link this meter is reached over; meters on one RS-485 line share it."""
        if self.transport == "tcp":
            return f"tcp://{self.host}:{self.port}"
        return f"rtu://{self.serial_port}"


class ReaderDeviceSettings(Strict):
    kind: Annotated[
        Literal["serial"], Field(description='"serial": a reader that writes one UID per line')
    ] = "serial"
    port: Annotated[str, Field(min_length=1, description='serial device, e.g. "/dev/ttyUSB1"')]
    baudrate: Annotated[int, Field(ge=1200, le=921_600, description="baud rate")] = 9600
    prefix: Annotated[
        str, Field(max_length=8, description="characters before each UID, removed (e.g. STX)")
    ] = ""
    terminator: Annotated[
        str,
        Field(min_length=1, max_length=4, description='what ends each UID, e.g. "\\r\\n" or ETX'),
    ] = "\n"
    uid_format: Annotated[
        Literal["hex", "decimal"],
        Field(description='how the reader writes the UID: "hex" digits or a "decimal" number'),
    ] = "hex"
    uid_bytes: Annotated[
        int, Field(ge=1, le=10, description="UID length in bytes (for a decimal UID)")
    ] = 4
    byte_order: Annotated[
        Literal["as_sent", "reversed"],
        Field(description='"reversed": the reader sends the UID least significant byte first'),
    ] = "as_sent"
    debounce_s: Annotated[
        float,
        Field(
            ge=0,
            le=60,
            description="a card seen again within this time of its last read is still the "
            "same presentation (a card held on the reader)",
        ),
    ] = 1.0
    reopen_interval_s: Annotated[
        float, Field(gt=0, le=600, description="how often a lost reader is looked for again (s)")
    ] = 2.0


class IoDeviceSettings(Strict):
    kind: Annotated[
        Literal["simulated"],
        Field(description='"simulated": the simulator\'s inputs (gpiod: see docs/drivers.md)'),
    ] = "simulated"
    contactor_feedback: Annotated[
        bool, Field(description="the contactors' auxiliary contacts are wired and checked")
    ] = True
    contactor_feedback_timeout_ms: Annotated[
        int,
        Field(
            ge=10,
            le=5000,
            description="longest a contactor may take to follow its command before "
            "PowerSwitchFailure (ms)",
        ),
    ] = 200
    poll_interval_ms: Annotated[
        int,
        Field(ge=5, le=1000, description="how often the inputs are checked besides their edges"),
    ] = 50
    cable_lock_timeout_ms: Annotated[
        int,
        Field(ge=10, le=10_000, description="longest a cable lock may take to report locked"),
    ] = 500


class DevicesSettings(Strict):
    power: Annotated[PowerDeviceSettings, Field(description="the DC power stage")] = (
        PowerDeviceSettings()
    )
    meter: Annotated[
        list[MeterDeviceSettings],
        Field(
            description="energy meters, one per connector; a connector without one is measured "
            "by the power stage"
        ),
    ] = Field(default_factory=list)
    reader: Annotated[
        ReaderDeviceSettings | None,
        Field(description="the RFID reader; without one, tags come from the control API"),
    ] = None
    io: Annotated[
        IoDeviceSettings | None,
        Field(description="digital I/O: e-stop, door, contactors and their feedback, cable locks"),
    ] = None
    ev_link: Annotated[
        EvLinkDeviceSettings | None,
        Field(description='the source of the EV\'s request, for power kind "socketcan"'),
    ] = None

    @model_validator(mode="after")
    def _one_meter_per_connector(self) -> DevicesSettings:
        seen = [m.connector for m in self.meter]
        doubles = sorted({c for c in seen if seen.count(c) > 1})
        if doubles:
            raise ValueError(f"more than one meter on connector(s) {doubles}")
        return self

    @model_validator(mode="after")
    def _hardware_stage_parts(self) -> DevicesSettings:
        if self.power.kind != "socketcan":
            if self.ev_link is not None:
                raise ValueError('ev_link: an EV link drives only power kind "socketcan"')
            return self
        # The hardware stage neither closes a contactor nor knows what an EV asks for by
        # itself: the station's I/O and the EV link are its other half.
        if self.io is None:
            raise ValueError(
                'power: kind "socketcan" needs [devices.io] (the contactors and their feedback)'
            )
        if self.ev_link is None:
            raise ValueError('power: kind "socketcan" needs [devices.ev_link] (the EV\'s request)')
        if self.ev_link.kind == "simulated" and not self.power.on_bench():
            raise ValueError(
                'ev_link: kind "simulated" needs power interface "virtual" (the simulated EVs\' '
                "batteries are the bench's load)"
            )
        return self
