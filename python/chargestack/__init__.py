"""chargestack: an OCPP 1.6J charge point for DC fast chargers.

Users import from here; ``chargestack._core`` (the Rust extension) is private.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chargestack")
except PackageNotFoundError:  # running from a source tree without metadata
    __version__ = "0.0.0"

__all__ = ["__version__"]
