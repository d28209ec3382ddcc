"""Persistence: the station's single SQLite writer and its typed accessors."""

from __future__ import annotations

from chargestack.store.availability import Availability, AvailabilityType, ConnectorAvailability
from chargestack.store.config_values import ConfigValues
from chargestack.store.meta import Meta
from chargestack.store.migration_files import Migration, load_migrations
from chargestack.store.store import APPLICATION_ID, Store

__all__ = [
    "APPLICATION_ID",
    "Availability",
    "AvailabilityType",
    "ConfigValues",
    "ConnectorAvailability",
    "Meta",
    "Migration",
    "Store",
    "load_migrations",
]
