"""The commented station file in README.md is a valid station file."""

from __future__ import annotations

import re
from pathlib import Path

from chargestack.settings import load_station_file
from chargestack.station.meter_sampling import SAMPLED_MEASURANDS
from chargestack.station.preflight import preflight

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


def test_readme_lists_the_measurands_the_station_samples() -> None:
    found = re.search(r"refuse the rest:\s(.*?)\. Energy is always", README.read_text(), re.S)
    assert found, "README does not list the sampled measurands"
    listed = [re.sub(r"\s*\(.*\)", "", item).strip() for item in found.group(1).split(",")]
    assert listed == list(SAMPLED_MEASURANDS)
