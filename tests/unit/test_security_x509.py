"""Certificate hash data, chain checks, CSR, firmware signatures and log redaction."""

from __future__ import annotations

import base64
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from certs import issue, make_ca
from chargestack.profiles.security.charge_point_certificate import build_csr
from chargestack.profiles.security.firmware_signature import (
    check_signing_certificate,
    image_digest,
    signature_valid,
)
from chargestack.profiles.security.x509_checks import (
    CertificateError,
    HashData,
    check_charge_point_subject,
    check_key_strength,
    hash_data,
    verify_chain,
)
from chargestack.redaction import SecretRedactor, redact

NOW = dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(
    ("name", "algorithm"),
    [("SHA256", hashes.SHA256()), ("SHA384", hashes.SHA384()), ("SHA512", hashes.SHA512())],
)
def test_hash_data_equals_the_ocsp_cert_id(
    tmp_path: Path, name: str, algorithm: hashes.HashAlgorithm
) -> None:
    ca = make_ca(tmp_path)
    leaf = issue(tmp_path, ca, "leaf", client=True)
    for cert, issuer in ((ca.cert, ca.cert), (leaf.cert, ca.cert)):
        reference = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, algorithm).build()
        assert hash_data(cert, issuer, name) == HashData(
            name,
            reference.issuer_name_hash.hex(),
            reference.issuer_key_hash.hex(),
            format(reference.serial_number, "x"),
        )


def test_hash_data_of_an_rsa_root(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RSA Root")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    reference = ocsp.OCSPRequestBuilder().add_certificate(cert, cert, hashes.SHA256()).build()
    assert hash_data(cert, cert, "SHA256").issuer_key_hash == reference.issuer_key_hash.hex()


def test_hash_data_match_ignores_case_and_leading_zeros() -> None:
    ours = HashData("SHA256", "ab", "cd", "1f")
    assert ours.matches(HashData("SHA256", "AB", "CD", "001F"))
    assert not ours.matches(HashData("SHA384", "ab", "cd", "1f"))
    assert not ours.matches(HashData("SHA256", "ab", "cd", "2f"))


def test_chain_through_an_intermediate(tmp_path: Path) -> None:
    root = make_ca(tmp_path, "Root")
    intermediate = make_ca(tmp_path, "Intermediate")
    # Re-issue the intermediate under the root.
    inter_cert = (
        x509.CertificateBuilder()
        .subject_name(intermediate.cert.subject)
        .issuer_name(root.cert.subject)
        .public_key(intermediate.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root.key, hashes.SHA256())
    )
    intermediate.cert = inter_cert
    leaf = issue(tmp_path, intermediate, "CP-1", client=True)
    assert verify_chain([leaf.cert, inter_cert], [root.cert], NOW) == root.cert
    with pytest.raises(CertificateError, match="no installed root"):
        verify_chain([leaf.cert], [root.cert], NOW)  # the intermediate is missing
    with pytest.raises(CertificateError, match="expired"):
        verify_chain([leaf.cert, inter_cert], [root.cert], NOW + dt.timedelta(days=3))


def test_a_leaf_cannot_act_as_issuer(tmp_path: Path) -> None:
    root = make_ca(tmp_path, "Root")
    leaf = issue(tmp_path, root, "not-a-ca", client=True)
    fake = issue(tmp_path, root, "victim", client=True)
    fake_cert = (
        x509.CertificateBuilder()
        .subject_name(fake.cert.subject)
        .issuer_name(leaf.cert.subject)
        .public_key(fake.key.public_key())
        .serial_number(2)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(leaf.key, hashes.SHA256())
    )
    with pytest.raises(CertificateError, match="not a CA"):
        verify_chain([fake_cert, leaf.cert], [root.cert], NOW)


def test_csr_names_the_cpo_and_the_serial_number() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.load_pem_x509_csr(build_csr(key, "SN-0001", "Chargestack CPO").encode())
    assert csr.is_signature_valid
    assert csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "Chargestack CPO"
    )
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "SN-0001"


