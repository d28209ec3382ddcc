"""The commented station file in README.md is a valid station file."""

from __future__ import annotations

import re
from pathlib import Path

from chargestack.station.preflight import preflight
from chargestack.station.settings import load_station_file

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_station_file_validates(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README shows no station file"
    station_file = tmp_path / "station.toml"
    station_file.write_text(blocks[0])
    settings = load_station_file(station_file)
    preflight(settings)
    assert settings.identity.charge_point_id == "CP-0001"
    assert len(settings.connectors) == 2
