"""The security whitepaper's messages (Ed.3): certificates, security events, profile switch.

Always installed: the whitepaper is no feature profile. Its certificate signing request is
what an ExtendedTriggerMessage(SignChargePointCertificate) sends; its trust bundle and
renewed client certificate amend the station's connection settings.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from cryptography import x509

from chargestack.ocpp import messages as m
from chargestack.ocpp.connection_settings import ConnectionSettings
from chargestack.ocpp.messages import Action
from chargestack.ocpp.router import Refuse, after, on
from chargestack.profiles.security.certificate_store import CENTRAL_SYSTEM_ROOT, CertificateStore
from chargestack.profiles.security.charge_point_certificate import ChargePointCertificate
from chargestack.profiles.security.events import SecurityEvent, SecurityEvents
from chargestack.profiles.security.profile_switch import ProfileSwitch
from chargestack.profiles.security.x509_checks import CertificateError, HashData
from chargestack.station.block import Block
from chargestack.station.stop_kind import StopKind

if TYPE_CHECKING:
    from chargestack.station.ports import DurableQueue
    from chargestack.station.station import Station

log = logging.getLogger("chargestack.security")


class SecurityService(Block):
    def __init__(self, station: Station, queue: DurableQueue) -> None:
        self.station = station
        self.events = SecurityEvents(station, queue)
        self.certificates = CertificateStore(station)
        self.client_certificate = ChargePointCertificate(station, self.certificates)
        floor = station.settings.central_system.security_profile
        if station.config.get_int("SecurityProfile") < floor:
            # The station file's profile is the floor; the key shows the profile in use.
            station.config.set_internal("SecurityProfile", floor)
        self.profile_switch = ProfileSwitch(station, self.certificates, self.events)
        self.profile_switch.install()

    # -- station hooks ---------------------------------------------------------------------

    async def start(self) -> None:
        self.station.clock.adjust_listeners.append(self.events.clock_adjusted)
        self.station.session.connect_error_listeners.append(self._connect_failed)
        self.events.raise_event(
            SecurityEvent.STARTUP_OF_THE_DEVICE, f"firmware {self.station.firmware_version}"
        )
        lost = self.station.store.lost_state
        if lost is not None:
            # Journalled in the new store, so it reaches the central system even if the
            # station restarts before it is connected.
            self.events.raise_event(SecurityEvent.STORE_LOST, lost)
        self.station.spawn(self.profile_switch.resume(), "security-profile-trial")

    async def before_stop(self, kind: StopKind) -> None:
        if kind in (StopKind.SOFT_RESET, StopKind.HARD_RESET, StopKind.FIRMWARE):
            # Queued durably before the restart; the station drains the queue while it can.
            self.events.raise_event(SecurityEvent.RESET_OR_REBOOT, f"{kind} reset")

    def on_registered(self, reconnect: bool) -> None:
        self.events.connected()
        self.profile_switch.registered()

    def _connect_failed(self, exc: BaseException) -> None:
        self.events.connect_failed(exc)
        self.profile_switch.connect_failed()

    def connection_settings(self, base: ConnectionSettings) -> ConnectionSettings:
        """The station's settings with what this extension manages: the trust bundle, the
        renewed client certificate, and TLS for profiles 2 and 3."""
        changes: dict[str, object] = {}
        if base.security_profile >= 2 and base.central_system_url.startswith("ws://"):
            # A profile raised over OCPP from 0/1: same endpoint, now over TLS (whitepaper 2.3).
            changes["central_system_url"] = "wss://" + base.central_system_url[len("ws://") :]
        ca_file = self.certificates.central_system_ca_file()
        if ca_file is not None:
            changes["ca_file"] = ca_file
        renewed = self.certificates.client_certificate()
        if renewed is not None:
            changes["client_cert"], changes["client_key"] = renewed
        return base.with_security(**changes) if changes else base

    def describe_station(self) -> dict[str, Any]:
        client = self.certificates.client_certificate()
        return {
            "security": {
                "securityProfile": self.station.session.settings.security_profile,
                "installedCertificates": self.certificates.rows.count(),
                "renewedClientCertificate": client is not None,
                "profileFallbacks": self.profile_switch.fallbacks,
            }
        }

    # -- configuration ---------------------------------------------------------------------

    @after(Action.CHANGE_CONFIGURATION)
    async def configuration_changed(self, request: m.ChangeConfigurationRequest) -> None:
        await self.profile_switch.after_change()

    # -- certificates ----------------------------------------------------------------------

    @on(
        Action.INSTALL_CERTIFICATE,
        without_storage=Refuse(
            m.InstallCertificateResponse(status=m.InstallCertificateStatus("Failed"))
        ),
    )
    async def install_certificate(
        self, request: m.InstallCertificateRequest
    ) -> m.InstallCertificateResponse:
        use = request.certificate_type.value
        status, reason = await self.certificates.install(
            use, request.certificate, self.station.clock.now()
        )
        if status != "Accepted":
            log.info("InstallCertificate %s: %s (%s)", use, status, reason)
        if status == "Rejected" and use == CENTRAL_SYSTEM_ROOT:
            self.events.raise_event(SecurityEvent.INVALID_CENTRAL_SYSTEM_CERTIFICATE, reason)
        return m.InstallCertificateResponse(status=m.InstallCertificateStatus(status))

    @after(Action.INSTALL_CERTIFICATE)
    async def certificate_installed(self, request: m.InstallCertificateRequest) -> None:
        if request.certificate_type.value == CENTRAL_SYSTEM_ROOT:
            # The next TLS connection trusts the new bundle.
            self.station.session.update_settings(self.station.connection_settings())

    @on(
        Action.DELETE_CERTIFICATE,
        without_storage=Refuse(
            m.DeleteCertificateResponse(status=m.DeleteCertificateStatus("Failed"))
        ),
    )
    async def delete_certificate(
        self, request: m.DeleteCertificateRequest
    ) -> m.DeleteCertificateResponse:
        data = request.certificate_hash_data
        wanted = HashData(
            data.hash_algorithm.value,
            data.issuer_name_hash,
            data.issuer_key_hash,
            data.serial_number,
        )
        root = self.station.session.verified_root
        status = await self.certificates.delete(
            wanted,
            security_profile=self.station.config.get_int("SecurityProfile"),
            in_use=x509.load_der_x509_certificate(root) if root is not None else None,
        )
        if status == "Accepted":
            self.station.session.update_settings(self.station.connection_settings())
        return m.DeleteCertificateResponse(status=m.DeleteCertificateStatus(status))

    @on(Action.GET_INSTALLED_CERTIFICATE_IDS)
    async def get_installed_certificate_ids(
        self, request: m.GetInstalledCertificateIdsRequest
    ) -> m.GetInstalledCertificateIdsResponse:
        found = self.certificates.installed_ids(request.certificate_type.value)
        if not found:
            return m.GetInstalledCertificateIdsResponse(
                status=m.GetInstalledCertificateStatus("NotFound")
            )
        return m.GetInstalledCertificateIdsResponse(
            status=m.GetInstalledCertificateStatus("Accepted"),
            certificate_hash_data=[
                m.CertificateHashData(
                    hash_algorithm=m.HashAlgorithm(h.hash_algorithm),
                    issuer_name_hash=h.issuer_name_hash,
                    issuer_key_hash=h.issuer_key_hash,
                    serial_number=h.serial_number,
                )
                for h in found
            ],
        )

    @on(
        Action.CERTIFICATE_SIGNED,
        without_storage=Refuse(
            m.CertificateSignedResponse(status=m.CertificateSignedStatus("Rejected"))
        ),
    )
    async def certificate_signed(
        self, request: m.CertificateSignedRequest
    ) -> m.CertificateSignedResponse:
        try:
            await self.client_certificate.accept(request.certificate_chain)
        except (CertificateError, ValueError) as exc:
            log.warning("CertificateSigned refused: %s", exc)
            self.events.raise_event(SecurityEvent.INVALID_CHARGE_POINT_CERTIFICATE, str(exc))
            return m.CertificateSignedResponse(status=m.CertificateSignedStatus("Rejected"))
        return m.CertificateSignedResponse(status=m.CertificateSignedStatus("Accepted"))

    @after(Action.CERTIFICATE_SIGNED)
    async def use_new_certificate(self, request: m.CertificateSignedRequest) -> None:
        if self.certificates.client_certificate() is None:
            return
        if self.station.config.get_int("SecurityProfile") != 3:
            self.station.session.update_settings(self.station.connection_settings())
            self.certificates.settle_renewal()
            return
        # Whitepaper A02: the new certificate is used from the next connection; reconnect
        # now so the central system sees it at once (OCTT TC_074). A certificate the
        # central system does not take must not cut the charge point off: back to the old.
        if await self.profile_switch.trial_reconnect():
            self.certificates.settle_renewal()
            return
        log.warning("the renewed charge point certificate could not connect; back to the old one")
        self.events.raise_event(
            SecurityEvent.INVALID_CHARGE_POINT_CERTIFICATE,
            "the central system did not accept the renewed certificate; the previous one is used",
        )
        self.certificates.undo_renewal()
        self.station.session.update_settings(self.station.connection_settings())
        self.station.session.reconnect_now()