def _self_signed(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, name: x509.Name) -> Any:
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


@pytest.mark.parametrize(
    ("key", "strong_enough"),
    [
        (rsa.generate_private_key(public_exponent=65537, key_size=2048), True),
        (rsa.generate_private_key(public_exponent=65537, key_size=1024), False),
        (ec.generate_private_key(ec.SECP224R1()), True),
        (ec.generate_private_key(ec.SECP192R1()), False),
    ],
)
def test_key_strength_is_rsa_2048_or_ec_224(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, strong_enough: bool
) -> None:
    cert = _self_signed(key, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k")]))
    if strong_enough:
        check_key_strength(cert)
    else:
        with pytest.raises(CertificateError, match="at least"):
            check_key_strength(cert)


def test_charge_point_subject_is_serial_number_and_cpo_name() -> None:
    def named(cn: str, org: str | None) -> Any:
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        if org is not None:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
        return _self_signed(ec.generate_private_key(ec.SECP256R1()), x509.Name(attributes))

    check_charge_point_subject(named("SN-1", "CPO"), "SN-1", "CPO")
    check_charge_point_subject(named("SN-1", None), "SN-1", "")  # no CpoName configured
    with pytest.raises(CertificateError, match="commonName is CP-1, expected SN-1"):
        check_charge_point_subject(named("CP-1", "CPO"), "SN-1", "CPO")
    with pytest.raises(CertificateError, match="organizationName is missing, expected CPO"):
        check_charge_point_subject(named("SN-1", None), "SN-1", "CPO")


def test_firmware_signature_ec_and_rsa(tmp_path: Path) -> None:
    image = tmp_path / "fw.img"
    image.write_bytes(b"firmware" * 10_000)
    digest = image_digest(image)
    root = make_ca(tmp_path, "Manufacturer")
    signer = issue(tmp_path, root, "Signer")
    assert check_signing_certificate(
        signer.cert.public_bytes(serialization.Encoding.PEM).decode(), [root.cert], NOW
    ) == (signer.cert)
    good = base64.b64encode(signer.key.sign(image.read_bytes(), ec.ECDSA(hashes.SHA256())))
    assert signature_valid(signer.cert, good.decode(), digest)
    assert not signature_valid(signer.cert, good.decode(), bytes(32))
    assert not signature_valid(signer.cert, "not base64!", digest)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_cert = (
        x509.CertificateBuilder()
        .subject_name(signer.cert.subject)
        .issuer_name(signer.cert.subject)
        .public_key(rsa_key.public_key())
        .serial_number(3)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    rsa_signature = rsa_key.sign(image.read_bytes(), padding.PKCS1v15(), hashes.SHA256())
    assert signature_valid(rsa_cert, base64.b64encode(rsa_signature).decode(), digest)
    with pytest.raises(CertificateError):
        check_signing_certificate(
            signer.cert.public_bytes(serialization.Encoding.PEM).decode(), [], NOW
        )


def test_redaction_of_frames_and_private_keys() -> None:
    frame = '[2,"1","ChangeConfiguration",{"key":"AuthorizationKey","value":"0011aabb"}]'
    assert redact(frame) == (
        '[2,"1","ChangeConfiguration",{"key":"AuthorizationKey","value":"***"}]'
    )
    swapped = '{"value": "0011aabb", "key": "authorizationkey"}'
    assert "0011aabb" not in redact(swapped)
    other = '{"key":"HeartbeatInterval","value":"300"}'
    assert redact(other) == other
    key = "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----"
    assert "MIGH" not in redact(f"loaded {key}")


def test_redactor_rewrites_the_record() -> None:
    record = logging.LogRecord(
        "chargestack.ocpp.frames",
        logging.DEBUG,
        __file__,
        1,
        "%s > %s",
        ("CP-1", '{"key":"AuthorizationKey","value":"deadbeef"}'),
        None,
    )
    assert SecretRedactor().filter(record)
    assert "deadbeef" not in record.getMessage()
