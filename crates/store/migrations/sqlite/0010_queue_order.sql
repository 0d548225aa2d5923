-- The agents' queue order (crates/store/src/console.rs QUEUE_KEYS: due time with paused
-- and target-less tickets last, priority rank, last update, id) as indexes over the
-- active tickets only, so a queue page walks an index in order and stops after a page
-- instead of sorting every active ticket, and the indexes stay a tenth of the table.
-- The planner uses a partial index only when the query's condition is the index's own:
-- the store writes exactly this status list, as literals, whenever a query asks for the
-- active statuses (tickets.rs). The expressions must stay character-for-character those
-- of QUEUE_KEYS; a test in crates/store checks both.
CREATE INDEX tickets_queue_order ON tickets (
    (COALESCE(next_due_us, 9223372036854775807)),
    (CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END),
    updated_at_us,
    id
) WHERE status IN ('new', 'open', 'pending_customer', 'on_hold');

-- "Mine" and "unassigned" (assignee_id IS NULL is an equality to the index).
CREATE INDEX tickets_queue_by_assignee ON tickets (
    assignee_id,
    (COALESCE(next_due_us, 9223372036854775807)),
    (CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END),
    updated_at_us,
    id
) WHERE status IN ('new', 'open', 'pending_customer', 'on_hold');

-- "My group".
CREATE INDEX tickets_queue_by_group ON tickets (
    group_id,
    (COALESCE(next_due_us, 9223372036854775807)),
    (CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END),
    updated_at_us,
    id
) WHERE status IN ('new', 'open', 'pending_customer', 'on_hold');

-- The due-time index of 0006 served the queue before these; nothing else reads it, and
-- every SLA recompute of a ticket paid for keeping it.
DROP INDEX tickets_by_next_due;
