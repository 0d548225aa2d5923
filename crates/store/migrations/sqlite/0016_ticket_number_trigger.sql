-- A new ticket takes its number in its own INSERT (`counters` value + 1, see
-- create_ticket_in); this trigger moves the counter on in the same statement, so numbers
-- are never reused and the intake saves a round trip in SQLite's single write turn.
CREATE TRIGGER tickets_advance_number AFTER INSERT ON tickets
BEGIN
    UPDATE counters SET value = NEW.number WHERE name = 'ticket_number' AND value < NEW.number;
END;
