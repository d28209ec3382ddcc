"""The station's own rotating log files in its data directory (what GetDiagnostics collects).

Loggers are process-wide, stations are not: several stations can share one process. Each
station adds one handler to the ``chargestack`` logger that keeps only the records emitted
in that station's context (a context variable set when the station starts; every task the
station spawns afterwards inherits it) and removes the handler and that setting when it
stops. The logger
levels are left as the operator configured them; opening installs the secret redaction.

The file lives in the data directory, which can run full (issue 17 item 1): a record that
cannot be written is dropped, never raised into the code that logs, and the station's other
log outputs say so once when writing starts failing and once, with the count of records
dropped, when it succeeds again. The file and its directory are made at the first record,
so a station restarted on a full disk starts without them.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from contextvars import ContextVar, Token
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path

from chargestack.redaction import RedactingFormatter, install_redaction

#: The charge point id of the station whose code is running in this context.
current_station: ContextVar[str | None] = ContextVar("chargestack_station", default=None)

LOG_FILE = "station.log"
_FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s"
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


class _StationFilter(logging.Filter):
    def __init__(self, station_id: str) -> None:
        super().__init__()
        self.station_id = station_id

    def filter(self, record: logging.LogRecord) -> bool:
        return current_station.get() == self.station_id


log = logging.getLogger("chargestack.logfiles")


class _DiskSafeHandler(RotatingFileHandler):
    """A rotating log file that drops what it cannot write (full disk) and says so once."""

    def __init__(self, filename: Path, *, max_bytes: int, backups: int) -> None:
        # Opened at the first record, not here: a station starting on a full disk must start.
        super().__init__(
            filename, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True
        )
        self._failure: str | None = None
        self._dropped = 0
        self._written = True

    def emit(self, record: logging.LogRecord) -> None:
        self._written = True
        super().emit(record)  # a failure comes back through handleError
        if self._written and self._failure is not None:
            dropped, self._dropped, self._failure = self._dropped, 0, None
            log.warning(
                "the log file %s is written again; %d records were dropped",
                self.baseFilename,
                dropped,
            )

    def _open(self) -> TextIOWrapper:
        # Its directory too, at every (re)open: a full disk may refuse it until space returns.
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        # A record that failed may have been cut mid-line: the first one written after it
        # starts on a line of its own.
        return "\n" + text if self._failure is not None else text

    def handleError(self, record: logging.LogRecord) -> None:
        self._written = False
        self._dropped += 1
        # What the stream still buffers is dropped with it; the next record reopens the file.
        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
        if self._failure is None:
            self._failure = str(sys.exc_info()[1])
            # Reaches the other outputs; this handler drops it as it drops the rest.
            log.error(
                "cannot write the log file %s (%s); records are dropped until it can",
                self.baseFilename,
                self._failure,
            )


def logs_dir(data_dir: Path) -> Path:
    return data_dir / "logs"


class StationLogFiles:
    """Attach with :meth:`open`, detach with :meth:`close`."""

    def __init__(
        self, data_dir: Path, station_id: str, *, max_bytes: int = 1 << 20, backups: int = 5
    ) -> None:
        self.directory = logs_dir(data_dir)
        self.station_id = station_id
        self.max_bytes = max_bytes
        self.backups = backups
        self._handler: _DiskSafeHandler | None = None
        self._station_token: Token[str | None] | None = None
        self._logger = logging.getLogger("chargestack")

    def open(self) -> None:
        self._station_token = current_station.set(self.station_id)
        # What this station writes has its secrets masked, whoever set up the logging.
        install_redaction()
        target = (self.directory / LOG_FILE).resolve()
        for existing in self._logger.handlers:
            if isinstance(existing, RotatingFileHandler) and Path(existing.baseFilename) == target:
                return  # already written by another handler (e.g. the integrator's own)
        handler = _DiskSafeHandler(target, max_bytes=self.max_bytes, backups=self.backups)
        formatter = logging.Formatter(_FORMAT, _DATE_FORMAT)
        formatter.converter = time.gmtime  # UTC, so startTime/stopTime compare directly
        # Whatever logger a line comes from, its secrets never reach the file.
        handler.setFormatter(RedactingFormatter(formatter))
        handler.addFilter(_StationFilter(self.station_id))
        self._logger.addHandler(handler)
        self._handler = handler

    def close(self) -> None:
        if self._handler is not None:
            handler, self._handler = self._handler, None
            self._logger.removeHandler(handler)
            handler.close()
        if self._station_token is not None:
            token, self._station_token = self._station_token, None
            # Closed from another context (a task the station spawned stops it): that
            # context's copy is its own, and the one that opened ends with its task.
            with contextlib.suppress(ValueError):
                current_station.reset(token)

    def files(self) -> list[Path]:
        """Oldest first: ``station.log.5`` ... ``station.log``."""
        found = [p for p in self.directory.glob(f"{LOG_FILE}*") if p.is_file()]

        def age(path: Path) -> int:
            suffix = path.name[len(LOG_FILE) :].lstrip(".")
            return int(suffix) if suffix.isdigit() else 0

        return sorted(found, key=age, reverse=True)

    def flush(self) -> None:
        if self._handler is not None:
            self._handler.flush()
