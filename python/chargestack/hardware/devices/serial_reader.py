"""The common serial RFID reader: one UID per frame, e.g. ``04A1B2C3D4E5F6\\r\\n``.

The port is opened off the event loop and read without blocking it (pyserial-asyncio-fast).
A card held on the reader is reported again and again by the reader; it is one presentation
until it has been away for ``debounce_s``. A reader that disappears (USB unplugged, cable
cut) raises ``ReaderFailure`` on connector 0 as a warning (remote starts still work) and is
looked for every ``reopen_interval_s``; when it answers again the warning clears.
"""

from __future__ import annotations

import asyncio
import logging

import serial
import serial_asyncio_fast

from chargestack.hardware.devices.debounce import HeldCardFilter
from chargestack.hardware.devices.errors import DeviceOpenError
from chargestack.hardware.devices.uid_framing import UidFormatError, UidFraming
from chargestack.hardware.events import DeviceWarning, DeviceWarningCleared, IdTagPresented
from chargestack.hardware.interfaces import HardwareEventSink
from chargestack.settings.devices import ReaderDeviceSettings
from chargestack.waiting import cancel_and_wait

log = logging.getLogger(__name__)

# A frame longer than this is noise on the line, not a UID.
_MAX_FRAME = 256


class SerialTagReader:
    """Implements ``TagReader``."""

    def __init__(self, settings: ReaderDeviceSettings, device_name: str) -> None:
        self._settings = settings
        self._name = device_name
        self._framing = UidFraming.from_settings(settings)
        self._terminator = settings.terminator.encode("latin-1")
        self._sink: HardwareEventSink | None = None
        self._stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._task: asyncio.Task[None] | None = None
        self._held = HeldCardFilter(settings.debounce_s)
        self.failed = False

    async def start(self, sink: HardwareEventSink) -> None:
        self._sink = sink
        try:
            await self._open()
        except (OSError, ValueError) as exc:
            raise DeviceOpenError(self._name, f"cannot open {self._settings.port}: {exc}") from None
        self._task = asyncio.get_running_loop().create_task(self._run(), name="rfid-reader")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        self._close()

    async def _open(self) -> None:
        self._stream = await serial_asyncio_fast.open_serial_connection(
            url=self._settings.port, baudrate=self._settings.baudrate, limit=_MAX_FRAME
        )

    def _close(self) -> None:
        if self._stream is not None:
            self._stream[1].close()
            self._stream = None

    async def _run(self) -> None:
        while True:
            try:
                await self._read_frames()
            except (OSError, asyncio.IncompleteReadError, serial.SerialException) as exc:
                log.warning("RFID reader %s lost: %s", self._settings.port, exc or "closed")
            self._close()
            self._report_lost()
            await self._reopen()

    async def _read_frames(self) -> None:
        assert self._stream is not None
        reader = self._stream[0]
        while True:
            try:
                frame = await reader.readuntil(self._terminator)
            except asyncio.LimitOverrunError as exc:
                # No terminator in sight: drop the noise and look for the next frame.
                await reader.readexactly(exc.consumed)
                continue
            self._frame(frame[: -len(self._terminator)].decode("latin-1"))

    def _frame(self, text: str) -> None:
        try:
            tag = self._framing.id_tag(text)
        except UidFormatError as exc:
            log.warning("RFID reader: frame ignored: %s", exc)
            return
        if not self._held.is_new(tag, asyncio.get_running_loop().time()):
            return
        assert self._sink is not None
        self._sink(IdTagPresented(tag))

    def _report_lost(self) -> None:
        if not self.failed:
            self.failed = True
            assert self._sink is not None
            self._sink(DeviceWarning(0, "ReaderFailure", "RFID reader not answering", "ReaderLost"))

    async def _reopen(self) -> None:
        while True:
            await asyncio.sleep(self._settings.reopen_interval_s)
            try:
                await self._open()
            except (OSError, ValueError):
                continue
            log.info("RFID reader %s is back", self._settings.port)
            self.failed = False
            self._held.reset()
            assert self._sink is not None
            self._sink(DeviceWarningCleared(0))
            return
