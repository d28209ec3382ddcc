"""Enumerations of the OCPP 1.6 security whitepaper (edition 3), values exactly as on the wire.

The whitepaper names its types ``...EnumType``; the suffix is dropped here, and the two that
clash with core 1.6 names are prefixed with ``Signed``/``Extended``.
"""

from __future__ import annotations

from enum import StrEnum


class CertificateSignedStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class CertificateUse(StrEnum):
    CENTRAL_SYSTEM_ROOT_CERTIFICATE = "CentralSystemRootCertificate"
    MANUFACTURER_ROOT_CERTIFICATE = "ManufacturerRootCertificate"


class DeleteCertificateStatus(StrEnum):
    ACCEPTED = "Accepted"
    FAILED = "Failed"
    NOT_FOUND = "NotFound"


class GenericStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class GetInstalledCertificateStatus(StrEnum):
    ACCEPTED = "Accepted"
    NOT_FOUND = "NotFound"


class HashAlgorithm(StrEnum):
    SHA256 = "SHA256"
    SHA384 = "SHA384"
    SHA512 = "SHA512"


class InstallCertificateStatus(StrEnum):
    ACCEPTED = "Accepted"
    FAILED = "Failed"
    REJECTED = "Rejected"


class LogType(StrEnum):
    """``LogEnumType``."""

    DIAGNOSTICS_LOG = "DiagnosticsLog"
    SECURITY_LOG = "SecurityLog"


class LogStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    ACCEPTED_CANCELED = "AcceptedCanceled"


class ExtendedMessageTrigger(StrEnum):
    """``MessageTriggerEnumType`` of ExtendedTriggerMessage."""

    BOOT_NOTIFICATION = "BootNotification"
    LOG_STATUS_NOTIFICATION = "LogStatusNotification"
    FIRMWARE_STATUS_NOTIFICATION = "FirmwareStatusNotification"
    HEARTBEAT = "Heartbeat"
    METER_VALUES = "MeterValues"
    SIGN_CHARGE_POINT_CERTIFICATE = "SignChargePointCertificate"
    STATUS_NOTIFICATION = "StatusNotification"


class SignedFirmwareStatus(StrEnum):
    """``FirmwareStatusEnumType`` of SignedFirmwareStatusNotification."""

    DOWNLOADED = "Downloaded"
    DOWNLOAD_FAILED = "DownloadFailed"
    DOWNLOADING = "Downloading"
    DOWNLOAD_SCHEDULED = "DownloadScheduled"
    DOWNLOAD_PAUSED = "DownloadPaused"
    IDLE = "Idle"
    INSTALLATION_FAILED = "InstallationFailed"
    INSTALLING = "Installing"
    INSTALLED = "Installed"
    INSTALL_REBOOTING = "InstallRebooting"
    INSTALL_SCHEDULED = "InstallScheduled"
    INSTALL_VERIFICATION_FAILED = "InstallVerificationFailed"
    INVALID_SIGNATURE = "InvalidSignature"
    SIGNATURE_VERIFIED = "SignatureVerified"


class SignedUpdateFirmwareStatus(StrEnum):
    """``UpdateFirmwareStatusEnumType`` of SignedUpdateFirmware.conf."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    ACCEPTED_CANCELED = "AcceptedCanceled"
    INVALID_CERTIFICATE = "InvalidCertificate"
    REVOKED_CERTIFICATE = "RevokedCertificate"


class UploadLogStatus(StrEnum):
    BAD_MESSAGE = "BadMessage"
    IDLE = "Idle"
    NOT_SUPPORTED_OPERATION = "NotSupportedOperation"
    PERMISSION_DENIED = "PermissionDenied"
    UPLOADED = "Uploaded"
    UPLOAD_FAILURE = "UploadFailure"
    UPLOADING = "Uploading"
