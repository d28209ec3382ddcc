# Hand-written stub of the Rust extension `chargestack._core`; checked by mypy.stubtest.
# One section per area, in the order of rust/chargestack-py/src/lib.rs.

from collections.abc import Mapping, Sequence
from typing import Literal, NotRequired, TypedDict, final

__version__: str
__all__ = [
    "ChargingProfile",
    "PowerLoop",
    "PowerStage",
    "ProfileSet",
    "__version__",
    "decode_frame",
    "encode_call",
    "encode_call_error",
    "encode_call_result",
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
# Errors raise chargestack.exceptions.SmartChargingError. Limits are computed on the grid
# side ("A": current per phase, "W": power drawn from the grid; errata 3.69) and converted
# to the DC setpoint once, in Rust. Rules, units and rounding: the crate docs of
# rust/smart-charging/src/lib.rs and electrical.rs.

_Unit = Literal["A", "W"]
_Purpose = Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]
# connector id -> (transactionId, or None until StartTransaction.conf told it; start ms)
_Transactions = Mapping[int, tuple[int | None, int]]

class _ConnectorRating(TypedDict):
    id: int
    max_power_w: float  # DC

class _StationRatings(TypedDict):
    grid_voltage_v: float  # nominal, phase to neutral
    grid_phases: int  # 1..3
    grid_max_current_a: float  # per phase, the grid connection
    efficiency: float  # grid -> DC, 0 < efficiency <= 1
    module_count: int
    module_max_power_w: float  # DC, one module
    connectors: list[_ConnectorRating]

class _ProfileLimits(TypedDict):
    """The configuration keys that bound what SetChargingProfile installs (section 9.4)."""

    max_stack_level: int
    max_periods: int
    allowed_units: list[_Unit]
    connector_count: int
    max_installed: int

class _ClearCriteria(TypedDict):
    """ClearChargingProfile.req's fields; None matches anything (errata 3.25/3.26)."""

    id: int | None
    connectorId: int | None
    chargingProfilePurpose: str | None  # a _Purpose
    stackLevel: int | None

class _Setpoint(TypedDict):
    connector_id: int
    limit_w: float | None  # DC output power; None: the hardware ratings only
    offers_energy: bool  # False at a limit of 0 (errata 3.55/3.64: SuspendedEVSE)

class _Setpoints(TypedDict):
    connectors: list[_Setpoint]  # in the order of the station's connectors
    next_change_ms: int | None  # the first later instant any setpoint differs; None: never

class _CompositePeriod(TypedDict):
    startPeriod: int
    limit: float
    numberPhases: NotRequired[int]

class _CompositeSchedule(TypedDict):
    scheduleStart: int  # ms since the epoch, the window start as given
    duration: int
    chargingRateUnit: _Unit
    chargingSchedulePeriod: list[_CompositePeriod]
    minChargingRate: NotRequired[float]

@final
class ChargingProfile:
    """A profile installed on a connector, parsed and checked once (what the engine needs).

    ``json`` is the ``csChargingProfiles`` object as received (RFC 3339 date-times) or a
    stored row (``to_json``: ms date-times and ``connectorId``, used when ``connector_id``
    is None).
    """

    def __new__(cls, json: str, connector_id: int | None = None) -> ChargingProfile: ...
    @property
    def id(self) -> int: ...
    @property
    def connector_id(self) -> int: ...
    @property
    def purpose(self) -> _Purpose: ...
    @property
    def stack_level(self) -> int: ...
    @property
    def transaction_id(self) -> int | None: ...
    def check(self, limits: _ProfileLimits) -> None:
        """Raises naming the SetChargingProfile rule (of the profile itself) it breaks."""

    def to_json(self) -> str:
        """The stored row."""

@final
class ProfileSet:
    """The installed profiles of a station and every limit they set.

    Computations over more than 16 profiles release the GIL.
    """

    def __new__(cls, station: _StationRatings) -> ProfileSet: ...
    def __len__(self) -> int: ...
    def admit(self, profile: ChargingProfile, limits: _ProfileLimits) -> list[int]:
        """The ids ``profile`` would replace (section 5.16); raises for a rule it breaks,
        MaxChargingProfilesInstalled included."""

    def replaced_by(self, profile: ChargingProfile) -> list[int]:
        """Section 5.16: the same chargingProfileId, or the same purpose and stackLevel on
        the same connector."""

    def install(self, profile: ChargingProfile) -> list[int]:
        """Installs ``profile`` in place of the ones it replaces; returns their ids."""

    def remove(self, ids: Sequence[int]) -> int: ...
    def matching(self, criteria: _ClearCriteria) -> list[int]: ...
    def tx_profiles_on(self, connector_id: int) -> list[int]: ...
    def setpoints(self, now_ms: int, transactions: _Transactions) -> _Setpoints:
        """Every connector's DC setpoint now (the ChargePointMaxProfile and the grid
        connection shared between the connectors with a transaction) and the next change."""

    def composite_schedule(
        self,
        connector_id: int,
        start_ms: int,
        duration_s: int,
        transactions: _Transactions,
        unit: _Unit,
    ) -> _CompositeSchedule:
        """The composite schedule of connector_id (0: station total) over [start_ms, +duration_s).

        Periods are whole seconds; a second in which limits change gets the lowest of them.
        """

    def limit_at(
        self, connector_id: int, now_ms: int, transactions: _Transactions, unit: _Unit
    ) -> tuple[float, int | None]:
        """(limit now, ms of the next change of limit or numberPhases, None if it never changes)."""

