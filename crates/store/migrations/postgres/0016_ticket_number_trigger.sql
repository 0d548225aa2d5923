-- SQLite's migration 0016 adds a trigger that advances its ticket-number counter; on
-- PostgreSQL a new ticket takes `nextval('ticket_numbers')` in its INSERT: nothing to do.
SELECT 1;
