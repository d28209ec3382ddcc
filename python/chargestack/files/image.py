"""The firmware image format the default installer accepts, and its verification.

An image is a tar archive (optionally gzip-compressed) holding ``manifest.json`` and the
files it lists::

    {"version": "2.0.0", "files": {"app.bin": "<sha256 hex>", ...}}

An image that carries software (``image_build``, for the venv installer) also names its
target: ``"platform": "manylinux_2_28_aarch64", "python": "3.11"``, and its files are the
wheels to install, under ``wheels/``.

Verification reads the whole archive before anything is written to a slot: a truncated or
tampered archive, a missing or extra file, a hash mismatch, an absolute or ``..`` member, a
link or device member, or a version that is not a CiString50 is refused with
:class:`InstallationError` and the running firmware is untouched.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from chargestack.files.errors import InstallationError

MANIFEST = "manifest.json"
#: BootNotification firmwareVersion is a CiString50 (OCPP 1.6 section 6.1).
MAX_VERSION_LENGTH = 50


@dataclass(frozen=True, slots=True)
class Manifest:
    version: str
    files: dict[str, str]  # relative path -> sha256 hex
    platform: str | None = None  # a wheel platform tag, e.g. manylinux_2_28_aarch64
    python: str | None = None  # the CPython minor version the wheels are for, e.g. "3.11"

    def as_json(self) -> dict[str, Any]:
        target = {"platform": self.platform, "python": self.python}
        return {
            "version": self.version,
            **{k: v for k, v in target.items() if v is not None},
            "files": self.files,
        }


def build_image(
    version: str, files: dict[str, bytes], *, platform: str | None = None, python: str | None = None
) -> bytes:
    """A valid image of ``files`` (for tools and tests)."""
    manifest = Manifest(
        version, {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}, platform, python
    ).as_json()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, body in {MANIFEST: orjson.dumps(manifest), **files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


def _member_path(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name in ("", "."):
        raise InstallationError(f"image member {name!r} would leave the slot")
    return path.as_posix()


def _parse_manifest(raw: bytes) -> Manifest:
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InstallationError(f"image manifest is not JSON: {exc}") from None
    version = data.get("version") if isinstance(data, dict) else None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(version, str) or not 0 < len(version) <= MAX_VERSION_LENGTH:
        raise InstallationError("image manifest: version must be 1 to 50 characters")
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in files.items()
    ):
        raise InstallationError("image manifest: files must map names to sha256 hex digests")
    target = {key: data.get(key) for key in ("platform", "python")}
    for key, value in target.items():
        if value is not None and not (isinstance(value, str) and 0 < len(value) <= 64):
            raise InstallationError(f"image manifest: {key} must be a short string")
    return Manifest(
        version,
        {_member_path(k): v.lower() for k, v in files.items()},
        target["platform"],
        target["python"],
    )


def read_image(image: Path) -> tuple[Manifest, dict[str, bytes]]:
    """Verify ``image`` completely; its manifest and file contents."""
    contents: dict[str, bytes] = {}
    try:
        with tarfile.open(image, mode="r:*") as tar:
            for member in tar:
                name = _member_path(member.name)
                if member.isdir():
                    continue
                if not member.isfile():
                    raise InstallationError(f"image member {name!r} is not a regular file")
                extracted = tar.extractfile(member)
                assert extracted is not None
                contents[name] = extracted.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise InstallationError(f"image is not a readable archive: {exc}") from None
    raw_manifest = contents.pop(MANIFEST, None)
    if raw_manifest is None:
        raise InstallationError("image has no manifest.json")
    manifest = _parse_manifest(raw_manifest)
    if set(contents) != set(manifest.files):
        raise InstallationError(
            f"image files {sorted(contents)} differ from the manifest {sorted(manifest.files)}"
        )
    for name, body in contents.items():
        if hashlib.sha256(body).hexdigest() != manifest.files[name]:
            raise InstallationError(f"image file {name!r} does not match its sha256")
    return manifest, contents


def verify_tree(root: Path) -> Manifest:
    """Check an installed slot against its own manifest (the post-boot self-test)."""
    try:
        manifest = _parse_manifest((root / MANIFEST).read_bytes())
        for name, digest in manifest.files.items():
            if hashlib.sha256((root / name).read_bytes()).hexdigest() != digest:
                raise InstallationError(f"slot file {name!r} does not match its sha256")
    except OSError as exc:
        raise InstallationError(f"slot {root.name} is incomplete: {exc}") from None
    return manifest
