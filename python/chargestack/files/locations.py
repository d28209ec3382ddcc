"""Remote locations of firmware images and diagnostics uploads, checked before any use.

``location`` arrives as a URI from the central system (UpdateFirmware, GetDiagnostics, later
SignedUpdateFirmware and GetLog). Only the schemes the station declares in
SupportedFileTransferProtocols (errata v4.0 3.90) and this module can speak are accepted;
a file name taken from a URL never leaves the directory it is meant for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from chargestack.files.errors import LocationError
from chargestack.redaction import redact_url

#: The transfer protocols this implementation speaks (FTPS: explicit, AUTH TLS on port 21).
IMPLEMENTED_PROTOCOLS = frozenset({"FTP", "FTPS", "HTTP", "HTTPS"})
_DEFAULT_PORTS = {"ftp": 21, "ftps": 21, "http": 80, "https": 443}
# Letters, digits and . _ - only: what every file system and FTP server accepts.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class RemoteLocation:
    """A parsed, accepted location. ``path`` is the decoded path on the server."""

    url: str
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None
    path: str

    @property
    def is_directory(self) -> bool:
        return self.path.endswith("/") or self.path == ""

    def redacted(self) -> str:
        """The URL without its password, for logs and GET /status."""
        return redact_url(self.url)


def parse_location(url: str, supported: frozenset[str] | set[str]) -> RemoteLocation:
    """Accept ``url`` if its scheme is supported; raise :class:`LocationError` otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise LocationError(f"malformed location {redact_url(url)!r}: {exc}") from None
    scheme = parts.scheme.lower()
    allowed = {p.upper() for p in supported} & IMPLEMENTED_PROTOCOLS
    if scheme.upper() not in allowed:
        raise LocationError(
            f"scheme {scheme!r} is not in SupportedFileTransferProtocols {sorted(allowed)}"
        )
    if not parts.hostname:
        raise LocationError(f"location {redact_url(url)!r} has no host")
    return RemoteLocation(
        url=url,
        scheme=scheme,
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[scheme],
        user=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
        path=unquote(parts.path),
    )


def safe_file_name(name: str, fallback: str = "download") -> str:
    """A file name that cannot escape its directory: the last path segment, sanitised.

    ``../../etc/passwd`` becomes ``passwd``; separators, NUL, control characters and
    anything outside ``[A-Za-z0-9._-]`` are replaced; names made only of dots are refused.
    """
    last = PurePosixPath(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", last)[:255]
    if cleaned.strip(".") == "":
        return fallback
    return cleaned


def inside(directory: Path, name: str) -> Path:
    """``directory / name``, refusing any result outside ``directory`` (defence in depth)."""
    base = directory.resolve()
    target = (base / name).resolve()
    if target.parent != base:
        raise LocationError(f"file name {name!r} leaves {base}")
    return target
