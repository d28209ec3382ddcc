-- 002 transactions: the durable outgoing queue, the transaction journal, the meter registers.

-- Transaction-related CALLs (StartTransaction, StopTransaction, MeterValues with a
-- transaction) are written here before they are sent and deleted when their CALLRESULT
-- arrives; delivered oldest first (seq). `payload` holds the JSON without transactionId when
-- tx_ref is set: the sender fills in the central system's id at send time, so messages queued
-- while StartTransaction was unanswered carry the right id later (no -1, no patching).
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    action       TEXT NOT NULL,
    payload      TEXT NOT NULL,
    tx_ref       INTEGER REFERENCES transactions (ref),
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_ms   INTEGER NOT NULL,
    -- The unique id of the first send, reused by every retry (OCPP-J errata: a retry MAY
    -- reuse the id), so a central system can recognise a message it already processed
    -- when the station died between its answer and our acknowledgement.
    message_id   TEXT
);
CREATE INDEX outbox_tx ON outbox (tx_ref);

-- One row per transaction, from authorization to the central system's last answer.
-- `ref` is our own id; `transaction_id` is the central system's, known once StartTransaction
-- was answered. `last_meter_wh` is the register the station last saw, so a station killed
-- mid-transaction stops it with the true last reading (reason PowerLoss).
CREATE TABLE transactions (
    ref              INTEGER PRIMARY KEY AUTOINCREMENT,
    connector_id     INTEGER NOT NULL CHECK (connector_id >= 1),
    id_tag           TEXT NOT NULL,
    parent_id_tag    TEXT,
    reservation_id   INTEGER,
    start_ms         INTEGER NOT NULL,
    meter_start_wh   INTEGER NOT NULL,
    transaction_id   INTEGER,
    last_meter_wh    INTEGER NOT NULL,
    last_meter_ms    INTEGER NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('running', 'stopped')),
    stop_ms          INTEGER,
    meter_stop_wh    INTEGER,
    stop_reason      TEXT,
    stop_id_tag      TEXT,
    id_tag_status    TEXT
);
CREATE INDEX transactions_running ON transactions (state);

-- Sampled/aligned values kept for StopTransaction.transactionData (StopTxnSampledData).
CREATE TABLE transaction_meter_values (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_ref   INTEGER NOT NULL REFERENCES transactions (ref) ON DELETE CASCADE,
    value    TEXT NOT NULL
);
CREATE INDEX transaction_meter_values_tx ON transaction_meter_values (tx_ref);

-- The energy register of each connector's meter, so the register is monotonic across
-- restarts (errata 3.9: real register values, never re-based to 0).
CREATE TABLE meter_registers (
    connector_id INTEGER PRIMARY KEY CHECK (connector_id >= 0),
    energy_wh    REAL NOT NULL
);
