-- 009 idTags without regard to case: an IdToken is a CiString20Type (OCPP 1.6 sections 2.2
-- and 7.28), so VALIDTAG1 and validtag1 are one identifier, with one entry in the cache and
-- one in the local list. SQLite cannot change a column's collation: the tables are rebuilt.
-- Rows that now collide keep the most recently used (cache) or the first found (list).

CREATE TABLE auth_cache_nocase (
    id_tag        TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
    status        TEXT NOT NULL,
    expiry_ms     INTEGER,
    parent_id_tag TEXT,
    last_used_ms  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR REPLACE INTO auth_cache_nocase
    SELECT id_tag, status, expiry_ms, parent_id_tag, last_used_ms
    FROM auth_cache ORDER BY last_used_ms;
DROP TABLE auth_cache;
ALTER TABLE auth_cache_nocase RENAME TO auth_cache;
CREATE INDEX auth_cache_lru ON auth_cache (last_used_ms);

CREATE TABLE local_list_nocase (
    id_tag        TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
    status        TEXT NOT NULL,
    expiry_ms     INTEGER,
    parent_id_tag TEXT
) WITHOUT ROWID;
INSERT OR IGNORE INTO local_list_nocase
    SELECT id_tag, status, expiry_ms, parent_id_tag FROM local_list;
DROP TABLE local_list;
ALTER TABLE local_list_nocase RENAME TO local_list;
