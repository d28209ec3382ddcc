"""The command installer: an OS-level updater (RAUC, SWUpdate, Mender) does the installation.

A small shell script stands in for the updater: it logs each call, keeps the image it was
given and fails the install when told to. The station process runs it with the downloaded
image's path, restarts, and marks the new system good once registered, or bad when it does
not register in time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from central_system import CentralSystem, Payload, now_iso
from chargestack.files.slots import read_record
from deploy_support import deploy_station
from servers import HttpFileServer
from small_filesystem import small_filesystem
from station_process import StationProcess

CP = "CRASH-CP"
BUNDLE = b"a system image the updater understands\n" * 100
pytestmark = pytest.mark.timeout(120)

STAND_IN = """#!/bin/sh
# Stands in for an OS updater: logs the call; install keeps the image, or fails on request.
echo "$*" >> "{log}"
if [ "$1" = install ]; then
    if [ -e "{fail}" ]; then echo "bundle signature invalid" >&2; exit 3; fi
    cp "$2" "{installed}"
fi
"""


class Updater:
    def __init__(self, root: Path) -> None:
        self.log = root / "updater.log"
        self.fail = root / "fail-install"
        self.installed = root / "installed.img"
        self.script = root / "updater.sh"
        self.script.write_text(
            STAND_IN.format(log=self.log, fail=self.fail, installed=self.installed)
        )
        self.script.chmod(0o755)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def commands(self, *, reboot: bool = False) -> dict[str, list[str]]:
        script = str(self.script)
        commands = {
            "install": [script, "install", "{image}"],
            "mark_good": [script, "mark-good"],
            "mark_bad": [script, "mark-bad"],
        }
        if reboot:
            commands["reboot"] = [script, "reboot"]
        return commands


@pytest.fixture
async def http() -> AsyncIterator[HttpFileServer]:
    server = HttpFileServer()
    await server.start()
    server.files["system.bundle"] = BUNDLE
    yield server
    await server.stop()


@pytest.fixture
def updater(tmp_path: Path) -> Updater:
    return Updater(tmp_path)


def statuses(cs: CentralSystem, since: int) -> list[str]:
    return [
        r.payload["status"] for r in cs.received[since:] if r.action == "FirmwareStatusNotification"
    ]


async def update(cs: CentralSystem, http: HttpFileServer) -> int:
    mark = cs.mark()
    await cs.call(
        CP,
        "UpdateFirmware",
        {"location": http.url("files/system.bundle"), "retrieveDate": now_iso(), "retries": 0},
    )
    return mark


async def final_status(cs: CentralSystem, since: int) -> str:
    found = await cs.wait_for(
        "FirmwareStatusNotification",
        lambda p: p["status"] in ("Installed", "InstallationFailed"),
        since=since,
        timeout=60,
    )
    return str(found.payload["status"])


async def started(sp: StationProcess, cs: CentralSystem) -> None:
    await sp.start()
    await cs.wait_for("BootNotification")


async def test_command_installer_installs_restarts_and_marks_good(
    central_system: CentralSystem, http: HttpFileServer, updater: Updater, tmp_path: Path
) -> None:
    cs = central_system
    sp = deploy_station(tmp_path, cs.url, {"installer": "command", "command": updater.commands()})
    try:
        await started(sp, cs)
        assert sp.proc is not None
        pid = sp.proc.pid
        mark = await update(cs, http)
        assert await final_status(cs, mark) == "Installed"
        assert statuses(cs, mark) == ["Downloading", "Downloaded", "Installing", "Installed"]
        assert len(cs.messages("BootNotification")) == 2  # restarted (exec: same process)
        assert sp.proc.pid == pid and sp.proc.returncode is None
        calls = updater.calls()
        assert calls[0].startswith("install ") and calls[0].endswith(".img")
        assert calls[1:] == ["mark-good"]
        assert updater.installed.read_bytes() == BUNDLE
        assert await sp.terminate() == 0
    finally:
        await sp.close()


async def test_command_installer_failure_is_reported_without_restart(
    central_system: CentralSystem, http: HttpFileServer, updater: Updater, tmp_path: Path
) -> None:
    cs = central_system
    updater.fail.touch()
    sp = deploy_station(tmp_path, cs.url, {"installer": "command", "command": updater.commands()})
    try:
        await started(sp, cs)
        mark = await update(cs, http)
        assert await final_status(cs, mark) == "InstallationFailed"
        assert len(cs.messages("BootNotification")) == 1
        assert [c.split()[0] for c in updater.calls()] == ["install"]
        assert "bundle signature invalid" in "".join(sp.stderr_lines)
        assert (await sp.get("/status"))["connectors"][0]["status"] == "Available"
    finally:
        await sp.close()


async def test_command_installer_marks_bad_when_the_new_system_does_not_register(
    central_system: CentralSystem, http: HttpFileServer, updater: Updater, tmp_path: Path
) -> None:
    """With a reboot command: the process runs it and exits 4; the test starts it again."""
    cs = central_system
    installing: list[bool] = []

    def boot(payload: Payload) -> Payload:
        # The new system cannot register until the updater has been told it is bad.
        refused = bool(installing) and "mark-bad" not in updater.calls()
        status = "Rejected" if refused else "Accepted"
        return {"status": status, "currentTime": now_iso(), "interval": 1}

    cs.responders["BootNotification"] = boot
    firmware = {
        "installer": "command",
        "restart": "exec",
        "confirm_timeout_s": 2,
        "command": updater.commands(reboot=True),
    }
    sp = deploy_station(tmp_path, cs.url, firmware)
    try:
        await started(sp, cs)
        installing.append(True)
        mark = await update(cs, http)
        assert await sp.wait_exit() == 4  # rebooted into the new system
        await sp.start()
        assert await sp.wait_exit() == 4  # not registered in time: marked bad, rebooted
        await sp.start()
        assert await final_status(cs, mark) == "InstallationFailed"
        assert [c.split()[0] for c in updater.calls()] == [
            "install",
            "reboot",
            "mark-bad",
            "reboot",
        ]
        boots = [r.payload for r in cs.messages("BootNotification")]
        assert len(boots) >= 3
    finally:
        await sp.close()


async def test_a_trial_start_on_a_full_disk_runs_and_is_confirmed_once_space_returns(
    central_system: CentralSystem, http: HttpFileServer, updater: Updater, tmp_path: Path
) -> None:
    """The new system starts on a full disk: it cannot count its trial start in the boot
    record, but it starts, registers and is marked good; Installed follows once the record
    can say the trial was kept."""
    cs = central_system
    firmware = {"installer": "command", "restart": "exit", "command": updater.commands()}
    with small_filesystem(tmp_path / "data") as disk:
        sp = deploy_station(tmp_path, cs.url, firmware)
        try:
            await started(sp, cs)
            mark = await update(cs, http)
            assert await sp.wait_exit() == 4  # the supervisor starts the new system
            disk.fill()
            boots = len(cs.messages("BootNotification"))
            await sp.start()
            await cs.wait_until(lambda: len(cs.messages("BootNotification")) > boots)
            await sp.wait_stderr("cannot confirm the new firmware yet")
            assert "mark-good" in updater.calls()
            assert statuses(cs, mark) == ["Downloading", "Downloaded", "Installing"]
            disk.free()
            assert await final_status(cs, mark) == "Installed"
            record = read_record(disk.path)
            assert record is not None and record.trial is None
            assert updater.calls().count("mark-good") == 1
        finally:
            await sp.close()
