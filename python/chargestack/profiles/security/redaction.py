"""Secrets never reach a log line: AuthorizationKey values and PEM private keys are masked.

The frame logger writes whole OCPP frames at debug level, and ChangeConfiguration carries
the AuthorizationKey in clear; the filter masks it before any handler (file, console) sees
the record.
"""

from __future__ import annotations

import logging
import re

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
#: Loggers that may see raw frames or transport details.
FILTERED_LOGGERS = (
    "chargestack.ocpp.frames",
    "chargestack.ocpp.session",
    "websockets.client",
)


def redact(text: str) -> str:
    text = _KEY_THEN_VALUE.sub(rf"\g<1>{MASK}\g<2>", text)
    text = _VALUE_THEN_KEY.sub(rf"\g<1>{MASK}\g<2>", text)
    return _PRIVATE_KEY.sub(f"-----PRIVATE KEY {MASK}-----", text)


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
