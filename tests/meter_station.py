"""A station whose connector 1 is measured by a Modbus meter on 127.0.0.1 (a real pymodbus
server), and how the meter tests read what the central system got from it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from central_system import CentralSystem, Received
from device_peers import MeterServer, meter_table
from station_harness import RunningStation, running_station, start_local_session

SAMPLED = "Energy.Active.Import.Register,Voltage,Current.Import,Power.Active.Import"
METER_CONFIGURATION = {"MeterValueSampleInterval": 1, "MeterValuesSampledData": SAMPLED}


def devices(*meters: dict[str, Any]) -> dict[str, Any]:
    return {"hardware": "devices", "devices": {"meter": list(meters)}}


def sampled(mv: Received) -> dict[str, str]:
    return sampled_payload(mv.payload)


def sampled_payload(payload: dict[str, Any]) -> dict[str, str]:
    values = payload["meterValue"][0]["sampledValue"]
    return {v["measurand"]: v["value"] for v in values}


def tcp_link(server: MeterServer) -> dict[str, Any]:
    return {"transport": "tcp", "host": "127.0.0.1", "port": server.port, "unit_id": server.unit_id}


def meter_station(
    cs: CentralSystem, tmp_path: Path, model: str, **table: Any
) -> contextlib.AbstractAsyncContextManager[RunningStation]:
    """A station whose connector 1 meter is ``model`` with the keys of ``table`` (its link)."""
    return running_station(
        cs,
        tmp_path,
        configuration=METER_CONFIGURATION,
        **devices(meter_table(1, model, **table)),
    )


@contextlib.asynccontextmanager
async def station_on_a_meter_server(
    cs: CentralSystem, tmp_path: Path, server: MeterServer, model: str, **table: Any
) -> AsyncIterator[RunningStation]:
    """A station whose connector 1 meter is ``server`` (started here, stopped at the end)."""
    await server.start_tcp()
    try:
        async with meter_station(cs, tmp_path, model, **tcp_link(server), **table) as rs:
            yield rs
    finally:
        await server.stop()


async def session_billed_by_the_meter(
    rs: RunningStation, server: MeterServer, energy_wh: int
) -> dict[str, str]:
    """A local session on connector 1 while the meter's register climbs from ``energy_wh`` by
    10 Wh twice: meterStart, a MeterValues and meterStop are the meter's register. Returns
    what that MeterValues sampled."""
    cs = rs.cs
    await start_local_session(rs)
    assert cs.messages("StartTransaction")[-1].payload["meterStart"] == energy_wh
    mark = cs.mark()
    await server.set(energy_import=energy_wh + 10.0)
    mv = await cs.wait_for(
        "MeterValues",
        lambda p: sampled_payload(p)["Energy.Active.Import.Register"] == str(energy_wh + 10),
        since=mark,
    )
    await server.set(energy_import=energy_wh + 20.0)
    await meter_sees(rs, 1, energy_wh + 20.0)
    mark = cs.mark()
    rs.present("VALIDTAG1")
    stop = await cs.wait_for("StopTransaction", since=mark)
    assert stop.payload["meterStop"] == energy_wh + 20
    return sampled(mv)


async def meter_sees(rs: RunningStation, connector_id: int, energy_wh: float) -> None:
    meter = rs.sim.meters[connector_id]
    await rs.wait(lambda: not meter.failed and meter.latest.energy_wh == energy_wh)
