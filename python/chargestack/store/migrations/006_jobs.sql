-- 006 jobs: firmware updates and diagnostics uploads, one row per request.
--
-- A job is written before anything is fetched or sent, and every step of its state machine is
-- committed, so a station restarted mid-transfer resumes it (the partial file stays in the data
-- directory) or ends it cleanly with a failure status. `status` is the last OCPP status the job
-- reached (FirmwareStatus, DiagnosticsStatus, later the security whitepaper's statuses);
-- `notified` is the last one the central system acknowledged, so each is sent once.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL,
    request_id       INTEGER,
    location         TEXT NOT NULL,
    state            TEXT NOT NULL,
    status           TEXT NOT NULL,
    notified         TEXT,
    retries          INTEGER NOT NULL,
    retry_interval_s INTEGER NOT NULL,
    attempt          INTEGER NOT NULL DEFAULT 0,
    not_before_ms    INTEGER NOT NULL,
    file_name        TEXT,
    bytes_done       INTEGER NOT NULL DEFAULT 0,
    bytes_total      INTEGER,
    detail           TEXT NOT NULL DEFAULT '{}',
    created_ms       INTEGER NOT NULL,
    updated_ms       INTEGER NOT NULL,
    finished         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_open ON jobs (kind, finished);
