-- 005 reservations: ReserveNow (OCPP 1.6 section 5.13) until it is used, cancelled or expires.
-- Reservations survive a reboot or power loss like every other promise made to the central
-- system (issue 7). Connector 0 is a reservation of the whole charge point (one connector is
-- kept free for the tag); there may be several of those, but one per real connector.
CREATE TABLE reservations (
    reservation_id INTEGER PRIMARY KEY NOT NULL,
    connector_id   INTEGER NOT NULL CHECK (connector_id >= 0),
    id_tag         TEXT NOT NULL CHECK (length(id_tag) BETWEEN 1 AND 20),
    parent_id_tag  TEXT CHECK (parent_id_tag IS NULL OR length(parent_id_tag) <= 20),
    expiry_ms      INTEGER NOT NULL
);
CREATE UNIQUE INDEX reservations_one_per_connector ON reservations (connector_id)
    WHERE connector_id > 0;
