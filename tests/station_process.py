"""A station as its own process (`chargestack run`), for kill -9 tests.

The process is driven through its local control API, the way an integrator would; the
central system runs in the test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from central_system import CentralSystem, Received


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_station_file(
    path: Path,
    url: str,
    data_dir: Path,
    configuration: dict[str, Any],
    *,
    extra: str = "",
    timers: dict[str, float] | None = None,
) -> None:
    """A two-connector station file; ``timers`` adds to or overrides its [timers]."""
    timer_values = {
        "backoff_initial_s": 0.05,
        "backoff_max_s": 0.2,
        **(timers or {}),
    }
    lines = [
        f"data_dir = {toml_value(str(data_dir))}",
        "",
        "[identity]",
        'charge_point_id = "CRASH-CP"',
        'vendor = "Chargestack"',
        'model = "DC-190"',
        "",
        "[central_system]",
        f"url = {toml_value(url)}",
        "",
        "[[connectors]]",
        "id = 1",
        "",
        "[[connectors]]",
        "id = 2",
        "",
        "[control_api]",
        "port = 0",
        "",
        "[timers]",
        *(f"{k} = {toml_value(v)}" for k, v in timer_values.items()),
        "",
        "[configuration]",
        *(f"{k} = {toml_value(v)}" for k, v in configuration.items()),
    ]
    path.write_text("\n".join(lines) + "\n" + extra)


class StationProcess:
    def __init__(
        self,
        station_file: Path,
        *,
        env: dict[str, str] | None = None,
        log_level: str = "WARNING",
        python: str = sys.executable,
        start_timeout: float = 60.0,
    ) -> None:
        self.station_file = station_file
        self.env = env
        self.log_level = log_level
        self.python = python  # another interpreter: e.g. an emulated aarch64 one
        self.start_timeout = start_timeout
        self.proc: asyncio.subprocess.Process | None = None
        self.api = ""
        self._http: aiohttp.ClientSession | None = None
        self._drain: asyncio.Task[None] | None = None
        self.stderr_lines: list[str] = []
        self._stderr_grew = asyncio.Event()

    async def start(self, *, wait_api: bool = True) -> None:
        """Start the process; with ``wait_api``, until its control API is up."""
        self.proc = await asyncio.create_subprocess_exec(
            self.python,
            "-m",
            "chargestack.cli",
            "--log-level",
            self.log_level,
            "run",
            "--config",
            str(self.station_file),
            stderr=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            env=None if self.env is None else {**os.environ, **self.env},
            # Its own process group: a power cut (kill) takes its children (pip) too.
            start_new_session=True,
        )
        self.stderr_lines = []
        self._drain = asyncio.create_task(self._drain_stderr())
        if wait_api:
            await self.wait_api(timeout=self.start_timeout)
        if self._http is None:
            self._http = aiohttp.ClientSession()

    async def _drain_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            self.stderr_lines.append(line.decode(errors="replace"))
            self._stderr_grew.set()
        self._stderr_grew.set()

    async def wait_api(self, since: int = 0, count: int = 1, timeout: float = 60.0) -> None:
        """Until the process printed its control API address ``count`` times after line
        ``since`` (at start-up, and again each time it replaced itself with a slot's
        interpreter); the last one is the API of the process now running."""
        prefix = "control API: "

        def printed() -> int:
            return sum(line.startswith(prefix) for line in self.stderr_lines[since:])

        async with asyncio.timeout(timeout):
            while printed() < count:
                if self._drain is not None and self._drain.done():
                    raise RuntimeError("station process exited:\n" + "".join(self.stderr_lines))
                self._stderr_grew.clear()
                await self._stderr_grew.wait()
        found = [line for line in self.stderr_lines[since:] if line.startswith(prefix)]
        self.api = found[-1].split(": ", 1)[1].strip()

    async def wait_stderr(self, text: str, timeout: float = 10.0) -> None:
        """Until a line containing ``text`` has been written to the process's stderr."""
        async with asyncio.timeout(timeout):
            while not any(text in line for line in self.stderr_lines):
                self._stderr_grew.clear()
                await self._stderr_grew.wait()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        assert self._http is not None
        async with self._http.post(self.api + path, json=body or {}) as response:
            return await response.json()

    async def delete(self, path: str) -> Any:
        assert self._http is not None
        async with self._http.delete(self.api + path) as response:
            return await response.json()

    async def get(self, path: str) -> Any:
        assert self._http is not None
        async with self._http.get(self.api + path) as response:
            return await response.json()

    async def start_session(self, cs: CentralSystem, id_tag: str) -> tuple[Received, int]:
        """A session on connector 1 through the control API, once every connector's status
        has been reported (registered): its StartTransaction and transactionId."""
        await cs.wait_for("StatusNotification", lambda p: p["connectorId"] == 2, timeout=30)
        await self.post("/connectors/1/plug-in")
        await self.post("/rfid", {"idTag": id_tag})
        start = await cs.wait_for("StartTransaction", timeout=10)
        return start, await cs.wait_for_transaction_id(start)

    async def wait_status(
        self, predicate: Callable[[dict[str, Any]], bool], what: str, timeout: float = 12.0
    ) -> dict[str, Any]:
        """Until the process's ``/status`` satisfies ``predicate``, ``what`` it stands for
        (its state lives in another process: it is asked over the control API every 20 ms);
        that status."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            status: dict[str, Any] = await self.get("/status")
            if predicate(status):
                return status
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"not reached in {timeout} s: {what}; status: {status}")
            await asyncio.sleep(0.02)

    def kill(self) -> None:
        """Power loss: SIGKILL, nothing gets to run."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)

    async def wait_exit(self) -> int:
        assert self.proc is not None
        code = await self.proc.wait()
        if self._drain is not None:
            await self._drain
        return code

    async def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await self.wait_exit()

    async def close(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.kill()
            await self.wait_exit()
        if self._http is not None:
            await self._http.close()


@contextlib.asynccontextmanager
async def booted_station_process(
    cs: Any,
    tmp_path: Path,
    configuration: dict[str, Any] | None = None,
    *,
    log_level: str = "WARNING",
    timers: dict[str, float] | None = None,
    extra: str = "",
) -> AsyncIterator[StationProcess]:
    """`chargestack run` on a fresh station file (``timers`` and ``extra`` as for
    :func:`write_station_file`), until its BootNotification reached ``cs``; killed at the
    end if the test left it running."""
    station_file = tmp_path / "station.toml"
    write_station_file(
        station_file, cs.url, tmp_path / "data", configuration or {}, timers=timers, extra=extra
    )
    sp = StationProcess(station_file, log_level=log_level)
    try:
        await sp.start()
        await cs.wait_for("BootNotification", timeout=30)
        yield sp
    finally:
        await sp.close()


def minimal_devices_file(path: Path, device_tables: list[str]) -> Path:
    """A ``hardware = "devices"`` station file with one connector, no control API and an
    unreachable central system, plus ``device_tables`` (TOML lines)."""
    header = [
        'data_dir = "data"',
        'hardware = "devices"',
        "[identity]",
        'charge_point_id = "CP"',
        'vendor = "Chargestack"',
        'model = "DC-190"',
        "[central_system]",
        'url = "ws://127.0.0.1:9/ocpp"',
        "[[connectors]]",
        "id = 1",
        "[control_api]",
        "enabled = false",
    ]
    path.write_text("\n".join([*header, *device_tables]) + "\n")
    return path


@dataclass(frozen=True)
class CliRun:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


async def run_cli(*args: str, timeout: float = 60) -> CliRun:
    """``chargestack ARGS`` in a child process, to its exit."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chargestack.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return CliRun(process.returncode, stdout.decode(), stderr.decode())


async def run_to_exit(station_file: Path, timeout: float = 60) -> tuple[int, str]:
    """``chargestack run`` on a station file that is expected not to start: its exit code
    and what it wrote to stderr."""
    done = await run_cli("run", "--config", str(station_file), timeout=timeout)
    return done.code, done.stderr
