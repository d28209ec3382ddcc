"""The control API's endpoints (issue 3, "the local control API"; issue 6, "Python side")."""

from __future__ import annotations

from aiohttp import web

from chargestack.control.bodies import FaultBody, ModuleFaultBody, PlugInBody, RfidBody
from chargestack.control.responses import json_response, ok, read_body
from chargestack.control.target import ControlTarget

TARGET = web.AppKey("target", ControlTarget)

routes = web.RouteTableDef()


def _target(request: web.Request) -> ControlTarget:
    return request.app[TARGET]


def _path_number(request: web.Request, name: str, what: str) -> int:
    """A numeric path segment; anything else names no connector or module (404, not 422)."""
    raw = request.match_info[name]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise web.HTTPNotFound(reason=f"unknown {what} {raw!r}")
    return int(raw)


def _connector_id(request: web.Request) -> int:
    return _path_number(request, "id", "connector")


@routes.get("/status")
async def status(request: web.Request) -> web.Response:
    return json_response(_target(request).status())


@routes.post("/connectors/{id}/plug-in")
async def plug_in(request: web.Request) -> web.Response:
    connector_id = _connector_id(request)
    body = await read_body(request, PlugInBody, optional=True)
    _target(request).hardware.plug_in(connector_id, body.ev())
    return ok()


@routes.post("/connectors/{id}/plug-out")
async def plug_out(request: web.Request) -> web.Response:
    _target(request).hardware.plug_out(_connector_id(request))
    return ok()


@routes.post("/rfid")
async def rfid(request: web.Request) -> web.Response:
    body = await read_body(request, RfidBody)
    _target(request).hardware.present_id_tag(body.id_tag)
    return ok()


@routes.post("/connectors/{id}/ev/unplug")
async def ev_unplug(request: web.Request) -> web.Response:
    """OCTT manual action "unplug the cable at the EV side" (TC_005): a socket's cable stays
    in the station; StopTransactionOnEVSideDisconnect decides what the transaction does."""
    _target(request).hardware.ev_unplug(_connector_id(request))
    return ok()


@routes.post("/connectors/{id}/ev/pause")
async def ev_pause(request: web.Request) -> web.Response:
    _target(request).hardware.ev_pause(_connector_id(request))
    return ok()


@routes.post("/connectors/{id}/ev/resume")
async def ev_resume(request: web.Request) -> web.Response:
    _target(request).hardware.ev_resume(_connector_id(request))
    return ok()


@routes.post("/connectors/{id}/faults")
async def raise_fault(request: web.Request) -> web.Response:
    connector_id = _connector_id(request)
    body = await read_body(request, FaultBody)
    _target(request).hardware.raise_fault(
        connector_id, body.error_code.value, body.info, body.vendor_error_code
    )
    return ok()


@routes.delete("/connectors/{id}/faults")
async def clear_fault(request: web.Request) -> web.Response:
    _target(request).hardware.clear_fault(_connector_id(request))
    return ok()


@routes.post("/connectors/{id}/lock-failure")
async def lock_failure(request: web.Request) -> web.Response:
    _target(request).hardware.arm_lock_failure(_connector_id(request))
    return ok()


@routes.post("/network/disconnect")
async def network_disconnect(request: web.Request) -> web.Response:
    await _target(request).network_disconnect()
    return ok()


@routes.post("/network/connect")
async def network_connect(request: web.Request) -> web.Response:
    await _target(request).network_connect()
    return ok()


@routes.post("/power-cut")
async def power_cut(request: web.Request) -> web.Response:
    """OCTT manual action "power loss": the station dies at once (TC_032_2), or, with backup
    power, ends its transactions first (TC_032_1), and comes back up."""
    await _target(request).power_cut()
    return ok()


@routes.get("/power")
async def power(request: web.Request) -> web.Response:
    return json_response(_target(request).power_snapshot())


@routes.post("/power/modules/{n}/faults")
async def module_fault(request: web.Request) -> web.Response:
    module = _path_number(request, "n", "power module")
    body = await read_body(request, ModuleFaultBody)
    _target(request).hardware.inject_module_fault(module, body.fault)
    return ok()


@routes.delete("/power/modules/{n}/faults")
async def clear_module_fault(request: web.Request) -> web.Response:
    _target(request).hardware.clear_module_fault(_path_number(request, "n", "power module"))
    return ok()


@routes.post("/power/bus/fail")
async def bus_fail(request: web.Request) -> web.Response:
    _target(request).hardware.fail_bus(True)
    return ok()


@routes.delete("/power/bus/fail")
async def bus_restore(request: web.Request) -> web.Response:
    _target(request).hardware.fail_bus(False)
    return ok()
