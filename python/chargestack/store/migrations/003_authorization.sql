-- 003 authorization: the authorization cache and the local authorization list.

-- Every IdTagInfo received (Authorize, StartTransaction, StopTransaction) updates the cache.
-- Bounded: the least recently used entries are evicted (last_used_ms).
CREATE TABLE auth_cache (
    id_tag        TEXT PRIMARY KEY NOT NULL,
    status        TEXT NOT NULL,
    expiry_ms     INTEGER,
    parent_id_tag TEXT,
    last_used_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX auth_cache_lru ON auth_cache (last_used_ms);

-- SendLocalList (OCPP 1.6 section 5.15): the list and its version, replaced atomically.
CREATE TABLE local_list (
    id_tag        TEXT PRIMARY KEY NOT NULL,
    status        TEXT NOT NULL,
    expiry_ms     INTEGER,
    parent_id_tag TEXT
) WITHOUT ROWID;
