"""The CLI's firmware progress bar follows the job until it ends."""

from __future__ import annotations

from typing import Any

from chargestack.control.firmware_progress import watch_firmware


def test_progress_until_installed() -> None:
    states = iter(
        [
            {"firmware": {"status": "Downloading", "bytesDone": 0, "bytesTotal": 1000}},
            {"firmware": {"status": "Downloading", "bytesDone": 500, "bytesTotal": 1000}},
            {"firmware": {"status": "Installing", "bytesDone": 1000, "bytesTotal": 1000}},
            {"firmware": {"status": "Installed", "bytesDone": 1000, "bytesTotal": 1000}},
        ]
    )
    seen: list[dict[str, Any]] = []

    def read() -> dict[str, Any]:
        seen.append(next(states))
        return seen[-1]

    assert watch_firmware(read, poll_s=0) == "Installed"
    assert len(seen) == 4


def test_a_failed_download_ends_the_watch() -> None:
    assert (
        watch_firmware(lambda: {"firmware": {"status": "DownloadFailed"}}, poll_s=0)
        == "DownloadFailed"
    )
