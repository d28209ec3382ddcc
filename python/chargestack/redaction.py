"""Secrets never reach a log line or an uploaded archive: one set of masks for all.

What is masked: the value of AuthorizationKey in an OCPP frame (ChangeConfiguration carries
it in clear, and the frame logger writes whole frames at debug level), any PEM private key,
and the secret values a caller names (the station's AuthorizationKey wherever it appears).
Configuration keys whose names say they hold a secret are left out of state dumps.

``install_redaction`` puts the filter on the loggers that can see secrets, before any
handler (console, file) formats the record; the command line's logging set-up and the
station's own log files install it (idempotent).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "***"
_KEY_THEN_VALUE = re.compile(
    r'("key"\s*:\s*"authorizationkey"\s*,\s*"value"\s*:\s*")[^"]*(")', re.IGNORECASE
)
_VALUE_THEN_KEY = re.compile(
    r'("value"\s*:\s*")[^"]*("\s*,\s*"key"\s*:\s*"authorizationkey")', re.IGNORECASE
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)
# Keys whose values are secrets even if a future registry forgets to mark them write-only.
_SECRET_KEY_NAMES = re.compile(r"(AuthorizationKey|Password|Secret|PrivateKey)", re.IGNORECASE)
# A shorter value would mask innocent text everywhere it happens to occur.
_MIN_SECRET_LENGTH = 4

#: Loggers that may see raw frames or transport details.
FILTERED_LOGGERS = (
    "chargestack.ocpp.frames",
    "chargestack.ocpp.session",
    "websockets.client",
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with AuthorizationKey values in frames, private keys and ``secrets`` masked."""
    text = _KEY_THEN_VALUE.sub(rf"\g<1>{MASK}\g<2>", text)
    text = _VALUE_THEN_KEY.sub(rf"\g<1>{MASK}\g<2>", text)
    text = _PRIVATE_KEY.sub(f"[private key {MASK}]", text)
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def maskable(values: Iterable[str | None]) -> list[str]:
    """The values worth masking (set and long enough to be told from ordinary text)."""
    return [v for v in values if v is not None and len(v) >= _MIN_SECRET_LENGTH]


def is_secret_key(name: str) -> bool:
    """A configuration key whose value must not be shown (AuthorizationKey and the like)."""
    return _SECRET_KEY_NAMES.search(name) is not None


class SecretRedactor(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


def install_redaction() -> None:
    """Attach the filter once to each logger that can see secrets."""
    for name in FILTERED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretRedactor) for f in logger.filters):
            logger.addFilter(SecretRedactor())
