"""The ``chargestack`` command line.

Exit codes (also in ``--help``): 0 ok; 1 runtime error (including a request the station
refused in its present state); 2 usage or configuration error (including a request the
control API rejected as invalid); 3 control API unreachable; 4 (``run`` with
``[firmware] restart = "exit"``) start me again: new firmware was installed or rolled back,
or a Hard reset.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from chargestack import __version__
from chargestack.control.client import (
    ControlApiRefusedError,
    ControlApiUnreachableError,
    ControlClient,
)
from chargestack.deploy.restart import EXIT_RESTART
from chargestack.exceptions import ChargestackError, ConfigurationError
from chargestack.redaction import RedactingFormatter, install_redaction
from chargestack.settings import StationSettings

EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

_EXIT_CODES_HELP = (
    "\b\nExit codes:\n"
    "  0  ok\n"
    "  1  runtime error (or the station refused the action in its present state)\n"
    "  2  usage or configuration error (or the control API rejected the request)\n"
    "  3  control API unreachable\n"
    f"  {EXIT_RESTART}  run: start me again (new firmware installed or rolled back, or a"
    ' Hard reset; [firmware] restart = "exit")'
)

F = TypeVar("F", bound=Callable[..., Any])


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(level: str, json_logs: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    formatter = (
        _JsonFormatter()
        if json_logs
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    # Every line, from any logger and with its traceback, has its secrets masked.
    handler.setFormatter(RedactingFormatter(formatter))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    install_redaction()


@click.group(epilog=_EXIT_CODES_HELP)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default="INFO",
    show_default=True,
    envvar="CHARGESTACK_LOG_LEVEL",
)
@click.option("--json-logs", is_flag=True, help="One JSON object per log line.")
def main(log_level: str, json_logs: bool) -> None:
    """chargestack: an OCPP 1.6J charge point for DC fast chargers."""
    configure_logging(log_level.upper(), json_logs)


@main.command()
def version() -> None:
    """Print the version of chargestack and of its Rust core."""
    from chargestack import _core

    click.echo(f"chargestack {__version__} (core {_core.__version__})")


# -- the control API ---------------------------------------------------------------------


def _api_option(func: F) -> F:
    return click.option(
        "--api",
        "api_url",
        envvar="CHARGESTACK_API",
        metavar="URL",
        help=(
            "Control API address, http://127.0.0.1:8180 or unix:/path/control.sock "
            "(default: $CHARGESTACK_API)."
        ),
    )(func)


def _client(api_url: str | None) -> ControlClient:
    if not api_url:
        raise click.UsageError("no control API address: pass --api or set CHARGESTACK_API")
    try:
        return ControlClient(api_url)
    except ValueError:
        raise click.UsageError(
            f"--api must be an http:// URL or unix:/path to a socket, found {api_url!r}"
        ) from None


def _call(api_url: str | None, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """One request; maps the outcome to the documented exit codes."""
    client = _client(api_url)
    try:
        if method == "GET":
            return client.get(path)
        if method == "DELETE":
            return client.delete(path)
        return client.post(path, body)
    except ControlApiUnreachableError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNREACHABLE)
    except ControlApiRefusedError as exc:
        click.echo(f"error: {exc}", err=True)
        # 409: valid but not now (e.g. plug-in twice); 5xx: the station failed.
        sys.exit(EXIT_RUNTIME if exc.status == 409 or exc.status >= 500 else EXIT_USAGE)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


@main.command(epilog=_EXIT_CODES_HELP)
@_api_option
def status(api_url: str | None) -> None:
    """Registration, connection and connector states of a running station."""
    _echo_json(_call(api_url, "GET", "/status"))


@main.group(epilog=_EXIT_CODES_HELP)
def firmware() -> None:
    """Firmware updates of a running station."""


@firmware.command("watch", epilog=_EXIT_CODES_HELP)
@_api_option
def firmware_watch(api_url: str | None) -> None:
    """A progress bar for the running firmware job, until it ends (exit 1 if it failed)."""
    from chargestack.control.firmware_progress import watch_firmware

    final = watch_firmware(lambda: dict(_call(api_url, "GET", "/status")))
    click.echo(f"firmware: {final}")
    if final in ("DownloadFailed", "InstallationFailed"):
        sys.exit(EXIT_RUNTIME)


@firmware.command("build-image", epilog=_EXIT_CODES_HELP)
@click.option("--version", "version_", required=True, help="The chargestack version it carries.")
@click.option(
    "--platform",
    "platform_tag",
    required=True,
    help="Wheel platform tag of the controller, e.g. manylinux_2_28_aarch64.",
)
@click.option(
    "--python-version",
    default="3.11",
    show_default=True,
    help="The controller's CPython (major.minor).",
)
@click.option(
    "--wheel",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The chargestack wheel to carry (default: chargestack==VERSION from the index).",
)
@click.option(
    "--signing-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM private key: also write OUTPUT.sig, the SignedUpdateFirmware signature.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The image file to write (.tar.gz).",
)
def firmware_build_image(
    version_: str,
    platform_tag: str,
    python_version: str,
    wheel: Path | None,
    signing_key: Path | None,
    output: Path,
) -> None:
    """A firmware image carrying chargestack and every dependency as wheels for PLATFORM.

    Dependency wheels come from pip (`pip download`), so PIP_INDEX_URL, PIP_FIND_LINKS and
    PIP_NO_INDEX choose where from."""
    from chargestack.deploy.image_build import ImageBuildError, build_software_image

    try:
        manifest = build_software_image(
            version_,
            platform_tag,
            output,
            wheel=wheel,
            python_version=python_version,
            signing_key=signing_key,
        )
    except ImageBuildError as exc:
        click.echo(f"chargestack: {exc}", err=True)
        sys.exit(EXIT_USAGE if exc.usage else EXIT_RUNTIME)
    wheels = len(manifest.files)
    click.echo(f"{output}: chargestack {manifest.version} for {manifest.platform}, {wheels} wheels")
    if signing_key is not None:
        click.echo(f"{output}.sig: signature (base64) for SignedUpdateFirmware")


@main.command(epilog=_EXIT_CODES_HELP)
@_api_option
def power(api_url: str | None) -> None:
    """Power modules, their allocation, bus load and loop timing."""
    _echo_json(_call(api_url, "GET", "/power"))


@main.group(epilog=_EXIT_CODES_HELP)
def sim() -> None:
    """Manual actions on the simulated hardware (the OCTT test plan's manual steps)."""


@sim.command("plug-in", epilog=_EXIT_CODES_HELP)
@click.argument("connector", type=int)
@click.option("--battery-wh", type=float, help="EV battery capacity in Wh.")
@click.option("--soc", type=float, help="EV state of charge on arrival, percent.")
@click.option("--max-current-a", type=float, help="Most current the EV will draw, A.")
@_api_option
def sim_plug_in(
    connector: int,
    battery_wh: float | None,
    soc: float | None,
    max_current_a: float | None,
    api_url: str | None,
) -> None:
    """Plug an EV into CONNECTOR."""
    body = {"batteryWh": battery_wh, "soc": soc, "maxCurrentA": max_current_a}
    _call(api_url, "POST", f"/connectors/{connector}/plug-in", _present(body))
    click.echo(f"connector {connector}: EV plugged in")


@sim.command("plug-out", epilog=_EXIT_CODES_HELP)
@click.argument("connector", type=int)
@_api_option
def sim_plug_out(connector: int, api_url: str | None) -> None:
    """Take the cable of CONNECTOR out at the station (a fixed cable: out of the EV)."""
    _call(api_url, "POST", f"/connectors/{connector}/plug-out")
    click.echo(f"connector {connector}: EV unplugged")


@sim.command("ev-unplug", epilog=_EXIT_CODES_HELP)
@click.argument("connector", type=int)
@_api_option
def sim_ev_unplug(connector: int, api_url: str | None) -> None:
    """Unplug the cable of CONNECTOR at the EV side (a socket's cable stays in the station)."""
    _call(api_url, "POST", f"/connectors/{connector}/ev/unplug")
    click.echo(f"connector {connector}: cable unplugged at the EV")


@sim.command("rfid", epilog=_EXIT_CODES_HELP)
@click.argument("id_tag")
@_api_option
def sim_rfid(id_tag: str, api_url: str | None) -> None:
    """Present ID_TAG to the RFID reader (one reader serves every connector)."""
    _call(api_url, "POST", "/rfid", {"idTag": id_tag})
    click.echo(f"id tag {id_tag} presented")


@sim.command("ev-pause", epilog=_EXIT_CODES_HELP)
@click.argument("connector", type=int)
@_api_option
def sim_ev_pause(connector: int, api_url: str | None) -> None:
    """The EV on CONNECTOR stops drawing current (SuspendedEV)."""
    _call(api_url, "POST", f"/connectors/{connector}/ev/pause")
    click.echo(f"connector {connector}: EV paused")


@sim.command("ev-resume", epilog=_EXIT_CODES_HELP)
@click.argument("connector", type=int)
@_api_option
def sim_ev_resume(connector: int, api_url: str | None) -> None:
    """The EV on CONNECTOR draws current again."""
    _call(api_url, "POST", f"/connectors/{connector}/ev/resume")
    click.echo(f"connector {connector}: EV resumed")


@sim.command("fault", epilog=_EXIT_CODES_HELP)
@click.argument("connector", type=int)
@click.argument("error_code")
@click.option("--info", help="Free text sent as StatusNotification.info (at most 50 characters).")
@click.option("--vendor-error-code", help="Sent as StatusNotification.vendorErrorCode.")
@_api_option
def sim_fault(
    connector: int,
    error_code: str,
    info: str | None,
    vendor_error_code: str | None,
    api_url: str | None,
) -> None:
    """Raise fault ERROR_CODE (an OCPP ChargePointErrorCode) on CONNECTOR; 0 is the whole
    charge point."""
    body = {"errorCode": error_code, "info": info, "vendorErrorCode": vendor_error_code}
    _call(api_url, "POST", f"/connectors/{connector}/faults", _present(body))
    click.echo(f"connector {connector}: fault {error_code} raised")


@sim.command("clear-fault", epilog=_EXIT_CODES_HELP)
@click.argument("connector", type=int)
@_api_option
def sim_clear_fault(connector: int, api_url: str | None) -> None:
    """Clear the fault of CONNECTOR (0 is the whole charge point)."""
    _call(api_url, "DELETE", f"/connectors/{connector}/faults")
    click.echo(f"connector {connector}: fault cleared")


@sim.command("lock-failure", epilog=_EXIT_CODES_HELP)
@click.argument("connector", type=int)
@_api_option
def sim_lock_failure(connector: int, api_url: str | None) -> None:
    """Make the next lock or unlock of CONNECTOR fail."""
    _call(api_url, "POST", f"/connectors/{connector}/lock-failure")
    click.echo(f"connector {connector}: next lock or unlock will fail")


@sim.command("power-cut", epilog=_EXIT_CODES_HELP)
@_api_option
def sim_power_cut(api_url: str | None) -> None:
    """Cut the charger's power: it restarts and closes interrupted transactions (PowerLoss);
    with backup_power it stops them before going down."""
    _call(api_url, "POST", "/power-cut")
    click.echo("power cut")


@sim.command("network", epilog=_EXIT_CODES_HELP)
@click.argument("action", type=click.Choice(["disconnect", "connect"]))
@_api_option
def sim_network(action: str, api_url: str | None) -> None:
    """Cut the connection to the central system while powered, or restore it."""
    _call(api_url, "POST", f"/network/{action}")
    click.echo(f"network {action}ed")


@sim.command("module-fault", epilog=_EXIT_CODES_HELP)
@click.argument("module", type=int)
@click.argument("kind", type=click.Choice(["OverTemperature", "OutputShort", "CommLoss", "Dead"]))
@_api_option
def sim_module_fault(module: int, kind: str, api_url: str | None) -> None:
    """Give power MODULE a fault of KIND."""
    _call(api_url, "POST", f"/power/modules/{module}/faults", {"fault": kind})
    click.echo(f"power module {module}: {kind}")


@sim.command("clear-module-fault", epilog=_EXIT_CODES_HELP)
@click.argument("module", type=int)
@_api_option
def sim_clear_module_fault(module: int, api_url: str | None) -> None:
    """Clear the fault of power MODULE."""
    _call(api_url, "DELETE", f"/power/modules/{module}/faults")
    click.echo(f"power module {module}: fault cleared")


@sim.command("bus-fail", epilog=_EXIT_CODES_HELP)
@click.argument("state", type=click.Choice(["on", "off"]))
@_api_option
def sim_bus_fail(state: str, api_url: str | None) -> None:
    """Silence the power modules' CAN bus (on) or let it answer again (off)."""
    _call(api_url, "POST" if state == "on" else "DELETE", "/power/bus/fail")
    click.echo(f"CAN bus failure {state}")


def _present(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


# -- configuration -----------------------------------------------------------------------


@main.group()
def config() -> None:
    """Station file tools."""


def _station_file(path: Path) -> StationSettings:
    """The validated station file (configuration values too); exit 2 naming the bad key."""
    from chargestack.settings import load_station_file
    from chargestack.station.preflight import preflight

    try:
        settings = load_station_file(path)
        preflight(settings)
    except ConfigurationError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_USAGE)
    return settings


_CONFIG_OPTION = click.option(
    "--config",
    "config_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The station file (TOML).",
)


@config.command("check", epilog=_EXIT_CODES_HELP)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--explain",
    is_flag=True,
    help="Instead of JSON: every [devices] key with its effective value and its meaning.",
)
def config_check(file: Path, explain: bool) -> None:
    """Validate a station FILE and print the effective configuration as JSON."""
    settings = _station_file(file)
    if not explain:
        click.echo(settings.model_dump_json(indent=2))
        return
    from chargestack.settings.explain import explain as explain_keys

    click.echo(f"hardware = {settings.hardware!r}")
    for line in explain_keys(settings.device_settings(), "devices"):
        click.echo(line)


