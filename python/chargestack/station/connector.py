"""One connector as the station sees it: its facts, its hardware, its fault."""

from __future__ import annotations

from dataclasses import dataclass, field

from chargestack.station.connector_status import ConnectorFacts


@dataclass
class Fault:
    error_code: str
    info: str | None = None
    vendor_error_code: str | None = None


@dataclass
class Connector:
    connector_id: int
    facts: ConnectorFacts = field(default_factory=ConnectorFacts)
    fault: Fault | None = None
    # A device error that leaves the connector usable: reported, status unchanged.
    warning: Fault | None = None
