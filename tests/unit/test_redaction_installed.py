"""The secret redaction is installed where the logging is set up: the command line's
configure_logging and the station's own log files; no OCPP service has to do it."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from chargestack.cli import configure_logging
from chargestack.files.logfiles import LOG_FILE, StationLogFiles, current_station
from chargestack.redaction import FILTERED_LOGGERS, SecretRedactor

FRAME = '[2,"1","ChangeConfiguration",{"key":"AuthorizationKey","value":"0011aabbccdd"}]'


@pytest.fixture
def without_redaction() -> Iterator[None]:
    """The filtered loggers as a fresh process has them; restored afterwards."""
    saved = {name: list(logging.getLogger(name).filters) for name in FILTERED_LOGGERS}
    for name in FILTERED_LOGGERS:
        logger = logging.getLogger(name)
        for f in [f for f in logger.filters if isinstance(f, SecretRedactor)]:
            logger.removeFilter(f)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, filters in saved.items():
            logging.getLogger(name).filters[:] = filters


@pytest.fixture
def station_context() -> Iterator[None]:
    """The station of this context (a context variable) as it was before the test: what a
    station's log files set must not follow the next test."""
    token = current_station.set(None)
    try:
        yield
    finally:
        current_station.reset(token)


@pytest.mark.usefixtures("without_redaction")
def test_configure_logging_masks_the_authorization_key_of_a_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    configure_logging("DEBUG", json_logs=False)
    logging.getLogger("chargestack.ocpp.frames").debug("CP-1 < %s", FRAME)
    logging.getLogger().handlers[0].flush()
    written = stderr.getvalue()
    assert "ChangeConfiguration" in written
    assert "0011aabbccdd" not in written
    assert '"value":"***"' in written


@pytest.mark.usefixtures("without_redaction", "station_context")
def test_the_station_log_file_masks_the_authorization_key_of_a_frame(tmp_path: Path) -> None:
    files = StationLogFiles(tmp_path, "CP-1")
    frames = logging.getLogger("chargestack.ocpp.frames")
    frames.setLevel(logging.DEBUG)
    files.open()
    try:
        frames.debug("CP-1 < %s", FRAME)
        files.flush()
    finally:
        files.close()
        frames.setLevel(logging.NOTSET)
    written = (tmp_path / "logs" / LOG_FILE).read_text()
    assert "ChangeConfiguration" in written
    assert "0011aabbccdd" not in written
