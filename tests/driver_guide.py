"""The example station file of docs/drivers.md, as the guide shows it."""

from __future__ import annotations

from pathlib import Path

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "drivers.md"


def example_station_file() -> str:
    """The first TOML block after the heading "An example station file"."""
    text = GUIDE.read_text()
    section = text[text.index("## An example station file") :]
    start = section.index("```toml\n") + len("```toml\n")
    return section[start : section.index("```", start)]
