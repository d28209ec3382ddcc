"""Things that happen at the hardware and that the station must react to.

Drivers put these on the station's event queue; the station is the only consumer. Each is a
frozen dataclass so an event can be logged and replayed as it was.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvParameters:
    """What a simulated EV brings on plug-in; every field optional (driver defaults apply)."""

    battery_wh: float | None = None
    soc: float | None = None  # percent, 0-100
    max_current_a: float | None = None


@dataclass(frozen=True)
class PluggedIn:
    """The EV was connected; ``ev`` is what a simulated EV brings."""

    connector_id: int
    ev: EvParameters = EvParameters()


@dataclass(frozen=True)
class PluggedOut:
    """Nothing is connected at the connector any more: a socket's cable was taken out of
    the station, or a fixed cable out of the EV."""

    connector_id: int


@dataclass(frozen=True)
class EvUnplugged:
    """The cable was disconnected at the EV side (OCPP 1.6 section 4.10, the
    ...OnEVSideDisconnect keys): a socket's cable stays in the station, locked or not,
    until a ``PluggedOut``; a fixed cable is then free, as after a ``PluggedOut``. A
    ``PluggedIn`` afterwards is an EV connected to that cable again."""

    connector_id: int


@dataclass(frozen=True)
class IdTagPresented:
    """One RFID reader serves all connectors (OCTT: one reader, several connectors)."""

    id_tag: str


@dataclass(frozen=True)
class EvSuspended:
    """The EV stopped drawing current while energy is offered (SuspendedEV, errata 3.55)."""

    connector_id: int


@dataclass(frozen=True)
class EvResumed:
    """The EV draws current again after an ``EvSuspended``."""

    connector_id: int


#: The vendorErrorCode of the emergency stop button's fault (connector 0).
EMERGENCY_STOP = "EmergencyStop"


@dataclass(frozen=True)
class FaultRaised:
    """A fault input; connector 0 means the whole charge point."""

    connector_id: int
    error_code: str
    info: str | None = None
    vendor_error_code: str | None = None

    @property
    def is_emergency_stop(self) -> bool:
        """The emergency stop button: the one fault whose transactions end with reason
        EmergencyStop (OCPP 1.6 section 7.36); any other ends them with Other."""
        return self.connector_id == 0 and self.vendor_error_code == EMERGENCY_STOP


@dataclass(frozen=True)
class FaultCleared:
    """The fault of a ``FaultRaised`` on the same connector is gone."""

    connector_id: int


@dataclass(frozen=True)
class DeviceWarning:
    """A device fault that leaves charging possible (a lost RFID reader: remote starts still
    work): reported as the connector's errorCode with its status unchanged (StatusNotification
    carries errorCode and status independently; Faulted would refuse every transaction).
    Connector 0 is the charge point."""

    connector_id: int
    error_code: str
    info: str | None = None
    vendor_error_code: str | None = None


@dataclass(frozen=True)
class DeviceWarningCleared:
    """The device of a ``DeviceWarning`` on the same connector works again."""

    connector_id: int


@dataclass(frozen=True)
class PowerStageFault:
    """The power stage stopped a connector on its own (bus silent, modules lost, watchdog)."""

    connector_id: int
    error_code: str
    info: str


@dataclass(frozen=True)
class PowerStageFaultCleared:
    """The power stage recovered the connector (bus answers again, watchdog fed)."""

    connector_id: int


@dataclass(frozen=True)
class EvFull:
    """The EV ended its charge (request tapered to zero at full SoC)."""

    connector_id: int


HardwareEvent = (
    PluggedIn
    | PluggedOut
    | EvUnplugged
    | IdTagPresented
    | EvSuspended
    | EvResumed
    | FaultRaised
    | FaultCleared
    | DeviceWarning
    | DeviceWarningCleared
    | PowerStageFault
    | PowerStageFaultCleared
    | EvFull
)
