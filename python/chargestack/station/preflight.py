"""Checks a station file completely before anything is written to disk.

The configuration-key values of the file are validated by the same registry the running
station uses, against an empty store, so a bad value is refused with its key named and the
data directory is never created for a file that cannot run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from chargestack.station.config_keys import standard_registry
from chargestack.station.configuration import Configuration

if TYPE_CHECKING:
    from chargestack.settings import StationSettings
    from chargestack.store import Store


class _NoValues:
    def get_all(self) -> dict[str, str]:
        return {}


class _EmptyStore:
    config = _NoValues()


def preflight(settings: StationSettings) -> None:
    """Raise ConfigurationError naming the key if the station file cannot run."""
    Configuration(
        standard_registry(),
        cast("Store", _EmptyStore()),
        offered_profiles=set(settings.feature_profiles),
        number_of_connectors=len(settings.connectors),
        initial=dict(settings.configuration),
        fixed_cable=all(c.fixed_cable for c in settings.connectors),
    )
