"""A small local central system for the demo, built on the PyPI ``ocpp`` package.

It validates every message the charger sends against the official OCPP 1.6 schemas and
prints the traffic, so a newcomer sees a real conversation. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from websockets.asyncio.server import Server, ServerConnection, serve


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Handler(ChargePoint):  # type: ignore[misc]
    def __init__(
        self, cp_id: str, connection: ServerConnection, log: Callable[[str], None]
    ) -> None:
        super().__init__(cp_id, connection)
        self._log = log
        self._ids = itertools.count(1)
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    def _seen(self, action: str, **payload: Any) -> None:
        self._log(f"CS <- {action} {payload}")
        self.events.put_nowait((action, payload))

    @on("BootNotification")
    async def on_boot(self, **p: Any) -> Any:
        self._seen("BootNotification", **p)
        return call_result.BootNotification(current_time=_now(), interval=30, status="Accepted")

    @on("Heartbeat")
    async def on_heartbeat(self, **p: Any) -> Any:
        return call_result.Heartbeat(current_time=_now())

    @on("StatusNotification")
    async def on_status(self, **p: Any) -> Any:
        self._seen("StatusNotification", **p)
        return call_result.StatusNotification()

    @on("Authorize")
    async def on_authorize(self, **p: Any) -> Any:
        self._seen("Authorize", **p)
        return call_result.Authorize(id_tag_info={"status": "Accepted"})

    @on("StartTransaction")
    async def on_start_transaction(self, **p: Any) -> Any:
        self._seen("StartTransaction", **p)
        return call_result.StartTransaction(
            transaction_id=next(self._ids), id_tag_info={"status": "Accepted"}
        )

    @on("StopTransaction")
    async def on_stop_transaction(self, **p: Any) -> Any:
        self._seen("StopTransaction", **p)
        return call_result.StopTransaction()

    @on("FirmwareStatusNotification")
    async def on_firmware_status(self, **p: Any) -> Any:
        self._seen("FirmwareStatusNotification", **p)
        return call_result.FirmwareStatusNotification()

    @on("DiagnosticsStatusNotification")
    async def on_diagnostics_status(self, **p: Any) -> Any:
        self._seen("DiagnosticsStatusNotification", **p)
        return call_result.DiagnosticsStatusNotification()

    @on("SecurityEventNotification")
    async def on_security_event(self, **p: Any) -> Any:
        self._seen("SecurityEventNotification", **p)
        return call_result.SecurityEventNotification()

    @on("MeterValues")
    async def on_meter_values(self, **p: Any) -> Any:
        self._seen("MeterValues", **p)
        return call_result.MeterValues()


class DemoCentralSystem:
    def __init__(self, log: Callable[[str], None]) -> None:
        self._log = log
        self._server: Server | None = None
        self.connected: asyncio.Queue[_Handler] = asyncio.Queue()
        self.url = ""

    async def start(self) -> str:
        self._server = await serve(self._accept, "127.0.0.1", 0, subprotocols=["ocpp1.6"])  # type: ignore[list-item]
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/ocpp"
        return self.url

    async def _accept(self, connection: ServerConnection) -> None:
        cp_id = connection.request.path.rsplit("/", 1)[-1] if connection.request else "?"
        handler = _Handler(cp_id, connection, self._log)
        self.connected.put_nowait(handler)
        try:
            await handler.start()
        except Exception as exc:  # the charger went away; the demo ends on its own
            self._log(f"CS: connection of {cp_id} ended ({type(exc).__name__})")

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @staticmethod
    async def remote_start(
        handler: _Handler, connector_id: int, id_tag: str, limit_w: float | None = None
    ) -> str:
        profile = None
        if limit_w is not None:
            profile = {
                "charging_profile_id": 1,
                "stack_level": 0,
                "charging_profile_purpose": "TxProfile",
                "charging_profile_kind": "Relative",
                "charging_schedule": {
                    "charging_rate_unit": "W",
                    "charging_schedule_period": [{"start_period": 0, "limit": limit_w}],
                },
            }
        response = await handler.call(
            call.RemoteStartTransaction(
                id_tag=id_tag, connector_id=connector_id, charging_profile=profile
            )
        )
        return str(response.status)

    @staticmethod
    async def update_firmware(handler: _Handler, location: str) -> None:
        await handler.call(call.UpdateFirmware(location=location, retrieve_date=_now()))

    @staticmethod
    async def get_diagnostics(handler: _Handler, location: str) -> str | None:
        response = await handler.call(call.GetDiagnostics(location=location))
        return None if response.file_name is None else str(response.file_name)

    @staticmethod
    async def remote_stop(handler: _Handler, transaction_id: int) -> str:
        response = await handler.call(call.RemoteStopTransaction(transaction_id=transaction_id))
        return str(response.status)
