"""Enumerations of the OCPP 1.6 core specification (section 7), values exactly as on the wire."""

from __future__ import annotations

from enum import StrEnum


class AuthorizationStatus(StrEnum):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


class AvailabilityStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    SCHEDULED = "Scheduled"


class AvailabilityType(StrEnum):
    INOPERATIVE = "Inoperative"
    OPERATIVE = "Operative"


class CancelReservationStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class ChargePointErrorCode(StrEnum):
    CONNECTOR_LOCK_FAILURE = "ConnectorLockFailure"
    EV_COMMUNICATION_ERROR = "EVCommunicationError"
    GROUND_FAILURE = "GroundFailure"
    HIGH_TEMPERATURE = "HighTemperature"
    INTERNAL_ERROR = "InternalError"
    LOCAL_LIST_CONFLICT = "LocalListConflict"
    NO_ERROR = "NoError"
    OTHER_ERROR = "OtherError"
    OVER_CURRENT_FAILURE = "OverCurrentFailure"
    POWER_METER_FAILURE = "PowerMeterFailure"
    POWER_SWITCH_FAILURE = "PowerSwitchFailure"
    READER_FAILURE = "ReaderFailure"
    RESET_FAILURE = "ResetFailure"
    UNDER_VOLTAGE = "UnderVoltage"
    OVER_VOLTAGE = "OverVoltage"
    WEAK_SIGNAL = "WeakSignal"


class ChargePointStatus(StrEnum):
    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EVSE = "SuspendedEVSE"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


class ChargingProfileKindType(StrEnum):
    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class ChargingProfilePurposeType(StrEnum):
    CHARGE_POINT_MAX_PROFILE = "ChargePointMaxProfile"
    TX_DEFAULT_PROFILE = "TxDefaultProfile"
    TX_PROFILE = "TxProfile"


class ChargingProfileStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    NOT_SUPPORTED = "NotSupported"


class ChargingRateUnitType(StrEnum):
    A = "A"
    W = "W"


class ClearCacheStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class ClearChargingProfileStatus(StrEnum):
    ACCEPTED = "Accepted"
    UNKNOWN = "Unknown"


class ConfigurationStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    REBOOT_REQUIRED = "RebootRequired"
    NOT_SUPPORTED = "NotSupported"


class DataTransferStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN_MESSAGE_ID = "UnknownMessageId"
    UNKNOWN_VENDOR_ID = "UnknownVendorId"


class DiagnosticsStatus(StrEnum):
    IDLE = "Idle"
    UPLOADED = "Uploaded"
    UPLOAD_FAILED = "UploadFailed"
    UPLOADING = "Uploading"


class FirmwareStatus(StrEnum):
    DOWNLOADED = "Downloaded"
    DOWNLOAD_FAILED = "DownloadFailed"
    DOWNLOADING = "Downloading"
    IDLE = "Idle"
    INSTALLATION_FAILED = "InstallationFailed"
    INSTALLING = "Installing"
    INSTALLED = "Installed"


class GetCompositeScheduleStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class Location(StrEnum):
    BODY = "Body"
    CABLE = "Cable"
    EV = "EV"
    INLET = "Inlet"
    OUTLET = "Outlet"


class Measurand(StrEnum):
    ENERGY_ACTIVE_EXPORT_REGISTER = "Energy.Active.Export.Register"
    ENERGY_ACTIVE_IMPORT_REGISTER = "Energy.Active.Import.Register"
    ENERGY_REACTIVE_EXPORT_REGISTER = "Energy.Reactive.Export.Register"
    ENERGY_REACTIVE_IMPORT_REGISTER = "Energy.Reactive.Import.Register"
    ENERGY_ACTIVE_EXPORT_INTERVAL = "Energy.Active.Export.Interval"
    ENERGY_ACTIVE_IMPORT_INTERVAL = "Energy.Active.Import.Interval"
    ENERGY_REACTIVE_EXPORT_INTERVAL = "Energy.Reactive.Export.Interval"
    ENERGY_REACTIVE_IMPORT_INTERVAL = "Energy.Reactive.Import.Interval"
    POWER_ACTIVE_EXPORT = "Power.Active.Export"
    POWER_ACTIVE_IMPORT = "Power.Active.Import"
    POWER_OFFERED = "Power.Offered"
    POWER_REACTIVE_EXPORT = "Power.Reactive.Export"
    POWER_REACTIVE_IMPORT = "Power.Reactive.Import"
    POWER_FACTOR = "Power.Factor"
    CURRENT_IMPORT = "Current.Import"
    CURRENT_EXPORT = "Current.Export"
    CURRENT_OFFERED = "Current.Offered"
    VOLTAGE = "Voltage"
    FREQUENCY = "Frequency"
    TEMPERATURE = "Temperature"
    SOC = "SoC"
    RPM = "RPM"


