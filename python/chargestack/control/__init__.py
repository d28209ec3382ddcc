"""The local HTTP control API: manual actions on the simulator, status and power telemetry."""

from chargestack.control.server import ControlApi, build_app
from chargestack.control.target import ControlTarget

__all__ = ["ControlApi", "ControlTarget", "build_app"]
