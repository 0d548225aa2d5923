-- A counter bumped by every change of the settings tickets are computed with (SLA
-- policies, business calendars and their region and channel assignments, category
-- routes), in the transaction of the change: nodes keep those settings parsed in memory
-- and reload them when the counter moved (crates/store/src/ticket_settings.rs).
CREATE TABLE settings_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO settings_version (id, value) VALUES (1, 0);
