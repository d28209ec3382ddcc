"""The station's log file on a filesystem that runs full (issue 17, item 1).

The handler must never raise into the code that logs, nor print a "Logging error" traceback
per record; it says once that it drops records and once, with the count, that it writes
again, and the file goes on with whole lines.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from chargestack.files.logfiles import LOG_FILE, StationLogFiles, current_station
from small_filesystem import small_filesystem


def test_a_full_disk_drops_records_says_so_once_and_writing_resumes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    log = logging.getLogger("chargestack.test_log_files")
    caplog.set_level(logging.INFO, logger="chargestack")
    with small_filesystem(tmp_path / "data", size_mib=1) as disk:
        files = StationLogFiles(disk.path, "CP-FULL")
        token = current_station.set(None)
        try:
            files.open()
            log.info("before the disk ran full")
            disk.fill()
            for n in range(20):
                log.info("record %d %s", n, "x" * 2000)  # past any page the file still has
            disk.free()
            log.info("after space returned")
            files.close()
        finally:
            current_station.reset(token)
        text = (disk.path / "logs" / LOG_FILE).read_text()
    notes = [r for r in caplog.records if r.name == "chargestack.logfiles"]
    assert [r.levelno for r in notes] == [logging.ERROR, logging.WARNING]
    assert "No space left on device" in notes[0].getMessage()
    assert "records were dropped" in notes[1].getMessage()
    assert "Logging error" not in capfd.readouterr().err
    lines = text.splitlines()
    assert lines[0].endswith("before the disk ran full")
    # Whole lines again once there is space: the record that found it, then the note.
    assert lines[-2].endswith(" INFO chargestack.test_log_files: after space returned")
    assert lines[-1].endswith(" WARNING chargestack.logfiles: " + notes[1].getMessage())


def test_a_log_directory_a_full_disk_cannot_make_is_made_once_space_returns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A station restarted on a full disk whose logs directory is gone (an operator deleted
    it to make room) starts, and its log file comes back with the space."""
    log = logging.getLogger("chargestack.test_log_files")
    caplog.set_level(logging.INFO, logger="chargestack")
    with small_filesystem(tmp_path / "data", size_mib=1) as disk:
        disk.fill(inodes=True)
        files = StationLogFiles(disk.path, "CP-FULL")
        token = current_station.set(None)
        try:
            files.open()
            log.info("while the disk is full")
            disk.free()
            log.info("after space returned")
            files.close()
        finally:
            current_station.reset(token)
        text = (disk.path / "logs" / LOG_FILE).read_text()
    notes = [r for r in caplog.records if r.name == "chargestack.logfiles"]
    assert [r.levelno for r in notes] == [logging.ERROR, logging.WARNING]
    lines = text.strip().splitlines()
    # The record and the note that said it was dropped.
    assert "2 records were dropped" in notes[1].getMessage()
    assert "Logging error" not in capfd.readouterr().err
    assert lines[0].endswith(" INFO chargestack.test_log_files: after space returned")
    assert lines[1].endswith(" WARNING chargestack.logfiles: " + notes[1].getMessage())
