"""The public face: ``chargestack`` exports what an integrator uses, each documented."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import chargestack
from chargestack.assembly import AssembledStation, StationRunner
from chargestack.settings import load_station_file
from chargestack.station.station import Station
from chargestack.station.stop_kind import StopKind


def test_every_export_resolves_and_is_documented() -> None:
    undocumented = []
    for name in chargestack.__all__:
        value = getattr(chargestack, name)
        if name in ("__version__", "HardwareEvent"):  # a string and a union of the events
            continue
        doc = inspect.getdoc(value) or ""
        # A dataclass without a docstring gets its signature as one: that documents nothing.
        if not doc or doc.startswith(f"{name}("):
            undocumented.append(name)
    assert undocumented == []


def test_the_exports_are_the_objects_of_their_modules() -> None:
    assert chargestack.Station is Station
    assert chargestack.AssembledStation is AssembledStation
    assert issubclass(AssembledStation, Station)
    assert chargestack.StopKind is StopKind
    assert chargestack.StationRunner is StationRunner
    assert chargestack.load_station_file is load_station_file
    assert set(dir(chargestack)) >= set(chargestack.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="Nonexistent"):
        chargestack.Nonexistent  # type: ignore[attr-defined]  # noqa: B018


def test_importing_chargestack_leaves_the_station_unloaded() -> None:
    # The boot step and the control API client import chargestack before every start.
    code = (
        "import sys, chargestack; "
        "print(sorted(m for m in ('chargestack.station.station', 'chargestack.settings', "
        "'pydantic', 'chargestack._core') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
