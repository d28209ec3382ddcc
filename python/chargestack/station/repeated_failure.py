"""A step repeated on a timer that fails says so once, and once more when it works again.

Issue 17 item 1: a write that fails every second (a full disk, a refused commit) must not
write a traceback every second, nor end the task that repeats it.
"""

from __future__ import annotations

import logging


class RepeatedFailure:
    """Call :meth:`failed` on each failure and :meth:`succeeded` on each success."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._log = logger
        self._what = what
        self.failures = 0

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        if self.failures == 1:
            self._log.error(
                "%s failed (%s); retried, and said when it works again", self._what, exc
            )

    def succeeded(self) -> None:
        if self.failures:
            self._log.warning("%s works again after %d failures", self._what, self.failures)
            self.failures = 0
