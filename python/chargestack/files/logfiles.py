"""The station's own rotating log files in its data directory (what GetDiagnostics collects).

Loggers are process-wide, stations are not: several stations can share one process. Each
station adds one handler to the ``chargestack`` logger that keeps only the records emitted
in that station's context (a context variable set when the station starts; every task the
station spawns afterwards inherits it) and removes the handler when it stops. The logger
levels are left as the operator configured them; opening installs the secret redaction.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from logging.handlers import RotatingFileHandler
from pathlib import Path

from chargestack.redaction import install_redaction

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
        self._handler: RotatingFileHandler | None = None
        self._logger = logging.getLogger("chargestack")

    def open(self) -> None:
        current_station.set(self.station_id)
        # What this station writes has its secrets masked, whoever set up the logging.
        install_redaction()
        target = (self.directory / LOG_FILE).resolve()
        for existing in self._logger.handlers:
            if isinstance(existing, RotatingFileHandler) and Path(existing.baseFilename) == target:
                return  # already written by another handler (e.g. the integrator's own)
        self.directory.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            target, maxBytes=self.max_bytes, backupCount=self.backups, encoding="utf-8"
        )
        formatter = logging.Formatter(_FORMAT, _DATE_FORMAT)
        formatter.converter = time.gmtime  # UTC, so startTime/stopTime compare directly
        handler.setFormatter(formatter)
        handler.addFilter(_StationFilter(self.station_id))
        self._logger.addHandler(handler)
        self._handler = handler

    def close(self) -> None:
        if self._handler is not None:
            handler, self._handler = self._handler, None
            self._logger.removeHandler(handler)
            handler.close()

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