class MessageTrigger(StrEnum):
    BOOT_NOTIFICATION = "BootNotification"
    DIAGNOSTICS_STATUS_NOTIFICATION = "DiagnosticsStatusNotification"
    FIRMWARE_STATUS_NOTIFICATION = "FirmwareStatusNotification"
    HEARTBEAT = "Heartbeat"
    METER_VALUES = "MeterValues"
    STATUS_NOTIFICATION = "StatusNotification"


class Phase(StrEnum):
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    N = "N"
    L1_N = "L1-N"
    L2_N = "L2-N"
    L3_N = "L3-N"
    L1_L2 = "L1-L2"
    L2_L3 = "L2-L3"
    L3_L1 = "L3-L1"


class ReadingContext(StrEnum):
    INTERRUPTION_BEGIN = "Interruption.Begin"
    INTERRUPTION_END = "Interruption.End"
    SAMPLE_CLOCK = "Sample.Clock"
    SAMPLE_PERIODIC = "Sample.Periodic"
    TRANSACTION_BEGIN = "Transaction.Begin"
    TRANSACTION_END = "Transaction.End"
    TRIGGER = "Trigger"
    OTHER = "Other"


class Reason(StrEnum):
    EMERGENCY_STOP = "EmergencyStop"
    EV_DISCONNECTED = "EVDisconnected"
    HARD_RESET = "HardReset"
    LOCAL = "Local"
    OTHER = "Other"
    POWER_LOSS = "PowerLoss"
    REBOOT = "Reboot"
    REMOTE = "Remote"
    SOFT_RESET = "SoftReset"
    UNLOCK_COMMAND = "UnlockCommand"
    DE_AUTHORIZED = "DeAuthorized"


class RecurrencyKindType(StrEnum):
    DAILY = "Daily"
    WEEKLY = "Weekly"


class RegistrationStatus(StrEnum):
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class RemoteStartStopStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class ReservationStatus(StrEnum):
    ACCEPTED = "Accepted"
    FAULTED = "Faulted"
    OCCUPIED = "Occupied"
    REJECTED = "Rejected"
    UNAVAILABLE = "Unavailable"


class ResetStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"


class ResetType(StrEnum):
    HARD = "Hard"
    SOFT = "Soft"


class TriggerMessageStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    NOT_IMPLEMENTED = "NotImplemented"


class UnitOfMeasure(StrEnum):
    """Section 7.46. The installed ``ocpp`` package's MeterValues schema also allows "Hertz";
    OCPP 1.6 has no such unit (errata 3.86: Frequency has none), so it is left out."""

    WH = "Wh"
    KWH = "kWh"
    VARH = "varh"
    KVARH = "kvarh"
    W = "W"
    KW = "kW"
    VA = "VA"
    KVA = "kVA"
    VAR = "var"
    KVAR = "kvar"
    A = "A"
    V = "V"
    K = "K"
    # OCPP-J errata: both spellings are valid; charge points keep sending "Celcius".
    CELCIUS = "Celcius"
    CELSIUS = "Celsius"
    FAHRENHEIT = "Fahrenheit"
    PERCENT = "Percent"


class UnlockStatus(StrEnum):
    UNLOCKED = "Unlocked"
    UNLOCK_FAILED = "UnlockFailed"
    NOT_SUPPORTED = "NotSupported"


class UpdateStatus(StrEnum):
    ACCEPTED = "Accepted"
    FAILED = "Failed"
    NOT_SUPPORTED = "NotSupported"
    VERSION_MISMATCH = "VersionMismatch"


class UpdateType(StrEnum):
    DIFFERENTIAL = "Differential"
    FULL = "Full"


class ValueFormat(StrEnum):
    RAW = "Raw"
    SIGNED_DATA = "SignedData"
