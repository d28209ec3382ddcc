"""Secrets never reach a log line or an uploaded archive: one set of masks for all.

What is masked: the value of AuthorizationKey in an OCPP frame (ChangeConfiguration carries
it in clear, and the frame logger writes whole frames at debug level), the password of any
URL (the locations of UpdateFirmware, GetDiagnostics, SignedUpdateFirmware and GetLog may
carry one: ``ftp://user:secret@host/``), the credentials of an HTTP ``Authorization``
header (the websocket's Basic auth of security profiles 1 and 2, logged by the websocket
library at debug level), any PEM private key, and the secret values a caller names (the
station's AuthorizationKey wherever it appears). Configuration keys whose names say they
hold a secret are left out of state dumps.

Two ways in: :class:`RedactingFormatter` masks every line a handler writes, whatever logger
it came from and tracebacks included (the command line's console and the station's log
files use it); ``install_redaction`` puts the filter on the loggers that can see secrets,
for handlers an integrator sets up (idempotent).
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
# RFC 3986 section 3.2: the userinfo ends at the authority's last "@"; the authority ends at
# the first "/", "?" or "#". Quotes, blanks and backslashes end it too: a URL in a JSON frame
# or a repr is followed by one.
_URL = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<authority>[^\s/?#\"'<>\\]*)")
# Log lines that elide long payloads (the websocket library's frame trace keeps only the
# start and the end) can cut a URL on either side of its "@": the part after the elision
# up to an "@" may be the end of a password.
_ELIDED_USERINFO = re.compile(r"(\.\.\.)[^\s/?#\"'<>\\@]+(@)")
_ELISION = "..."
# RFC 9110 section 11.6.2: "Authorization: <scheme> <credentials>", as a header line or as
# an entry of a printed header mapping or list of pairs.
_AUTHORIZATION = re.compile(
    r"(\b(?:proxy-)?authorization\b[\"']?\s*[:=,]\s*[\"']?"
    r"(?:basic|bearer|digest|negotiate|ntlm|token)\s+)[^\s\"',;}]+",
    re.IGNORECASE,
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
    """``text`` with AuthorizationKey values in frames, URL passwords, Authorization
    credentials, private keys and ``secrets`` masked."""
    text = _KEY_THEN_VALUE.sub(rf"\g<1>{MASK}\g<2>", text)
    text = _VALUE_THEN_KEY.sub(rf"\g<1>{MASK}\g<2>", text)
    text = _URL.sub(_mask_url_password, text)
    text = _ELIDED_USERINFO.sub(rf"\g<1>{MASK}\g<2>", text)
    text = _AUTHORIZATION.sub(rf"\g<1>{MASK}", text)
    text = _PRIVATE_KEY.sub(f"[private key {MASK}]", text)
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def redact_url(url: str) -> str:
    """``url`` with the password of its userinfo masked (user, host and path kept)."""
    return _URL.sub(_mask_url_password, url)


def _mask_url_password(found: re.Match[str]) -> str:
    scheme, authority = found["scheme"], found["authority"]
    userinfo, at, host = authority.rpartition("@")
    if not at:
        user, colon, rest = authority.partition(":")
        if colon and _ELISION in rest:
            # Cut before its "@": what follows the colon may be the start of a password.
            return f"{scheme}{user}:{MASK}{rest[rest.index(_ELISION) :]}"
        return found[0]
    user, colon, _password = userinfo.partition(":")
    return f"{scheme}{user}:{MASK}@{host}" if colon else found[0]


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


class RedactingFormatter(logging.Formatter):
    """Formats with ``inner`` and masks the whole result: message, arguments and traceback."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


def install_redaction() -> None:
    """Attach the filter once to each logger that can see secrets."""
    for name in FILTERED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretRedactor) for f in logger.filters):
            logger.addFilter(SecretRedactor())
