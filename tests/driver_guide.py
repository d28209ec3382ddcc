"""The example station file of docs/drivers.md, as the guide shows it."""

from __future__ import annotations

from pathlib import Path

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "drivers.md"


def _first_toml_after(heading: str) -> str:
    text = GUIDE.read_text()
    section = text[text.index(heading) :]
    start = section.index("```toml\n") + len("```toml\n")
    return section[start : section.index("```", start)]


def example_station_file() -> str:
    """The first TOML block after the heading "An example station file"."""
    return _first_toml_after("## An example station file")


def hardware_station_file() -> str:
    """The first TOML block after the heading "A hardware-stage station file"."""
    return _first_toml_after("## A hardware-stage station file")
