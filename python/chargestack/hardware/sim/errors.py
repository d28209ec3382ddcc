"""Why a manual action on the simulator was refused.

The control API maps these to HTTP statuses (unknown target 404, invalid value 422, wrong
state 409), so each refusal names what was wrong instead of failing somewhere deeper.
"""

from __future__ import annotations

from chargestack.exceptions import ChargestackError


class SimActionError(ChargestackError):
    """A manual action the simulator cannot perform as asked."""


class UnknownConnectorError(SimActionError, LookupError):
    """The connector id is not one of the station file's connectors."""

    def __init__(self, connector_id: int, known: range) -> None:
        super().__init__(
            f"unknown connector {connector_id}; this station has connectors "
            f"{known.start}..{known.stop - 1}"
        )
        self.connector_id = connector_id


class UnknownModuleError(SimActionError, LookupError):
    """The power-module number is outside the cabinet."""

    def __init__(self, module: int, count: int) -> None:
        super().__init__(f"unknown power module {module}; this cabinet has modules 0..{count - 1}")
        self.module = module


class InvalidActionValueError(SimActionError, ValueError):
    """A value of a manual action is out of range; ``field`` names it as the API spells it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class ConnectorStateError(SimActionError):
    """The action does not fit the connector's present state (e.g. plug-in twice)."""
