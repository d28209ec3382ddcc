"""The demo's live view: connectors (state, kW, kWh, SoC, limit) and the OCPP traffic."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table

from chargestack.waiting import cancel_and_wait

StatusSource = Callable[[], dict[str, Any] | None]


class LiveView:
    """Redraws a few times a second from the station's own status; never blocks the station."""

    def __init__(
        self, status: StatusSource, *, console: Console | None = None, traffic_lines: int = 12
    ) -> None:
        self._status = status
        self.console = console or Console()
        self.traffic: deque[str] = deque(maxlen=traffic_lines)
        self.step = "starting"
        self._task: asyncio.Task[None] | None = None
        self._live: Live | None = None

    def log(self, line: str) -> None:
        self.traffic.append(line if len(line) <= 160 else line[:157] + "...")

    def render(self) -> Group:
        status = self._status() or {}
        table = Table(
            title=f"{status.get('chargePointId', '')}  {status.get('registration', '')}"
            f"  {status.get('connection', '')}  fw {status.get('firmwareVersion', '')}",
            expand=True,
        )
        for column in ("connector", "status", "kW", "kWh", "SoC %", "limit kW", "transaction"):
            table.add_column(
                column, justify="right" if column not in ("status", "connector") else "left"
            )
        for c in status.get("connectors", []):
            limit = c.get("limitW")
            table.add_row(
                str(c.get("connectorId")),
                str(c.get("status")),
                f"{(c.get('powerW') or 0) / 1000:.1f}",
                f"{(c.get('energyWh') or 0) / 1000:.2f}",
                "" if c.get("soc") is None else f"{c['soc']:.0f}",
                "" if limit is None else f"{limit / 1000:.1f}",
                "" if c.get("transactionId") is None else str(c["transactionId"]),
            )
        traffic = Panel(
            "\n".join(self.traffic) or "(no traffic yet)",
            title="OCPP traffic (central system side)",
        )
        return Group(Panel(self.step, title="tour"), table, traffic)

    async def _refresh(self) -> None:
        assert self._live is not None
        while True:
            with contextlib.suppress(Exception):  # a station restarting has no status for a moment
                self._live.update(self.render())
            await asyncio.sleep(0.25)

    def start(self) -> None:
        self._live = Live(
            self.render(), console=self.console, refresh_per_second=4, transient=False
        )
        self._live.start()
        self._task = asyncio.get_running_loop().create_task(self._refresh())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        if self._live is not None:
            with contextlib.suppress(Exception):
                self._live.update(self.render())
            self._live.stop()
