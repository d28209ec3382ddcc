-- 001 base: registration data, OCPP configuration values, connector availability.
-- Applied by chargestack.store.store inside one transaction; no BEGIN/COMMIT here.

-- Registration data (last boot status, clock offset, ...): opaque strings keyed by name.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- OCPP configuration values changed by the central system, in their wire form
-- (OCPP 1.6 section 9: every value is a string on the wire). Keys are canonical names.
CREATE TABLE config (
    key   TEXT PRIMARY KEY NOT NULL CHECK (length(key) BETWEEN 1 AND 50),
    value TEXT NOT NULL CHECK (length(value) <= 500)
) WITHOUT ROWID;

-- ChangeAvailability (OCPP 1.6 section 5.2): the state survives reboots (TC_013); a change
-- requested during a transaction is kept in `scheduled` until the transaction ends.
-- Connector 0 is the whole charge point. No row means Operative.
CREATE TABLE availability (
    connector_id INTEGER PRIMARY KEY CHECK (connector_id >= 0),
    state        TEXT NOT NULL CHECK (state IN ('Operative', 'Inoperative')),
    scheduled    TEXT CHECK (scheduled IN ('Operative', 'Inoperative'))
);
