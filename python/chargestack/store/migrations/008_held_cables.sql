-- 008 held cables: errata 3.5/3.17. A transaction stopped with reason DeAuthorized keeps its
-- socket's cable locked until the same idTag, or one with the same parentIdTag, is presented
-- (or the central system unlocks it). Kept on disk with the stop, so that a restart or a
-- power loss does not free the cable for somebody else. One row per socket, no row: free.
CREATE TABLE held_cables (
    connector_id  INTEGER PRIMARY KEY CHECK (connector_id >= 1),
    id_tag        TEXT NOT NULL CHECK (length(id_tag) BETWEEN 1 AND 20),
    parent_id_tag TEXT CHECK (parent_id_tag IS NULL OR length(parent_id_tag) <= 20)
);
