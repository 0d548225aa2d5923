-- SLA policies, the queue of tickets whose due times must be recomputed, and the SLA
-- events (warning, breach, escalation) the workers fire. Due times themselves live on
-- tickets (0006); each ticket also keeps the policy that applied and every target cycle.

-- Policies in order: the first whose conditions match a ticket applies. conditions is a
-- domain::sla::SlaConditions as JSON; targets are business minutes (NULL: no target).
CREATE TABLE sla_policies (
    id                     TEXT PRIMARY KEY,
    position               BIGINT NOT NULL,
    name                   TEXT NOT NULL,
    conditions             TEXT NOT NULL,
    first_response_minutes BIGINT,
    next_response_minutes  BIGINT,
    resolution_minutes     BIGINT,
    warn_before_minutes    BIGINT NOT NULL,
    escalate_after_minutes BIGINT NOT NULL,
    updated_at_us          BIGINT NOT NULL
);

-- sla_cycles: every target cycle (domain::sla::TargetCycle list) as JSON.
ALTER TABLE tickets ADD COLUMN sla_policy_id TEXT;
ALTER TABLE tickets ADD COLUMN sla_cycles TEXT;

-- Tickets to recompute after a policy or calendar change. version grows with every mark,
-- so a worker that recomputed an older mark leaves the newer one in place.
CREATE TABLE sla_dirty (
    ticket_id      TEXT PRIMARY KEY REFERENCES tickets (id),
    version        BIGINT NOT NULL,
    marked_at_us   BIGINT NOT NULL,
    claimed_by     TEXT,
    claim_until_us BIGINT
);
CREATE INDEX sla_dirty_by_mark ON sla_dirty (marked_at_us, ticket_id);

-- One row per kind per target cycle (cycle_start_us tells the cycles of next response
-- apart), so each fires once. state: pending, done. A pending row is rescheduled or
-- dropped when the ticket changes; claimed_by/claim_until_us lease it to one node.
CREATE TABLE sla_events (
    id             TEXT PRIMARY KEY,
    ticket_id      TEXT NOT NULL REFERENCES tickets (id),
    target         TEXT NOT NULL,
    cycle_start_us BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    fire_at_us     BIGINT NOT NULL,
    due_at_us      BIGINT NOT NULL,
    state          TEXT NOT NULL,
    claimed_by     TEXT,
    claim_until_us BIGINT,
    attempts       BIGINT NOT NULL,
    outcome        TEXT,
    done_at_us     BIGINT,
    created_at_us  BIGINT NOT NULL,
    UNIQUE (ticket_id, target, cycle_start_us, kind)
);
CREATE INDEX sla_events_due ON sla_events (state, fire_at_us);
