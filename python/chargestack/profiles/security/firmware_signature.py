"""The two checks of a signed firmware update (whitepaper Ed.3 use case L01).

The signing certificate must lead to an installed ManufacturerRootCertificate; the
signature (base64) must verify over the whole downloaded image with the certificate's key:
ECDSA or RSA PKCS#1 v1.5, both with SHA-256.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from chargestack.profiles.security.x509_checks import (
    CertificateError,
    parse_pem_chain,
    verify_chain,
)


def check_signing_certificate(
    pem: str, manufacturer_roots: list[x509.Certificate], now: dt.datetime
) -> x509.Certificate:
    """The signing certificate, if it chains to a manufacturer root; CertificateError if not."""
    if not manufacturer_roots:
        raise CertificateError("no ManufacturerRootCertificate is installed")
    chain = parse_pem_chain(pem)
    verify_chain(chain, manufacturer_roots, now)
    return chain[0]


def image_digest(image: Path) -> bytes:
    """SHA-256 of the image, read in chunks (images are large; run it in a thread)."""
    digest = hashes.Hash(hashes.SHA256())
    with image.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.finalize()


def signature_valid(certificate: x509.Certificate, signature_b64: str, digest: bytes) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    key = certificate.public_key()
    prehashed = utils.Prehashed(hashes.SHA256())
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, digest, ec.ECDSA(prehashed))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        else:
            return False
    except InvalidSignature:
        return False
    return True
