"""Meter values: what the station accepts it sends, and one reading gives one Wh figure.

OCPP 1.6 section 9.1 (MeterValuesSampledData, MeterValuesAlignedData, StopTxnSampledData,
StopTxnAlignedData): a measurand the charge point cannot sample is refused, never accepted
and silently left out. Section 4.10 and 7.31: meterStart, meterStop and the sampled
Energy.Active.Import.Register are the same register, so one reading is one figure.
"""

from __future__ import annotations

from pathlib import Path

from central_system import CentralSystem, Payload
from chargestack.store import Store
from station_harness import running_station, start_local_session

VALID = "VALIDTAG1"
REGISTER = "Energy.Active.Import.Register"
DATA_KEYS = (
    "MeterValuesSampledData",
    "MeterValuesAlignedData",
    "StopTxnSampledData",
    "StopTxnAlignedData",
)
# Every Measurand of OCPP 1.6 (section 7.31).
OCPP_MEASURANDS = (
    "Current.Export",
    "Current.Import",
    "Current.Offered",
    "Energy.Active.Export.Register",
    "Energy.Active.Import.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval",
    "Energy.Active.Import.Interval",
    "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Frequency",
    "Power.Active.Export",
    "Power.Active.Import",
    "Power.Factor",
    "Power.Offered",
    "Power.Reactive.Export",
    "Power.Reactive.Import",
    "RPM",
    "SoC",
    "Temperature",
    "Voltage",
)


