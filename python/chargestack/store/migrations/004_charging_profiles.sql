-- 004 charging profiles: every installed SetChargingProfile / RemoteStart TxProfile.

-- Errata 3.37: charging profiles SHALL persist across reboots and power cycles. `body` is
-- the profile as the composite engine reads it (OCPP field names, times in ms, plus
-- connectorId); the other columns are what replacement and ClearChargingProfile match on.
CREATE TABLE charging_profiles (
    charging_profile_id INTEGER PRIMARY KEY NOT NULL,
    connector_id        INTEGER NOT NULL,
    purpose             TEXT NOT NULL,
    stack_level         INTEGER NOT NULL,
    body                TEXT NOT NULL,
    installed_ms        INTEGER NOT NULL
);
CREATE INDEX charging_profiles_placement ON charging_profiles (connector_id, purpose, stack_level);
