"""GetDiagnostics end to end: the archive really reaches a real HTTP or FTP server.

OCTT TC_045_1 (Uploaded, file at the location) and TC_045_2 (UploadFailed, the station goes
on working), plus what the archive must and must not contain.
"""

from __future__ import annotations

import io
import logging
import ssl
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import orjson
import pytest

from central_system import CentralSystem
from certs import file_server_pki
from chargestack.files.logfiles import current_station
from servers import FtpFileServer, HttpFileServer
from station_harness import RunningStation, running_station

SECRET = "00112233445566778899aabbccddeeff"


@pytest.fixture
async def http() -> AsyncIterator[HttpFileServer]:
    server = HttpFileServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def ftp(tmp_path: Path) -> Iterator[FtpFileServer]:
    server = FtpFileServer(tmp_path / "ftp-root")
    (server.root / "diag").mkdir()
    server.start()
    yield server
    server.stop()


def dsn(cs: CentralSystem, since: int) -> list[str]:
    return [
        r.payload["status"]
        for r in cs.received[since:]
        if r.action == "DiagnosticsStatusNotification"
    ]


async def wait_dsn(rs: RunningStation, status: str, since: int) -> None:
    await rs.cs.wait_for(
        "DiagnosticsStatusNotification", lambda p: p["status"] == status, since=since, timeout=15
    )


def log_in_station(rs: RunningStation, message: str) -> None:
    """Log as the station's own code does: in its context."""
    token = current_station.set(rs.cp_id)
    try:
        logging.getLogger("chargestack.test").warning(message)
    finally:
        current_station.reset(token)


def read_archive(body: bytes) -> tuple[str, dict[str, object]]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        logs = archive.read("logs/station.log").decode()
        state = orjson.loads(archive.read("state.json"))
    return logs, state


async def test_TC_045_1_get_diagnostics_over_http(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "cp") as rs:
        changed = await rs.call("ChangeConfiguration", {"key": "AuthorizationKey", "value": SECRET})
        assert changed["status"] == "Accepted"
        log_in_station(rs, f"a line that leaked the key {SECRET}")
        mark = cs.mark()
        answer = await rs.call("GetDiagnostics", {"location": http.url("upload/"), "retries": 0})
        name = answer["fileName"]
        assert name.startswith("diagnostics-CP-1-") and name.endswith(".zip")
        await wait_dsn(rs, "Uploaded", mark)
        assert dsn(cs, mark) == ["Uploading", "Uploaded"]
        logs, state = read_archive(http.log.uploads[name])
        assert "a line that leaked the key ***" in logs
        assert SECRET not in logs and SECRET not in orjson.dumps(state).decode()
        config = state["configuration"]
        assert isinstance(config, dict) and "AuthorizationKey" not in config
        assert config["HeartbeatInterval"] == "300"
        assert state["versions"]["firmware"] == "1.0.0"  # type: ignore[index]
        assert state["status"]["connectors"][0]["status"] == "Available"  # type: ignore[index]
        assert "queueDepth" in state["status"]  # type: ignore[operator]
        assert rs.station.status()["diagnostics"]["status"] == "Uploaded"
        assert not list((tmp_path / "cp/diagnostics").iterdir())


async def test_TC_045_1_get_diagnostics_over_ftp(
    central_system: CentralSystem, ftp: FtpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        answer = await rs.call("GetDiagnostics", {"location": ftp.url("diag/")})
        await wait_dsn(rs, "Uploaded", mark)
        _logs, state = read_archive((ftp.root / "diag" / answer["fileName"]).read_bytes())
        assert state["chargePointId"] == "CP-1"


async def test_TC_045_1_get_diagnostics_over_https(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    ca, server_cert = file_server_pki(tmp_path / "pki")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_cert.cert_path, server_cert.key_path)
    https = HttpFileServer(ssl_context=context)
    await https.start()
    try:
        central = {"url": cs.url, "ca_file": str(ca.cert_path)}
        async with running_station(cs, tmp_path / "cp", central_system=central) as rs:
            mark = cs.mark()
            location = https.url("upload/")
            assert location.startswith("https://")
            answer = await rs.call("GetDiagnostics", {"location": location, "retries": 0})
            await wait_dsn(rs, "Uploaded", mark)
            _logs, state = read_archive(https.log.uploads[answer["fileName"]])
            assert state["chargePointId"] == "CP-1"
    finally:
        await https.stop()


async def test_TC_045_1_get_diagnostics_over_ftps(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    ca, server_cert = file_server_pki(tmp_path / "pki")
    ftps = FtpFileServer(tmp_path / "ftps-root", tls=(server_cert.cert_path, server_cert.key_path))
    (ftps.root / "diag").mkdir()
    ftps.start()
    try:
        central = {"url": cs.url, "ca_file": str(ca.cert_path)}
        async with running_station(cs, tmp_path / "cp", central_system=central) as rs:
            mark = cs.mark()
            answer = await rs.call("GetDiagnostics", {"location": ftps.url("diag/")})
            await wait_dsn(rs, "Uploaded", mark)
            _logs, state = read_archive((ftps.root / "diag" / answer["fileName"]).read_bytes())
            assert state["chargePointId"] == "CP-1"
    finally:
        ftps.stop()


async def test_TC_045_2_upload_failed(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        answer = await rs.call(
            "GetDiagnostics", {"location": "ftp://127.0.0.1:1/diag/", "retries": 0}
        )
        assert "fileName" in answer
        await wait_dsn(rs, "UploadFailed", mark)
        assert dsn(cs, mark) == ["Uploading", "UploadFailed"]
        # Normal operation continues.
        config = await rs.call("GetConfiguration", {"key": ["HeartbeatInterval"]})
        assert config["configurationKey"][0]["value"] == "300"
        await rs.blocks.diagnostics.send_status_notification()
        await wait_dsn(rs, "Idle", mark)


async def test_upload_is_retried(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    http.fail_uploads = True
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call(
            "GetDiagnostics", {"location": http.url("upload/"), "retries": 2, "retryInterval": 0}
        )
        await wait_dsn(rs, "UploadFailed", mark)
        assert http.log.methods == ["PUT", "PUT", "PUT"]
        assert dsn(cs, mark) == ["Uploading", "UploadFailed"]


async def test_section_5_9_an_upload_answered_404_is_retried(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    # GetDiagnostics.req retries: how many times the charge point "must try" the upload.
    cs = central_system
    http.fail_uploads = True
    http.upload_failure_status = 404
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call(
            "GetDiagnostics", {"location": http.url("upload/"), "retries": 1, "retryInterval": 0}
        )
        await wait_dsn(rs, "UploadFailed", mark)
        assert http.log.methods == ["PUT", "PUT"]
        assert dsn(cs, mark) == ["Uploading", "UploadFailed"]


async def test_time_window_selects_log_lines(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "cp") as rs:
        log_in_station(rs, "before the window")
        mark = cs.mark()
        answer = await rs.call(
            "GetDiagnostics",
            {
                "location": http.url("upload/"),
                "startTime": "2000-01-01T00:00:00Z",
                "stopTime": "2000-01-02T00:00:00Z",
            },
        )
        await wait_dsn(rs, "Uploaded", mark)
        logs, _state = read_archive(http.log.uploads[answer["fileName"]])
        assert "before the window" not in logs


async def test_unsupported_scheme_is_refused(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "cp") as rs:
        mark = cs.mark()
        await rs.call("GetDiagnostics", {"location": "file:///tmp/stolen/", "retries": 3})
        await wait_dsn(rs, "UploadFailed", mark)
        assert dsn(cs, mark) == ["Uploading", "UploadFailed"]
