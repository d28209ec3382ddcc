"""Installed root certificates and the charge point's own certificate (whitepaper Ed.3 2.5, 2.6).

Roots live in the store (migration 007). The files the TLS stack reads are kept in
``<data_dir>/security/``: the central-system trust bundle (the station file's CA plus every
installed CentralSystemRootCertificate) and the charge point's certificate chain and private
key. The key is written with mode 0600, never logged and never put in the store, which a
diagnostics archive might one day include.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cryptography import x509

from chargestack.profiles.security.x509_checks import (
    CertificateError,
    HashData,
    check_self_signed_root,
    fingerprint,
    hash_data,
    is_self_issued,
    parse_pem_chain,
    to_pem,
)
from chargestack.store.security import Certificates

if TYPE_CHECKING:
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.security.certificates")

CENTRAL_SYSTEM_ROOT = "CentralSystemRootCertificate"
MANUFACTURER_ROOT = "ManufacturerRootCertificate"

InstallResult = Literal["Accepted", "Rejected", "Failed"]
DeleteResult = Literal["Accepted", "NotFound", "Failed"]


class CertificateStore:
    def __init__(self, station: Station) -> None:
        self.station = station
        self.rows = Certificates(station.store)
        self.directory = station.settings.data_dir / "security"
        self.bundle_path = self.directory / "central_system_roots.pem"
        self.client_cert_path = self.directory / "charge_point.pem"
        self.client_key_path = self.directory / "charge_point.key"
        self.pending_key_path = self.directory / "charge_point.pending.key"
        # The identity a renewal replaced, until the new one has connected.
        self.previous_cert_path = self.directory / "charge_point.previous.pem"
        self.previous_key_path = self.directory / "charge_point.previous.key"
        # File writes run in threads; one at a time, in the order they were asked for.
        self._files = asyncio.Lock()

    # -- roots -----------------------------------------------------------------------------

    def roots(self, use: str) -> list[x509.Certificate]:
        return [parse_pem_chain(row.pem)[0] for row in self.rows.all(use)]

    def configured_roots(self) -> list[x509.Certificate]:
        """The station file's CA (central_system.ca_file), if any."""
        ca_file = self.station.settings.central_system.ca_file
        if ca_file is None or not ca_file.exists():
            return []
        try:
            return parse_pem_chain(ca_file.read_text())
        except CertificateError:
            log.warning("central_system.ca_file %s holds no usable certificate", ca_file)
            return []

    async def install(self, use: str, pem: str, now: dt.datetime) -> tuple[InstallResult, str]:
        """InstallCertificate: (status, reason). Rejected for an invalid certificate and when
        CertificateStoreMaxLength is reached (whitepaper M05.FR.03, M05.FR.06)."""
        try:
            certs = parse_pem_chain(pem)
            if len(certs) != 1:
                raise CertificateError(f"expected one certificate, found {len(certs)}")
            check_self_signed_root(certs[0], now)
        except CertificateError as exc:
            return "Rejected", str(exc)
        cert = certs[0]
        key = fingerprint(cert)
        already = any(row.fingerprint == key for row in self.rows.all())
        limit = self.station.config.get_int("CertificateStoreMaxLength")
        if not already and self.rows.count() >= limit:
            return "Rejected", f"CertificateStoreMaxLength {limit} reached"
        self.rows.add(key, use, to_pem(cert), self.station.clock.now_ms())
        if use == CENTRAL_SYSTEM_ROOT:
            await self._rewrite_bundle()
        log.info("installed %s %s", use, cert.subject.rfc4514_string())
        return "Accepted", "installed"

    def installed_ids(self, use: str) -> list[HashData]:
        everything = {row.fingerprint: parse_pem_chain(row.pem)[0] for row in self.rows.all()}
        return [
            hash_data(cert, self._issuer_of(cert, everything), "SHA256") for cert in self.roots(use)
        ]

    async def delete(
        self, wanted: HashData, *, security_profile: int, in_use: x509.Certificate | None
    ) -> DeleteResult:
        """DeleteCertificate; ``in_use``: the root that validated the current TLS connection."""
        everything = {row.fingerprint: parse_pem_chain(row.pem)[0] for row in self.rows.all()}
        uses = {row.fingerprint: row.certificate_type for row in self.rows.all()}
        for key, cert in everything.items():
            issuer = self._issuer_of(cert, everything)
            if not hash_data(cert, issuer, wanted.hash_algorithm).matches(wanted):
                continue
            if (
                uses[key] == CENTRAL_SYSTEM_ROOT
                and in_use is not None
                and hash_data(
                    in_use, self._issuer_of(in_use, everything), wanted.hash_algorithm
                ).matches(wanted)
            ):
                # Whitepaper M04.FR.06: the root the current connection was validated with.
                log.info("DeleteCertificate refused: %s is in use", cert.subject.rfc4514_string())
                return "Failed"
            remaining_cs_roots = [k for k, u in uses.items() if u == CENTRAL_SYSTEM_ROOT]
            if (
                uses[key] == CENTRAL_SYSTEM_ROOT
                and remaining_cs_roots == [key]
                and security_profile >= 2
                and not self.configured_roots()
            ):
                # Whitepaper 2.6: without its last root the charge point could not validate
                # the central system any more under TLS.
                return "Failed"
            self.rows.remove(key)
            if uses[key] == CENTRAL_SYSTEM_ROOT:
                await self._rewrite_bundle()
            log.info("deleted %s %s", uses[key], cert.subject.rfc4514_string())
            return "Accepted"
        return "NotFound"

    @staticmethod
    def _issuer_of(cert: x509.Certificate, known: dict[str, x509.Certificate]) -> x509.Certificate:
        if is_self_issued(cert):
            return cert
        for candidate in known.values():
            if candidate.subject == cert.issuer:
                return candidate
        # A root whose issuer is not installed: its own key is the best stand-in (documented
        # leniency; the whitepaper only installs roots).
        return cert

    def central_system_ca_file(self) -> Path | None:
        """The CA bundle the TLS client trusts: configured CA plus installed roots."""
        if self.rows.all(CENTRAL_SYSTEM_ROOT):
            if not self.bundle_path.exists():
                self._write_bundle()
            return self.bundle_path
        return self.station.settings.central_system.ca_file

    def has_central_system_root(self) -> bool:
        return bool(self.rows.all(CENTRAL_SYSTEM_ROOT) or self.configured_roots())

    def _bundle(self) -> bytes:
        roots = self.configured_roots() + self.roots(CENTRAL_SYSTEM_ROOT)
        return "".join(to_pem(c) for c in roots).encode()

    def _write_bundle(self) -> None:
        _write_file(self.bundle_path, self._bundle(), mode=0o644)

    async def _rewrite_bundle(self) -> None:
        # The file's fsyncs run off the event loop, which feeds the power stage's watchdog.
        content = self._bundle()
        async with self._files:
            await asyncio.to_thread(_write_file, self.bundle_path, content, mode=0o644)

    # -- the charge point's own certificate ------------------------------------------------

    def client_certificate(self) -> tuple[Path, Path] | None:
        """(certificate chain, key) installed through CertificateSigned, if any."""
        if self.client_cert_path.exists() and self.client_key_path.exists():
            return self.client_cert_path, self.client_key_path
        return None

    def has_client_certificate(self) -> bool:
        cs = self.station.settings.central_system
        configured = cs.client_certificate is not None and cs.client_key is not None
        return configured or self.client_certificate() is not None

    async def save_pending_key(self, key_pem: bytes) -> None:
        async with self._files:
            await asyncio.to_thread(_write_file, self.pending_key_path, key_pem, mode=0o600)

    def pending_key(self) -> bytes | None:
        return self.pending_key_path.read_bytes() if self.pending_key_path.exists() else None

    async def promote(self, chain_pem: str) -> None:
        """Make the signed chain and the pending key the charge point's identity; the one
        it replaces is kept until :meth:`settle_renewal` or :meth:`undo_renewal`."""
        async with self._files:
            await asyncio.to_thread(self._promote, chain_pem)

    def _promote(self, chain_pem: str) -> None:
        self._discard_previous()
        if self.client_certificate() is not None:
            os.replace(self.client_cert_path, self.previous_cert_path)
            os.replace(self.client_key_path, self.previous_key_path)
        _write_file(self.client_cert_path, chain_pem.encode(), mode=0o644)
        os.replace(self.pending_key_path, self.client_key_path)

    def settle_renewal(self) -> None:
        """The renewed identity connected: the replaced one is no longer needed."""
        self._discard_previous()

    def undo_renewal(self) -> None:
        """The renewed identity could not connect: back to the one it replaced (or, when
        none had been installed over OCPP, to the station file's)."""
        if self.previous_cert_path.exists() and self.previous_key_path.exists():
            os.replace(self.previous_cert_path, self.client_cert_path)
            os.replace(self.previous_key_path, self.client_key_path)
        else:
            self.client_cert_path.unlink(missing_ok=True)
            self.client_key_path.unlink(missing_ok=True)

    def _discard_previous(self) -> None:
        self.previous_cert_path.unlink(missing_ok=True)
        self.previous_key_path.unlink(missing_ok=True)


def _write_file(path: Path, data: bytes, *, mode: int) -> None:
    """Atomic replace, created with ``mode`` from the start (a key is never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
