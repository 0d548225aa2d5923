-- Bank cards and bank accounts linked to a wallet (issue 9). Never the card number, the
-- CVV or the full account number: the BIN (first 6-8 digits of a card), the last four
-- digits and a keyed HMAC-SHA256 fingerprint of the full number, which finds the same
-- card on another account without being reversible by anyone without the key.
-- Portable types only (see DESIGN.md): TEXT ids, BIGINT microseconds, no BOOLEAN.

CREATE TABLE linked_methods (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    kind              TEXT NOT NULL,
    bank_code         TEXT NOT NULL,
    brand             TEXT,
    bin               TEXT,
    last4             TEXT NOT NULL,
    fingerprint       TEXT NOT NULL,
    expiry_month      BIGINT,
    expiry_year       BIGINT,
    holder_name       TEXT NOT NULL,
    state             TEXT NOT NULL,
    verification      TEXT NOT NULL,
    failure           TEXT,
    attempts          BIGINT NOT NULL,
    max_attempts      BIGINT NOT NULL,
    otp_challenge     TEXT,
    deposit_1         BIGINT,
    deposit_2         BIGINT,
    deposit_currency  TEXT,
    verify_by_us      BIGINT NOT NULL,
    risk              TEXT,
    created_at_us     BIGINT NOT NULL,
    updated_at_us     BIGINT NOT NULL
);
CREATE INDEX linked_methods_by_customer ON linked_methods (customer_id, created_at_us);
CREATE INDEX linked_methods_by_fingerprint ON linked_methods (fingerprint, state);
