"""UpdateFirmware end to end: real HTTP and FTP servers, a real central system, A/B slots.

OCTT TC_044_1/2/3 and the failure paths: a server that drops mid-transfer, a full disk
(a tiny quota), a restart mid-download, a corrupt image, a new slot that never registers.
"""

from __future__ import annotations

import random
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from central_system import CentralSystem, Payload, now_iso
from certs import Issued, file_server_pki
from chargestack.files.image import build_image
from chargestack.files.slots import read_record
from servers import FtpFileServer, HttpFileServer
from station_harness import RunningStation, running_station, start_local_session

# Incompressible, so the archive is large enough to be cut mid-way.
APP = random.Random(44).randbytes(20_000)
IMAGE = build_image("2.0.0", {"app.bin": APP, "conf/defaults.toml": b"x = 1\n"})


@pytest.fixture
async def http() -> AsyncIterator[HttpFileServer]:
    server = HttpFileServer()
    await server.start()
    server.files["fw-2.0.0.tar.gz"] = IMAGE
    yield server
    await server.stop()


@pytest.fixture
def ftp(tmp_path: Path) -> Iterator[FtpFileServer]:
    server = FtpFileServer(tmp_path / "ftp-root")
    (server.root / "fw-2.0.0.tar.gz").write_bytes(IMAGE)
    server.start()
    yield server
    server.stop()


def update(location: str, **extra: Any) -> Payload:
    return {"location": location, "retrieveDate": now_iso(), **extra}


def statuses(cs: CentralSystem, since: int = 0) -> list[str]:
    return [
        r.payload["status"] for r in cs.received[since:] if r.action == "FirmwareStatusNotification"
    ]


async def wait_status(rs: RunningStation, status: str, since: int, timeout: float = 15.0) -> None:
    await rs.cs.wait_for(
        "FirmwareStatusNotification", lambda p: p["status"] == status, since=since, timeout=timeout
    )


async def installed(rs: RunningStation, mark: int) -> None:
    cs = rs.cs
    await wait_status(rs, "Installed", mark)
    boots = [
        r
        for r in cs.messages("BootNotification")[1:]
        if r.payload.get("firmwareVersion") == "2.0.0"
    ]
    assert boots, "the new firmware did not boot"
    assert rs.station.firmware_version == "2.0.0"
    assert rs.runner.restarts == 1
    assert statuses(cs, mark) == ["Downloading", "Downloaded", "Installing", "Installed"]


