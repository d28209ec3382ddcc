"""The masks of ``redaction``: URL passwords and Authorization credentials, wherever they
appear in a log line (a frame, a header line, a printed mapping, an elided payload, a
traceback), and nothing else."""

from __future__ import annotations

import io
import json
import logging

import pytest

from chargestack.cli import _JsonFormatter
from chargestack.redaction import MASK, RedactingFormatter, redact, redact_url


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("ftp://fw:s3cret@10.0.0.5/fw.bin", "ftp://fw:***@10.0.0.5/fw.bin"),
        ("https://u:p@files.example:8443/a?b=c", "https://u:***@files.example:8443/a?b=c"),
        ("ftps://user:pa:ss@host", "ftps://user:***@host"),
        ("http://user:p@ss@host/", "http://user:***@host/"),
        ("ftp://user:pass%40x@host/", "ftp://user:***@host/"),
        ("FTP://User:Secret@Host/x", "FTP://User:***@Host/x"),
        (
            '{"location":"ftp://fw:s3cret@127.0.0.1:2121/fw.tar.gz","retries":0}',
            '{"location":"ftp://fw:***@127.0.0.1:2121/fw.tar.gz","retries":0}',
        ),
        (
            "TransferError('download from ftp://a:b@h/x failed')",
            "TransferError('download from ftp://a:***@h/x failed')",
        ),
        (
            "URL('http://diag:pw@127.0.0.1:80/upload/')",
            "URL('http://diag:***@127.0.0.1:80/upload/')",
        ),
        ("http://127.0.0.1:8080/files/fw.bin", "http://127.0.0.1:8080/files/fw.bin"),
        ("ftp://anonymous@host/fw.bin", "ftp://anonymous@host/fw.bin"),
        ("ws://127.0.0.1:9000/ocpp/CP-1", "ws://127.0.0.1:9000/ocpp/CP-1"),
    ],
)
def test_url_passwords_are_masked_and_the_rest_kept(text: str, masked: str) -> None:
    assert redact(text) == masked


def test_redact_url_masks_only_the_password() -> None:
    assert redact_url("ftp://fw:s3cret@h:21/d/") == f"ftp://fw:{MASK}@h:21/d/"
    assert redact_url("http://h/x") == "http://h/x"


@pytest.mark.parametrize(
    "text",
    [
        # The websocket library's frame trace keeps the start and the end of a payload.
        """< TEXT '[2,"id","UpdateFirmware",{"location":"ftp://fw:s3cr...@127.0.0.1/f"}]' [9 bytes]""",
        """< TEXT '[2,"id","GetDiagnostics",{"locat...cret@127.0.0.1:21/d/"}]' [9 bytes]""",
    ],
)
def test_a_url_cut_by_an_elision_shows_no_part_of_its_password(text: str) -> None:
    cleaned = redact(text)
    assert "s3cr" not in cleaned and "cret" not in cleaned
    assert "127.0.0.1" in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "> Authorization: Basic Q1AtMTpzM2NyZXQ=",
        "> authorization: basic Q1AtMTpzM2NyZXQ=",
        "> Proxy-Authorization: Basic Q1AtMTpzM2NyZXQ=",
        "headers {'Authorization': 'Basic Q1AtMTpzM2NyZXQ=', 'Host': 'h'}",
        '{"Authorization": "Bearer Q1AtMTpzM2NyZXQ="}',
        "Headers([('Authorization', 'Basic Q1AtMTpzM2NyZXQ=')])",
    ],
)
def test_authorization_credentials_are_masked(text: str) -> None:
    cleaned = redact(text)
    assert "Q1AtMTpzM2NyZXQ=" not in cleaned
    assert MASK in cleaned


def test_authorization_in_plain_words_is_kept() -> None:
    text = "tag ABC: authorization: Accepted (local list)"
    assert redact(text) == text


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord(
        "chargestack.files", logging.ERROR, __file__, 1, message, args, exc_info
    )


def test_the_formatter_masks_arguments_and_tracebacks() -> None:
    try:
        raise ConnectionError("cannot reach ftp://fw:s3cret@10.0.0.5/fw.bin")
    except ConnectionError as exc:
        record = _record("download of %s failed", "ftp://fw:s3cret@10.0.0.5/fw.bin", exc=exc)
    line = RedactingFormatter(logging.Formatter("%(message)s")).format(record)
    assert "s3cret" not in line
    assert line.startswith("download of ftp://fw:***@10.0.0.5/fw.bin failed\nTraceback")
    assert line.endswith("ConnectionError: cannot reach ftp://fw:***@10.0.0.5/fw.bin")


def test_the_formatter_masks_json_lines() -> None:
    record = _record("> Authorization: Basic %s", "Q1AtMTpzM2NyZXQ=")
    line = RedactingFormatter(_JsonFormatter()).format(record)
    assert json.loads(line)["message"] == f"> Authorization: Basic {MASK}"


def test_a_handler_with_the_formatter_writes_no_secret() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(logging.Formatter("%(message)s")))
    handler.emit(_record("GetDiagnostics to %s", "http://u:hunter22@h/upload/"))
    assert stream.getvalue() == "GetDiagnostics to http://u:***@h/upload/\n"
