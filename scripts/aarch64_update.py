"""A firmware update of an emulated aarch64 station, driven from the host (aarch64-smoke.sh).

    aarch64_update.py PYTHON SITE IMAGE VERSION

PYTHON runs `chargestack run` (an arm64 Debian python3.11 under qemu-user via binfmt_misc,
with the first version's packages in SITE on its PYTHONPATH); a central system and an HTTP server on
127.0.0.1 (the test suite's, from tests/) serve IMAGE, and the station must install it into
a venv slot, replace itself with the slot's interpreter and register with VERSION.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

from central_system import CentralSystem, now_iso  # noqa: E402
from deploy_support import deploy_station  # noqa: E402
from servers import HttpFileServer  # noqa: E402

EMULATED_S = 1800.0  # every step is 10-50x slower under qemu-user


async def update(python: str, site: str, image: bytes, version: str) -> int:
    began = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - began:6.1f}s] {text}", flush=True)

    cs, http = CentralSystem(), HttpFileServer()
    await cs.start()
    await http.start()
    http.files["image.tar.gz"] = image
    with tempfile.TemporaryDirectory(prefix="aarch64-update-") as tmp:
        sp = deploy_station(
            Path(tmp), cs.url, {"confirm_timeout_s": EMULATED_S}, env={"PYTHONPATH": site}
        )
        sp.python, sp.start_timeout = python, EMULATED_S
        ok = False
        try:
            await sp.start()
            first = await cs.wait_for("BootNotification", timeout=EMULATED_S)
            say(f"registered with firmwareVersion {first.payload['firmwareVersion']}")
            mark = cs.mark()
            location = http.url("files/image.tar.gz")
            await cs.call(
                "CRASH-CP", "UpdateFirmware", {"location": location, "retrieveDate": now_iso()}
            )
            found = await cs.wait_for(
                "FirmwareStatusNotification",
                lambda p: p["status"] in ("Installed", "InstallationFailed"),
                since=mark,
                timeout=EMULATED_S,
            )
            boots = [b.payload["firmwareVersion"] for b in cs.messages("BootNotification")]
            say(f"FirmwareStatusNotification {found.payload['status']}; boots {boots}")
            await sp.wait_api(count=2, timeout=EMULATED_S)
            software = (await sp.get("/status"))["software"]
            say(f"running {software['version']} from {software['interpreter']}")
            ok = found.payload["status"] == "Installed" and software["version"] == version
            assert await sp.terminate() == 0
        finally:
            await sp.close()
            await http.stop()
            await cs.stop()
            if not ok:
                sys.stderr.writelines(sp.stderr_lines[-40:])
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    python, site, image, version = sys.argv[1:]
    sys.exit(asyncio.run(update(python, site, Path(image).read_bytes(), version)))
