"""The driver guide's station file, run: hardware = "devices" with the simulated power
stage, a Modbus TCP meter, a Modbus RTU meter on a serial line and a serial RFID reader,
through a whole OCPP session against the real central system."""

from __future__ import annotations

from pathlib import Path

from central_system import CentralSystem
from chargestack.settings import load_station_file
from chargestack.settings.meter_models import BUILT_IN_MAPS
from device_peers import MeterServer, NullModem, SerialLine
from driver_guide import example_station_file
from station_harness import RunningStation


def guide_file_for(
    tmp_path: Path, cs: CentralSystem, tcp_port: int, rtu_device: str, reader: Path
) -> Path:
    """The guide's file with this machine's peers put where the guide names real ones."""
    text = example_station_file()
    for documented, here in [
        ('url = "ws://127.0.0.1:9000/ocpp"', f'url = "{cs.url}"'),
        ("port = 5020", f"port = {tcp_port}"),
        ('serial_port = "/dev/ttyUSB0"', f'serial_port = "{rtu_device}"'),
        ('port = "/dev/ttyUSB1"', f'port = "{reader}"'),
        # The session swipes the same card twice. With the guide's 1 s held-card window the
        # second swipe counted as the card still held whenever the meter poll the test waits
        # for came less than a second after the first (the poll's phase decides): flaky.
        ("debounce_s = 1.0", "debounce_s = 0"),
    ]:
        assert documented in text
        text = text.replace(documented, here)
    # The test's own timings: a quick status report, quick retries, no control API port.
    text += "\n[control_api]\nenabled = false\n\n[configuration]\nMinimumStatusDuration = 0\n"
    path = tmp_path / "station.toml"
    path.write_text(text)
    return path


async def test_guide_station_file_runs_a_session_on_device_meters_and_reader(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    acudc = BUILT_IN_MAPS["accuenergy-acudc240"]
    tcp_meter = MeterServer(acudc, unit_id=1)
    await tcp_meter.set(energy_import=88_000.0, voltage=650.0, current=0.0, power=0.0)
    port = await tcp_meter.start_tcp()
    modem = NullModem()
    rtu_meter = MeterServer(acudc, unit_id=2)  # the guide's custom map is this map
    await rtu_meter.set(energy_import=5_000.0, voltage=400.0)
    await rtu_meter.start_rtu(modem.device_a)
    line = SerialLine(tmp_path / "rfid")
    try:
        settings = load_station_file(guide_file_for(tmp_path, cs, port, modem.device_b, line.path))
        rs = RunningStation(settings, cs)
        await rs.start()
        try:
            await rs.booted()
            meters = rs.sim.meters
            assert meters[2].latest.energy_wh == 5_000.0  # the RTU meter answers too
            mark = cs.mark()
            rs.plug_in(1)
            await rs.status(1, "Preparing", since=mark)
            line.write(b"04a1b2c3d4e5f6\r\n")
            start = await cs.wait_for("StartTransaction", since=mark)
            assert start.payload["idTag"] == "04A1B2C3D4E5F6"
            assert start.payload["meterStart"] == 88_000
            await rs.status(1, "Charging", since=mark)

            await tcp_meter.set(energy_import=88_010.0, current=150.0, power=97_500.0)
            await rs.wait(lambda: meters[1].latest.energy_wh == 88_010.0, timeout=5)
            mark = cs.mark()
            line.write(b"04A1B2C3D4E5F6\r\n")
            stop = await cs.wait_for("StopTransaction", since=mark)
            assert stop.payload["meterStop"] == 88_010
            assert stop.payload["reason"] == "Local"
            await rs.status(1, "Finishing", since=mark)
            rs.plug_out(1)
            await rs.status(1, "Available", since=mark)
        finally:
            await rs.stop()
    finally:
        line.unplug()
        await tcp_meter.stop()
        await rtu_meter.stop()
        modem.close()
