"""Renewal of the charge point's client certificate (whitepaper Ed.3 use case A02/A03).

ExtendedTriggerMessage(SignChargePointCertificate) starts it: a new key pair and a PKCS#10
request go to the central system in SignCertificate. The whitepaper's certificate properties
decide the subject: O = CpoName, CN = the charge point's serial number (the
chargePointSerialNumber of its BootNotification), not its identity. CertificateSigned is
accepted only when the chain leads to an installed CentralSystemRootCertificate (or the
station file's CA), every certificate is in its validity period and has a key of at least
RSA 2048 / EC 224 bits, and the leaf carries the key generated here under that subject; only
then does it replace the old one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chargestack.ocpp import messages as m
from chargestack.profiles.security.certificate_store import CENTRAL_SYSTEM_ROOT, CertificateStore
from chargestack.profiles.security.x509_checks import (
    CertificateError,
    check_charge_point_subject,
    check_key_strength,
    parse_pem_chain,
    verify_chain,
)

if TYPE_CHECKING:
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.security.client_certificate")


def build_csr(key: ec.EllipticCurvePrivateKey, serial_number: str, cpo_name: str) -> str:
    """A PEM certificate signing request for ``key``: CN = serial number, O = CpoName."""
    attributes = []
    if cpo_name:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, cpo_name))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, serial_number))
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(attributes))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


class ChargePointCertificate:
    def __init__(self, station: Station, store: CertificateStore) -> None:
        self.station = station
        self.store = store

    def serial_number(self) -> str:
        """The CN of the certificate; "" when the station file names no serial number, in
        which case no request is made (ExtendedTriggerMessage answers Rejected)."""
        return self.station.settings.identity.charge_point_serial_number or ""

    async def request_signing(self) -> str:
        """Generate a key and CSR and send SignCertificate; returns the central system's status."""
        cpo_name = self.station.config.get_str("CpoName")
        if not cpo_name:
            log.warning("CpoName is not set: the CSR carries no organization (whitepaper A02)")
        # EC P-256: the whitepaper accepts EC keys of 224 bits or more and they are cheap to make
        # on a charger's controller.
        key = ec.generate_private_key(ec.SECP256R1())
        csr = build_csr(key, self.serial_number(), cpo_name)
        # Written before the request leaves: a CertificateSigned arriving after a restart
        # still finds the key it belongs to.
        await self.store.save_pending_key(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        response = await self.station.send(m.SignCertificateRequest(csr=csr))
        assert isinstance(response, m.SignCertificateResponse)
        log.info("SignCertificate: %s", response.status.value)
        return response.status.value

    async def accept(self, chain_pem: str) -> None:
        """Check and install a CertificateSigned chain; CertificateError says why not."""
        limit = self.station.config.get_int("CertificateSignedMaxChainSize")
        if len(chain_pem) > limit:
            raise CertificateError(
                f"chain of {len(chain_pem)} characters exceeds CertificateSignedMaxChainSize {limit}"
            )
        pending = self.store.pending_key()
        if pending is None:
            raise CertificateError("no certificate signing request is outstanding")
        chain = parse_pem_chain(chain_pem)
        key = serialization.load_pem_private_key(pending, password=None)
        if chain[0].public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) != key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ):
            raise CertificateError("the certificate does not carry the key of our request")
        check_charge_point_subject(
            chain[0], self.serial_number(), self.station.config.get_str("CpoName")
        )
        for cert in chain:
            check_key_strength(cert)
        roots = self.store.roots(CENTRAL_SYSTEM_ROOT) + self.store.configured_roots()
        verify_chain(chain, roots, self.station.clock.now())
        await self.store.promote(chain_pem)
        log.info("new charge point certificate %s", chain[0].subject.rfc4514_string())
