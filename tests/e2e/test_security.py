"""OCTT security whitepaper cases (TC_073-TC_087 without ISO 15118) and security events."""

from __future__ import annotations

import base64
import io
import logging
import ssl
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from central_system import CentralSystem, Payload, now_iso
from certs import Issued, issue, make_ca
from chargestack.files.image import build_image
from manual_clock import ManualClock, told_by_central_system
from security_support import (
    KEY_HEX,
    OCTT_KEY_HEX,
    expired_root,
    pem,
    reference_hash_data,
    security_event,
    sign_csr,
    tls_central_system,
    weak_intermediate,
)
from servers import HttpFileServer
from station_harness import RunningStation, running_station

CP = "CP-1"
SERIAL = "SN-0001"  # charge_point_serial_number in the harness's station file


async def change(rs: RunningStation, key: str, value: str) -> str:
    answer = await rs.call("ChangeConfiguration", {"key": key, "value": value})
    status: str = answer["status"]
    return status


def security_profile(rs: RunningStation) -> int:
    return rs.station.config.get_int("SecurityProfile")


# -- security events ----------------------------------------------------------------------


async def test_startup_and_reset_are_security_events(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        startup = await security_event(cs, "StartupOfTheDevice")
        assert "1.0.0" in startup["techInfo"]
        mark = cs.mark()
        assert (await rs.call("Reset", {"type": "Soft"}))["status"] == "Accepted"
        await security_event(cs, "ResetOrReboot", since=mark)
        await security_event(cs, "StartupOfTheDevice", since=mark)
        logged = [e.type for e in rs.blocks.security.service.events.log.entries()]
        assert logged == ["StartupOfTheDevice", "ResetOrReboot", "StartupOfTheDevice"]


async def test_security_events_are_queued_while_offline(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await security_event(cs, "StartupOfTheDevice")
        # Its answer acknowledged (the row deleted) before the link goes down.
        await rs.wait(lambda: rs.station.store.outbox.depth() == 0)
        await rs.station.network_disconnect()
        events = rs.blocks.security.service.events
        events.raise_event(events_type("TamperDetectionActivated"), "cabinet door opened")
        events.raise_event(events_type("MemoryExhaustion"), "flash 95 %")
        assert rs.station.store.outbox.depth() == 2
        mark = cs.mark()
        await rs.station.network_connect()
        tamper = await security_event(cs, "TamperDetectionActivated", since=mark)
        memory = await security_event(cs, "MemoryExhaustion", since=mark)
        assert tamper["techInfo"] == "cabinet door opened"
        order = [r.payload["type"] for r in cs.messages("SecurityEventNotification")[-2:]]
        assert order == ["TamperDetectionActivated", "MemoryExhaustion"]
        assert memory["timestamp"] <= datetime.now(UTC).isoformat()
        await rs.wait(lambda: rs.station.store.outbox.depth() == 0)


def events_type(name: str) -> Any:
    from chargestack.profiles.security.events import SecurityEvent

    return SecurityEvent(name)


async def test_setting_system_time_is_a_security_event(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    ahead = (datetime.now(UTC) + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    cs.responders["Heartbeat"] = lambda _p: {"currentTime": ahead}
    async with running_station(cs, tmp_path) as rs:
        await rs.station.registration.send_heartbeat()
        event = await security_event(cs, "SettingSystemTime")
        assert event["techInfo"].startswith("clock moved by +")


async def test_security_log_cleared_event(central_system: CentralSystem, tmp_path: Path) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await security_event(cs, "StartupOfTheDevice")
        events = rs.blocks.security.service.events
        assert events.clear_log() == 1
        await security_event(cs, "SecurityLogWasCleared")
        assert [e.type for e in events.log.entries()] == ["SecurityLogWasCleared"]


# -- certificates -------------------------------------------------------------------------


async def test_TC_075_1_install_manufacturer_root_certificate(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    root = make_ca(tmp_path, "Manufacturer Root")
    async with running_station(central_system, tmp_path / "station") as rs:
        answer = await rs.call(
            "InstallCertificate",
            {"certificateType": "ManufacturerRootCertificate", "certificate": pem(root.cert)},
        )
        assert answer["status"] == "Accepted"
        ids = await rs.call(
            "GetInstalledCertificateIds", {"certificateType": "ManufacturerRootCertificate"}
        )
        assert ids["status"] == "Accepted"
        assert ids["certificateHashData"] == [reference_hash_data(root.cert)]
        other = await rs.call(
            "GetInstalledCertificateIds", {"certificateType": "CentralSystemRootCertificate"}
        )
        assert other == {"status": "NotFound"}


async def test_TC_075_2_install_central_system_root_certificate(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    root = make_ca(tmp_path, "CS Root")
    async with running_station(central_system, tmp_path / "station") as rs:
        answer = await rs.call(
            "InstallCertificate",
            {"certificateType": "CentralSystemRootCertificate", "certificate": pem(root.cert)},
        )
        assert answer["status"] == "Accepted"
        ids = await rs.call(
            "GetInstalledCertificateIds", {"certificateType": "CentralSystemRootCertificate"}
        )
        assert ids["certificateHashData"] == [reference_hash_data(root.cert)]
        # The next TLS connection trusts it.
        ca_file = rs.station.session.settings.ca_file
        assert ca_file is not None and pem(root.cert) in ca_file.read_text()


async def test_TC_076_delete_a_specific_certificate(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    first = make_ca(tmp_path, "First Root")
    second = make_ca(tmp_path, "Second Root")
    async with running_station(central_system, tmp_path / "station") as rs:
        for root in (first, second):
            answer = await rs.call(
                "InstallCertificate",
                {"certificateType": "ManufacturerRootCertificate", "certificate": pem(root.cert)},
            )
            assert answer["status"] == "Accepted"
        wanted = reference_hash_data(first.cert)
        # A central system may write hex in upper case.
        shouted = {k: v.upper() if k != "hashAlgorithm" else v for k, v in wanted.items()}
        deleted = await rs.call("DeleteCertificate", {"certificateHashData": shouted})
        assert deleted["status"] == "Accepted"
        ids = await rs.call(
            "GetInstalledCertificateIds", {"certificateType": "ManufacturerRootCertificate"}
        )
        assert ids["certificateHashData"] == [reference_hash_data(second.cert)]
        again = await rs.call("DeleteCertificate", {"certificateHashData": wanted})
        assert again["status"] == "NotFound"


async def test_TC_078_invalid_central_system_certificate(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path / "station") as rs:
        mark = cs.mark()
        answer = await rs.call(
            "InstallCertificate",
            {
                "certificateType": "CentralSystemRootCertificate",
                "certificate": pem(expired_root(tmp_path)),
            },
        )
        assert answer["status"] == "Rejected"
        event = await security_event(cs, "InvalidCentralSystemCertificate", since=mark)
        assert "expired" in event["techInfo"]
        garbage = await rs.call(
            "InstallCertificate",
            {"certificateType": "CentralSystemRootCertificate", "certificate": "not a PEM"},
        )
        assert garbage["status"] == "Rejected"
        ids = await rs.call(
            "GetInstalledCertificateIds", {"certificateType": "CentralSystemRootCertificate"}
        )
        assert ids["status"] == "NotFound"


async def test_M05_FR_03_a_full_certificate_store_rejects(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    roots = [make_ca(tmp_path, f"Root {i}") for i in range(3)]
    config = {"CertificateStoreMaxLength": 2}
    async with running_station(central_system, tmp_path / "station", configuration=config) as rs:
        statuses = [
            (
                await rs.call(
                    "InstallCertificate",
                    {"certificateType": "ManufacturerRootCertificate", "certificate": pem(r.cert)},
                )
            )["status"]
            for r in roots
        ]
        # Whitepaper M05.FR.03: no room for another certificate is Rejected (Failed is for
        # an installation that fails, M05.FR.04).
        assert statuses == ["Accepted", "Accepted", "Rejected"]
        # Installing one that is already there takes no room.
        again = await rs.call(
            "InstallCertificate",
            {"certificateType": "ManufacturerRootCertificate", "certificate": pem(roots[0].cert)},
        )
        assert again["status"] == "Accepted"


async def test_installed_certificates_survive_a_restart(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    root = make_ca(tmp_path, "Durable Root")
    async with running_station(central_system, tmp_path / "station") as rs:
        await rs.call(
            "InstallCertificate",
            {"certificateType": "ManufacturerRootCertificate", "certificate": pem(root.cert)},
        )
        mark = central_system.mark()
        assert (await rs.call("Reset", {"type": "Hard"}))["status"] == "Accepted"
        await central_system.wait_for("BootNotification", since=mark)
        ids = await rs.call(
            "GetInstalledCertificateIds", {"certificateType": "ManufacturerRootCertificate"}
        )
        assert ids["certificateHashData"] == [reference_hash_data(root.cert)]


# -- security profiles and Basic auth -----------------------------------------------------


async def test_TC_084_downgrade_security_profile_rejected(tmp_path: Path) -> None:
    cs = CentralSystem(basic_auth={CP: bytes.fromhex(KEY_HEX)})
    await cs.start()
    try:
        central = {"url": cs.url, "security_profile": 1, "authorization_key": KEY_HEX}
        async with running_station(cs, tmp_path, central_system=central) as rs:
            assert await change(rs, "SecurityProfile", "0") == "Rejected"
            assert security_profile(rs) == 1
            assert cs.connect_count[CP] == 1
    finally:
        await cs.stop()
    assert not cs.errors_sent


async def test_TC_084_same_security_profile_rejected(tmp_path: Path) -> None:
    """An equal value is no upgrade: Rejected, and the link is left alone."""
    cs = CentralSystem(basic_auth={CP: bytes.fromhex(KEY_HEX)})
    await cs.start()
    try:
        central = {"url": cs.url, "security_profile": 1, "authorization_key": KEY_HEX}
        async with running_station(cs, tmp_path, central_system=central) as rs:
            assert await change(rs, "SecurityProfile", "1") == "Rejected"
            # A Heartbeat answered on the same connection: no reconnect trial was started.
            mark = cs.mark()
            assert (await rs.call("TriggerMessage", {"requestedMessage": "Heartbeat"}))[
                "status"
            ] == "Accepted"
            await cs.wait_for("Heartbeat", since=mark)
            assert cs.connect_count[CP] == 1
            assert security_profile(rs) == 1
    finally:
        await cs.stop()
    assert not cs.errors_sent


async def test_TC_083_upgrade_with_the_station_file_authorization_key(tmp_path: Path) -> None:
    """The station file's [central_system] authorization_key is the AuthorizationKey the
    link uses: it satisfies profile 1's prerequisite without an OCPP-set key."""
    cs = CentralSystem()
    await cs.start()
    try:
        central = {"url": cs.url, "authorization_key": KEY_HEX}
        async with running_station(cs, tmp_path, central_system=central) as rs:
            cs.basic_auth = {CP: bytes.fromhex(KEY_HEX)}
            mark = cs.mark()
            assert await change(rs, "SecurityProfile", "1") == "Accepted"
            await cs.wait_until(lambda: cs.connect_count[CP] == 2)
            await cs.wait_for("BootNotification", since=mark)
            await rs.status(0, "Available", since=mark)
            assert security_profile(rs) == 1
            assert rs.station.session.settings.security_profile == 1
            assert cs.rejected_auth == 0
            assert rs.blocks.security.service.profile_switch.fallbacks == 0
    finally:
        await cs.stop()
    assert not cs.errors_sent


async def test_TC_085_basic_authentication(tmp_path: Path) -> None:
    cs = CentralSystem(basic_auth={CP: bytes.fromhex(OCTT_KEY_HEX)})
    await cs.start()
    try:
        configuration = {"AuthorizationKey": OCTT_KEY_HEX, "SecurityProfile": 1}
        async with running_station(cs, tmp_path, configuration=configuration) as rs:
            assert rs.station.session.settings.basic_auth_header() is not None
            assert cs.rejected_auth == 0
    finally:
        await cs.stop()
    assert not cs.errors_sent


async def test_TC_073_update_basic_auth_password(tmp_path: Path) -> None:
    cs = CentralSystem(basic_auth={CP: bytes.fromhex(KEY_HEX)})
    await cs.start()
    try:
        configuration = {"AuthorizationKey": KEY_HEX, "SecurityProfile": 1}
        async with running_station(cs, tmp_path, configuration=configuration) as rs:
            # The central system knows the new password from now on, the old one no longer.
            cs.basic_auth[CP] = b"OCA_OCTT_admin_test"
            mark = cs.mark()
            assert await change(rs, "AuthorizationKey", OCTT_KEY_HEX) == "Accepted"
            await cs.wait_until(lambda: cs.connect_count[CP] == 2)
            await security_event(cs, "ReconfigurationOfSecurityParameters", since=mark)
            assert cs.rejected_auth == 0
            assert rs.blocks.security.service.profile_switch.fallbacks == 0
            # Write-only: never read back.
            got = await rs.call("GetConfiguration", {"key": ["AuthorizationKey"]})
            assert "value" not in got["configurationKey"][0]
    finally:
        await cs.stop()
    assert not cs.errors_sent


async def test_TC_083_upgrade_security_profile_0_to_1(tmp_path: Path) -> None:
    cs = CentralSystem()
    await cs.start()
    try:
        async with running_station(cs, tmp_path) as rs:
            # Prerequisite first: without a password profile 1 cannot be used.
            assert await change(rs, "SecurityProfile", "1") == "Rejected"
            assert await change(rs, "AuthorizationKey", OCTT_KEY_HEX) == "Accepted"
            assert cs.connect_count[CP] == 1  # profile 0 sends no password: no reconnect
            cs.basic_auth = {CP: b"OCA_OCTT_admin_test"}
            mark = cs.mark()
            assert await change(rs, "SecurityProfile", "1") == "Accepted"
            await cs.wait_until(lambda: cs.connect_count[CP] == 2)
            await cs.wait_for("BootNotification", since=mark)
            await rs.status(0, "Available", since=mark)
            assert security_profile(rs) == 1
            assert rs.station.session.settings.security_profile == 1
            assert cs.rejected_auth == 0
    finally:
        await cs.stop()
    assert not cs.errors_sent


async def test_failed_upgrade_falls_back_to_the_previous_profile(tmp_path: Path) -> None:
    """Profile 2 needs TLS; this central system only speaks ws://, so every attempt fails
    and the station returns to profile 1 (whitepaper 2.3)."""
    root = make_ca(tmp_path, "Unused Root")
    cs = CentralSystem(basic_auth={CP: bytes.fromhex(KEY_HEX)})
    await cs.start()
    try:
        configuration = {"AuthorizationKey": KEY_HEX, "SecurityProfile": 1}
        async with running_station(cs, tmp_path / "station", configuration=configuration) as rs:
            assert await change(rs, "SecurityProfile", "2") == "Rejected"  # no root yet
            installed = await rs.call(
                "InstallCertificate",
                {"certificateType": "CentralSystemRootCertificate", "certificate": pem(root.cert)},
            )
            assert installed["status"] == "Accepted"
            assert await change(rs, "SecurityProfile", "2") == "Accepted"
            switch = rs.blocks.security.service.profile_switch
            await rs.wait(lambda: switch.fallbacks == 1)
            assert security_profile(rs) == 1
            await cs.wait_until(lambda: cs.connect_count[CP] == 2)
            assert rs.station.session.settings.central_system_url.startswith("ws://")
    finally:
        await cs.stop()
    assert not cs.errors_sent


# -- TLS ----------------------------------------------------------------------------------


async def test_TC_086_tls_server_certificate_valid(tmp_path: Path) -> None:
    async with tls_central_system(tmp_path / "cs", basic_auth={CP: bytes.fromhex(KEY_HEX)}) as tls:
        central = {
            "url": tls.cs.url,
            "security_profile": 2,
            "authorization_key": KEY_HEX,
            "ca_file": str(tls.ca.cert_path),
        }
        async with running_station(tls.cs, tmp_path / "station", central_system=central) as rs:
            assert rs.station.session.settings.url.startswith("wss://")
            ssl_object = tls.cs.connections[CP].connection.transport.get_extra_info("ssl_object")
            assert ssl_object.version() in ("TLSv1.2", "TLSv1.3")


async def test_M04_FR_06_the_central_system_root_in_use_is_not_deleted(tmp_path: Path) -> None:
    """DeleteCertificate of the CentralSystemRootCertificate that validated the current TLS
    connection is Failed, though another root would remain; an unused one can go."""
    unused = make_ca(tmp_path, "Unused Root")
    async with tls_central_system(tmp_path / "cs", basic_auth={CP: bytes.fromhex(KEY_HEX)}) as tls:
        central = {
            "url": tls.cs.url,
            "security_profile": 2,
            "authorization_key": KEY_HEX,
            "ca_file": str(tls.ca.cert_path),
        }
        async with running_station(tls.cs, tmp_path / "station", central_system=central) as rs:
            for root in (tls.ca, unused):
                installed = await rs.call(
                    "InstallCertificate",
                    {
                        "certificateType": "CentralSystemRootCertificate",
                        "certificate": pem(root.cert),
                    },
                )
                assert installed["status"] == "Accepted"
            in_use = {"certificateHashData": reference_hash_data(tls.ca.cert)}
            assert (await rs.call("DeleteCertificate", in_use))["status"] == "Failed"
            other = {"certificateHashData": reference_hash_data(unused.cert)}
            assert (await rs.call("DeleteCertificate", other))["status"] == "Accepted"
            ids = await rs.call(
                "GetInstalledCertificateIds", {"certificateType": "CentralSystemRootCertificate"}
            )
            assert ids["certificateHashData"] == [reference_hash_data(tls.ca.cert)]


async def test_TC_086_invalid_central_system_certificate_is_a_security_event(
    tmp_path: Path,
) -> None:
    stranger = make_ca(tmp_path, "Stranger Root")
    async with tls_central_system(tmp_path / "cs") as tls:
        central = {
            "url": tls.cs.url,
            "security_profile": 2,
            "authorization_key": KEY_HEX,
            "ca_file": str(stranger.cert_path),
        }
        async with running_station(
            tls.cs, tmp_path / "station", central_system=central, boot=False
        ) as rs:
            log = rs.blocks.security.service.events.log
            await rs.wait(
                lambda: any(e.type == "InvalidCentralSystemCertificate" for e in log.entries())
            )
            assert CP not in tls.cs.connections
            # Raised once however often the connection is retried, and kept for delivery.
            failures: list[BaseException] = []
            rs.station.session.connect_error_listeners.append(failures.append)
            await rs.wait(lambda: len(failures) >= 3)
            kinds = [e.type for e in log.entries()]
            assert kinds.count("InvalidCentralSystemCertificate") == 1
            assert rs.station.store.outbox.depth() >= 2  # StartupOfTheDevice and this event


# -- the charge point certificate ---------------------------------------------------------


async def renew_certificate(
    rs: RunningStation, cs: CentralSystem
) -> x509.CertificateSigningRequest:
    """ExtendedTriggerMessage(SignChargePointCertificate) up to the CSR the CA receives."""
    mark = cs.mark()
    trigger = await rs.call(
        "ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"}
    )
    assert trigger["status"] == "Accepted"
    request = await cs.wait_for("SignCertificate", since=mark)
    return x509.load_pem_x509_csr(request.payload["csr"].encode())


def csr_pem(csr: x509.CertificateSigningRequest) -> str:
    from cryptography.hazmat.primitives import serialization

    return csr.public_bytes(serialization.Encoding.PEM).decode()


async def test_TC_074_update_charge_point_certificate(tmp_path: Path) -> None:
    async with tls_central_system(tmp_path / "cs", client_certificates=ssl.CERT_REQUIRED) as tls:
        central, old = tls.profile_3(tmp_path / "cs", CP)
        configuration = {"CpoName": "Chargestack CPO"}
        async with running_station(
            tls.cs, tmp_path / "station", central_system=central, configuration=configuration
        ) as rs:
            first = tls.peer_certificate(CP)
            assert first is not None and first.serial_number == old.cert.serial_number
            csr = await renew_certificate(rs, tls.cs)
            # Whitepaper certificate properties: CN = the charge point's serial number (the
            # chargePointSerialNumber of its BootNotification), O = CpoName, EC >= 224 bits.
            names = {a.oid._name: a.value for a in csr.subject}
            assert names == {"organizationName": "Chargestack CPO", "commonName": SERIAL}
            assert getattr(csr.public_key(), "key_size", 0) >= 224
            signed = sign_csr(csr_pem(csr), tls.ca)
            answer = await rs.call("CertificateSigned", {"certificateChain": signed})
            assert answer["status"] == "Accepted"
            await tls.cs.wait_until(lambda: tls.cs.connect_count[CP] == 2)
            await tls.cs.wait_connected(CP)
            now = tls.peer_certificate(CP)
            assert now is not None
            assert (
                now.serial_number == x509.load_pem_x509_certificate(signed.encode()).serial_number
            )
            # The private key stays on the charge point, readable by it alone.
            key_file = rs.blocks.security.service.certificates.client_key_path
            assert key_file.stat().st_mode & 0o077 == 0


async def test_renewed_certificate_the_central_system_refuses_falls_back_to_the_old(
    tmp_path: Path,
) -> None:
    """A chain the charge point can verify (it leads to an installed root) but the central
    system's TLS server does not trust: after the failed attempts the old identity is used
    again, the link comes back, and the central system hears why."""
    other_root = make_ca(tmp_path, "Second CSMS Root")
    async with tls_central_system(tmp_path / "cs", client_certificates=ssl.CERT_REQUIRED) as tls:
        central, old = tls.profile_3(tmp_path / "cs", CP)
        async with running_station(tls.cs, tmp_path / "station", central_system=central) as rs:
            answer = await rs.call(
                "InstallCertificate",
                {
                    "certificateType": "CentralSystemRootCertificate",
                    "certificate": pem(other_root.cert),
                },
            )
            assert answer["status"] == "Accepted"
            csr = await renew_certificate(rs, tls.cs)
            mark = tls.cs.mark()
            signed = sign_csr(csr_pem(csr), other_root)
            answer = await rs.call("CertificateSigned", {"certificateChain": signed})
            assert answer["status"] == "Accepted"
            event = await security_event(tls.cs, "InvalidChargePointCertificate", since=mark)
            assert "previous one is used" in event["techInfo"]
            await tls.cs.wait_connected(CP)
            back = tls.peer_certificate(CP)
            assert back is not None and back.serial_number == old.cert.serial_number
            store = rs.blocks.security.service.certificates
            assert store.client_certificate() is None  # the station file's identity again
            assert not store.previous_cert_path.exists()


async def test_TC_077_invalid_charge_point_certificate(tmp_path: Path) -> None:
    stranger = make_ca(tmp_path, "Stranger CA")
    async with tls_central_system(tmp_path / "cs", basic_auth={CP: bytes.fromhex(KEY_HEX)}) as tls:
        central = {
            "url": tls.cs.url,
            "security_profile": 2,
            "authorization_key": KEY_HEX,
            "ca_file": str(tls.ca.cert_path),
        }
        async with running_station(tls.cs, tmp_path / "station", central_system=central) as rs:
            csr = await renew_certificate(rs, tls.cs)
            mark = tls.cs.mark()
            foreign = sign_csr(csr_pem(csr), stranger)
            answer = await rs.call("CertificateSigned", {"certificateChain": foreign})
            assert answer["status"] == "Rejected"
            event = await security_event(tls.cs, "InvalidChargePointCertificate", since=mark)
            assert "root" in event["techInfo"]
            # A valid certificate for another key is refused as well.
            other = issue(tmp_path / "cs", tls.ca, CP, client=True)
            answer = await rs.call("CertificateSigned", {"certificateChain": pem(other.cert)})
            assert answer["status"] == "Rejected"
            # An expired one too.
            expired = sign_csr(csr_pem(csr), tls.ca, valid_days=-1)
            answer = await rs.call("CertificateSigned", {"certificateChain": expired})
            assert answer["status"] == "Rejected"
            assert rs.blocks.security.service.certificates.client_certificate() is None
            assert tls.cs.connect_count[CP] == 1


async def test_TC_077_certificate_not_made_as_the_whitepaper_says_rejected(
    tmp_path: Path,
) -> None:
    """The certificate properties apply to what CertificateSigned brings, too: the leaf is
    issued to CN = serial number, O = CpoName, and no key in the chain is weaker than RSA
    2048 / EC 224 bits."""
    async with tls_central_system(tmp_path / "cs", basic_auth={CP: bytes.fromhex(KEY_HEX)}) as tls:
        central = {
            "url": tls.cs.url,
            "security_profile": 2,
            "authorization_key": KEY_HEX,
            "ca_file": str(tls.ca.cert_path),
        }
        configuration = {"CpoName": "Chargestack CPO"}
        async with running_station(
            tls.cs, tmp_path / "station", central_system=central, configuration=configuration
        ) as rs:
            csr = await renew_certificate(rs, tls.cs)
            mark = tls.cs.mark()
            to_the_id = x509.Name(
                [
                    x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "Chargestack CPO"),
                    x509.NameAttribute(x509.NameOID.COMMON_NAME, CP),
                ]
            )
            wrong_name = sign_csr(csr_pem(csr), tls.ca, subject=to_the_id)
            answer = await rs.call("CertificateSigned", {"certificateChain": wrong_name})
            assert answer["status"] == "Rejected"
            event = await security_event(tls.cs, "InvalidChargePointCertificate", since=mark)
            assert SERIAL in event["techInfo"]
            other_cpo = x509.Name(
                [
                    x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "Another CPO"),
                    x509.NameAttribute(x509.NameOID.COMMON_NAME, SERIAL),
                ]
            )
            wrong_cpo = sign_csr(csr_pem(csr), tls.ca, subject=other_cpo)
            answer = await rs.call("CertificateSigned", {"certificateChain": wrong_cpo})
            assert answer["status"] == "Rejected"
            weak = weak_intermediate(tls.ca)
            chain = sign_csr(csr_pem(csr), weak) + pem(weak.cert)
            answer = await rs.call("CertificateSigned", {"certificateChain": chain})
            assert answer["status"] == "Rejected"
            assert rs.blocks.security.service.certificates.client_certificate() is None
            # The same request, signed as the whitepaper says, is taken.
            good = sign_csr(csr_pem(csr), tls.ca)
            answer = await rs.call("CertificateSigned", {"certificateChain": good})
            assert answer["status"] == "Accepted"


async def test_no_certificate_request_without_a_serial_number(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    """The certificate's CN is the serial number: a station file without one is answered
    Rejected rather than sending a request no central system should sign."""
    cs = central_system
    identity = {"charge_point_id": CP, "vendor": "Chargestack", "model": "DC-190"}
    async with running_station(cs, tmp_path, identity=identity) as rs:
        answer = await rs.call(
            "ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"}
        )
        assert answer["status"] == "Rejected"
        mark = cs.mark()
        await rs.call("ExtendedTriggerMessage", {"requestedMessage": "Heartbeat"})
        await cs.wait_for("Heartbeat", since=mark)
        assert not cs.messages("SignCertificate")


async def test_TC_083_upgrade_2_to_3_and_TC_087_client_certificate(tmp_path: Path) -> None:
    # CERT_OPTIONAL: profile 2 connects without a client certificate, profile 3 with one.
    async with tls_central_system(tmp_path / "cs", client_certificates=ssl.CERT_OPTIONAL) as tls:
        central = {
            "url": tls.cs.url,
            "security_profile": 2,
            "authorization_key": KEY_HEX,
            "ca_file": str(tls.ca.cert_path),
        }
        configuration = {"CpoName": "Chargestack CPO"}
        async with running_station(
            tls.cs, tmp_path / "station", central_system=central, configuration=configuration
        ) as rs:
            assert tls.peer_certificate(CP) is None
            # Prerequisite: no client certificate yet.
            assert await change(rs, "SecurityProfile", "3") == "Rejected"
            csr = await renew_certificate(rs, tls.cs)
            signed = sign_csr(csr_pem(csr), tls.ca)
            answer = await rs.call("CertificateSigned", {"certificateChain": signed})
            assert answer["status"] == "Accepted"
            assert tls.cs.connect_count[CP] == 1  # profile 2 does not use it
            mark = tls.cs.mark()
            assert await change(rs, "SecurityProfile", "3") == "Accepted"
            await tls.cs.wait_until(lambda: tls.cs.connect_count[CP] == 2)
            await rs.wait(lambda: rs.station.registration.accepted)
            await rs.call("GetConfiguration", {"key": ["SecurityProfile"]})
            presented = tls.peer_certificate(CP)
            assert presented is not None
            common_name = presented.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
            assert common_name[0].value == SERIAL
            key = presented.public_key()
            assert getattr(key, "key_size", 0) >= 224
            assert security_profile(rs) == 3
            assert rs.blocks.security.service.profile_switch.fallbacks == 0
            # Profile 3 sends no Basic auth.
            assert rs.station.session.settings.basic_auth_header() is None
            assert mark <= tls.cs.mark()


# -- GetLog -------------------------------------------------------------------------------


@pytest.fixture
async def http() -> AsyncIterator[HttpFileServer]:
    server = HttpFileServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def log_statuses(cs: CentralSystem, since: int) -> list[tuple[str, int | None]]:
    return [
        (r.payload["status"], r.payload.get("requestId"))
        for r in cs.messages("LogStatusNotification")
        if cs.received.index(r) >= since
    ]


async def test_TC_079_get_security_log(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        await security_event(cs, "StartupOfTheDevice")
        mark = cs.mark()
        answer = await rs.call(
            "GetLog",
            {
                "log": {"remoteLocation": http.url("upload/")},
                "logType": "SecurityLog",
                "requestId": 42,
                "retries": 0,
            },
        )
        assert answer["status"] == "Accepted"
        name = answer["filename"]
        await cs.wait_for("LogStatusNotification", lambda p: p["status"] == "Uploaded", since=mark)
        assert log_statuses(cs, mark) == [("Uploading", 42), ("Uploaded", 42)]
        security_log = unzip(http.log.uploads[name])["security.log"]
        assert " StartupOfTheDevice critical: firmware 1.0.0" in security_log


async def test_get_diagnostics_log_masks_the_authorization_key(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        frames = logging.getLogger("chargestack.ocpp.frames")
        frames.setLevel(logging.DEBUG)
        try:
            assert await change(rs, "AuthorizationKey", OCTT_KEY_HEX) == "Accepted"
        finally:
            frames.setLevel(logging.NOTSET)
        mark = cs.mark()
        answer = await rs.call(
            "GetLog",
            {
                "log": {"remoteLocation": http.url("upload/")},
                "logType": "DiagnosticsLog",
                "requestId": 7,
                "retries": 0,
            },
        )
        assert answer["status"] == "Accepted"
        await cs.wait_for("LogStatusNotification", lambda p: p["status"] == "Uploaded", since=mark)
        files = unzip(http.log.uploads[answer["filename"]])
        logs = files["logs/station.log"]
        assert '"key":"AuthorizationKey","value":"***"' in logs.replace(" ", "")
        assert OCTT_KEY_HEX not in logs and OCTT_KEY_HEX not in files["state.json"]


async def test_get_log_refuses_an_unsupported_scheme_and_reports_failures(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        refused = await rs.call(
            "GetLog",
            {
                "log": {"remoteLocation": "gopher://127.0.0.1/logs"},
                "logType": "SecurityLog",
                "requestId": 1,
            },
        )
        assert refused["status"] == "Rejected"
        http.fail_uploads = True
        http.accept_put = True
        mark = cs.mark()
        answer = await rs.call(
            "GetLog",
            {
                "log": {"remoteLocation": http.url("upload/")},
                "logType": "SecurityLog",
                "requestId": 2,
                "retries": 1,
                "retryInterval": 0,
            },
        )
        assert answer["status"] == "Accepted"
        await cs.wait_for(
            "LogStatusNotification", lambda p: p["status"] == "UploadFailure", since=mark
        )
        assert log_statuses(cs, mark) == [("Uploading", 2), ("UploadFailure", 2)]
        idle_mark = cs.mark()
        trigger = await rs.call(
            "ExtendedTriggerMessage", {"requestedMessage": "LogStatusNotification"}
        )
        assert trigger["status"] == "Accepted"
        idle = await cs.wait_for("LogStatusNotification", since=idle_mark)
        assert idle.payload == {"status": "Idle"}


# -- SignedUpdateFirmware -----------------------------------------------------------------

FIRMWARE = build_image("2.0.0", {"app.bin": b"\x7fELF signed firmware" * 500})


def sign_image(image: bytes, key: ec.EllipticCurvePrivateKey) -> str:
    return base64.b64encode(key.sign(image, ec.ECDSA(hashes.SHA256()))).decode()


def signed_update(location: str, signer: Issued, signature: str, request_id: int) -> Payload:
    return {
        "requestId": request_id,
        "retries": 0,
        "firmware": {
            "location": location,
            "retrieveDateTime": now_iso(),
            "signingCertificate": pem(signer.cert),
            "signature": signature,
        },
    }


def firmware_statuses(cs: CentralSystem, since: int) -> list[tuple[str, int | None]]:
    return [
        (r.payload["status"], r.payload.get("requestId"))
        for r in cs.received[since:]
        if r.action == "SignedFirmwareStatusNotification"
    ]


async def install_manufacturer_root(rs: RunningStation, root: Issued) -> None:
    answer = await rs.call(
        "InstallCertificate",
        {"certificateType": "ManufacturerRootCertificate", "certificate": pem(root.cert)},
    )
    assert answer["status"] == "Accepted"


async def test_TC_080_secure_firmware_update(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    root = make_ca(tmp_path, "Manufacturer Root")
    signer = issue(tmp_path, root, "Firmware Signing")
    http.files["fw-2.0.0.img"] = FIRMWARE
    async with running_station(cs, tmp_path / "cp") as rs:
        await install_manufacturer_root(rs, root)
        mark = cs.mark()
        request = signed_update(
            http.url("files/fw-2.0.0.img"), signer, sign_image(FIRMWARE, signer.key), 80
        )
        answer = await rs.call("SignedUpdateFirmware", request)
        assert answer["status"] == "Accepted"
        await cs.wait_for(
            "SignedFirmwareStatusNotification",
            lambda p: p["status"] == "Installed",
            since=mark,
            timeout=20,
        )
        assert firmware_statuses(cs, mark) == [
            ("Downloading", 80),
            ("Downloaded", 80),
            ("SignatureVerified", 80),
            ("Installing", 80),
            ("Installed", 80),
        ]
        boot = await cs.wait_for("BootNotification", since=mark)
        assert boot.payload["firmwareVersion"] == "2.0.0"
        await security_event(cs, "FirmwareUpdated", since=mark)
        assert rs.station.firmware_version == "2.0.0"
        assert rs.runner.restarts == 1
        # L01.FR.28: after Installed a triggered notification is Idle.
        idle_mark = cs.mark()
        trigger = {"requestedMessage": "FirmwareStatusNotification"}
        assert (await rs.call("ExtendedTriggerMessage", trigger))["status"] == "Accepted"
        idle = await cs.wait_for("SignedFirmwareStatusNotification", since=idle_mark)
        assert idle.payload == {"status": "Idle"}


async def test_TC_081_secure_firmware_update_invalid_signature(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    root = make_ca(tmp_path, "Manufacturer Root")
    signer = issue(tmp_path, root, "Firmware Signing")
    tampered = FIRMWARE[:-1] + bytes([FIRMWARE[-1] ^ 1])
    http.files["fw-2.0.0.img"] = tampered
    async with running_station(cs, tmp_path / "cp") as rs:
        await install_manufacturer_root(rs, root)
        mark = cs.mark()
        request = signed_update(
            http.url("files/fw-2.0.0.img"), signer, sign_image(FIRMWARE, signer.key), 81
        )
        assert (await rs.call("SignedUpdateFirmware", request))["status"] == "Accepted"
        await cs.wait_for(
            "SignedFirmwareStatusNotification",
            lambda p: p["status"] == "InvalidSignature",
            since=mark,
        )
        assert firmware_statuses(cs, mark) == [
            ("Downloading", 81),
            ("Downloaded", 81),
            ("InvalidSignature", 81),
        ]
        await security_event(cs, "InvalidFirmwareSignature", since=mark)
        assert rs.station.firmware_version == "1.0.0"
        assert rs.runner.restarts == 0
        assert not list((tmp_path / "cp/firmware/downloads").iterdir())


async def test_L01_FR_16_a_future_install_date_time_is_announced_install_scheduled(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    root = make_ca(tmp_path, "Manufacturer Root")
    signer = issue(tmp_path, root, "Firmware Signing")
    http.files["fw-2.0.0.img"] = FIRMWARE
    async with running_station(cs, tmp_path / "cp") as rs:
        await install_manufacturer_root(rs, root)
        mark = cs.mark()
        request = signed_update(
            http.url("files/fw-2.0.0.img"), signer, sign_image(FIRMWARE, signer.key), 16
        )
        install_at = datetime.now(UTC) + timedelta(seconds=2)
        request["firmware"]["installDateTime"] = install_at.isoformat().replace("+00:00", "Z")
        assert (await rs.call("SignedUpdateFirmware", request))["status"] == "Accepted"
        await cs.wait_for(
            "SignedFirmwareStatusNotification",
            lambda p: p["status"] == "Installed",
            since=mark,
            timeout=20,
        )
        assert firmware_statuses(cs, mark) == [
            ("Downloading", 16),
            ("Downloaded", 16),
            ("SignatureVerified", 16),
            ("InstallScheduled", 16),
            ("Installing", 16),
            ("Installed", 16),
        ]
        assert datetime.now(UTC) >= install_at


async def test_L01_FR_16_an_install_scheduled_job_survives_a_restart(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    """A restart while the job waits for its installDateTime keeps the job: the new station
    waits for the same instant, installs then, and InstallScheduled is not announced twice."""
    cs = central_system
    clock = ManualClock(datetime.now(UTC))
    told_by_central_system(cs, clock)
    root = make_ca(tmp_path, "Manufacturer Root")
    signer = issue(tmp_path, root, "Firmware Signing")
    http.files["fw-2.0.0.img"] = FIRMWARE
    async with running_station(cs, tmp_path / "cp", clock=clock) as rs:
        await install_manufacturer_root(rs, root)
        mark = cs.mark()
        request = signed_update(
            http.url("files/fw-2.0.0.img"), signer, sign_image(FIRMWARE, signer.key), 17
        )
        request["firmware"]["retrieveDateTime"] = clock.iso_now()
        install_at_ms = clock.now_ms() + 3_600_000
        request["firmware"]["installDateTime"] = (
            datetime.fromtimestamp(install_at_ms / 1000, UTC).isoformat().replace("+00:00", "Z")
        )
        assert (await rs.call("SignedUpdateFirmware", request))["status"] == "Accepted"
        await cs.wait_for(
            "SignedFirmwareStatusNotification",
            lambda p: p["status"] == "InstallScheduled",
            since=mark,
        )
        first = rs.station
        reboot_mark = cs.mark()
        assert (await rs.call("Reset", {"type": "Soft"}))["status"] == "Accepted"
        await cs.wait_for("BootNotification", since=reboot_mark)
        # Registered (the central system's time taken) and waiting for the same instant.
        await rs.wait(
            lambda: (
                rs.runner.station is not first
                and rs.station.registration.accepted
                and install_at_ms in clock.timers_at_ms()
            )
        )
        assert rs.runner.restarts == 1
        assert firmware_statuses(cs, reboot_mark) == []
        clock.advance(3600)
        await cs.wait_for(
            "SignedFirmwareStatusNotification",
            lambda p: p["status"] == "Installed",
            since=mark,
            timeout=20,
        )
        assert firmware_statuses(cs, mark) == [
            ("Downloading", 17),
            ("Downloaded", 17),
            ("SignatureVerified", 17),
            ("InstallScheduled", 17),
            ("Installing", 17),
            ("Installed", 17),
        ]
        assert rs.station.firmware_version == "2.0.0"
        assert rs.runner.restarts == 2  # the Reset, then the installation


def update_firmware_statuses(cs: CentralSystem, since: int) -> list[str]:
    return [
        r.payload["status"] for r in cs.received[since:] if r.action == "FirmwareStatusNotification"
    ]


async def test_L01_FR_26_signed_update_firmware_replaces_a_running_update_firmware(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    """The two kinds of firmware job share the A/B slots: a SignedUpdateFirmware while an
    UpdateFirmware job downloads cancels that job (AcceptedCanceled), which never installs."""
    cs = central_system
    root = make_ca(tmp_path, "Manufacturer Root")
    signer = issue(tmp_path, root, "Firmware Signing")
    http.files["plain-2.0.0.img"] = FIRMWARE
    http.files["fw-2.0.0.img"] = FIRMWARE
    http.stall_after = 100
    async with running_station(cs, tmp_path / "cp") as rs:
        await install_manufacturer_root(rs, root)
        mark = cs.mark()
        plain = {"location": http.url("files/plain-2.0.0.img"), "retrieveDate": now_iso()}
        await rs.call("UpdateFirmware", {**plain, "retries": 0})
        await http.stalled.wait()
        request = signed_update(
            http.url("files/fw-2.0.0.img"), signer, sign_image(FIRMWARE, signer.key), 26
        )
        answer = await rs.call("SignedUpdateFirmware", request)
        assert answer["status"] == "AcceptedCanceled"
        http.release.set()
        await cs.wait_for(
            "SignedFirmwareStatusNotification",
            lambda p: p["status"] == "Installed",
            since=mark,
            timeout=20,
        )
        assert firmware_statuses(cs, mark) == [
            ("Downloading", 26),
            ("Downloaded", 26),
            ("SignatureVerified", 26),
            ("Installing", 26),
            ("Installed", 26),
        ]
        # The replaced job ends without a status of its own, as one replaced by its kind.
        assert update_firmware_statuses(cs, mark) == ["Downloading"]
        assert rs.runner.restarts == 1
        assert rs.station.firmware_version == "2.0.0"


async def test_L01_FR_27_no_second_installation_while_one_runs(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    """From Installing on a firmware job must finish: SignedUpdateFirmware is Rejected, and
    UpdateFirmware (whose answer has no status) is dropped: nothing is downloaded for it."""
    cs = central_system
    root = make_ca(tmp_path, "Manufacturer Root")
    signer = issue(tmp_path, root, "Firmware Signing")
    http.files["fw-2.0.0.img"] = FIRMWARE
    http.files["plain-2.0.0.img"] = FIRMWARE

    def hold_installing(payload: Payload) -> Payload:
        if payload["status"] == "SignatureVerified":
            # Installing goes unanswered: the job stays past Installing, before its restart.
            cs.silent_actions.add("SignedFirmwareStatusNotification")
        return {}

    cs.responders["SignedFirmwareStatusNotification"] = hold_installing
    async with running_station(cs, tmp_path / "cp", configuration={"MessageTimeout": 5}) as rs:
        await install_manufacturer_root(rs, root)
        mark = cs.mark()
        request = signed_update(
            http.url("files/fw-2.0.0.img"), signer, sign_image(FIRMWARE, signer.key), 27
        )
        assert (await rs.call("SignedUpdateFirmware", request))["status"] == "Accepted"
        await cs.wait_for(
            "SignedFirmwareStatusNotification", lambda p: p["status"] == "Installing", since=mark
        )
        plain = {"location": http.url("files/plain-2.0.0.img"), "retrieveDate": now_iso()}
        assert await rs.call("UpdateFirmware", {**plain, "retries": 0}) == {}
        again = {**request, "requestId": 28}
        assert (await rs.call("SignedUpdateFirmware", again))["status"] == "Rejected"
        assert rs.blocks.firmware is not None
        assert rs.blocks.firmware.jobs.open_jobs("firmware") == []
        cs.silent_actions.discard("SignedFirmwareStatusNotification")
        await cs.wait_for(
            "SignedFirmwareStatusNotification",
            lambda p: p["status"] == "Installed",
            since=mark,
            timeout=30,
        )
        assert rs.runner.restarts == 1
        assert update_firmware_statuses(cs, mark) == []
        assert http.log.ranges == [None]  # the signed image only
        assert {s for s, _ in firmware_statuses(cs, mark)} <= {
            "Downloading",
            "Downloaded",
            "SignatureVerified",
            "Installing",
            "Installed",
        }
        assert {r for _, r in firmware_statuses(cs, mark)} == {27}


async def test_L01_FR_29_a_triggered_status_repeats_the_last_one_sent(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    root = make_ca(tmp_path, "Manufacturer Root")
    signer = issue(tmp_path, root, "Firmware Signing")
    http.files["fw-2.0.0.img"] = FIRMWARE
    async with running_station(cs, tmp_path / "cp") as rs:
        await install_manufacturer_root(rs, root)
        mark = cs.mark()
        request = signed_update(
            http.url("files/fw-2.0.0.img"), signer, sign_image(b"", signer.key), 29
        )
        assert (await rs.call("SignedUpdateFirmware", request))["status"] == "Accepted"
        await cs.wait_for(
            "SignedFirmwareStatusNotification",
            lambda p: p["status"] == "InvalidSignature",
            since=mark,
        )
        trigger_mark = cs.mark()
        trigger = {"requestedMessage": "FirmwareStatusNotification"}
        assert (await rs.call("ExtendedTriggerMessage", trigger))["status"] == "Accepted"
        again = await cs.wait_for("SignedFirmwareStatusNotification", since=trigger_mark)
        assert again.payload == {"status": "InvalidSignature", "requestId": 29}


async def test_signed_firmware_with_a_foreign_certificate_is_refused(
    central_system: CentralSystem, http: HttpFileServer, tmp_path: Path
) -> None:
    cs = central_system
    root = make_ca(tmp_path, "Manufacturer Root")
    stranger = make_ca(tmp_path, "Stranger Root")
    foreign = issue(tmp_path, stranger, "Foreign Signing")
    http.files["fw-2.0.0.img"] = FIRMWARE
    async with running_station(cs, tmp_path / "cp") as rs:
        request = signed_update(
            http.url("files/fw-2.0.0.img"), foreign, sign_image(FIRMWARE, foreign.key), 9
        )
        # No manufacturer root installed yet: nothing can be trusted.
        assert (await rs.call("SignedUpdateFirmware", request))["status"] == "InvalidCertificate"
        await install_manufacturer_root(rs, root)
        mark = cs.mark()
        assert (await rs.call("SignedUpdateFirmware", request))["status"] == "InvalidCertificate"
        await security_event(cs, "InvalidFirmwareSigningCertificate", since=mark)
        assert firmware_statuses(cs, 0) == []
        assert http.log.ranges == []  # nothing was downloaded


async def test_signed_firmware_status_on_request_and_status_view(
    central_system: CentralSystem, tmp_path: Path
) -> None:
    cs = central_system
    async with running_station(cs, tmp_path) as rs:
        mark = cs.mark()
        answer = await rs.call(
            "ExtendedTriggerMessage", {"requestedMessage": "FirmwareStatusNotification"}
        )
        assert answer == {"status": "Accepted"}
        idle = await cs.wait_for("SignedFirmwareStatusNotification", since=mark)
        assert idle.payload == {"status": "Idle"}
        security = rs.station.status()["security"]
        assert security == {
            "securityProfile": 0,
            "installedCertificates": 0,
            "renewedClientCertificate": False,
            "profileFallbacks": 0,
        }


async def test_restart_during_an_upgrade_trial_still_falls_back(tmp_path: Path) -> None:
    from chargestack.station.station import StopKind

    root = make_ca(tmp_path, "Unused Root")
    cs = CentralSystem(basic_auth={CP: bytes.fromhex(KEY_HEX)})
    await cs.start()
    try:
        configuration = {"AuthorizationKey": KEY_HEX, "SecurityProfile": 1}
        async with running_station(cs, tmp_path / "station", configuration=configuration) as rs:
            installed = await rs.call(
                "InstallCertificate",
                {"certificateType": "CentralSystemRootCertificate", "certificate": pem(root.cert)},
            )
            assert installed["status"] == "Accepted"
            first = rs.station
            assert await change(rs, "SecurityProfile", "2") == "Accepted"
            # Power is cut while profile 2 is being tried (this central system has no TLS).
            first.request_stop(StopKind.HARD_RESET)
            await rs.wait(lambda: rs.runner.restarts == 1 and rs.runner.station is not first)
            await cs.wait_until(lambda: cs.connect_count[CP] == 2, timeout=15)
            assert security_profile(rs) == 1
            assert rs.station.store.meta.get("security_profile_fallback") is None
    finally:
        await cs.stop()
    assert not cs.errors_sent
