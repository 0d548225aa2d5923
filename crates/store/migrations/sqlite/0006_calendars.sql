-- Business calendars per region (and per channel for contacts without a region), the
-- SLA due times every ticket carries, and the hotline's call-back queue.

-- spec is a domain::calendar::CalendarSpec as JSON (time zone, weekly intervals, holidays).
CREATE TABLE business_calendars (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    spec          TEXT NOT NULL,
    updated_at_us BIGINT NOT NULL
);

-- Which calendar applies: a customer's region first, else the channel's default.
CREATE TABLE region_calendars (
    region_id   TEXT PRIMARY KEY,
    calendar_id TEXT NOT NULL REFERENCES business_calendars (id)
);
CREATE TABLE channel_calendars (
    channel     TEXT PRIMARY KEY,
    calendar_id TEXT NOT NULL REFERENCES business_calendars (id)
);

-- Due times in µs (NULL: no target, met, or paused). next_due_us is the earliest running
-- target: queues sort by it.
ALTER TABLE tickets ADD COLUMN calendar_id TEXT;
ALTER TABLE tickets ADD COLUMN first_response_due_us BIGINT;
ALTER TABLE tickets ADD COLUMN next_response_due_us BIGINT;
ALTER TABLE tickets ADD COLUMN resolution_due_us BIGINT;
ALTER TABLE tickets ADD COLUMN next_due_us BIGINT;
CREATE INDEX tickets_by_next_due ON tickets (next_due_us, id);

-- A hotline call outside hours becomes a call-back at the next opening. state: waiting,
-- claimed (by claimed_by until claim_until_us), done, abandoned.
CREATE TABLE callbacks (
    id             TEXT PRIMARY KEY,
    ticket_id      TEXT NOT NULL REFERENCES tickets (id),
    phone          TEXT NOT NULL,
    due_at_us      BIGINT NOT NULL,
    state          TEXT NOT NULL,
    claimed_by     TEXT,
    claim_until_us BIGINT,
    outcome        TEXT NOT NULL,
    created_at_us  BIGINT NOT NULL,
    done_at_us     BIGINT
);
CREATE INDEX callbacks_due ON callbacks (state, due_at_us);
