-- The agents' queue order (crates/store/src/console.rs QUEUE_KEYS: due time with paused
-- and target-less tickets last, priority rank, last update, id) as indexes, so a queue page
-- walks the index in order and stops after a page instead of sorting every active ticket.
-- Solved and closed tickets have no due time and sort last, so the walk meets the active
-- tickets first. The expressions must stay character-for-character those of QUEUE_KEYS
-- (a test in crates/store checks that the planner uses them).
CREATE INDEX tickets_queue_order ON tickets (
    (COALESCE(next_due_us, 9223372036854775807)),
    (CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END),
    updated_at_us,
    id
);

-- "Mine" and "unassigned" (assignee_id IS NULL is an equality to the index).
CREATE INDEX tickets_queue_by_assignee ON tickets (
    assignee_id,
    (COALESCE(next_due_us, 9223372036854775807)),
    (CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END),
    updated_at_us,
    id
);
