"""Real protocol peers for the device drivers, all on this machine.

- ``MeterServer``: a pymodbus server (Modbus TCP on 127.0.0.1, or Modbus RTU on a serial
  line) holding a meter model's registers, encoded the way that model encodes them.
- ``NullModem``: two pseudo-terminals joined back to back, so that an RTU server and the
  station each open a real serial device; cutting it makes the meter fall silent.
- ``SerialLine``: one pseudo-terminal whose slave is the reader's serial port; the test
  writes what a reader would and can unplug it (close the master).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct
import termios
import tty
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusSerialServer, ModbusTcpServer

from chargestack.hardware.devices.register_decoding import scaled_value
from chargestack.settings.register_map import MeterRegisterMap, RegisterSpec

_FORMATS = {
    "uint16": "H",
    "int16": "h",
    "uint32": "I",
    "int32": "i",
    "uint64": "Q",
    "int64": "q",
    "float32": "f",
    "float64": "d",
}
_INTEGER_RANGES = {
    "uint16": (0, 0xFFFF),
    "int16": (-0x8000, 0x7FFF),
    "uint32": (0, 0xFFFF_FFFF),
    "int32": (-0x8000_0000, 0x7FFF_FFFF),
    "uint64": (0, 2**64 - 1),
    "int64": (-(2**63), 2**63 - 1),
}


def encode(spec: RegisterSpec, value: float) -> dict[int, int]:
    """The words (address -> word) a meter of this map holds for ``value``; the exponent
    register, where the map has one, gets the smallest exponent that fits the number."""
    exponents = [None] if spec.exponent_address is None else list(range(-3, 10))
    for exponent in exponents:
        power = 0 if exponent is None else exponent - spec.exponent_offset
        raw: float = value / spec.scale / 10.0**power
        if spec.type in _INTEGER_RANGES:
            low, high = _INTEGER_RANGES[spec.type]
            if abs(raw - round(raw)) > 1e-6 or not low <= round(raw) <= high:
                continue
            raw = round(raw)
        packed = struct.pack(">" + _FORMATS[spec.type], raw)
        words = [int.from_bytes(packed[i : i + 2], "big") for i in range(0, len(packed), 2)]
        if spec.word_order == "little":
            words.reverse()
        out = dict(zip(range(spec.address, spec.address + len(words)), words, strict=True))
        if exponent is not None and spec.exponent_address is not None:
            out[spec.exponent_address] = exponent & 0xFFFF
        decoded = scaled_value(spec, out)
        assert decoded is not None and abs(decoded - value) < 1e-3 * max(1.0, abs(value))
        return out
    raise ValueError(f"{value} cannot be encoded in {spec}")


class MeterServer:
    """A meter of ``register_map`` at ``unit_id``; ``set(...)`` changes what it holds.
    It has holding and input registers 0 to ``registers - 1`` (a SunSpec device needs them up
    to 40000 or 50000 and more); reading beyond is answered with a Modbus exception."""

    def __init__(
        self, register_map: MeterRegisterMap, unit_id: int = 1, registers: int = 2048
    ) -> None:
        self.register_map = register_map
        self.unit_id = unit_id
        blocks = {"hr": ModbusSequentialDataBlock(1, [0] * registers)}
        blocks["ir"] = ModbusSequentialDataBlock(1, [0] * registers)
        self._context = ModbusServerContext(
            devices={unit_id: ModbusDeviceContext(**blocks)}, single=False
        )
        self._server: ModbusTcpServer | ModbusSerialServer | None = None
        self.values: dict[str, float] = {}
        self._holding: dict[int, int] = {}
        self.port = 0

    async def start_tcp(self, port: int = 0) -> int:
        server = ModbusTcpServer(self._context, address=("127.0.0.1", port))
        await server.serve_forever(background=True)
        assert server.transport is not None
        self.port = server.transport.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._server = server
        await self._write_all()
        return self.port

    async def start_rtu(self, device: str) -> None:
        server = ModbusSerialServer(self._context, port=device, baudrate=19200, timeout=0.2)
        await server.serve_forever(background=True)
        self._server = server
        await self._write_all()

    async def stop(self) -> None:
        """The meter stops answering (TCP: the port closes)."""
        if self._server is not None:
            await self._server.shutdown()
            self._server = None

    async def set(self, **values: float) -> None:
        """E.g. ``set(energy_import=1234.0, voltage=800.0)``, in the station's units."""
        self.values.update(values)
        await self._write_all()

    async def write_words(self, words: Mapping[int, int]) -> None:
        """Holding registers as they are (address -> word), beside the map's quantities:
        e.g. a SunSpec device's marker and models, or a value it marks "not implemented"."""
        self._holding.update(words)
        await self._write_all()

    async def _write_all(self) -> None:
        if self._server is None:
            return
        quantities = self.register_map.quantities()
        for name, value in self.values.items():
            spec = quantities[name]
            function = 3 if spec.kind == "holding" else 4
            for address, word in encode(spec, value).items():
                await self._server.async_setValues(self.unit_id, function, address, [word])
        # Last, so that words written as they are win over a quantity at the same address.
        for address, word in self._holding.items():
            await self._server.async_setValues(self.unit_id, 3, address, [word])


def _raw_pty() -> tuple[int, int, str]:
    master, slave = os.openpty()
    tty.setraw(slave)
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHO  # lflag
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    return master, slave, os.ttyname(slave)


class NullModem:
    """Two ptys back to back: whatever one side's device writes, the other side's reads."""

    def __init__(self) -> None:
        # The slaves stay open here too: a master whose slave has no opener reads EIO at
        # once, which would spin the event loop until the devices are opened.
        self._a, self._slave_a, self.device_a = _raw_pty()
        self._b, self._slave_b, self.device_b = _raw_pty()
        os.set_blocking(self._a, False)
        os.set_blocking(self._b, False)
        self.connected = True
        loop = asyncio.get_running_loop()
        loop.add_reader(self._a, self._relay, self._a, self._b)
        loop.add_reader(self._b, self._relay, self._b, self._a)

    def _relay(self, src: int, dst: int) -> None:
        try:
            data = os.read(src, 4096)
        except OSError:
            return  # the other end's device is not open (yet)
        if self.connected and data:
            with contextlib.suppress(OSError):
                os.write(dst, data)

    def close(self) -> None:
        loop = asyncio.get_running_loop()
        for fd in (self._a, self._b):
            loop.remove_reader(fd)
        for fd in (self._a, self._b, self._slave_a, self._slave_b):
            os.close(fd)


class SerialLine:
    """The reader's end of a serial cable: ``path`` is what the station file names (a
    symlink, so that a re-plugged reader can appear under the same name)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._master: int | None = None
        self.plug()

    def plug(self) -> None:
        self._master, slave, device = _raw_pty()
        os.close(slave)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.path.symlink_to(device)

    def write(self, data: bytes) -> None:
        assert self._master is not None
        os.write(self._master, data)

    def unplug(self) -> None:
        """The reader is gone: the device's reads fail (EIO) and the name leads nowhere."""
        if self._master is not None:
            os.close(self._master)
            self._master = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def meter_table(connector: int, model: str, **link: Any) -> dict[str, Any]:
    """A ``[[devices.meter]]`` entry with the short timings the tests use."""
    return {
        "connector": connector,
        "model": model,
        "poll_interval_s": 0.1,
        "timeout_s": 0.2,
        "failures_before_fault": 2,
        **link,
    }
