"""What the control API needs from the station it controls.

The ``Station`` implements this; tests use a small object built on a real ``SimHardware``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from chargestack.hardware.sim import SimHardware


class ControlTarget(Protocol):
    @property
    def hardware(self) -> SimHardware:
        """The simulated hardware whose manual actions the API exposes."""
        ...

    def status(self) -> dict[str, Any]:
        """``GET /status``: registration and connection state, and per connector its status,
        error code, transaction id, id tag, energy (Wh), power (W) and current limit."""
        ...

    async def network_disconnect(self) -> None:
        """Drop the websocket and keep it down while powered (OCTT "network loss")."""
        ...

    async def network_connect(self) -> None:
        """Allow the connection again; the station reconnects as after any loss."""
        ...

    async def power_cut(self) -> None:
        """Lose power now: no graceful stop (with backup power: transactions stop with reason
        PowerLoss first); the station restarts as after a power cycle."""
        ...

    def power_snapshot(self) -> Mapping[str, object]:
        """``GET /power``: modules, allocation, bus load and loop timing."""
        ...
