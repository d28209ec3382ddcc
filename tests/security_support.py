"""Helpers of the security tests: a TLS central system, CSR signing, reference hash data."""

from __future__ import annotations

import contextlib
import datetime as dt
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from central_system import CentralSystem, Payload
from certs import Issued, issue, make_ca

# OCTT TC_073 uses the hex form of this password.
OCTT_KEY_HEX = b"OCA_OCTT_admin_test".hex()
KEY_HEX = "00112233445566778899aabbccddeeff"


@dataclass
class TlsCentralSystem:
    cs: CentralSystem
    ca: Issued

    def peer_certificate(self, cp_id: str) -> x509.Certificate | None:
        """The client certificate the charge point presented on its current connection."""
        ssl_object = self.cs.connections[cp_id].connection.transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        return x509.load_der_x509_certificate(der) if der else None

    def profile_3(self, directory: Path, cp_id: str) -> tuple[dict[str, Any], Issued]:
        """The station file's central_system table for mutual TLS with a client certificate
        this central system's CA issued, and that certificate."""
        client = issue(directory, self.ca, cp_id, client=True)
        central = {
            "url": self.cs.url,
            "security_profile": 3,
            "ca_file": str(self.ca.cert_path),
            "client_certificate": str(client.cert_path),
            "client_key": str(client.key_path),
        }
        return central, client


def _server_context(
    directory: Path, client_certificates: ssl.VerifyMode
) -> tuple[ssl.SSLContext, Issued]:
    directory.mkdir(parents=True, exist_ok=True)
    ca = make_ca(directory, "Central System Root")
    server = issue(directory, ca, "central.test", server=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server.cert_path, server.key_path)
    context.verify_mode = client_certificates
    context.load_verify_locations(ca.cert_path)
    return context, ca


@contextlib.asynccontextmanager
async def tls_central_system(
    directory: Path, *, client_certificates: ssl.VerifyMode = ssl.CERT_NONE, **kwargs: Any
) -> AsyncIterator[TlsCentralSystem]:
    """A central system on wss://127.0.0.1 whose certificate is issued by a fresh test CA,
    which also issues (and, per ``client_certificates``, checks) client certificates."""
    context, ca = _server_context(directory, client_certificates)
    cs = CentralSystem(ssl_context=context, **kwargs)
    await cs.start()
    try:
        yield TlsCentralSystem(cs, ca)
    finally:
        await cs.stop()
    assert not cs.errors_sent, f"central system rejected our messages: {cs.errors_sent}"


def sign_csr(
    csr_pem: str, ca: Issued | WeakCa, *, valid_days: int = 7, subject: x509.Name | None = None
) -> str:
    """What a central system's CA does with the charge point's CSR: a client certificate
    (issued to ``subject`` instead of the CSR's own, for a CA that gets it wrong)."""
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    assert csr.is_signature_valid
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject or csr.subject)
        .issuer_name(ca.cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        # A negative validity makes a certificate that expired that many days ago.
        .not_valid_before(now - dt.timedelta(days=30 if valid_days < 0 else 0, minutes=5))
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class WeakCa:
    """An intermediate CA with a 1024-bit RSA key: below the whitepaper's minimum."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey


def weak_intermediate(root: Issued) -> WeakCa:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Weak Sub CA")]))
        .issuer_name(root.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root.key, hashes.SHA256())
    )
    return WeakCa(cert, key)


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def reference_hash_data(cert: x509.Certificate) -> dict[str, str]:
    """CertificateHashData as OCTT recomputes it, taken from the OCSP CertID that the
    ``cryptography`` package builds (an implementation independent of the station's)."""
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, cert, hashes.SHA256()).build()
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": request.issuer_name_hash.hex(),
        "issuerKeyHash": request.issuer_key_hash.hex(),
        "serialNumber": format(request.serial_number, "x"),
    }


def expired_root(directory: Path) -> x509.Certificate:
    """A self-signed CA certificate whose validity ended yesterday."""
    ca = make_ca(directory, "Expired Root")
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(ca.cert.subject)
        .issuer_name(ca.cert.subject)
        .public_key(ca.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now - dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    return cert


async def security_event(
    cs: CentralSystem, kind: str, *, since: int = 0, timeout: float = 10.0
) -> Payload:
    """The first SecurityEventNotification of type ``kind`` at or after index ``since``."""
    found = await cs.wait_for(
        "SecurityEventNotification", lambda p: p["type"] == kind, since=since, timeout=timeout
    )
    return found.payload
