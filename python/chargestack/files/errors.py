"""Errors of firmware and diagnostics transfers and installation.

They derive from :class:`chargestack.exceptions.ChargestackError`, so callers that catch the
station's error tree catch these too. ``retryable`` separates a failure worth another attempt
(a dropped connection) from one that will fail the same way again (a refused scheme, a file
larger than the quota).
"""

from __future__ import annotations

from chargestack.exceptions import ChargestackError


class TransferError(ChargestackError):
    """A download or upload failed."""

    retryable = True


class LocationError(TransferError):
    """The location is malformed, uses an unsupported scheme or names an unsafe file."""

    retryable = False


class QuotaExceededError(TransferError):
    """The file is larger than the space the station allows for it."""

    retryable = False


class InstallationError(ChargestackError):
    """A firmware image could not be installed (corrupt, wrong format, slot write failed)."""
