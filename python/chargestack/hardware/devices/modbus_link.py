"""One Modbus link (a TCP connection or an RS-485 line) shared by the meters on it.

pymodbus's asyncio client does the I/O on the event loop without blocking it. Requests on
one link are serialised (an RS-485 line carries one request at a time), every request has
a timeout, and a failed request drops the connection so that the next poll reconnects:
the link is a small state machine (closed -> connected -> closed), never a retry loop.
"""

from __future__ import annotations

import asyncio
import logging

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from chargestack.hardware.devices.errors import MeterReadError, MeterRefusedError
from chargestack.settings.devices import MeterDeviceSettings
from chargestack.settings.register_map import RegisterKind

log = logging.getLogger(__name__)

ModbusClient = AsyncModbusTcpClient | AsyncModbusSerialClient


class ModbusLink:
    def __init__(self, settings: MeterDeviceSettings) -> None:
        self.endpoint = settings.endpoint()
        self._settings = settings
        self._client: ModbusClient | None = None
        self._lock = asyncio.Lock()

    def _new_client(self) -> ModbusClient:
        s = self._settings
        # retries=0 and reconnect_delay=0: this link decides when to try again (next poll).
        if s.transport == "tcp":
            assert s.host is not None
            return AsyncModbusTcpClient(
                s.host, port=s.port, timeout=s.timeout_s, retries=0, reconnect_delay=0
            )
        assert s.serial_port is not None
        return AsyncModbusSerialClient(
            s.serial_port,
            baudrate=s.baudrate,
            parity=s.parity,
            stopbits=s.stopbits,
            bytesize=8,
            timeout=s.timeout_s,
            retries=0,
            reconnect_delay=0,
        )

    async def read(
        self, kind: RegisterKind, address: int, count: int, unit_id: int, timeout_s: float
    ) -> list[int]:
        """``count`` words from ``address``; raises MeterReadError (the link is then closed)."""
        async with self._lock:
            try:
                async with asyncio.timeout(timeout_s * 2):
                    return await self._read(kind, address, count, unit_id)
            except (TimeoutError, ModbusException, OSError) as exc:
                self._drop()
                raise MeterReadError(f"{self.endpoint}: {_describe(exc)}") from None
            except MeterReadError:
                self._drop()
                raise

    async def _read(self, kind: RegisterKind, address: int, count: int, unit_id: int) -> list[int]:
        if self._client is None or not self._client.connected:
            self._drop()
            client = self._new_client()
            if not await client.connect():
                client.close()
                raise MeterReadError(f"{self.endpoint}: cannot connect")
            self._client = client
        client = self._client
        if kind == "holding":
            response = await client.read_holding_registers(address, count=count, device_id=unit_id)
        else:
            response = await client.read_input_registers(address, count=count, device_id=unit_id)
        if response.isError():
            raise MeterRefusedError(f"{self.endpoint}: unit {unit_id} answered {response}")
        words = list(response.registers)
        if len(words) != count:
            raise MeterReadError(f"{self.endpoint}: asked {count} words, got {len(words)}")
        return words

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def close(self) -> None:
        self._drop()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    text = str(exc).strip()
    return text or type(exc).__name__