async def test_TC_044_1_download_and_install(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call(
            "UpdateFirmware", update(http.url("files/fw-2.0.0.tar.gz"), retries=1, retryInterval=1)
        )
        await rs.status(1, "Unavailable", since=mark)
        await installed(rs, mark)
        await rs.status(1, "Available", since=mark)
        record = read_record(tmp_path / "cp")
        assert record is not None and record.active == "B" and record.trial is None
        assert (tmp_path / "cp/firmware/slots/B/app.bin").read_bytes() == APP
        status = rs.station.status()
        assert status["firmwareVersion"] == "2.0.0"
        assert status["firmware"]["status"] == "Installed"
        assert not list((tmp_path / "cp/firmware/downloads").iterdir())


async def test_TC_044_1_over_ftp(
    central_system: CentralSystem, ftp: FtpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call("UpdateFirmware", update(ftp.url("fw-2.0.0.tar.gz"), retries=0))
        await installed(rs, mark)
        assert ftp.log.retrieved == ["fw-2.0.0.tar.gz"]


@pytest.fixture
def pki(tmp_path: Path) -> tuple[Issued, Issued]:
    """A file-server CA the station trusts (its station file's ca_file) and a server
    certificate it issued for 127.0.0.1."""
    return file_server_pki(tmp_path / "pki")


def trusting(cs: CentralSystem, ca: Issued) -> dict[str, Any]:
    return {"url": cs.url, "ca_file": str(ca.cert_path)}


async def test_TC_044_1_over_https(
    central_system: CentralSystem, pki: tuple[Issued, Issued], tmp_path: Path
) -> None:
    cs = central_system
    ca, server_cert = pki
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_cert.cert_path, server_cert.key_path)
    https = HttpFileServer(ssl_context=context)
    https.files["fw-2.0.0.tar.gz"] = IMAGE
    await https.start()
    try:
        async with running_station(cs, tmp_path / "cp", central_system=trusting(cs, ca)) as rs:
            mark = cs.mark()
            location = https.url("files/fw-2.0.0.tar.gz")
            assert location.startswith("https://")
            await rs.call("UpdateFirmware", update(location, retries=0))
            await installed(rs, mark)
    finally:
        await https.stop()


@pytest.fixture
def ftps(tmp_path: Path, pki: tuple[Issued, Issued]) -> Iterator[FtpFileServer]:
    """A TLS-only FTP server with the image, its certificate issued by ``pki``'s CA."""
    _, server_cert = pki
    server = FtpFileServer(
        tmp_path / "ftps-root", tls=(server_cert.cert_path, server_cert.key_path)
    )
    (server.root / "fw-2.0.0.tar.gz").write_bytes(IMAGE)
    server.start()
    yield server
    server.stop()


async def test_TC_044_1_over_ftps(
    central_system: CentralSystem, pki: tuple[Issued, Issued], ftps: FtpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    ca, _ = pki
    async with running_station(cs, tmp_path / "cp", central_system=trusting(cs, ca)) as rs:
        mark = cs.mark()
        location = ftps.url("fw-2.0.0.tar.gz")
        assert location.startswith("ftps://")
        await rs.call("UpdateFirmware", update(location, retries=0))
        await installed(rs, mark)
        assert ftps.log.retrieved == ["fw-2.0.0.tar.gz"]


async def test_ftps_server_the_station_does_not_trust_fails_the_download(
    central_system: CentralSystem, ftps: FtpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    # No ca_file: the system store does not know the test CA.
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call("UpdateFirmware", update(ftps.url("fw-2.0.0.tar.gz"), retries=0))
        await wait_status(rs, "DownloadFailed", mark)
        assert ftps.log.retrieved == []
        assert rs.station.firmware_version == "1.0.0"


async def test_TC_044_2_download_failed(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call("UpdateFirmware", update("http://127.0.0.1:1/fw.bin", retries=0))
        await wait_status(rs, "DownloadFailed", mark)
        assert statuses(cs, mark) == ["Downloading", "DownloadFailed"]
        assert rs.station.firmware_version == "1.0.0"
        assert rs.station.status_of(1) == "Available"
        await rs.blocks.firmware.send_status_notification()
        await wait_status(rs, "Idle", mark)


async def test_TC_044_3_installation_failed(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    http.files["corrupt.tar.gz"] = IMAGE[: len(IMAGE) // 2] + b"\x00" * 64
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call("UpdateFirmware", update(http.url("files/corrupt.tar.gz"), retries=0))
        await wait_status(rs, "InstallationFailed", mark)
        assert statuses(cs, mark) == [
            "Downloading",
            "Downloaded",
            "Installing",
            "InstallationFailed",
        ]
        await rs.status(1, "Unavailable", since=mark)
        await rs.status(1, "Available", since=mark)
        assert rs.station.firmware_version == "1.0.0"
        assert rs.runner.restarts == 0
        assert read_record(tmp_path / "cp") is None


async def test_section_5_13_a_firmware_installation_ends_the_reservation(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    """Section 5.13: a reservation SHALL end when its connector is set to Unavailable, as an
    installation does (section 5.19); once it has failed, the connector is Available again,
    not Reserved, and the reservation is gone."""
    cs = central_system
    http.files["corrupt.tar.gz"] = IMAGE[: len(IMAGE) // 2] + b"\x00" * 64
    reservation = {
        "connectorId": 1,
        "expiryDate": "2099-01-01T00:00:00.000Z",
        "idTag": "VALIDTAG1",
        "reservationId": 46,
    }
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        assert (await rs.call("ReserveNow", reservation))["status"] == "Accepted"
        await rs.status(1, "Reserved", since=mark)
        mark = cs.mark()
        await rs.call("UpdateFirmware", update(http.url("files/corrupt.tar.gz"), retries=0))
        await wait_status(rs, "InstallationFailed", mark)
        await cs.wait_until(lambda: len(rs.statuses(1, mark)) >= 2)
        assert rs.statuses(1, mark) == ["Unavailable", "Available"]
        answer = await rs.call("CancelReservation", {"reservationId": 46})
        assert answer["status"] == "Rejected"


async def test_resumes_with_range_after_the_server_drops(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    http.drop_after = 1000
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call(
            "UpdateFirmware", update(http.url("files/fw-2.0.0.tar.gz"), retries=2, retryInterval=0)
        )
        await installed(rs, mark)
        assert http.log.ranges == [None, "bytes=1000-"]


async def test_section_5_19_a_file_not_found_is_tried_again_as_retries_asks(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    # UpdateFirmware.req retries: how many times the charge point "must try" before giving
    # up; a 404 (the image not published yet) is no reason to give up sooner.
    cs = central_system
    http.not_found_times = 1
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call(
            "UpdateFirmware", update(http.url("files/fw-2.0.0.tar.gz"), retries=1, retryInterval=0)
        )
        await installed(rs, mark)
        assert http.log.ranges == [None, None]


async def test_section_5_19_download_failed_only_after_the_last_retry(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call(
            "UpdateFirmware",
            update(http.url("files/unpublished.tar.gz"), retries=2, retryInterval=0),
        )
        await wait_status(rs, "DownloadFailed", mark)
        assert len(http.log.ranges) == 3
        assert statuses(cs, mark) == ["Downloading", "DownloadFailed"]
        assert rs.station.firmware_version == "1.0.0"


async def test_full_disk_fails_the_download_cleanly(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "cp") as rs:
        rs.blocks.firmware.max_image_bytes = 512  # a quota smaller than the image
        mark = cs.mark()
        await rs.call(
            "UpdateFirmware", update(http.url("files/fw-2.0.0.tar.gz"), retries=3, retryInterval=0)
        )
        await wait_status(rs, "DownloadFailed", mark)
        assert statuses(cs, mark) == ["Downloading", "DownloadFailed"]
        assert len(http.log.ranges) == 1  # a full disk is not retried
        assert not list((tmp_path / "cp/firmware/downloads").iterdir())


async def test_restart_mid_download_resumes(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    http.stall_after = 1500
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call(
            "UpdateFirmware", update(http.url("files/fw-2.0.0.tar.gz"), retries=1, retryInterval=0)
        )
        await http.stalled.wait()
        await rs.call("Reset", {"type": "Soft"})
        await cs.wait_until(lambda: len(http.log.ranges) == 2, 15)
        http.release.set()
        await wait_status(rs, "Installed", mark)
        assert http.log.ranges == [None, "bytes=1500-"]
        assert statuses(cs, mark) == ["Downloading", "Downloaded", "Installing", "Installed"]
        assert rs.station.firmware_version == "2.0.0"
        assert rs.runner.restarts == 2  # the Reset, then the installation


async def test_new_slot_that_never_registers_rolls_back(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system

    def boot(payload: Payload) -> Payload:
        # The new firmware cannot register (e.g. it speaks to the central system wrongly).
        status = "Rejected" if payload.get("firmwareVersion") == "2.0.0" else "Accepted"
        return {"status": status, "currentTime": now_iso(), "interval": 1}

    async with running_station(cs, tmp_path / "cp") as rs:
        rs.blocks.firmware.confirm_timeout_s = 1.0
        cs.responders["BootNotification"] = boot
        mark = cs.mark()
        await rs.call("UpdateFirmware", update(http.url("files/fw-2.0.0.tar.gz"), retries=0))
        await wait_status(rs, "InstallationFailed", mark, timeout=20)
        assert statuses(cs, mark) == [
            "Downloading",
            "Downloaded",
            "Installing",
            "InstallationFailed",
        ]
        versions = [r.payload.get("firmwareVersion") for r in cs.messages("BootNotification")]
        assert "2.0.0" in versions and versions[-1] == "1.0.0"
        assert rs.station.firmware_version == "1.0.0"
        record = read_record(tmp_path / "cp")
        assert record is not None and record.active == "A" and record.trial is None
        await rs.status(1, "Available", since=mark)


async def test_installation_waits_for_the_running_transaction(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "cp") as rs:
        await start_local_session(rs, 1)
        mark = cs.mark()
        await rs.call("UpdateFirmware", update(http.url("files/fw-2.0.0.tar.gz"), retries=0))
        await wait_status(rs, "Downloaded", mark)
        await rs.status(2, "Unavailable", since=mark)
        assert rs.station.status_of(1) == "Charging"
        assert "Installing" not in statuses(cs, mark)
        rs.present("VALIDTAG1")  # the driver ends the session
        stop = await cs.wait_for("StopTransaction", since=mark)
        await wait_status(rs, "Installing", stop_index(cs, stop))
        await installed(rs, mark)


def stop_index(cs: CentralSystem, item: Any) -> int:
    return cs.received.index(item)


async def test_scheme_outside_supported_protocols_is_refused(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(
        cs, tmp_path / "cp", configuration={"SupportedFileTransferProtocols": "HTTPS"}
    ) as rs:
        mark = cs.mark()
        await rs.call("UpdateFirmware", update("http://127.0.0.1:9/fw.bin", retries=3))
        await wait_status(rs, "DownloadFailed", mark)
        assert statuses(cs, mark) == ["Downloading", "DownloadFailed"]
