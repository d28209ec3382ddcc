"""Wheels of chargestack without a Rust build: packed from the installed tree, or re-versioned.

A maturin build is minutes of Rust; the firmware tests need wheels of *this* checkout under
other version numbers, so they pack the package directory as it is (with its built
``_core`` extension) into a wheel with the dependencies of ``pyproject.toml``. The aarch64
smoke script re-versions the one aarch64 wheel it built (``python tests/wheel_tools.py
reversion WHEEL VERSION OUTDIR``) to update from one image to the next.
"""

from __future__ import annotations

import base64
import hashlib
import platform
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _record_line(name: str, body: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(body)}"


def write_wheel(directory: Path, version: str, tag: str, files: dict[str, bytes]) -> Path:
    """``files`` (package files and the dist-info's METADATA etc.) as a wheel with a RECORD."""
    info = f"chargestack-{version}.dist-info"
    files = {**files, f"{info}/WHEEL": _wheel_file(tag)}
    record = [_record_line(n, b) for n, b in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / f"chargestack-{version}-{tag}.whl"
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, body in files.items():
            wheel.writestr(name, body)
    return path


def _wheel_file(tag: str) -> bytes:
    return (
        f"Wheel-Version: 1.0\nGenerator: chargestack-tests\nRoot-Is-Purelib: false\nTag: {tag}\n"
    ).encode()


def _metadata(version: str) -> bytes:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = [
        "Metadata-Version: 2.1",
        "Name: chargestack",
        f"Version: {version}",
        f"Requires-Python: {project['requires-python']}",
        *(f"Requires-Dist: {d}" for d in project["dependencies"]),
    ]
    return ("\n".join(lines) + "\n").encode()


def tree_wheel(directory: Path, version: str, *, patches: dict[str, str] | None = None) -> Path:
    """The chargestack package as installed here, as a wheel of ``version`` for this machine;
    ``patches`` replaces files (by path inside the package) to make a broken build."""
    import chargestack

    package = Path(chargestack.__file__).parent
    files = {
        f"chargestack/{p.relative_to(package).as_posix()}": p.read_bytes()
        for p in sorted(package.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
    for name, text in (patches or {}).items():
        files[f"chargestack/{name}"] = text.encode()
    info = f"chargestack-{version}.dist-info"
    files[f"{info}/METADATA"] = _metadata(version)
    files[f"{info}/entry_points.txt"] = b"[console_scripts]\nchargestack = chargestack.cli:main\n"
    tag = f"cp311-abi3-manylinux_2_28_{platform.machine()}"
    return write_wheel(directory, version, tag, files)


def reversion(wheel: Path, version: str, directory: Path) -> Path:
    """The same wheel under another version number."""
    old_name, old_version, *rest = wheel.name[: -len(".whl")].split("-")
    old_info = f"{old_name}-{old_version}.dist-info/"
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(wheel) as source:
        for name in source.namelist():
            if name in (f"{old_info}RECORD", f"{old_info}WHEEL"):
                continue
            body = source.read(name)
            if name == f"{old_info}METADATA":
                body = body.replace(
                    f"\nVersion: {old_version}\n".encode(), f"\nVersion: {version}\n".encode(), 1
                )
            files[name.replace(old_info, f"chargestack-{version}.dist-info/", 1)] = body
    return write_wheel(directory, version, "-".join(rest), files)


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "reversion":
        sys.exit("usage: wheel_tools.py reversion WHEEL VERSION OUTDIR")
    print(reversion(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])))
