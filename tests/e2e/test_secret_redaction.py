"""Secrets stay out of everything the station writes about itself, even at DEBUG.

A real `chargestack run` logs every frame and every handshake header at DEBUG: its link uses
security profile 1 (HTTP Basic auth with the AuthorizationKey), the central system sends
an UpdateFirmware whose FTP location carries a password and a GetDiagnostics whose HTTP
location does too. Neither password, nor the key, nor the Basic credential may appear on
the console, in the station's log files or in the diagnostics archive; the hosts must.
"""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

from central_system import CentralSystem, now_iso
from servers import FtpFileServer, HttpFileServer
from station_process import booted_station_process

CP = "CRASH-CP"  # the charge point id of station_process's station file
KEY_HEX = "5ec2e7a1b0c4d9f86a3e1b7c2d4f6a8e"
FTP_PASSWORD = "ftp-Pw-71c9a3"
DIAG_PASSWORD = "diag-Pw-e84b2f"


def secrets() -> list[str]:
    credential = base64.b64encode(CP.encode() + b":" + bytes.fromhex(KEY_HEX)).decode()
    return [FTP_PASSWORD, DIAG_PASSWORD, KEY_HEX, credential]


def assert_no_secret(where: str, text: str) -> None:
    leaked = [secret for secret in secrets() if secret in text]
    assert not leaked, f"{where} shows {leaked}"


def archive_texts(body: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


async def test_passwords_and_the_authorization_header_reach_no_log_and_no_archive(
    tmp_path: Path,
) -> None:
    cs = CentralSystem(basic_auth={CP: bytes.fromhex(KEY_HEX)})
    await cs.start()
    ftp = FtpFileServer(tmp_path / "ftp-root")
    ftp.password = FTP_PASSWORD
    (ftp.root / "fw.tar.gz").write_bytes(b"not a firmware image")
    ftp.start()
    http = HttpFileServer()
    await http.start()
    configuration = {"AuthorizationKey": KEY_HEX, "SecurityProfile": 1}
    try:
        async with booted_station_process(cs, tmp_path, configuration, log_level="DEBUG") as sp:
            assert cs.rejected_auth == 0
            mark = cs.mark()
            await cs.call(
                CP, "UpdateFirmware", {"location": ftp.url("fw.tar.gz"), "retrieveDate": now_iso()}
            )
            await cs.wait_for(
                "FirmwareStatusNotification", lambda p: p["status"] == "Downloaded", since=mark
            )
            upload = f"http://diag:{DIAG_PASSWORD}@127.0.0.1:{http.port}/upload/"
            answer = await cs.call(CP, "GetDiagnostics", {"location": upload, "retries": 0})
            await cs.wait_for(
                "DiagnosticsStatusNotification", lambda p: p["status"] == "Uploaded", since=mark
            )
            assert await sp.terminate() == 0
    finally:
        await http.stop()
        ftp.stop()
        await cs.stop()
    ftp_host = f"127.0.0.1:{ftp.port}"
    console = "".join(sp.stderr_lines)
    assert_no_secret("the console", console)
    assert "Authorization" in console and ftp_host in console
    logs = tmp_path / "data" / "logs"
    log_text = "".join(p.read_text() for p in sorted(logs.glob("station.log*")))
    assert_no_secret("the log files", log_text)
    assert ftp_host in log_text and f"127.0.0.1:{http.port}" in log_text
    archive = archive_texts(http.log.uploads[answer["fileName"]])
    for name, text in archive.items():
        assert_no_secret(f"the archive's {name}", text)
    assert ftp_host in archive["logs/station.log"]
    assert not cs.errors_sent
