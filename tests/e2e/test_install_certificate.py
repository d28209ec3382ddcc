"""InstallCertificate refuses a root that cannot be one (whitepaper Ed.3 A05 / M05).

A certificate installed as CentralSystemRootCertificate or ManufacturerRootCertificate is a
trust anchor: it must be a CA (basicConstraints CA:TRUE) allowed to sign certificates
(keyUsage keyCertSign, RFC 5280 sections 4.2.1.3 and 4.2.1.9). Anything else is Rejected and
not stored; a refused central-system root is the InvalidCentralSystemCertificate event.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from central_system import CentralSystem
from certs import make_ca
from security_support import pem, security_event
from station_harness import running_station

NOT_A_ROOT = [
    pytest.param({"ca": False}, "not a CA", id="CA-false"),
    pytest.param({"ca": None}, "not a CA", id="no-basicConstraints"),
    pytest.param({"key_cert_sign": False}, "keyCertSign", id="no-keyCertSign"),
    pytest.param({"key_cert_sign": None}, "keyCertSign", id="no-keyUsage"),
]


@pytest.mark.parametrize("use", ["CentralSystemRootCertificate", "ManufacturerRootCertificate"])
@pytest.mark.parametrize(("made", "why"), NOT_A_ROOT)
async def test_a_root_that_is_no_ca_is_rejected_and_not_stored(
    central_system: CentralSystem,
    tmp_path: Path,
    use: str,
    made: dict[str, bool | None],
    why: str,
) -> None:
    cs = central_system
    root = make_ca(tmp_path, "Not A Root", **made)
    async with running_station(cs, tmp_path / "station") as rs:
        mark = cs.mark()
        answer = await rs.call(
            "InstallCertificate", {"certificateType": use, "certificate": pem(root.cert)}
        )
        assert answer["status"] == "Rejected"
        ids = await rs.call("GetInstalledCertificateIds", {"certificateType": use})
        assert ids == {"status": "NotFound"}
        if use == "CentralSystemRootCertificate":
            event = await security_event(cs, "InvalidCentralSystemCertificate", since=mark)
            assert why in event["techInfo"]
            ca_file = rs.station.session.settings.ca_file
            assert ca_file is None or pem(root.cert) not in ca_file.read_text()
