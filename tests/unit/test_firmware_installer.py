"""Image verification, the A/B slot installer, per-station log files, the log window."""

from __future__ import annotations

import asyncio
import contextvars
import io
import logging
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chargestack.files.collector import filter_logs
from chargestack.files.errors import InstallationError
from chargestack.files.image import build_image, read_image
from chargestack.files.installer import BootOutcome, SlotInstaller
from chargestack.files.logfiles import StationLogFiles, current_station
from chargestack.files.slots import active_firmware_version, read_record
from chargestack.redaction import redact


def _write(path: Path, body: bytes) -> Path:
    path.write_bytes(body)
    return path


def _tar(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


def test_a_valid_image_reads_back(tmp_path: Path) -> None:
    image = _write(tmp_path / "i", build_image("2.0", {"a.bin": b"A", "d/b.bin": b"B"}))
    manifest, contents = read_image(image)
    assert manifest.version == "2.0"
    assert contents == {"a.bin": b"A", "d/b.bin": b"B"}


@pytest.mark.parametrize(
    "body",
    [
        b"not an archive at all",
        build_image("2.0", {"a.bin": b"A"})[:-40],  # truncated
        _tar({"a.bin": b"A"}),  # no manifest
        _tar(
            {
                "manifest.json": b'{"version": "2", "files": {"a.bin": "' + b"0" * 64 + b'"}}',
                "a.bin": b"A",
            }
        ),
        _tar({"manifest.json": b'{"version": "2", "files": {}}', "../evil": b"x"}),
        _tar({"manifest.json": b'{"version": "' + b"9" * 51 + b'", "files": {}}'}),
    ],
    ids=["garbage", "truncated", "no-manifest", "hash-mismatch", "escape", "long-version"],
)
def test_corrupt_images_are_refused(tmp_path: Path, body: bytes) -> None:
    with pytest.raises(InstallationError):
        read_image(_write(tmp_path / "i", body))


async def test_install_trial_confirm(tmp_path: Path) -> None:
    installer = SlotInstaller(tmp_path, "1.0")
    image = _write(tmp_path / "i", build_image("2.0", {"a.bin": b"A"}))
    result = await installer.install(image, job_id=7, confirm_timeout_s=5)
    assert result.restart and result.version == "2.0"
    assert active_firmware_version(tmp_path) == "2.0"
    report = await installer.on_boot()
    assert (report.outcome, report.job_id) == (BootOutcome.TRIAL, 7)
    await installer.confirm()
    assert (await installer.on_boot()).outcome is BootOutcome.NORMAL
    record = read_record(tmp_path)
    assert record is not None and record.versions == {"A": "1.0", "B": "2.0"}
    # The next installation goes to the other slot.
    await installer.install(_write(tmp_path / "j", build_image("3.0", {"c": b"C"})), 8, 5)
    assert read_record(tmp_path).active == "A"  # type: ignore[union-attr]


async def test_a_trial_that_never_confirms_rolls_back(tmp_path: Path) -> None:
    installer = SlotInstaller(tmp_path, "1.0", max_trial_boots=1)
    await installer.install(_write(tmp_path / "i", build_image("2.0", {"a": b"A"})), 3, 5)
    assert (await installer.on_boot()).outcome is BootOutcome.TRIAL  # crashed before confirming
    report = await installer.on_boot()
    assert report.outcome is BootOutcome.ROLLED_BACK and report.job_id == 3
    assert active_firmware_version(tmp_path) == "1.0"


async def test_a_damaged_slot_rolls_back_at_boot(tmp_path: Path) -> None:
    installer = SlotInstaller(tmp_path, "1.0")
    await installer.install(_write(tmp_path / "i", build_image("2.0", {"a": b"A"})), 3, 5)
    (tmp_path / "firmware/slots/B/a").write_bytes(b"bit rot")
    report = await installer.on_boot()
    assert report.outcome is BootOutcome.ROLLED_BACK
    assert report.reason is not None and "sha256" in report.reason


async def test_log_files_are_per_station(tmp_path: Path) -> None:
    logger = logging.getLogger("chargestack.test")
    previous = logging.getLogger("chargestack").level
    logging.getLogger("chargestack").setLevel(logging.INFO)
    one = StationLogFiles(tmp_path / "one", "CP-1")
    two = StationLogFiles(tmp_path / "two", "CP-2")

    async def station(files: StationLogFiles, text: str) -> None:
        files.open()  # in this task's context only, as each station's runner task
        logger.info(text)

    try:
        await asyncio.gather(
            asyncio.create_task(station(one, "from one")),
            asyncio.create_task(station(two, "from two")),
        )
        logger.info("from nobody")
    finally:
        one.close()
        two.close()
        logging.getLogger("chargestack").setLevel(previous)
    assert current_station.get() is None
    text_one = (tmp_path / "one/logs/station.log").read_text()
    text_two = (tmp_path / "two/logs/station.log").read_text()
    assert "from one" in text_one and "from two" not in text_one and "nobody" not in text_one
    assert "from two" in text_two and "from one" not in text_two
    assert not [h for h in logging.getLogger("chargestack").handlers if "station.log" in str(h)]


def test_closed_log_files_leave_no_station_in_the_context(tmp_path: Path) -> None:
    """A station that stopped takes its id out of the context that started it: later records
    there (the next test, another station's start-up) are nobody's."""

    def open_and_close() -> str | None:
        files = StationLogFiles(tmp_path, "CP-1")
        files.open()
        assert current_station.get() == "CP-1"
        files.close()
        return current_station.get()

    # A copy: whatever the product leaves behind stays out of this test's context.
    assert contextvars.copy_context().run(open_and_close) is None


def test_log_window_and_redaction(tmp_path: Path) -> None:
    older = _write(
        tmp_path / "station.log.1",
        b"2026-01-01T10:00:00.000Z INFO a: early\n"
        b"2026-01-01T11:00:00.000Z ERROR a: failed key=SECRETVALUE\nTraceback line\n",
    )
    newer = _write(tmp_path / "station.log", b"2026-01-01T13:00:00.000Z INFO a: late\n")
    text = filter_logs(
        [older, newer],
        datetime(2026, 1, 1, 10, 30, tzinfo=UTC),
        datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
        ["SECRETVALUE"],
    )
    assert text == "2026-01-01T11:00:00.000Z ERROR a: failed key=***\nTraceback line\n"
    pem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"
    assert "MIIE" not in redact(f"loaded {pem}", [])