# --- DC power stage (rust/chargestack-py/src/power.rs) ----------------------------------------
# The control loop runs on its own Rust thread and never calls into Python; methods only
# enqueue commands or read the latest telemetry. `stop` and `next_event` release the GIL.
# Errors raise chargestack.exceptions.PowerStageError. Connectors are named by their OCPP id,
# modules by index (= CAN address). Times are ms since the Unix epoch (UTC). The shapes are
# the serde types of rust/power (control/spec.rs, telemetry.rs, stats.rs, events.rs);
# absent optional keys take the defaults of rust/power.

class _UniformModules(TypedDict):
    count: int
    max_power_w: NotRequired[float]  # default: a 30 kW / 100 A / 150-1000 V module
    max_current_a: NotRequired[float]
    min_voltage_v: NotRequired[float]
    max_voltage_v: NotRequired[float]

class _Module(TypedDict, total=False):
    max_power_w: float
    max_current_a: float
    min_voltage_v: float
    max_voltage_v: float

class _StageConnector(TypedDict):
    id: NotRequired[int]  # default: position from 1
    max_current_a: float
    max_power_w: float
    min_voltage_v: NotRequired[float]  # 150
    max_voltage_v: NotRequired[float]  # 1000

class _StageConfig(TypedDict):
    """Unknown keys are refused."""

    modules: _UniformModules | list[_Module]
    connectors: list[_StageConnector]
    matrix: NotRequired[list[list[int]] | None]  # per module, connector ids (default: all)
    loop_period_ms: NotRequired[int]  # 50
    ramp_a_per_s: NotRequired[float]  # 25
    watchdog_ms: NotRequired[int]  # 1000
    silent_bus_ticks: NotRequired[int]  # 10
    simulated: NotRequired[bool]  # True; False: the hardware stage on `interface`
    interface: NotRequired[str]  # hardware stage: "can0" (SocketCAN) or "virtual" (the bench)
    addresses: NotRequired[list[int]]  # the modules' bus addresses (default 0, 1, 2, ...)
    controller_address: NotRequired[int]  # 0xF0
    ev_request_timeout_ms: NotRequired[int]  # 1000: an EV request older than this is gone
    contactor_timeout_ms: NotRequired[int]  # 500: contactor feedback may lag this long
    safe_current_a: NotRequired[float]  # 5
    stop_timeout_ms: NotRequired[int]  # 1000
    setpoint_refresh_ms: NotRequired[int]  # 1000
    setpoint_interval_ms: NotRequired[int]  # 100
    group_poll_ms: NotRequired[int]  # 100
    module_poll_ms: NotRequired[int]  # 1000
    module_timeout_ms: NotRequired[int]  # 3000
    bitrate: NotRequired[int]  # 125000
    realtime_priority: NotRequired[int]  # 40 (SCHED_FIFO where permitted); 0 = normal

class _ConnectorFault(TypedDict):
    error_code: str  # OCPP ChargePointErrorCode
    info: str

class _ConnectorSnapshot(TypedDict):
    id: int
    state: Literal["idle", "ready", "charging", "stopping", "faulted"]
    voltage_v: float
    current_a: float
    power_w: float
    energy_wh: float
    soc: float | None
    ev_request_a: float | None
    contactor: bool
    enabled: bool
    faults: list[_ConnectorFault]
    active_limit: str
    limit_w: float | None
    limit_a: float | None
    current_offered_a: float
    power_offered_w: float
    setpoint_a: float
    modules: list[int]
    temperature_c: float | None

class _ModuleSnapshot(TypedDict):
    index: int
    state: Literal["off", "on", "releasing", "faulted", "lost"]
    temperature_c: float | None
    voltage_v: float
    current_a: float
    setpoint_a: float
    connector: int | None
    fault: str | None

class _BusStats(TypedDict):
    load: float
    load_observed: float
    frames_tx: int
    frames_rx: int
    latency_mean_ms: float
    latency_max_ms: float

class _LoopStats(TypedDict):
    period_us: int
    ticks: int
    missed_deadlines: int
    jitter_p50_us: int
    jitter_p99_us: int
    jitter_max_us: int
    work_p99_us: int
    work_max_us: int
    realtime: bool

class _BenchEv(TypedDict):
    connector: int
    request_a: float
    target_v: float
    soc: float
    full: bool

