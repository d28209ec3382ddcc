"""Keeps a station running: restarts it after a Reset, stops it on a signal.

A Reset ends the Station object; the runner builds a new one from the same settings (through
the composition root), as a controller reboot would, so nothing survives in memory that the
store does not hold. A runner that owns its process (``chargestack run``) ends instead on a
Hard reset, as a controller reboots its software and not only the station (errata 3.36/3.82:
a hard reset restarts the hardware), and the process starts again (``deploy.restart``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING

from chargestack.assembly.assembled_station import AssembledStation
from chargestack.hardware.interfaces import Hardware
from chargestack.hardware.sim import simulator_of
from chargestack.hardware.sim.plugged_evs import save_plugged, take_plugged
from chargestack.ocpp.session import SessionState
from chargestack.settings import StationSettings
from chargestack.station import stack_dump
from chargestack.station.clock import Clock
from chargestack.station.stop_kind import StopKind

if TYPE_CHECKING:
    from chargestack.control.server import ControlApi

log = logging.getLogger("chargestack.runner")


class StationRunner:
    """Runs a station as a controller would: a new ``Station`` after each Reset or power
    cut (nothing survives in memory that the store does not hold), the local control API
    across them (``settings.control_api``), until :meth:`shutdown`.

    ``hard_reset_restarts_process``: a Hard reset ends the runner with
    :attr:`process_restart` set, for a caller that owns the process to start it again
    (``chargestack run``); otherwise, as for a Soft reset, the station restarts in place
    (several stations in one process, tests)."""

    def __init__(
        self,
        settings: StationSettings,
        *,
        hardware_factory: Callable[[StationSettings], Hardware] | None = None,
        on_started: Callable[[AssembledStation], None] | None = None,
        clock: Clock | None = None,
        hard_reset_restarts_process: bool = False,
    ) -> None:
        self.settings = settings
        self.hard_reset_restarts_process = hard_reset_restarts_process
        # One clock for every station built after a Reset, as one controller has one clock.
        self.clock = clock
        self.hardware_factory = hardware_factory
        self.on_started = on_started
        self.station: AssembledStation | None = None
        self.restarts = 0
        # True when the runner ended because the process must restart (into other software,
        # or after a Hard reset); restart_reason says which.
        self.process_restart = False
        self.restart_reason = ""
        self.control_api: ControlApi | None = None
        self._start_error: BaseException | None = None
        self._shutdown = asyncio.Event()
        self._started = asyncio.Event()

    async def run(self) -> None:
        """Run until :meth:`shutdown`; a Reset restarts the station in place."""
        api_settings = self.settings.control_api
        if api_settings.enabled:
            from chargestack.control.server import ControlApi
            from chargestack.station.control_target import RunnerControlTarget

            self.control_api = ControlApi(
                RunnerControlTarget(self),
                api_settings.host,
                api_settings.port,
                unix_socket=api_settings.unix_socket,
                unix_socket_mode=api_settings.unix_socket_mode,
            )
            await self.control_api.start()
        try:
            await self._run_stations()
        finally:
            if self.control_api is not None:
                await self.control_api.stop()

    async def _run_stations(self) -> None:
        # The simulated EVs a previous process left plugged in (a Hard reset, new firmware).
        still_plugged = await asyncio.to_thread(take_plugged, self.settings.data_dir)
        while not self._shutdown.is_set():
            station = AssembledStation(
                self.settings,
                hardware_factory=self.hardware_factory,
                plugged_at_start=still_plugged,
                clock=self.clock,
            )
            self.station = station
            try:
                await station.start()
            except BaseException as exc:
                # Whoever waits for the start learns why it failed instead of waiting forever.
                self._start_error = exc
                self._started.set()
                raise
            self._started.set()
            if self.on_started is not None:
                self.on_started(station)
            waiter = asyncio.ensure_future(self._shutdown.wait())
            stopped = asyncio.ensure_future(station.stopped())
            await asyncio.wait({waiter, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not stopped.done():
                await station.stop(StopKind.SHUTDOWN)
                await stopped
            waiter.cancel()
            kind = stopped.result()
            self._started.clear()
            if kind is StopKind.SHUTDOWN:
                break
            simulator = simulator_of(station.hardware)
            still_plugged = simulator.plugged_evs() if simulator is not None else {}
            reason = self._process_restart_reason(kind)
            if reason is not None:
                log.info("stopped to restart the process: %s", reason)
                if still_plugged:
                    await asyncio.to_thread(save_plugged, self.settings.data_dir, still_plugged)
                self.process_restart, self.restart_reason = True, reason
                break
            self.restarts += 1
            log.info("restarting after %s reset", kind)

    def _process_restart_reason(self, kind: StopKind) -> str | None:
        """Why the process, not only the station, restarts after a stop of ``kind``."""
        if kind is StopKind.FIRMWARE and self.settings.firmware.installer != "simulated":
            return "the installed firmware starts"
        if kind is StopKind.HARD_RESET and self.hard_reset_restarts_process:
            return "hard reset"
        return None

    async def wait_started(self) -> AssembledStation:
        await self._started.wait()
        if self._start_error is not None:
            raise self._start_error
        assert self.station is not None
        return self.station

    def first_connection_attempted(self) -> bool:
        """The station runs and has tried the central system once (connected or not)."""
        station = self.station
        return (
            station is not None
            and self._started.is_set()
            and station.session.state
            in (SessionState.CONNECTED, SessionState.BACKOFF, SessionState.OFFLINE)
        )

    def status_line(self) -> str:
        """One line for the service manager: registration, connection, firmware."""
        station = self.station
        if station is None or not self._started.is_set():
            return "starting"
        return (
            f"registration {station.registration.status.value}, "
            f"connection {station.session.state.value}, firmware {station.firmware_version}"
        )

    def shutdown(self) -> None:
        self._shutdown.set()

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.shutdown)
        stack_dump.install(loop)
