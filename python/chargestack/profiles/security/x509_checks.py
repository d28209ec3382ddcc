"""X.509 facts the whitepaper needs: CertificateHashData, chain verification and the
properties of a charge point certificate.

CertificateHashData (whitepaper Ed.3, the datatype of Delete/GetInstalledCertificateIds)
follows the OCSP CertID of RFC 6960: a hash of the issuer's distinguished name (DER), a hash
of the issuer's public key (the subjectPublicKey BIT STRING value, without tag and length)
and the serial number in hexadecimal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

# Whitepaper Ed.3, certificate properties: keys at least as strong as RSA 2048 or EC 224.
MIN_RSA_BITS = 2048
MIN_EC_BITS = 224

_HASHES = {"SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512}


class CertificateError(ValueError):
    """A certificate or chain that must not be trusted; the message says why."""


@dataclass(frozen=True, slots=True)
class HashData:
    hash_algorithm: str
    issuer_name_hash: str
    issuer_key_hash: str
    serial_number: str

    def matches(self, other: HashData) -> bool:
        # Hex strings: the central system may use either case, and a serial with leading zeros.
        return (
            self.hash_algorithm == other.hash_algorithm
            and self.issuer_name_hash.lower() == other.issuer_name_hash.lower()
            and self.issuer_key_hash.lower() == other.issuer_key_hash.lower()
            and self.serial_number.lower().lstrip("0") == other.serial_number.lower().lstrip("0")
        )


def parse_pem_chain(text: str) -> list[x509.Certificate]:
    """Every certificate of a PEM text, in order; CertificateError if there is none or junk."""
    try:
        certs = x509.load_pem_x509_certificates(text.encode())
    except ValueError as exc:
        raise CertificateError(f"not a PEM certificate: {exc}") from None
    if not certs:
        raise CertificateError("no certificate in the PEM text")
    return certs


def to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def is_self_issued(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


def hash_data(cert: x509.Certificate, issuer: x509.Certificate, algorithm: str) -> HashData:
    """CertificateHashData of ``cert`` (``issuer`` is itself for a root)."""
    digest = _HASHES[algorithm]
    return HashData(
        hash_algorithm=algorithm,
        issuer_name_hash=digest(cert.issuer.public_bytes()).hexdigest(),
        issuer_key_hash=digest(_subject_public_key_bits(issuer)).hexdigest(),
        serial_number=format(cert.serial_number, "x"),
    )


def _subject_public_key_bits(cert: x509.Certificate) -> bytes:
    """The BIT STRING value inside SubjectPublicKeyInfo (RFC 5280 section 4.1)."""
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _, body, _ = _der_header(spki, 0, 0x30)
    _, algorithm, algorithm_length = _der_header(spki, body, 0x30)
    _, bits, bits_length = _der_header(spki, algorithm + algorithm_length, 0x03)
    # The first content octet counts the unused bits of the last octet (0 for keys).
    return spki[bits + 1 : bits + bits_length]


def _der_header(data: bytes, offset: int, expected_tag: int) -> tuple[int, int, int]:
    """(tag, content start, content length) of the DER item at ``offset``."""
    tag, first = data[offset], data[offset + 1]
    if tag != expected_tag:
        raise CertificateError(f"unexpected DER tag 0x{tag:02x} in a public key")
    if first < 0x80:
        return tag, offset + 2, first
    count = first & 0x7F
    length = int.from_bytes(data[offset + 2 : offset + 2 + count], "big")
    return tag, offset + 2 + count, length


def check_validity(cert: x509.Certificate, now: dt.datetime) -> None:
    if now < cert.not_valid_before_utc:
        raise CertificateError(f"certificate {cert.subject.rfc4514_string()} is not valid yet")
    if now > cert.not_valid_after_utc:
        raise CertificateError(f"certificate {cert.subject.rfc4514_string()} has expired")


def check_self_signed_root(cert: x509.Certificate, now: dt.datetime) -> None:
    """A root to install: in its validity period, a CA that may sign certificates and, when
    self-issued, self-signed."""
    check_validity(cert, now)
    _check_certificate_signer(cert)
    if is_self_issued(cert):
        try:
            cert.verify_directly_issued_by(cert)
        except (InvalidSignature, ValueError, TypeError) as exc:
            raise CertificateError(f"root certificate signature does not verify: {exc}") from None


def verify_chain(
    chain: list[x509.Certificate], roots: list[x509.Certificate], now: dt.datetime
) -> x509.Certificate:
    """Check that ``chain`` (leaf first, then intermediates) leads to one of ``roots``.

    Every certificate must be in its validity period and signed by the next one; issuers
    must be CA certificates. Returns the trusted root; CertificateError otherwise.
    """
    if not chain:
        raise CertificateError("empty certificate chain")
    for cert in chain:
        check_validity(cert, now)
    for cert, issuer in itertools.pairwise(chain):
        _check_issued_by(cert, issuer)
    last = chain[-1]
    for root in roots:
        if root.subject != last.issuer:
            continue
        if fingerprint(root) == fingerprint(last):
            check_validity(root, now)
            return root
        try:
            _check_issued_by(last, root)
        except CertificateError:
            continue
        check_validity(root, now)
        return root
    raise CertificateError(
        f"no installed root certificate issued {last.issuer.rfc4514_string() or 'the chain'}"
    )


_Ext = TypeVar("_Ext", bound=x509.ExtensionType)


def _extension(cert: x509.Certificate, kind: type[_Ext]) -> _Ext | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _is_ca(cert: x509.Certificate) -> bool:
    constraints = _extension(cert, x509.BasicConstraints)
    return constraints is not None and constraints.ca


def _check_certificate_signer(cert: x509.Certificate) -> None:
    """RFC 5280 section 4.2.1.9: only a certificate with basicConstraints CA:TRUE signs
    certificates; section 4.2.1.3: a CA's keyUsage, which it MUST carry, then includes
    keyCertSign. A trust anchor installed over OCPP is held to both (whitepaper A05, M05)."""
    subject = cert.subject.rfc4514_string()
    if not _is_ca(cert):
        raise CertificateError(f"{subject} is not a CA certificate (basicConstraints CA:TRUE)")
    usage = _extension(cert, x509.KeyUsage)
    if usage is None or not usage.key_cert_sign:
        raise CertificateError(f"{subject} may not sign certificates (keyUsage keyCertSign)")


def _check_issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> None:
    if not _is_ca(issuer):
        raise CertificateError(f"{issuer.subject.rfc4514_string()} is not a CA certificate")
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise CertificateError(
            f"{cert.subject.rfc4514_string()} is not signed by {issuer.subject.rfc4514_string()}"
            f" ({type(exc).__name__})"
        ) from None


def check_key_strength(cert: x509.Certificate) -> None:
    """RSA of at least 2048 bits or EC of at least 224 bits (whitepaper Ed.3)."""
    key = cert.public_key()
    subject = cert.subject.rfc4514_string()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise CertificateError(
                f"{subject} has an RSA key of {key.key_size} bits (at least {MIN_RSA_BITS})"
            )
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < MIN_EC_BITS:
            raise CertificateError(
                f"{subject} has an EC key of {key.curve.key_size} bits (at least {MIN_EC_BITS})"
            )
    else:
        raise CertificateError(f"{subject} has a {type(key).__name__}, neither RSA nor EC")


def check_charge_point_subject(cert: x509.Certificate, serial_number: str, cpo_name: str) -> None:
    """Whitepaper Ed.3 certificate properties: CN = the charge point's serial number and,
    when CpoName is set, O = CpoName."""
    names = {
        "commonName": cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME),
        "organizationName": cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME),
    }
    expected = {"commonName": serial_number, "organizationName": cpo_name}
    for field, wanted in expected.items():
        if not wanted:
            continue
        found = [str(a.value) for a in names[field]]
        if found != [wanted]:
            raise CertificateError(
                f"certificate {field} is {', '.join(found) or 'missing'}, expected {wanted}"
            )