# -- the station process, the demo and the database ---------------------------------------


@main.command(epilog=_EXIT_CODES_HELP)
@_CONFIG_OPTION
def run(config_file: Path) -> None:
    """Run the charge point described by the station file until SIGTERM or SIGINT."""
    import asyncio

    from chargestack.assembly.runner import StationRunner
    from chargestack.deploy.sd_notify import ServiceNotifier

    settings = _station_file(config_file)
    if settings.firmware.installer == "venv":
        from chargestack.deploy.boot import boot_active_slot

        # May replace this process with the slot the boot record names.
        boot_active_slot(settings.data_dir, settings.firmware.max_trial_boots)
    # A Hard reset restarts this process, as a controller reboots; a Soft one only the station.
    runner = StationRunner(settings, hard_reset_restarts_process=True)

    async def serve() -> None:
        runner.install_signal_handlers()
        notifier = ServiceNotifier.from_environment(
            runner.first_connection_attempted, runner.status_line
        )
        notifying = asyncio.create_task(notifier.run()) if notifier is not None else None
        task = asyncio.create_task(runner.run())
        started = asyncio.create_task(runner.wait_started())
        try:
            await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                started.cancel()
                await task  # raises what stopped the start-up
                return
            if runner.control_api is not None:
                # Integrators (and `chargestack sim`) find the API here when port 0 was asked.
                click.echo(f"control API: {runner.control_api.url}", err=True)
            await task
        finally:
            if notifying is not None:
                notifying.cancel()

    try:
        asyncio.run(serve())
    except ConfigurationError as exc:
        click.echo(f"chargestack: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except ChargestackError as exc:
        click.echo(f"chargestack: {exc}", err=True)
        sys.exit(EXIT_RUNTIME)
    if runner.process_restart:
        from chargestack.deploy.restart import restart_process

        sys.exit(restart_process(settings, runner.restart_reason))


@main.command(epilog=_EXIT_CODES_HELP)
@click.option(
    "--central-system", "central_system", help="Use this central system (ws:// or wss:// URL)."
)
@click.option(
    "--no-tour", is_flag=True, help="Leave the charger running for use through the control API."
)
def demo(central_system: str | None, no_tour: bool) -> None:
    """A local central system and a simulated two-connector DC charger, with a scripted tour."""
    import asyncio

    try:
        from chargestack.demo.tour import run_tour
    except ImportError as exc:  # the `ocpp` package comes with the [demo] extra
        click.echo(
            f"chargestack demo needs the demo extra: pip install 'chargestack[demo]' ({exc})",
            err=True,
        )
        sys.exit(EXIT_USAGE)
    ctx = click.get_current_context()
    if (
        not no_tour
        and ctx.parent is not None
        and ctx.parent.get_parameter_source("log_level") is (click.core.ParameterSource.DEFAULT)
    ):
        # The live view is the tour's output; log lines would scroll it away.
        logging.getLogger().setLevel(logging.ERROR)
    code = asyncio.run(run_tour(central_system, tour=not no_tour, log=click.echo))
    sys.exit(code)


@main.group(epilog=_EXIT_CODES_HELP)
def db() -> None:
    """Look into a station's database."""


@db.command("inspect", epilog=_EXIT_CODES_HELP)
@_CONFIG_OPTION
def db_inspect(config_file: Path) -> None:
    """Queue depth, open transactions, profiles and reservations of a stopped station."""
    from chargestack.exceptions import StoreError
    from chargestack.store.inspect import inspect_database

    settings = _station_file(config_file)
    try:
        _echo_json(inspect_database(settings.data_dir / "station.db"))
    except StoreError as exc:
        click.echo(f"chargestack: {exc}", err=True)
        sys.exit(EXIT_RUNTIME)


if __name__ == "__main__":
    main()
