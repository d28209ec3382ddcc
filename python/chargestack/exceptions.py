"""The one exception tree of chargestack.

Rust errors are raised as these classes too (the binding crate imports them from here), so
callers catch precise classes whichever side of the boundary failed.
"""

from __future__ import annotations


class ChargestackError(Exception):
    """Base of every error raised by chargestack."""


class OcppError(ChargestackError):
    """An error that has an OCPP-J error code (section 4.2.3 of the OCPP-J 1.6 specification).

    ``code`` is the exact wire spelling, with the errata v4.0 fixes (``FormationViolation``,
    ``OccurenceConstraintViolation``).
    """

    code: str = "GenericError"

    def __init__(self, description: str = "", details: dict[str, object] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.details: dict[str, object] = details or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.description}" if self.description else self.code


class NotImplementedOcppError(OcppError):
    code = "NotImplemented"


class NotSupportedError(OcppError):
    code = "NotSupported"


class InternalError(OcppError):
    code = "InternalError"


class ProtocolError(OcppError):
    code = "ProtocolError"


class SecurityError(OcppError):
    code = "SecurityError"


class FormationViolationError(OcppError):
    code = "FormationViolation"


class PropertyConstraintViolationError(OcppError):
    code = "PropertyConstraintViolation"


class OccurenceConstraintViolationError(OcppError):
    code = "OccurenceConstraintViolation"


class TypeConstraintViolationError(OcppError):
    code = "TypeConstraintViolation"


class GenericError(OcppError):
    code = "GenericError"


OCPP_ERRORS_BY_CODE: dict[str, type[OcppError]] = {
    cls.code: cls
    for cls in (
        NotImplementedOcppError,
        NotSupportedError,
        InternalError,
        ProtocolError,
        SecurityError,
        FormationViolationError,
        PropertyConstraintViolationError,
        OccurenceConstraintViolationError,
        TypeConstraintViolationError,
        GenericError,
    )
}


def ocpp_error_for(
    code: str, description: str = "", details: dict[str, object] | None = None
) -> OcppError:
    """The exception for a CALLERROR received from the peer; unknown codes become GenericError."""
    cls = OCPP_ERRORS_BY_CODE.get(code, GenericError)
    err = cls(description, details)
    if cls is GenericError and code != "GenericError":
        err.code = code
    return err


class FrameError(OcppError):
    """A text frame that is not valid OCPP-J; raised by the Rust codec.

    ``message_id`` is the unique id when it could be recovered (then a CALLERROR is owed),
    otherwise ``None`` (the frame is logged and dropped). ``code`` is the OCPP-J error code.
    """

    def __init__(self, code: str, description: str, message_id: str | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.message_id = message_id


class CallTimeoutError(ChargestackError):
    """The central system did not answer a CALL within its timeout."""


class NotConnectedError(ChargestackError):
    """A CALL was attempted while no websocket connection is open."""


class ConfigurationError(ChargestackError):
    """A station file or configuration value is invalid; the message names the key."""


class StoreError(ChargestackError):
    """The embedded database is corrupt, foreign or from a newer version."""


class SmartChargingError(ChargestackError):
    """The composite-schedule engine refused its input (raised from Rust)."""


class PowerStageError(ChargestackError):
    """The power stage refused a command or failed (raised from Rust)."""


class CanInterfaceError(PowerStageError):
    """The CAN interface of a hardware power stage cannot be opened (absent, down, or no CAN
    support in the kernel); the message is one line naming the interface (raised from Rust)."""
