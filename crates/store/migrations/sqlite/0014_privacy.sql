-- Privacy (issue 9): encryption at rest with blind indexes, and erasure.
--
-- Personal data stays in its columns but is stored as an AEAD ciphertext
-- (`pdenc1:<key id>:<base64>`, see crates/store/src/crypto.rs). SQL cannot encrypt, so this
-- migration only adds the blind-index columns; `Store::open` (every `paydesk` command
-- that opens the database: serve, migrate, demo, keys, audit) then encrypts each value
-- still in plain text and fills its index, in batches, idempotently. Until that step
-- has run the new index columns are NULL, which is how it finds the rows to convert.

-- Keyed HMAC of the normalised email and phone: sign-in, caller matching, uniqueness.
ALTER TABLE customers ADD COLUMN email_bidx TEXT;
ALTER TABLE customers ADD COLUMN phone_bidx TEXT;
CREATE UNIQUE INDEX customers_email_bidx ON customers (email_bidx);
CREATE UNIQUE INDEX customers_phone_bidx ON customers (phone_bidx);
-- Set when the customer's personal data was erased (irreversible).
ALTER TABLE customers ADD COLUMN erased_at_us BIGINT;

-- contacts.external_id now holds the blind index of the channel identity (so the
-- UNIQUE (channel, external_id) upsert keeps working); the identity itself is encrypted
-- in external_ref.
ALTER TABLE contacts ADD COLUMN external_ref TEXT;

-- The audit browser filters by actor and action, newest first.
CREATE INDEX audit_log_by_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_by_time ON audit_log (at_us, seq);
