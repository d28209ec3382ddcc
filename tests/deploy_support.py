"""Firmware images of this checkout for the deployment tests, and a station process to update.

Images are built by the real ``chargestack firmware build-image`` from wheels packed from
the installed tree (``wheel_tools``). The dependency wheels come from a wheelhouse that pip
fills once per machine (``~/.cache/chargestack-tests``; PIP_FIND_LINKS is honoured) and that
the image builds then use offline (PIP_NO_INDEX), so a test session costs no download after
the first.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from chargestack.deploy.image_build import compatible_platforms
from station_process import StationProcess, write_station_file
from wheel_tools import REPO, tree_wheel

PLATFORM = f"manylinux_2_28_{platform.machine()}"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def wheelhouse() -> Path:
    """This machine's wheels of every dependency of chargestack (and pip)."""
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    key = hashlib.sha256(
        f"{dependencies}{compatible_platforms(PLATFORM)}{PYTHON}".encode()
    ).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    house = cache / "chargestack-tests" / f"wheelhouse-{key}"
    if not (house / "complete").exists():
        platforms = [arg for tag in compatible_platforms(PLATFORM) for arg in ("--platform", tag)]
        download = [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:"]
        subprocess.run(
            [*download, *platforms, "--dest", str(house), *dependencies, "pip"], check=True
        )
        (house / "complete").touch()
    return house


class Images:
    """Images built once per test session, by version (``patches`` make a broken build)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, version: str, patches: dict[str, str] | None = None) -> Path:
        image = self.root / f"chargestack-{version}.tar.gz"
        if image.exists():
            return image
        wheel = tree_wheel(self.root / "wheels" / version, version, patches=patches)
        env = {
            **os.environ,
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(wheelhouse()),
        }
        result = subprocess.run(
            [sys.executable, "-m", "chargestack.cli", "firmware", "build-image",
             "--version", version, "--platform", PLATFORM, "--python-version", PYTHON,
             "--wheel", str(wheel), "-o", str(image)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        return image


def deploy_station(
    tmp_path: Path,
    url: str,
    firmware: dict[str, Any],
    *,
    env: dict[str, str] | None = None,
    configuration: dict[str, Any] | None = None,
) -> StationProcess:
    """A station file with a [firmware] table, and its (not yet started) process."""
    station_file = tmp_path / "station.toml"
    write_station_file(
        station_file,
        url,
        tmp_path / "data",
        {"MinimumStatusDuration": 0, **(configuration or {})},
        extra=firmware_table(firmware),
    )
    # INFO: the tests wait for the installer's log lines as events.
    return StationProcess(station_file, env=env, log_level="INFO")


def firmware_table(firmware: dict[str, Any]) -> str:
    from station_process import toml_value

    lines = ["[firmware]"]
    command = firmware.pop("command", None)
    lines += [f"{k} = {toml_value(v)}" for k, v in firmware.items()]
    if command is not None:
        lines.append("[firmware.command]")
        for key, argv in command.items():
            lines.append(f"{key} = [{', '.join(toml_value(a) for a in argv)}]")
    return "\n".join(lines) + "\n"
