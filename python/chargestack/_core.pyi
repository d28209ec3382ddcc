# Hand-written stub of the Rust extension `chargestack._core`; checked by mypy.stubtest.
# One section per area, in the order of rust/chargestack-py/src/lib.rs.

from collections.abc import Sequence
from typing import Any, Literal, NotRequired, TypedDict

__version__: str
__all__ = [
    "__version__",
    "composite_schedule",
    "decode_frame",
    "encode_call",
    "encode_call_error",
    "encode_call_result",
    "limit_at",
    "validate_charging_profile",
]

# --- OCPP-J framing (rust/chargestack-py/src/frame.rs) ---------------------------------------
# Malformed input raises chargestack.exceptions.FrameError(code, description, message_id);
# message_id is set only when a CALLERROR is owed (the frame was a CALL whose id was readable).

def decode_frame(
    text: str | bytes, *, max_len: int = 65536, max_depth: int = 64
) -> (
    tuple[Literal[2], str, str, str]
    | tuple[Literal[3], str, str]
    | tuple[Literal[4], str, str, str, str]
):
    """(2, id, action, payload_json) | (3, id, payload_json) | (4, id, code, description, details_json).

    Payloads are the raw JSON text of an object, as received. A CALLERROR code outside the
    OCPP-J 1.6 list is returned as is (leniency); check it against OCPP_ERRORS_BY_CODE.
    """

def encode_call(id: str, action: str, payload_json: str) -> str: ...
def encode_call_result(id: str, payload_json: str) -> str: ...
def encode_call_error(id: str, code: str, description: str, details_json: str = "{}") -> str: ...

# --- Smart charging (rust/chargestack-py/src/smart_charging.rs) ------------------------------
# Plain data in and out; errors raise chargestack.exceptions.SmartChargingError.
#
# A profile is a dict with the OCPP JSON field names of csChargingProfiles plus "connectorId"
# (where it is installed, 0 = station): chargingProfileId, stackLevel, chargingProfilePurpose,
# chargingProfileKind, recurrencyKind?, validFrom? (ms), validTo? (ms), transactionId?,
# chargingSchedule{chargingRateUnit, chargingSchedulePeriod[{startPeriod, limit, numberPhases?}],
# duration?, startSchedule? (ms), minChargingRate?}. Absent and None are the same.
# `transactions` maps a connector id to (transactionId, start_ms) for each running transaction.
# `unit` is "A" (grid-side current per phase) or "W" (power drawn from the grid).
# Rules, units and rounding: the crate docs of rust/smart-charging/src/lib.rs.

class _ElectricalParams(TypedDict):
    grid_voltage_v: float  # nominal, phase to neutral
    grid_phases: int  # 1..3
    station_max_a: float
    station_max_w: float
    connector_max_a: dict[int, float]  # keys: the station's connector ids (from 1)
    connector_max_w: dict[int, float]  # same keys as connector_max_a

class _CompositePeriod(TypedDict):
    startPeriod: int
    limit: float
    numberPhases: NotRequired[int]

class _CompositeSchedule(TypedDict):
    scheduleStart: int  # ms since the epoch, the window start as given
    duration: int
    chargingRateUnit: Literal["A", "W"]
    chargingSchedulePeriod: list[_CompositePeriod]
    minChargingRate: NotRequired[float]

def composite_schedule(
    profiles: Sequence[dict[str, Any]],
    connector_id: int,
    start_ms: int,
    duration_s: int,
    transactions: dict[int, tuple[int, int]],
    params: _ElectricalParams,
    unit: Literal["A", "W"],
) -> _CompositeSchedule:
    """The composite schedule of connector_id (0: station total) over [start_ms, +duration_s).

    Periods are whole seconds; a second in which limits change gets the lowest of them.
    """

def limit_at(
    profiles: Sequence[dict[str, Any]],
    connector_id: int,
    now_ms: int,
    transactions: dict[int, tuple[int, int]],
    params: _ElectricalParams,
    unit: Literal["A", "W"],
) -> tuple[float, int | None]:
    """(limit now, ms of the next change of limit or numberPhases, None if it never changes)."""

def validate_charging_profile(
    profile: dict[str, Any],
    connector_id: int,
    max_stack_level: int,
    max_periods: int,
    allowed_units: list[str],
    connector_count: int,
) -> None:
    """Raises SmartChargingError naming the rule a SetChargingProfile payload breaks."""
