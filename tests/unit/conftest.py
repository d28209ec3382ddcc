"""Fixtures the unit tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chargestack.assembly import AssembledStation
from chargestack.settings import FEATURE_PROFILES
from sim_support import station_settings


@pytest.fixture(
    params=[list(FEATURE_PROFILES), ["Core"]],
    ids=["every profile", "Core only (the not-offered answers)"],
)
async def assembled_station(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AssembledStation]:
    """A started station with every feature profile, and one with Core only, whose handlers
    a test can read off its router (no link, no control API)."""
    settings = station_settings(
        tmp_path,
        feature_profiles=request.param,
        firmware={"installer": "simulated"},
        control_api={"enabled": False},
    )
    station = AssembledStation(settings)
    await station.start()
    try:
        yield station
    finally:
        await station.stop()
