-- The agent console: agents' availability for round-robin assignment, the group new
-- tickets of each category land in, canned responses in three languages, and indexes for
-- the customer panel and the supervisor dashboard.

-- available: 1 available, 0 away (no BOOLEAN, so both backends read it alike).
-- last_assigned_at_us orders the round robin: the available agent assigned least recently
-- gets the next ticket. An agent without a row is away.
CREATE TABLE staff_availability (
    staff_id            TEXT PRIMARY KEY REFERENCES staff (id),
    available           BIGINT NOT NULL,
    last_assigned_at_us BIGINT NOT NULL,
    changed_at_us       BIGINT NOT NULL
);

CREATE TABLE category_groups (
    category TEXT PRIMARY KEY,
    group_id TEXT NOT NULL REFERENCES support_groups (id)
);

-- category NULL: offered on every ticket.
CREATE TABLE canned_responses (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    category      TEXT,
    body_en       TEXT NOT NULL,
    body_id       TEXT NOT NULL,
    body_zh       TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL
);

CREATE INDEX tickets_by_group ON tickets (group_id, assignee_id, status);
CREATE INDEX tickets_by_created ON tickets (created_at_us);
CREATE INDEX tickets_by_rated ON tickets (rated_at_us);
CREATE INDEX refunds_by_customer ON refunds (customer_id, created_at_us);
CREATE INDEX transaction_flags_by_customer ON transaction_flags (customer_id, created_at_us);
