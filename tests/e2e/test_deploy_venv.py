"""Firmware that replaces the software: `chargestack run` with the venv installer.

Images of this checkout under new version numbers (``deploy_support``) are served over HTTP;
the station process installs them into A/B virtual environments and replaces itself with
the new slot's interpreter. Rollback, a crash loop under a supervisor and SIGKILL at every
step of an update end on a slot that imports and registers.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from central_system import CentralSystem, Payload, now_iso
from chargestack import __version__
from chargestack.profiles.firmware.slots import read_record
from deploy_support import Images, deploy_station
from servers import HttpFileServer
from station_process import StationProcess

CP = "CRASH-CP"
NEW = "99.0.0"
pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> Images:
    return Images(tmp_path_factory.getbasetemp() / "deploy-images")


@pytest.fixture
async def http(images: Images) -> AsyncIterator[HttpFileServer]:
    server = HttpFileServer()
    await server.start()
    server.files["new.tar.gz"] = images.get(NEW).read_bytes()
    yield server
    await server.stop()


def update(http: HttpFileServer, name: str = "new.tar.gz") -> Payload:
    return {"location": http.url(f"files/{name}"), "retrieveDate": now_iso(), "retries": 0}


def statuses(cs: CentralSystem, since: int = 0) -> list[str]:
    return [
        r.payload["status"] for r in cs.received[since:] if r.action == "FirmwareStatusNotification"
    ]


async def wait_status(cs: CentralSystem, status: str, since: int, timeout: float = 90) -> None:
    await cs.wait_for(
        "FirmwareStatusNotification", lambda p: p["status"] == status, since=since, timeout=timeout
    )


def slot_python(tmp_path: Path, slot: str) -> str:
    return str(tmp_path / "data" / "firmware" / "slots" / slot / "bin" / "python")


async def software(sp: StationProcess) -> dict[str, str]:
    status = await sp.get("/status")
    assert status["firmwareVersion"] == status["software"]["version"]
    return dict(status["software"])


@pytest.fixture
async def station(tmp_path: Path, central_system: CentralSystem) -> AsyncIterator[StationProcess]:
    sp = deploy_station(tmp_path, central_system.url, {"confirm_timeout_s": 20})
    try:
        yield sp
    finally:
        await sp.close()


async def test_update_firmware_runs_the_new_slot(
    central_system: CentralSystem, http: HttpFileServer, station: StationProcess, tmp_path: Path
) -> None:
    cs = central_system
    await station.start()
    first = await cs.wait_for("BootNotification")
    assert first.payload["firmwareVersion"] == __version__
    assert station.proc is not None
    pid = station.proc.pid
    mark = cs.mark()
    lines = len(station.stderr_lines)
    await cs.call(CP, "UpdateFirmware", update(http))
    await wait_status(cs, "Installed", mark)
    assert statuses(cs, mark) == ["Downloading", "Downloaded", "Installing", "Installed"]
    boot = await cs.wait_for("BootNotification", since=mark)
    assert boot.payload["firmwareVersion"] == NEW
    await station.wait_api(since=lines)
    running = await software(station)
    assert running == {"version": NEW, "interpreter": slot_python(tmp_path, "A")}
    assert station.proc.pid == pid and station.proc.returncode is None  # exec: same process
    record = read_record(tmp_path / "data")
    assert record is not None and record.active == "A" and record.trial is None
    assert not (tmp_path / "data/firmware/slots/A.wheels").exists()
    assert await station.terminate() == 0
    # A plain restart (the supervisor starting the unit again) boots the confirmed slot.
    mark = cs.mark()
    await station.start()
    await cs.wait_for("BootNotification", lambda p: p["firmwareVersion"] == NEW, since=mark)
    assert (await software(station))["interpreter"] == slot_python(tmp_path, "A")


async def test_image_whose_code_does_not_import_is_refused(
    central_system: CentralSystem,
    http: HttpFileServer,
    images: Images,
    station: StationProcess,
    tmp_path: Path,
) -> None:
    cs = central_system
    broken = images.get("99.0.2", patches={"__init__.py": "raise ImportError('broken build')\n"})
    http.files["broken.tar.gz"] = broken.read_bytes()
    await station.start()
    await cs.wait_for("BootNotification")
    mark = cs.mark()
    await cs.call(CP, "UpdateFirmware", update(http, "broken.tar.gz"))
    await wait_status(cs, "InstallationFailed", mark)
    assert statuses(cs, mark) == ["Downloading", "Downloaded", "Installing", "InstallationFailed"]
    assert "broken build" in "".join(station.stderr_lines)
    assert read_record(tmp_path / "data") is None  # never switched
    assert await software(station) == {"version": __version__, "interpreter": sys.executable}
    assert len(cs.messages("BootNotification")) == 1  # no restart
