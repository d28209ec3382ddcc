-- 007 security: the security log and the installed root certificates (security whitepaper Ed.3).
--
-- The security log keeps every security event the charge point raised (section 2.7 of the
-- whitepaper), critical or not, whether or not the central system was told; GetLog(SecurityLog)
-- uploads it. Bounded: the oldest rows are removed beyond the accessor's limit.
CREATE TABLE security_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms     INTEGER NOT NULL,
    type      TEXT NOT NULL,
    tech_info TEXT,
    critical  INTEGER NOT NULL
);

-- InstallCertificate: root certificates by use (CentralSystemRootCertificate,
-- ManufacturerRootCertificate), PEM as received. Hash data is computed from the PEM on demand,
-- so any of the whitepaper's hash algorithms can be answered. The charge point's own key is
-- never stored here: it is a file readable by the station alone, outside every archive.
CREATE TABLE certificates (
    fingerprint      TEXT PRIMARY KEY NOT NULL,
    certificate_type TEXT NOT NULL,
    pem              TEXT NOT NULL,
    installed_ms     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX certificates_by_type ON certificates (certificate_type);
