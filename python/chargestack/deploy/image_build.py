"""``chargestack firmware build-image``: a firmware image that carries the software.

The image is the firmware archive of ``files/image.py`` (a manifest with every
file's sha256) whose files are wheels: chargestack itself and every dependency for the
controller's platform and CPython, plus pip, with which the venv installer installs them
offline. pip resolves the dependencies (``pip download --only-binary=:all: --platform``), so
an x86_64 machine builds an aarch64 image. With a signing key the image's signature is
written beside it, base64, as SignedUpdateFirmware carries it (whitepaper use case L01:
SHA-256 with ECDSA or RSA PKCS#1 v1.5 over the whole file).
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from chargestack.exceptions import ChargestackError
from chargestack.files.image import (
    MAX_VERSION_LENGTH,
    Manifest,
    build_image,
    read_image,
)
from chargestack.files.venv_installer import WHEELS

_PLATFORM = re.compile(r"^(manylinux\d*|manylinux_\d+_\d+|musllinux_\d+_\d+|linux)_[a-z0-9_]+$")
_PYTHON = re.compile(r"^3\.\d{1,2}$")


class ImageBuildError(ChargestackError):
    """The image cannot be built; ``usage`` when the arguments are at fault."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def _check_arguments(version: str, platform: str, python_version: str, wheel: Path | None) -> None:
    if not 0 < len(version) <= MAX_VERSION_LENGTH:
        raise ImageBuildError("--version must be 1 to 50 characters", usage=True)
    if not _PLATFORM.match(platform):
        raise ImageBuildError(
            f"--platform {platform!r} is not a wheel platform tag "
            "(e.g. manylinux_2_28_aarch64, manylinux_2_28_x86_64)",
            usage=True,
        )
    if not _PYTHON.match(python_version):
        raise ImageBuildError(
            f"--python-version {python_version!r}: expected e.g. 3.11", usage=True
        )
    if wheel is not None:
        parts = wheel.name.split("-")
        if len(parts) < 5 or parts[0] != "chargestack" or not wheel.name.endswith(".whl"):
            raise ImageBuildError(f"--wheel {wheel.name} is not a chargestack wheel", usage=True)
        if parts[1] != version:
            raise ImageBuildError(
                f"--wheel {wheel.name} is version {parts[1]}, not {version}", usage=True
            )


_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_PERENNIAL = re.compile(r"^(manylinux|musllinux)_(\d+)_(\d+)_(.+)$")


def compatible_platforms(platform: str) -> list[str]:
    """``platform`` and every older glibc/musl tag it runs (PEP 600), newest first: pip
    takes ``--platform`` literally, so a manylinux_2_28 target also gets 2_17 wheels."""
    legacy = platform.split("_", 1)
    if legacy[0] in _LEGACY and len(legacy) == 2:
        major, minor = _LEGACY[legacy[0]]
        platform = f"manylinux_{major}_{minor}_{legacy[1]}"
    match = _PERENNIAL.match(platform)
    if match is None:
        return [platform]
    family, major, minor, arch = match[1], int(match[2]), int(match[3]), match[4]
    oldest = 5 if family == "manylinux" else 0  # glibc 2.5 is manylinux1
    tags = [f"{family}_{major}_{m}_{arch}" for m in range(minor, oldest - 1, -1)]
    if family == "manylinux":
        tags += [f"{name}_{arch}" for name, (_, m) in _LEGACY.items() if m <= minor]
    return tags


def download_wheels(requirement: str, platform: str, python_version: str, dest: Path) -> list[Path]:
    """chargestack's wheel (``requirement``), its dependencies and pip, for the target."""
    platforms = [arg for tag in compatible_platforms(platform) for arg in ("--platform", tag)]
    target = [*platforms, "--python-version", python_version, "--implementation", "cp"]
    pip = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check"]
    argv = [*pip, "--only-binary=:all:", *target, "--dest", str(dest), requirement, "pip"]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = " | ".join(result.stderr.strip().splitlines()[-6:])
        raise ImageBuildError(f"pip download failed (exit {result.returncode}): {tail}")
    return sorted(dest.glob("*.whl"))


def sign_file(path: Path, key_pem: bytes) -> str:
    """The base64 signature of the file's SHA-256 with the PEM private key."""
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ImageBuildError(f"--signing-key: {exc}", usage=True) from None
    data = path.read_bytes()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(data, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ImageBuildError("--signing-key must be an EC or RSA key", usage=True)
    return base64.b64encode(signature).decode()


def build_software_image(
    version: str,
    platform: str,
    output: Path,
    *,
    wheel: Path | None = None,
    python_version: str = "3.11",
    signing_key: Path | None = None,
) -> Manifest:
    """Write the image to ``output`` (and ``output.sig`` with a key); its manifest."""
    _check_arguments(version, platform, python_version, wheel)
    key_pem = signing_key.read_bytes() if signing_key is not None else None
    requirement = str(wheel.resolve()) if wheel is not None else f"chargestack=={version}"
    with tempfile.TemporaryDirectory(prefix="chargestack-image-") as tmp:
        wheels = download_wheels(requirement, platform, python_version, Path(tmp))
        ours = [w for w in wheels if w.name.startswith(f"chargestack-{version}-")]
        if len(ours) != 1:
            raise ImageBuildError(f"pip did not provide exactly one chargestack {version} wheel")
        files = {f"{WHEELS}{w.name}": w.read_bytes() for w in wheels}
    image = build_image(version, files, platform=platform, python=python_version)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_bytes(image)
    os.replace(partial, output)
    manifest, _ = read_image(output)  # what a station will check, checked here first
    if key_pem is not None:
        output.with_name(output.name + ".sig").write_text(sign_file(output, key_pem) + "\n")
    return manifest