async def test_measurands_a_dc_charger_cannot_sample_are_rejected(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    # A DC output has no frequency and this charger never exports energy: accepting
    # Frequency or Energy.Active.Export.Register would promise values that never come.
    async with running_station(central_system, tmp_path) as rs:
        for key in DATA_KEYS:
            before = await rs.call("GetConfiguration", {"key": [key]})
            for measurand in ("Energy.Active.Export.Register", "Frequency"):
                answer = await rs.call(
                    "ChangeConfiguration", {"key": key, "value": f"{REGISTER},{measurand}"}
                )
                assert answer["status"] == "Rejected", (key, measurand)
            after = await rs.call("GetConfiguration", {"key": [key]})
            assert after == before


async def test_every_accepted_measurand_is_sampled(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        accepted = []
        for measurand in OCPP_MEASURANDS:
            answer = await rs.call(
                "ChangeConfiguration", {"key": "MeterValuesSampledData", "value": measurand}
            )
            if answer["status"] == "Accepted":
                accepted.append(measurand)
        assert REGISTER in accepted
        longest = await rs.call("GetConfiguration", {"key": ["MeterValuesSampledDataMaxLength"]})
        assert longest["configurationKey"][0]["value"] == str(len(accepted))
        answer = await rs.call(
            "ChangeConfiguration", {"key": "MeterValuesSampledData", "value": ",".join(accepted)}
        )
        assert answer["status"] == "Accepted"
        # An EV that reports its state of charge, so every measurand has a source.
        mark = cs.mark()
        rs.plug_in(1, soc=40.0)
        await rs.status(1, "Preparing", since=mark)
        rs.present(VALID)
        await rs.status(1, "Charging", since=mark)

        def ev_reports() -> bool:
            # SoC comes from the EV and Temperature from the running modules, once power flows.
            reading = rs.station.hardware.meter.read(1)
            return reading.soc_percent is not None and reading.temperature_c is not None

        await rs.wait(ev_reports)
        mark = cs.mark()
        trigger = {"requestedMessage": "MeterValues", "connectorId": 1}
        assert (await rs.call("TriggerMessage", trigger))["status"] == "Accepted"
        sample = await cs.wait_for("MeterValues", since=mark)
        values = sample.payload["meterValue"][0]["sampledValue"]
        assert sorted(v["measurand"] for v in values) == sorted(accepted)


def _register_value(meter_value: Payload) -> str:
    (value,) = [v["value"] for v in meter_value["sampledValue"] if v["measurand"] == REGISTER]
    return str(value)


async def test_one_reading_gives_the_same_wh_in_start_stop_and_transaction_data(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    # The register of a station that already delivered 73.6 Wh: a whole-Wh figure is the
    # completed Wh (73), in meterStart as in the Transaction.Begin sample.
    with Store.open(tmp_path / "station.db") as store:
        store.meter_registers.set(1, 73.6)
    cs = central_system
    config = {"StopTxnSampledData": REGISTER}
    async with running_station(cs, tmp_path, connectors=1, configuration=config) as rs:
        await start_local_session(rs, 1, VALID)
        start = cs.messages("StartTransaction")[-1].payload
        mark = cs.mark()
        rs.present(VALID)
        stop = (await cs.wait_for("StopTransaction", since=mark)).payload
    begin, *_, end = stop["transactionData"]
    assert begin["sampledValue"][0]["context"] == "Transaction.Begin"
    assert end["sampledValue"][0]["context"] == "Transaction.End"
    assert start["meterStart"] == 73
    assert _register_value(begin) == str(start["meterStart"])
    assert _register_value(end) == str(stop["meterStop"])


def _measurands(payload: Payload) -> list[str]:
    return [v.get("measurand", REGISTER) for v in payload["meterValue"][0]["sampledValue"]]


def _context(payload: Payload) -> str:
    return str(payload["meterValue"][0]["sampledValue"][0]["context"])


async def test_empty_meter_values_lists_send_the_default_measurand(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """MeterValuesSampledData and MeterValuesAlignedData set to "": errata 3.15 still asks for
    MeterValues at each interval, and a MeterValue holds at least one sampledValue (7.33);
    the values are the default measurand (9.1.17, SampledValue's default in 7.43)."""
    cs = central_system
    config = {
        "MeterValuesSampledData": "",
        "MeterValuesAlignedData": "",
        "MeterValueSampleInterval": 1,
        "ClockAlignedDataInterval": 1,
    }
    async with running_station(cs, tmp_path, configuration=config) as rs:
        tx_id = await start_local_session(rs)
        for context in ("Sample.Periodic", "Sample.Clock"):
            sample = await cs.wait_for(
                "MeterValues",
                lambda p, c=context: p["connectorId"] == 1 and _context(p) == c,
            )
            assert sample.payload["transactionId"] == tx_id
            assert _measurands(sample.payload) == [REGISTER], context
        # The idle connector's clock-aligned values, and a triggered sample.
        idle = await cs.wait_for("MeterValues", lambda p: p["connectorId"] == 2)
        assert _measurands(idle.payload) == [REGISTER]
        mark = cs.mark()
        trigger = {"requestedMessage": "MeterValues", "connectorId": 2}
        assert (await rs.call("TriggerMessage", trigger))["status"] == "Accepted"
        triggered = await cs.wait_for("MeterValues", lambda p: _context(p) == "Trigger", since=mark)
        assert _measurands(triggered.payload) == [REGISTER]


async def test_a_sample_of_measurands_unavailable_now_is_not_empty(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """SoC alone, on a connector without an EV: nothing to report of it, yet a MeterValues
    goes out with at least one value (the schema's minItems 1)."""
    cs = central_system
    config = {"MeterValuesSampledData": "SoC", "MeterValuesAlignedData": "SoC"}
    async with running_station(cs, tmp_path, configuration=config) as rs:
        mark = cs.mark()
        trigger = {"requestedMessage": "MeterValues", "connectorId": 1}
        assert (await rs.call("TriggerMessage", trigger))["status"] == "Accepted"
        triggered = await cs.wait_for("MeterValues", since=mark)
        assert _measurands(triggered.payload) == [REGISTER]


async def test_section_3_16_5_empty_stop_txn_lists_put_no_values_in_stop_transaction(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    config = {
        "StopTxnSampledData": "",
        "StopTxnAlignedData": "",
        "MeterValueSampleInterval": 1,
        "ClockAlignedDataInterval": 1,
    }
    async with running_station(cs, tmp_path, connectors=1, configuration=config) as rs:
        await start_local_session(rs, 1, VALID)
        await cs.wait_for("MeterValues", lambda p: _context(p) == "Sample.Clock")
        mark = cs.mark()
        rs.present(VALID)
        stop = await cs.wait_for("StopTransaction", since=mark)
        assert "transactionData" not in stop.payload


async def test_errata_3_14_begin_and_end_values_come_with_clock_aligned_stop_data(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """StopTxnSampledData "" but StopTxnAlignedData set: the transactionData still starts with
    Transaction.Begin and ends with Transaction.End of the measurands configured."""
    cs = central_system
    config = {
        "StopTxnSampledData": "",
        "StopTxnAlignedData": REGISTER,
        "ClockAlignedDataInterval": 1,
    }
    async with running_station(cs, tmp_path, connectors=1, configuration=config) as rs:
        await start_local_session(rs, 1, VALID)
        await cs.wait_for("MeterValues", lambda p: _context(p) == "Sample.Clock")
        mark = cs.mark()
        rs.present(VALID)
        stop = await cs.wait_for("StopTransaction", since=mark)
    contexts = [v["sampledValue"][0]["context"] for v in stop.payload["transactionData"]]
    assert contexts[0] == "Transaction.Begin" and contexts[-1] == "Transaction.End"
    assert "Sample.Clock" in contexts
