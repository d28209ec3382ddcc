"""The diagnostics archive: log lines between startTime and stopTime plus a state dump.

The archive (zip) holds ``logs/station.log`` (the matching lines of every rotated file,
oldest first; a record's continuation lines, e.g. a traceback, follow its first line) and
``state.json`` (configuration, connector states, queue depth, versions). Secrets never
enter it: write-only configuration keys (AuthorizationKey) are left out of the dump, and
any secret value or PEM private key that reached a log line is masked (``redaction``).
"""

from __future__ import annotations

import platform
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from chargestack import __version__
from chargestack.files.context import Clock
from chargestack.ocpp.messages.base import format_rfc3339, parse_rfc3339
from chargestack.redaction import is_secret_key, redact
from chargestack.settings import StationSettings

_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) ")


@dataclass(frozen=True)
class ArchiveSources:
    """What an archive shows of the station, read at the moment it is collected."""

    #: GetConfiguration's entries (``key``, ``readonly``, ``value``).
    configuration: Callable[[], Iterable[Mapping[str, Any]]]
    #: The control API's status of the station.
    status: Callable[[], dict[str, Any]]
    firmware_version: Callable[[], str]
    #: Values masked wherever they appear (AuthorizationKey).
    secrets: Callable[[], list[str]]


def state_dump(settings: StationSettings, clock: Clock, sources: ArchiveSources) -> dict[str, Any]:
    """Everything an engineer needs to see, and nothing secret."""
    configuration = {
        e["key"]: e.get("value") for e in sources.configuration() if not is_secret_key(e["key"])
    }
    return {
        "chargePointId": settings.identity.charge_point_id,
        "collectedAt": format_rfc3339(clock.now()),
        "versions": {
            "firmware": sources.firmware_version(),
            "chargestack": __version__,
            "python": platform.python_version(),
        },
        "status": sources.status(),
        "configuration": configuration,
    }


def _records(lines: Iterable[str]) -> Iterator[tuple[datetime | None, list[str]]]:
    stamp: datetime | None = None
    record: list[str] = []
    for line in lines:
        found = _TIMESTAMP.match(line)
        if found is not None:
            if record:
                yield stamp, record
            stamp, record = parse_rfc3339(found.group(1)), [line]
        else:
            record.append(line)
    if record:
        yield stamp, record


def filter_logs(
    files: Iterable[Path], start: datetime | None, stop: datetime | None, secrets: list[str]
) -> str:
    kept: list[str] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for stamp, record in _records(text.splitlines(keepends=True)):
            if stamp is not None and (
                (start is not None and stamp < start) or (stop is not None and stamp > stop)
            ):
                continue
            kept.extend(record)
    return redact("".join(kept), secrets)


def write_archive(dest: Path, logs: str, state: dict[str, Any], secrets: list[str]) -> Path:
    """Write the zip (run in a thread); returns ``dest``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    state_json = redact(orjson.dumps(state, option=orjson.OPT_INDENT_2).decode(), secrets)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("logs/station.log", logs)
        archive.writestr("state.json", state_json)
    tmp.replace(dest)
    return dest
