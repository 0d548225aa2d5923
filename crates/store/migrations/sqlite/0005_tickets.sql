-- Support tickets from every channel: channel contacts, tickets and their linked wallet
-- records, threads with attachments, history, phone calls, the delivery outbox and the
-- help-center contact form's outcomes.

-- Someone known by a channel identity (Messenger sender, X user, caller number, guest email).
CREATE TABLE contacts (
    id            TEXT PRIMARY KEY,
    channel       TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    email         TEXT,
    phone         TEXT,
    customer_id   TEXT REFERENCES customers (id),
    created_at_us BIGINT NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX contacts_by_customer ON contacts (customer_id);

-- customer_id is the owner once known; contact_id stays for threading by channel identity.
CREATE TABLE tickets (
    id                    TEXT PRIMARY KEY,
    number                BIGINT NOT NULL UNIQUE,
    customer_id           TEXT REFERENCES customers (id),
    contact_id            TEXT REFERENCES contacts (id),
    requester_name        TEXT NOT NULL,
    channel               TEXT NOT NULL,
    category              TEXT NOT NULL,
    subject               TEXT NOT NULL,
    status                TEXT NOT NULL,
    priority              TEXT NOT NULL,
    group_id              TEXT,
    assignee_id           TEXT,
    tags                  TEXT NOT NULL,
    locale                TEXT NOT NULL,
    reported_at_us        BIGINT,
    reported_amount_minor BIGINT,
    rating_score          BIGINT,
    rating_comment        TEXT,
    rated_at_us           BIGINT,
    created_at_us         BIGINT NOT NULL,
    updated_at_us         BIGINT NOT NULL,
    solved_at_us          BIGINT,
    -- SHA-256 of the secret link a guest (no account) reads their ticket with.
    guest_key_hash        TEXT UNIQUE
);
CREATE INDEX tickets_by_updated ON tickets (updated_at_us, id);
CREATE INDEX tickets_by_customer ON tickets (customer_id, updated_at_us);
CREATE INDEX tickets_by_contact ON tickets (contact_id, channel, updated_at_us);
CREATE INDEX tickets_by_status ON tickets (status, updated_at_us);
CREATE INDEX tickets_by_assignee ON tickets (assignee_id, updated_at_us);

CREATE TABLE ticket_links (
    ticket_id     TEXT NOT NULL REFERENCES tickets (id),
    kind          TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, kind, record_id)
);
CREATE INDEX ticket_links_by_record ON ticket_links (kind, record_id);

-- external_id is the platform's message id: the unique index drops redelivered webhooks.
CREATE TABLE ticket_messages (
    id             TEXT PRIMARY KEY,
    ticket_id      TEXT NOT NULL REFERENCES tickets (id),
    author_kind    TEXT NOT NULL,
    author_id      TEXT NOT NULL,
    author_name    TEXT NOT NULL,
    visibility     TEXT NOT NULL,
    body           TEXT NOT NULL,
    channel        TEXT NOT NULL,
    external_id    TEXT,
    delivery       TEXT NOT NULL,
    delivery_error TEXT,
    created_at_us  BIGINT NOT NULL
);
CREATE UNIQUE INDEX ticket_messages_external ON ticket_messages (channel, external_id);
CREATE INDEX ticket_messages_by_ticket ON ticket_messages (ticket_id, created_at_us);

CREATE TABLE ticket_attachments (
    id            TEXT PRIMARY KEY,
    message_id    TEXT NOT NULL REFERENCES ticket_messages (id),
    ticket_id     TEXT NOT NULL REFERENCES tickets (id),
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    storage_key   TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);
CREATE INDEX ticket_attachments_by_ticket ON ticket_attachments (ticket_id);

CREATE TABLE ticket_events (
    id          TEXT PRIMARY KEY,
    ticket_id   TEXT NOT NULL REFERENCES tickets (id),
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    field       TEXT NOT NULL,
    old_value   TEXT NOT NULL,
    new_value   TEXT NOT NULL,
    at_us       BIGINT NOT NULL
);
CREATE INDEX ticket_events_by_ticket ON ticket_events (ticket_id, at_us);

-- call_id is the telephony provider's id (NULL for calls logged by hand).
CREATE TABLE ticket_calls (
    id             TEXT PRIMARY KEY,
    ticket_id      TEXT NOT NULL REFERENCES tickets (id),
    call_id        TEXT UNIQUE,
    from_number    TEXT NOT NULL,
    state          TEXT NOT NULL,
    ivr_choice     TEXT,
    agent_id       TEXT,
    started_at_us  BIGINT NOT NULL,
    answered_at_us BIGINT,
    ended_at_us    BIGINT,
    recording_url  TEXT,
    summary        TEXT NOT NULL
);
CREATE INDEX ticket_calls_by_ticket ON ticket_calls (ticket_id);

-- Provider event ids already applied, so redelivered call events are no-ops.
CREATE TABLE call_events (
    event_id TEXT PRIMARY KEY,
    call_id  TEXT NOT NULL,
    at_us    BIGINT NOT NULL
);

-- Replies waiting for a platform. state: pending, sending (claimed by lease_owner until
-- lease_until_us), sent, failed.
CREATE TABLE outbox (
    id                 TEXT PRIMARY KEY,
    channel            TEXT NOT NULL,
    message_id         TEXT NOT NULL REFERENCES ticket_messages (id),
    recipient          TEXT NOT NULL,
    body               TEXT NOT NULL,
    state              TEXT NOT NULL,
    attempts           BIGINT NOT NULL,
    next_attempt_at_us BIGINT NOT NULL,
    lease_owner        TEXT,
    lease_until_us     BIGINT,
    last_error         TEXT,
    created_at_us      BIGINT NOT NULL,
    sent_at_us         BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at_us);

CREATE TABLE help_deflections (
    id           TEXT PRIMARY KEY,
    query        TEXT NOT NULL,
    article_slug TEXT,
    outcome      TEXT NOT NULL,
    locale       TEXT NOT NULL,
    at_us        BIGINT NOT NULL
);
CREATE INDEX help_deflections_by_time ON help_deflections (at_us);

-- Ticket numbers: SQLite has one writer anyway, so a counter row costs nothing extra.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('ticket_number', 1000);