class _Snapshot(TypedDict):
    ts_ms: int
    ticks: int
    connectors: list[_ConnectorSnapshot]
    modules: list[_ModuleSnapshot]
    bus: _BusStats
    stage_fault: Literal["BusSilent", "Watchdog"] | None
    loop: _LoopStats
    bench_evs: list[_BenchEv]  # the virtual bench's batteries; empty elsewhere

class _FaultEvent(TypedDict):
    kind: Literal["fault"]
    connector: int
    error_code: str  # OCPP ChargePointErrorCode
    info: str
    ts_ms: int

class _ConnectorEvent(TypedDict):
    kind: Literal[
        "fault_cleared",
        "charging",
        "ev_full",
        "ev_suspended",
        "ev_resumed",
        "connector_off",
        "ev_request_lost",
        "ev_request_restored",
    ]
    connector: int
    ts_ms: int

class _ContactorEvent(TypedDict):
    kind: Literal["contactor"]  # hardware stage: close (or open) it, report its feedback
    connector: int
    closed: bool
    ts_ms: int

class _ModuleRouteEvent(TypedDict):
    kind: Literal["module_route"]  # hardware stage: switch the module to a connector (or none)
    module: int
    connector: int | None
    ts_ms: int

class _LimitAppliedEvent(TypedDict):
    kind: Literal["limit_applied"]
    connector: int
    limit_w: float | None
    limit_a: float | None
    frame_ts_ms: int | None
    latency_ms: float | None
    ts_ms: int

class _ModuleFaultEvent(TypedDict):
    kind: Literal["module_fault"]
    module: int
    reason: str
    ts_ms: int

class _ModuleRecoveredEvent(TypedDict):
    kind: Literal["module_recovered"]
    module: int
    ts_ms: int

class _StoppedEvent(TypedDict):
    kind: Literal["stopped"]
    reason: str
    ts_ms: int

_StageEvent = (
    _FaultEvent
    | _ConnectorEvent
    | _ContactorEvent
    | _ModuleRouteEvent
    | _LimitAppliedEvent
    | _ModuleFaultEvent
    | _ModuleRecoveredEvent
    | _StoppedEvent
)

# What the EV link and the contactors' auxiliary contacts tell a hardware stage.
class _EvConnectorInput(TypedDict):
    # ev_present: an EV is plugged in; ev_gone: it left (its request is forgotten, power
    # needs a new enable); ev_stop: it ended its charge and may ask again.
    type: Literal["ev_present", "ev_gone", "ev_stop"]
    connector: int

class _EvRequestInput(TypedDict):
    # Renew it within ev_request_timeout_ms or it counts as gone (ramp down, contactor open).
    type: Literal["ev_request"]
    connector: int
    voltage_v: float
    current_a: float
    soc: NotRequired[float | None]

class _ContactorFeedbackInput(TypedDict):
    type: Literal["contactor_feedback"]
    connector: int
    closed: bool

_StageInput = _EvConnectorInput | _EvRequestInput | _ContactorFeedbackInput

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
    """A DC power stage: the control loop over Infypower modules, either the simulated
    cabinet (virtual bus, modules, EVs) or the hardware stage (modules on a SocketCAN
    interface, or on the virtual bench, with the EV's request and the switchgear through the
    supervisor). An interface that cannot be opened raises CanInterfaceError."""

    def __new__(cls, config: _StageConfig) -> PowerStage: ...
    def kind(self) -> Literal["simulated", "bench", "hardware"]:
        """Which commands the stage takes: the EV link and contactor feedback drive "bench"
        and "hardware"; simulated EVs and module faults exist in "simulated" and "bench"."""
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
    ) -> None:
        """A simulated EV ("simulated"), or a battery on the bench's DC output ("bench")."""

    def ev_plug_out(self, connector: int) -> None: ...
    def ev_pause(self, connector: int) -> None: ...
    def ev_resume(self, connector: int) -> None: ...
    def enable(self, connector: int, on: bool) -> None:
        """Close the contactor and deliver power (True) or ramp to zero and open (False)."""

    def input(self, input: _StageInput) -> None:
        """A hardware stage's input from the EV link or a contactor's auxiliary contact;
        PowerStageError on a simulated cabinet or for values no stage could act on."""

    def feed_watchdog(self) -> None: ...
    def inject_module_fault(self, n: int, kind: str) -> None:
        """kind: "OverTemperature", "OutputShort", "CommLoss" or "Dead"."""

    def clear_module_fault(self, n: int) -> None: ...
    def fail_bus(self, on: bool) -> None: ...
    def is_running(self) -> bool: ...
    def snapshot(self) -> _Snapshot: ...
    def loop_stats(self) -> _LoopStats: ...
    def next_event(self, timeout_ms: int) -> _StageEvent | None:
        """The next event, waiting at most timeout_ms with the GIL released; None on timeout.
        0 polls without releasing the GIL."""
