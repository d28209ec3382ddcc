"""The transfer layer against real HTTP(S) and FTP servers on 127.0.0.1."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from certs import issue, make_ca
from chargestack.files.errors import (
    LocationError,
    QuotaExceededError,
    TransferError,
)
from chargestack.files.locations import inside, parse_location, safe_file_name
from chargestack.files.transfer import (
    TransferOptions,
    download,
    upload,
    with_retries,
)
from servers import FtpFileServer, HttpFileServer

ALL = frozenset({"FTP", "FTPS", "HTTP", "HTTPS"})
OPTIONS = TransferOptions(timeout_s=5.0, chunk_bytes=1024)
BODY = bytes(range(256)) * 64  # 16 KiB


@pytest.fixture
async def http() -> AsyncIterator[HttpFileServer]:
    server = HttpFileServer()
    await server.start()
    server.files["fw.bin"] = BODY
    yield server
    await server.stop()


@pytest.fixture
def ftp(tmp_path: Path) -> Iterator[FtpFileServer]:
    server = FtpFileServer(tmp_path / "ftp-root")
    (server.root / "fw.bin").write_bytes(BODY)
    (server.root / "incoming").mkdir()
    server.start()
    yield server
    server.stop()


async def test_http_download_whole(http: HttpFileServer, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    dest = tmp_path / "fw.part"
    size = await download(
        parse_location(http.url("files/fw.bin"), ALL),
        dest,
        max_bytes=1 << 20,
        options=OPTIONS,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert size == len(BODY)
    assert dest.read_bytes() == BODY
    assert seen[-1] == (len(BODY), len(BODY))
    assert http.log.ranges == [None]


async def test_http_drop_then_resume_with_range(http: HttpFileServer, tmp_path: Path) -> None:
    http.drop_after = 5000
    dest = tmp_path / "fw.part"
    loc = parse_location(http.url("files/fw.bin"), ALL)
    with pytest.raises(TransferError):
        await download(loc, dest, max_bytes=1 << 20, options=OPTIONS)
    partial = dest.stat().st_size
    assert 0 < partial < len(BODY)
    await download(loc, dest, max_bytes=1 << 20, options=OPTIONS)
    assert dest.read_bytes() == BODY
    assert http.log.ranges == [None, f"bytes={partial}-"]


async def test_http_server_without_ranges_restarts(http: HttpFileServer, tmp_path: Path) -> None:
    http.honour_range = False
    dest = tmp_path / "fw.part"
    dest.write_bytes(b"stale-partial")
    await download(
        parse_location(http.url("files/fw.bin"), ALL), dest, max_bytes=1 << 20, options=OPTIONS
    )
    assert dest.read_bytes() == BODY


async def test_size_limit_refuses_before_writing(http: HttpFileServer, tmp_path: Path) -> None:
    dest = tmp_path / "fw.part"
    with pytest.raises(QuotaExceededError):
        await download(
            parse_location(http.url("files/fw.bin"), ALL), dest, max_bytes=1000, options=OPTIONS
        )
    assert not dest.exists() or dest.stat().st_size == 0


async def test_http_404_is_retried(http: HttpFileServer, tmp_path: Path) -> None:
    loc = parse_location(http.url("files/missing.bin"), ALL)
    failures: list[int] = []
    with pytest.raises(TransferError) as info:
        await with_retries(
            lambda: download(loc, tmp_path / "x", max_bytes=100, options=OPTIONS),
            retries=3,
            retry_interval_s=0,
            what="download",
            on_failure=lambda n, _e: failures.append(n),
        )
    assert "404" in str(info.value)
    assert failures == [1, 2, 3, 4]


async def test_unreachable_is_retried_then_fails(tmp_path: Path) -> None:
    loc = parse_location("http://127.0.0.1:1/fw.bin", ALL)
    failures: list[int] = []
    with pytest.raises(TransferError):
        await with_retries(
            lambda: download(loc, tmp_path / "x", max_bytes=100, options=OPTIONS),
            retries=2,
            retry_interval_s=0,
            what="download",
            on_failure=lambda n, _e: failures.append(n),
        )
    assert failures == [1, 2, 3]


async def test_https_with_trusted_ca(tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    cert = issue(tmp_path, ca, "files.test", server=True)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert.cert_path, cert.key_path)
    server = HttpFileServer(ssl_context=server_ctx)
    await server.start()
    server.files["fw.bin"] = BODY
    try:
        loc = parse_location(server.url("files/fw.bin"), ALL)
        with pytest.raises(TransferError):  # not trusted by the default store
            await download(loc, tmp_path / "a", max_bytes=1 << 20, options=OPTIONS)
        client_ctx = ssl.create_default_context(cafile=str(ca.cert_path))
        trusted = TransferOptions(timeout_s=5.0, ssl_context=client_ctx)
        await download(loc, tmp_path / "b", max_bytes=1 << 20, options=trusted)
        assert (tmp_path / "b").read_bytes() == BODY
    finally:
        await server.stop()


async def test_http_upload_put_and_post_fallback(http: HttpFileServer, tmp_path: Path) -> None:
    source = tmp_path / "diag.zip"
    source.write_bytes(b"archive")
    loc = parse_location(http.url("upload/"), ALL)
    await upload(loc, source, "diag.zip", options=OPTIONS)
    assert http.log.uploads == {"diag.zip": b"archive"}
    http.accept_put = False
    http.log.uploads.clear()
    await upload(loc, source, "second.zip", options=OPTIONS)
    assert http.log.uploads == {"second.zip": b"archive"}
    assert http.log.methods[-2:] == ["PUT", "POST"]


async def test_ftp_download_drop_and_resume_with_rest(ftp: FtpFileServer, tmp_path: Path) -> None:
    ftp.drop_after = 6000
    dest = tmp_path / "fw.part"
    loc = parse_location(ftp.url("fw.bin"), ALL)
    with pytest.raises(TransferError):
        await download(loc, dest, max_bytes=1 << 20, options=OPTIONS)
    partial = dest.stat().st_size
    assert 0 < partial < len(BODY)
    await download(loc, dest, max_bytes=1 << 20, options=OPTIONS)
    assert dest.read_bytes() == BODY
    assert partial in ftp.log.rest_offsets


async def test_ftp_upload_into_directory(ftp: FtpFileServer, tmp_path: Path) -> None:
    source = tmp_path / "diag.zip"
    source.write_bytes(b"archive")
    await upload(parse_location(ftp.url("incoming/"), ALL), source, "diag.zip", options=OPTIONS)
    assert (ftp.root / "incoming" / "diag.zip").read_bytes() == b"archive"


async def test_ftp_bad_password_fails(ftp: FtpFileServer, tmp_path: Path) -> None:
    url = ftp.url("fw.bin").replace(":secret@", ":wrong@")
    with pytest.raises(TransferError):
        await download(parse_location(url, ALL), tmp_path / "x", max_bytes=1 << 20, options=OPTIONS)


def test_scheme_outside_supported_protocols_is_refused() -> None:
    with pytest.raises(LocationError):
        parse_location("ftp://127.0.0.1/fw.bin", frozenset({"HTTP", "HTTPS"}))
    with pytest.raises(LocationError):
        parse_location("file:///etc/passwd", ALL)
    with pytest.raises(LocationError):
        parse_location("sftp://127.0.0.1/fw.bin", ALL)  # not an OCPP protocol
    ftps = parse_location("ftps://127.0.0.1/fw.bin", frozenset({"FTPS"}))
    assert (ftps.scheme, ftps.port) == ("ftps", 21)  # explicit FTPS
    assert parse_location("HTTP://127.0.0.1/x", ALL).scheme == "http"


def test_file_names_cannot_escape(tmp_path: Path) -> None:
    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("..") == "download"
    assert safe_file_name("a\\..\\b.bin") == "b.bin"
    assert safe_file_name("x y;rm -rf.bin") == "x_y_rm_-rf.bin"
    assert safe_file_name("/") == "download"
    with pytest.raises(LocationError):
        inside(tmp_path, "../escape")
    assert inside(tmp_path, "ok.bin") == (tmp_path / "ok.bin").resolve()


def test_redacted_hides_the_password() -> None:
    loc = parse_location("ftp://user:s3cr%40t@127.0.0.1/fw.bin", ALL)
    assert loc.password == "s3cr@t"
    assert "s3cr" not in loc.redacted()
