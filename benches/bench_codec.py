"""Benchmark: the OCPP-J message path, our stack vs the PyPI ``ocpp`` package, same run.

Incoming (a CALL from the central system to its CALLRESULT text): RemoteStartTransaction,
GetConfiguration, ChangeConfiguration, SetChargingProfile (a 24-period schedule) and
TriggerMessage. Outgoing (station data to CALL text): MeterValues with 10 sampled values,
StatusNotification, StartTransaction.

- ours: ``_core.decode_frame`` -> ``parse_request`` (pydantic, strict) -> ``Router`` handler
  -> ``dump_payload`` -> ``_core.encode_call_result``; outgoing: build the request model ->
  ``dump_payload`` -> ``_core.encode_call``. This is what ``OcppSession`` does per frame.
- ocpp: ``unpack`` -> jsonschema validation (``_validate_payload``, the synchronous body of
  its ``validate_payload``) -> ``camel_to_snake_case`` -> the ``call.X`` dataclass -> handler
  -> ``serialize_as_dict``/``remove_nones``/``snake_to_camel_case`` -> validate the response
  -> ``to_json``; outgoing as its ``ChargePoint.call`` does before sending. Its default
  validation hops to a thread pool (``ASYNC_VALIDATION``); the synchronous path is the
  cheaper one, so the ratio is the conservative one. One extra row shows the default.

Handlers on both sides only build a fixed answer: this measures the protocol stack, not the
station's business logic. Both sides' output texts are checked to be the same JSON.

Run: ``.venv/bin/python benches/bench_codec.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import ocpp.messages as ocpp_messages
from ocpp.charge_point import camel_to_snake_case, remove_nones, serialize_as_dict
from ocpp.charge_point import snake_to_camel_case as to_camel
from ocpp.v16 import call, call_result

from _common import p50_p99_max, parse_args, print_table
from chargestack import _core
from chargestack.ocpp import messages as m
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Router, on

NOW = datetime(2026, 11, 24, 2, 30, 0, 123_000, tzinfo=UTC)
NOW_TEXT = m.format_rfc3339(NOW)
CONFIG = {"HeartbeatInterval": "300", "MeterValueSampleInterval": "10", "NumberOfConnectors": "2"}
SCHEDULE = [{"startPeriod": i * 3600, "limit": 32.0 - i % 8 * 2.5} for i in range(24)]
INCOMING: list[tuple[str, dict[str, Any]]] = [
    ("RemoteStartTransaction", {"connectorId": 1, "idTag": "VALIDTAG1"}),
    ("GetConfiguration", {"key": list(CONFIG)}),
    ("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "10"}),
    (
        "SetChargingProfile",
        {
            "connectorId": 1,
            "csChargingProfiles": {
                "chargingProfileId": 7,
                "stackLevel": 1,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "startSchedule": NOW_TEXT,
                    "chargingSchedulePeriod": SCHEDULE,
                },
            },
        },
    ),
    ("TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 1}),
]
MEASURANDS = [
    ("Energy.Active.Import.Register", "Wh", None),
    ("Power.Active.Import", "W", None),
    ("Current.Import", "A", None),
    ("Voltage", "V", None),
    ("SoC", "Percent", None),
    ("Temperature", "Celsius", None),
    ("Current.Offered", "A", None),
    ("Power.Offered", "W", None),
    ("Current.Import", "A", "L1"),
    ("Voltage", "V", "L1-N"),
]
OUTGOING = ["MeterValues", "StatusNotification", "StartTransaction"]

Step = Callable[[str], Awaitable[str]]


class OurHandlers:
    @on(Action.REMOTE_START_TRANSACTION)
    async def remote_start(
        self, r: m.RemoteStartTransactionRequest
    ) -> m.RemoteStartTransactionResponse:
        return m.RemoteStartTransactionResponse(status=m.RemoteStartStopStatus("Accepted"))

    @on(Action.GET_CONFIGURATION)
    async def get_configuration(self, r: m.GetConfigurationRequest) -> m.GetConfigurationResponse:
        keys = [m.KeyValue(key=k, readonly=False, value=CONFIG[k]) for k in r.key or CONFIG]
        return m.GetConfigurationResponse(configuration_key=keys)

    @on(Action.CHANGE_CONFIGURATION)
    async def change_configuration(
        self, r: m.ChangeConfigurationRequest
    ) -> m.ChangeConfigurationResponse:
        return m.ChangeConfigurationResponse(status=m.ConfigurationStatus("Accepted"))

    @on(Action.SET_CHARGING_PROFILE)
    async def set_charging_profile(
        self, r: m.SetChargingProfileRequest
    ) -> m.SetChargingProfileResponse:
        return m.SetChargingProfileResponse(status=m.ChargingProfileStatus("Accepted"))

    @on(Action.TRIGGER_MESSAGE)
    async def trigger_message(self, r: m.TriggerMessageRequest) -> m.TriggerMessageResponse:
        return m.TriggerMessageResponse(status=m.TriggerMessageStatus("Accepted"))


def their_handler(action: str, request: Any) -> Any:
    if action == "GetConfiguration":
        keys = request.key or list(CONFIG)
        entries = [{"key": k, "readonly": False, "value": CONFIG[k]} for k in keys]
        return call_result.GetConfiguration(configuration_key=entries)
    return getattr(call_result, action)(status="Accepted")


def ours_incoming() -> Step:
    router = Router()
    router.register_object(OurHandlers())

    async def step(text: str) -> str:
        _, message_id, action, payload = _core.decode_frame(text)  # type: ignore[misc]
        handler = router.handler_for(action)
        assert handler is not None
        response = await handler(m.parse_request(action, payload))
        return _core.encode_call_result(message_id, m.dump_payload(response))

    return step


def theirs_incoming(sync_validation: bool) -> Step:
    validate: Callable[[Any], Awaitable[None]]
    if sync_validation:

        async def validate(msg: Any) -> None:
            ocpp_messages._validate_payload(msg, "1.6")
    else:

        async def validate(msg: Any) -> None:
            await ocpp_messages.validate_payload(msg, "1.6")

    async def step(text: str) -> str:
        msg = ocpp_messages.unpack(text)
        await validate(msg)
        request = getattr(call, msg.action)(**camel_to_snake_case(msg.payload))
        response = their_handler(msg.action, request)
        result = msg.create_call_result(to_camel(remove_nones(serialize_as_dict(response))))
        await validate(result)
        return str(result.to_json())

    return step


def sampled(phase_key: str) -> list[dict[str, Any]]:
    out = []
    for i, (measurand, unit, phase) in enumerate(MEASURANDS):
        value = {"value": f"{1000 + i * 7.5:.1f}", "context": "Sample.Periodic"}
        value |= {"measurand": measurand, "location": "Outlet", "unit": unit}
        if phase:
            value[phase_key] = phase
        out.append(value)
    return out


def ours_outgoing(action: str) -> Callable[[str], str]:
    if action == "MeterValues":
        # The station holds its measurands as enum members (from configuration), as the
        # ocpp side holds them as strings: neither conversion is timed.
        values = [
            (
                v["value"],
                m.ReadingContext(v["context"]),
                m.Measurand(v["measurand"]),
                m.Location(v["location"]),
                m.UnitOfMeasure(v["unit"]),
                m.Phase(v["phase"]) if "phase" in v else None,
            )
            for v in sampled("phase")
        ]

        def build() -> m.OcppModel:
            sv = [
                m.SampledValue(
                    value=value,
                    context=context,
                    measurand=measurand,
                    location=location,
                    unit=unit,
                    phase=phase,
                )
                for value, context, measurand, location, unit, phase in values
            ]
            mv = [m.MeterValue(timestamp=NOW, sampled_value=sv)]
            return m.MeterValuesRequest(connector_id=1, transaction_id=42, meter_value=mv)
    elif action == "StatusNotification":
        no_error, charging = m.ChargePointErrorCode("NoError"), m.ChargePointStatus("Charging")

        def build() -> m.OcppModel:
            return m.StatusNotificationRequest(
                connector_id=1, error_code=no_error, status=charging, timestamp=NOW
            )
    else:

        def build() -> m.OcppModel:
            return m.StartTransactionRequest(
                connector_id=1, id_tag="VALIDTAG1", meter_start=123_456, timestamp=NOW
            )

    def step(message_id: str) -> str:
        request = build()
        return _core.encode_call(message_id, m.action_of(request), m.dump_payload(request))

    return step


def theirs_outgoing(action: str) -> Callable[[str], str]:
    if action == "MeterValues":
        values = sampled("phase")

        def build() -> Any:
            mv = [{"timestamp": NOW_TEXT, "sampled_value": [dict(v) for v in values]}]
            return call.MeterValues(connector_id=1, meter_value=mv, transaction_id=42)
    elif action == "StatusNotification":

        def build() -> Any:
            return call.StatusNotification(
                connector_id=1, error_code="NoError", status="Charging", timestamp=NOW_TEXT
            )
    else:

        def build() -> Any:
            return call.StartTransaction(
                connector_id=1, id_tag="VALIDTAG1", meter_start=123_456, timestamp=NOW_TEXT
            )

    def step(message_id: str) -> str:
        request = build()
        payload = remove_nones(to_camel(serialize_as_dict(request)))
        msg = ocpp_messages.Call(message_id, type(request).__name__, payload)
        ocpp_messages._validate_payload(msg, "1.6")
        return str(msg.to_json())

    return step


def frames(rounds: int) -> list[tuple[str, str]]:
    return [
        (action, json.dumps([2, f"{r}-{i}", action, payload], separators=(",", ":")))
        for r in range(rounds)
        for i, (action, payload) in enumerate(INCOMING)
    ]


async def time_incoming(step: Step, work: list[tuple[str, str]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    clock = time.perf_counter_ns
    for action, text in work:
        t = clock()
        await step(text)
        out.setdefault(action, []).append((clock() - t) / 1000)
    return out


def time_outgoing(step: Callable[[str], str], action: str, n: int) -> dict[str, list[float]]:
    samples = []
    clock = time.perf_counter_ns
    for i in range(n):
        t = clock()
        step(f"out-{i}")
        samples.append((clock() - t) / 1000)
    return {action: samples}


def check_same_output() -> None:
    ours, theirs = ours_incoming(), theirs_incoming(True)

    async def both(text: str) -> tuple[str, str]:
        return await ours(text), await theirs(text)

    for _, text in frames(1):
        a, b = asyncio.run(both(text))
        assert json.loads(a) == json.loads(b), (a, b)
    for action in OUTGOING:
        a, b = ours_outgoing(action)("x"), theirs_outgoing(action)("x")
        assert json.loads(a) == json.loads(b), (a, b)


def merge(into: dict[str, list[float]], more: dict[str, list[float]]) -> None:
    for k, v in more.items():
        into.setdefault(k, []).extend(v)


async def measure(rounds: int, blocks: int) -> dict[str, dict[str, list[float]]]:
    """Alternates the stacks in blocks, so drift of the machine hits both alike."""
    results: dict[str, dict[str, list[float]]] = {"ours": {}, "ocpp": {}, "ocpp_default": {}}
    ours_in, theirs_in, default_in = ours_incoming(), theirs_incoming(True), theirs_incoming(False)
    ours_out = {a: ours_outgoing(a) for a in OUTGOING}
    theirs_out = {a: theirs_outgoing(a) for a in OUTGOING}
    per_block = max(1, rounds // blocks)
    await time_incoming(ours_in, frames(20))  # warm-up: imports, validators, caches
    await time_incoming(theirs_in, frames(20))
    for _ in range(blocks):
        merge(results["ours"], await time_incoming(ours_in, frames(per_block)))
        merge(results["ocpp"], await time_incoming(theirs_in, frames(per_block)))
        merge(results["ocpp_default"], await time_incoming(default_in, frames(per_block // 5)))
        for action in OUTGOING:
            merge(results["ours"], time_outgoing(ours_out[action], action, per_block))
            merge(results["ocpp"], time_outgoing(theirs_out[action], action, per_block))
    return results


def row(label: str, ours: list[float], theirs: list[float]) -> list[object]:
    o50, o99, _ = p50_p99_max(ours)
    t50, t99, _ = p50_p99_max(theirs)
    ours_rate = len(ours) / (sum(ours) / 1e6)
    theirs_rate = len(theirs) / (sum(theirs) / 1e6)
    return [label, ours_rate, theirs_rate, f"{ours_rate / theirs_rate:.1f}x", o50, o99, t50, t99]


def flat(samples: dict[str, list[float]], keys: list[str]) -> list[float]:
    return [v for k in keys for v in samples[k]]


def main() -> None:
    args = parse_args(__doc__)
    rounds = 400 if args.quick else 4000
    check_same_output()
    r = asyncio.run(measure(rounds, blocks=4 if args.quick else 10))
    ours, theirs = r["ours"], r["ocpp"]
    rows = [row(action, ours[action], theirs[action]) for action, _ in INCOMING]
    incoming = [a for a, _ in INCOMING]
    rows.append(row("incoming mix", flat(ours, incoming), flat(theirs, incoming)))
    rows += [row(f"{action} (out)", ours[action], theirs[action]) for action in OUTGOING]
    rows.append(row("outgoing mix", flat(ours, OUTGOING), flat(theirs, OUTGOING)))
    every = incoming + OUTGOING
    rows.append(row("all messages", flat(ours, every), flat(theirs, every)))
    default = r["ocpp_default"]
    rows.append(row("incoming mix vs ocpp default*", flat(ours, incoming), flat(default, incoming)))
    headers = ["message", "ours msg/s", "ocpp msg/s", "ratio"]
    headers += ["ours p50 us", "ours p99 us", "ocpp p50 us", "ocpp p99 us"]
    print(
        f"OCPP-J message path, one thread, {rounds} of each message per stack "
        f"(incoming: frame -> CALLRESULT text; outgoing: data -> CALL text)"
    )
    print_table("Throughput and latency per message (target: ratio >= 10x)", headers, rows)
    print(
        "* the ocpp package's default ASYNC_VALIDATION=True validates in a thread pool; "
        f"{len(flat(default, incoming))} samples."
    )


if __name__ == "__main__":
    main()
