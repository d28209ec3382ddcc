"""A station whose connector 1 is measured by a Modbus meter on 127.0.0.1 (a real pymodbus
server), and how the meter tests read what the central system got from it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from central_system import CentralSystem, Received
from device_peers import MeterServer, meter_table
from station_harness import RunningStation, running_station

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


@contextlib.asynccontextmanager
async def station_on_a_meter_server(
    cs: CentralSystem, tmp_path: Path, server: MeterServer, model: str, **table: Any
) -> AsyncIterator[RunningStation]:
    """A station whose connector 1 meter is ``server`` (started here, stopped at the end)."""
    await server.start_tcp()
    try:
        async with running_station(
            cs,
            tmp_path,
            configuration=METER_CONFIGURATION,
            **devices(meter_table(1, model, **tcp_link(server), **table)),
        ) as rs:
            yield rs
    finally:
        await server.stop()


async def meter_sees(rs: RunningStation, connector_id: int, energy_wh: float) -> None:
    meter = rs.sim.meters[connector_id]
    await rs.wait(lambda: not meter.failed and meter.latest.energy_wh == energy_wh)
