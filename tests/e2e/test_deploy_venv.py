"""Firmware that replaces the software: `chargestack run` with the venv installer.

Images of this checkout under new version numbers (``deploy_support``) are served over HTTP;
the station process installs them into A/B virtual environments and replaces itself with
the new slot's interpreter. Rollback, a crash loop under a supervisor and SIGKILL at every
step of an update end on a slot that imports and registers.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from central_system import CentralSystem, Payload, now_iso
from certs import issue, make_ca
from chargestack import __version__
from chargestack.deploy.image_build import sign_file
from chargestack.files.slots import read_record
from deploy_support import Images, deploy_station
from security_support import pem
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


async def test_new_version_that_never_registers_rolls_back(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system

    def boot(payload: Payload) -> Payload:
        # The central system refuses the new software (e.g. it speaks OCPP wrongly).
        status = "Rejected" if payload.get("firmwareVersion") == NEW else "Accepted"
        return {"status": status, "currentTime": now_iso(), "interval": 1}

    cs.responders["BootNotification"] = boot
    sp = deploy_station(tmp_path, cs.url, {"confirm_timeout_s": 3})
    try:
        await sp.start()
        await cs.wait_for("BootNotification")
        mark, lines = cs.mark(), len(sp.stderr_lines)
        await cs.call(CP, "UpdateFirmware", update(http))
        await wait_status(cs, "InstallationFailed", mark)
        await sp.wait_api(since=lines, count=2)  # the new slot, then the factory again
        versions = [r.payload["firmwareVersion"] for r in cs.messages("BootNotification")]
        assert NEW in versions and versions[-1] == __version__
        assert statuses(cs, mark) == [
            "Downloading",
            "Downloaded",
            "Installing",
            "InstallationFailed",
        ]
        assert await software(sp) == {"version": __version__, "interpreter": sys.executable}
        record = read_record(tmp_path / "data")
        assert record is not None and record.active == "factory" and record.trial is None
        assert record.rolled_back is not None and "did not register" in str(record.rolled_back)
    finally:
        await sp.close()


async def test_crash_loop_under_a_supervisor_rolls_back(
    central_system: CentralSystem, http: HttpFileServer, images: Images, tmp_path: Path
) -> None:
    """restart = "exit": the test is the supervisor (systemd's Restart=on-failure)."""
    cs = central_system
    runner = (Path(chargestack_package()) / "assembly/runner.py").read_text()
    docstring = '        """Run until :meth:`shutdown`; a Reset restarts the station in place."""\n'
    assert docstring in runner
    crashing = runner.replace(docstring, docstring + "        raise RuntimeError('crash')\n")
    image = images.get("99.0.3", patches={"assembly/runner.py": crashing})
    http.files["crash.tar.gz"] = image.read_bytes()
    sp = deploy_station(tmp_path, cs.url, {"restart": "exit", "max_trial_boots": 2})
    try:
        await sp.start()
        await cs.wait_for("BootNotification")
        mark = cs.mark()
        await cs.call(CP, "UpdateFirmware", update(http, "crash.tar.gz"))
        assert await sp.wait_exit() == 4  # installed: start me again
        for _ in range(2):  # two starts of the new slot, both crash
            await sp.start(wait_api=False)
            assert await sp.wait_exit() == 1
            assert "RuntimeError: crash" in "".join(sp.stderr_lines)
        await sp.start()  # the third start rolls back
        await wait_status(cs, "InstallationFailed", mark)
        boots = cs.messages("BootNotification")
        assert [b.payload["firmwareVersion"] for b in boots] == [__version__, __version__]
        assert await software(sp) == {"version": __version__, "interpreter": sys.executable}
        assert "did not register within 2 start(s)" in "".join(sp.stderr_lines)
    finally:
        await sp.close()


def chargestack_package() -> str:
    import chargestack

    return str(Path(chargestack.__file__).parent)


KILL_POINTS = ["download", "install", "switch", "trial"]


@pytest.mark.parametrize("point", KILL_POINTS)
async def test_sigkill_during_an_update_comes_up_on_a_slot_that_registers(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path, point: str
) -> None:
    """A power cut at each step: download, slot install, between the switch of the boot record
    and the first start of the new slot, during its trial; the supervisor starts it again."""
    cs = central_system
    hold = asyncio.Event()
    sp = deploy_station(tmp_path, cs.url, {"confirm_timeout_s": 30})
    try:
        await sp.start()
        _, tx_id = await sp.start_session(cs, "KILLTAG")
        if point != "download":  # the installation waits for the transaction to end
            await sp.post("/rfid", {"idTag": "KILLTAG"})
            await cs.wait_for("StopTransaction")
        if point == "download":
            http.stall_after = 4096
        if point == "switch":
            # The station restarts once Installing is acknowledged: hold the answer.
            async def held(payload: Payload) -> Payload:
                if payload["status"] == "Installing":
                    await hold.wait()
                return {}

            cs.responders["FirmwareStatusNotification"] = held
        pending_once: list[str] = []
        if point == "trial":
            # The new slot's first registration stays Pending: its trial is not confirmed.
            def boot(payload: Payload) -> Payload:
                if payload.get("firmwareVersion") == NEW and not pending_once:
                    pending_once.append(NEW)
                    return {"status": "Pending", "currentTime": now_iso(), "interval": 1}
                return {"status": "Accepted", "currentTime": now_iso(), "interval": 300}

            cs.responders["BootNotification"] = boot
        mark = cs.mark()
        await cs.call(CP, "UpdateFirmware", update(http))
        if point == "download":
            await http.stalled.wait()
        elif point == "install":
            await sp.wait_stderr("slot A: installing", timeout=60)
        elif point == "switch":
            await sp.wait_stderr("installed in slot A", timeout=60)
        else:
            await cs.wait_for(
                "BootNotification", lambda p: p["firmwareVersion"] == NEW, since=mark, timeout=60
            )
        sp.kill()
        await sp.wait_exit()
        http.release.set()
        hold.set()
        await sp.start()  # the supervisor
        # The slot running after the restart: the factory prints its control API, then the
        # new slot does (the trial's starts go straight to the new slot).
        api_lines = 1 if point in ("switch", "trial") else 2
        if point == "install":
            # The interrupted installation failed cleanly; the next one replaces the half slot.
            await wait_status(cs, "InstallationFailed", mark)
            await cs.wait_for(
                "BootNotification", lambda p: p["firmwareVersion"] == __version__, since=mark
            )
            mark = cs.mark()
            await cs.call(CP, "UpdateFirmware", update(http))
        await wait_status(cs, "Installed", mark)
        await cs.wait_for("BootNotification", lambda p: p["firmwareVersion"] == NEW, since=mark)
        await sp.wait_api(count=api_lines)
        status = await sp.get("/status")
        assert status["registration"] == "Accepted"
        assert status["software"] == {"version": NEW, "interpreter": slot_python(tmp_path, "A")}
        starts = [s for s in cs.messages("StartTransaction") if s.payload["idTag"] == "KILLTAG"]
        stops = [s for s in cs.messages("StopTransaction") if s.payload["transactionId"] == tx_id]
        assert (len(starts), len(stops)) == (1, 1)
        if point == "download":
            assert stops[0].payload["reason"] == "PowerLoss"
        assert await sp.terminate() == 0
    finally:
        hold.set()
        await sp.close()


async def test_signed_update_firmware_installs_a_signed_software_image(
    central_system: CentralSystem,
    http: HttpFileServer,
    images: Images,
    station: StationProcess,
    tmp_path: Path,
) -> None:
    """Whitepaper L01 with an image of build-image signed by the manufacturer's key."""
    cs = central_system
    (tmp_path / "pki").mkdir()
    root = make_ca(tmp_path / "pki", "Manufacturer Root")
    signer = issue(tmp_path / "pki", root, "Firmware Signing")
    signature = sign_file(images.get(NEW), signer.key_path.read_bytes())
    await station.start()
    await cs.wait_for("BootNotification")
    root_pem = {"certificateType": "ManufacturerRootCertificate", "certificate": pem(root.cert)}
    assert (await cs.call(CP, "InstallCertificate", root_pem))["status"] == "Accepted"
    mark, lines = cs.mark(), len(station.stderr_lines)
    request = {
        "requestId": 15,
        "retries": 0,
        "firmware": {
            "location": http.url("files/new.tar.gz"),
            "retrieveDateTime": now_iso(),
            "signingCertificate": pem(signer.cert),
            "signature": signature,
        },
    }
    assert (await cs.call(CP, "SignedUpdateFirmware", request))["status"] == "Accepted"
    await cs.wait_for(
        "SignedFirmwareStatusNotification",
        lambda p: p["status"] == "Installed",
        since=mark,
        timeout=90,
    )
    signed = [
        r.payload["status"]
        for r in cs.received[mark:]
        if r.action == "SignedFirmwareStatusNotification"
    ]
    assert signed == ["Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"]
    await cs.wait_for(
        "SecurityEventNotification", lambda p: p["type"] == "FirmwareUpdated", since=mark
    )
    boot = await cs.wait_for("BootNotification", since=mark)
    assert boot.payload["firmwareVersion"] == NEW
    await station.wait_api(since=lines)
    assert (await software(station))["interpreter"] == slot_python(tmp_path, "A")
