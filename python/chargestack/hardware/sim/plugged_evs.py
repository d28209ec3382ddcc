"""The simulator's EVs across a restart of the whole process.

A controller that reboots finds the cables where they were. The simulated ones live in
memory, so a runner that restarts the process (a Hard reset, new firmware) writes them down
first and the next process plugs them in again, once: ``<data_dir>/simulator/plugged.json``.
Both functions block (a synced file): call them from a thread.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import orjson

from chargestack.durable_files import replace_file
from chargestack.hardware.events import EvParameters

log = logging.getLogger(__name__)

_FILE = Path("simulator") / "plugged.json"


def save_plugged(data_dir: Path, evs: Mapping[int, EvParameters]) -> None:
    """Remember ``evs`` (connector id -> the EV on it) for the next process."""
    path = data_dir / _FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = {
        str(cid): {"batteryWh": ev.battery_wh, "soc": ev.soc, "maxCurrentA": ev.max_current_a}
        for cid, ev in evs.items()
    }
    replace_file(path, orjson.dumps(entries))


def take_plugged(data_dir: Path) -> dict[int, EvParameters]:
    """The EVs the previous process left plugged in ({} when none); forgotten once read."""
    path = data_dir / _FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    path.unlink()
    try:
        entries = orjson.loads(raw)
        return {
            int(cid): EvParameters(ev["batteryWh"], ev["soc"], ev["maxCurrentA"])
            for cid, ev in entries.items()
        }
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return {}
