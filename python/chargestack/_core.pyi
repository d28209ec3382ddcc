# Hand-written stub of the Rust extension `chargestack._core`; checked by mypy.stubtest.
# One section per area, in the order of rust/chargestack-py/src/lib.rs.

from collections.abc import Sequence
from typing import Any, Literal, NotRequired, TypedDict, final

__version__: str
__all__ = [
    "PowerLoop",
    "PowerStage",
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

# --- DC power stage (rust/chargestack-py/src/power.rs) ----------------------------------------
# The control loop runs on its own Rust thread and never calls into Python; methods only
# enqueue commands or read the latest telemetry. `stop` and `next_event` release the GIL.
# Errors raise chargestack.exceptions.PowerStageError. Connectors are named by their OCPP id,
# modules by index (= CAN address). Times are ms since the Unix epoch (UTC).
#
# config keys (unknown keys are refused):
#   modules: {count, max_power_w?, max_current_a?, min_voltage_v?, max_voltage_v?}
#            or a list of {max_power_w?, ...} (one per module; default a 30 kW / 100 A module)
#   connectors: [{id?, max_current_a, max_power_w, min_voltage_v?, max_voltage_v?}]
#   matrix?: per module, the list of connector ids it may serve (default: all)
#   loop_period_ms? (50), ramp_a_per_s? (25), watchdog_ms? (1000), silent_bus_ticks? (10),
#   simulated? (True; False is refused: no hardware switchgear driver yet), safe_current_a? (5),
#   stop_timeout_ms? (1000), setpoint_refresh_ms? (1000), setpoint_interval_ms? (100),
#   group_poll_ms? (100),
#   module_poll_ms? (1000), module_timeout_ms? (3000), bitrate? (125000),
#   realtime_priority? (40: SCHED_FIFO for the loop thread where permitted; 0 = normal)
# snapshot(): {ts_ms, ticks, stage_fault: "BusSilent" | "Watchdog" | None, bus_load,
#   bus: {load, load_observed, frames_tx, frames_rx, latency_mean_ms, latency_max_ms},
#   connectors: [{id, state ("idle"|"ready"|"charging"|"stopping"|"faulted"), voltage_v,
#     current_a, power_w, energy_wh, soc, ev_request_a, contactor, enabled,
#     faults: [{error_code, info}], active_limit, limit_w, limit_a, current_offered_a,
#     power_offered_w, setpoint_a, modules: [int], temperature_c}],
#   modules: [{index, state ("off"|"on"|"releasing"|"faulted"|"lost"), temperature_c,
#     voltage_v, current_a, setpoint_a, connector, fault}]}
# loop_stats(): {period_us, ticks, missed_deadlines, jitter_p50_us, jitter_p99_us,
#   jitter_max_us, work_p99_us, work_max_us, realtime}
# next_event(): {kind, ts_ms, ...}: "fault" {connector, error_code (OCPP ChargePointErrorCode),
#   info}, "fault_cleared" / "charging" / "ev_full" / "ev_suspended" / "ev_resumed" /
#   "connector_off" {connector}, "limit_applied" {connector, limit_w, limit_a, frame_ts_ms,
#   latency_ms}, "module_fault" {module, reason}, "module_recovered" {module}, "stopped" {reason}

@final
class PowerLoop:
    """A control-loop thread that several stages share (a fleet of simulated chargers).

    Stages of equal period tick in the same wakeup; the thread ends when the last reference
    to it (this object or a stage running on it) is gone.
    """

    def __new__(cls, realtime_priority: int | None = None) -> PowerLoop: ...
    def hosted(self) -> int:
        """Stages running on this loop now."""

@final
class PowerStage:
    """A simulated DC power stage: virtual CAN bus, Infypower modules, EVs, control loop."""

    def __new__(cls, config: dict[str, Any]) -> PowerStage: ...
    def start(self, power_loop: PowerLoop | None = None) -> None:
        """Runs the control loop on ``power_loop``, or on a thread of its own (SCHED_FIFO
        where permitted) when None."""

    def stop(self) -> None:
        """Switches every module off, opens the contactors and ends the loop (and its
        thread when the stage had one of its own)."""

    def set_limit(
        self, connector: int, limit_w: float | None, limit_a: float | None = None
    ) -> None:
        """Smart-charging limit of a connector (DC side); None lifts it."""

    def ev_plug_in(
        self, connector: int, battery_wh: float, soc: float, max_current_a: float
    ) -> None: ...
    def ev_plug_out(self, connector: int) -> None: ...
    def ev_pause(self, connector: int) -> None: ...
    def ev_resume(self, connector: int) -> None: ...
    def enable(self, connector: int, on: bool) -> None:
        """Close the contactor and deliver power (True) or ramp to zero and open (False)."""

    def feed_watchdog(self) -> None: ...
    def inject_module_fault(self, n: int, kind: str) -> None:
        """kind: "OverTemperature", "OutputShort", "CommLoss" or "Dead"."""

    def clear_module_fault(self, n: int) -> None: ...
    def fail_bus(self, on: bool) -> None: ...
    def is_running(self) -> bool: ...
    def snapshot(self) -> dict[str, Any]: ...
    def loop_stats(self) -> dict[str, Any]: ...
    def next_event(self, timeout_ms: int) -> dict[str, Any] | None:
        """The next event, waiting at most timeout_ms with the GIL released; None on timeout.
        0 polls without releasing the GIL."""
