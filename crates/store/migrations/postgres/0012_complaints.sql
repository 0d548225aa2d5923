-- Merchant complaints (issue 7): one row per complaint, its timeline and its evidence.
-- open_payment_id holds the payment id while the complaint is open and NULL once closed:
-- its unique index is what makes "one open complaint per payment" hold even when two
-- arrive at the same moment (NULLs never collide, so closed complaints do not count).
-- next_check_us is where the deadline worker looks next (NULL once closed).

CREATE TABLE complaints (
    id                    TEXT PRIMARY KEY,
    reference             TEXT NOT NULL UNIQUE,
    payment_id            TEXT NOT NULL REFERENCES wallet_transactions(id),
    open_payment_id       TEXT,
    customer_id           TEXT NOT NULL REFERENCES customers(id),
    merchant_id           TEXT NOT NULL REFERENCES merchants(id),
    category              TEXT NOT NULL,
    description           TEXT NOT NULL,
    amount                BIGINT NOT NULL,
    currency              TEXT NOT NULL,
    desired_outcome       TEXT NOT NULL,
    state                 TEXT NOT NULL,
    merchant_due_us       BIGINT NOT NULL,
    decision_due_us       BIGINT NOT NULL,
    expires_at_us         BIGINT NOT NULL,
    time_zone             TEXT NOT NULL,
    escalated_at_us       BIGINT,
    next_check_us         BIGINT,
    hold_transfer_id      TEXT,
    refunded_minor        BIGINT NOT NULL DEFAULT 0,
    refund_transaction_id TEXT,
    ticket_id             TEXT,
    created_at_us         BIGINT NOT NULL,
    updated_at_us         BIGINT NOT NULL
);
CREATE UNIQUE INDEX complaints_one_open_per_payment ON complaints (open_payment_id);
CREATE INDEX complaints_by_customer ON complaints (customer_id, created_at_us, id);
CREATE INDEX complaints_by_merchant ON complaints (merchant_id, created_at_us, id);
CREATE INDEX complaints_by_payment ON complaints (payment_id);
CREATE INDEX complaints_next_check ON complaints (next_check_us);

CREATE TABLE complaint_events (
    id            TEXT PRIMARY KEY,
    complaint_id  TEXT NOT NULL REFERENCES complaints(id),
    actor_kind    TEXT NOT NULL,
    actor_id      TEXT NOT NULL,
    actor_name    TEXT NOT NULL,
    action        TEXT NOT NULL,
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    note          TEXT NOT NULL,
    amount_minor  BIGINT NOT NULL,
    at_us         BIGINT NOT NULL
);
CREATE INDEX complaint_events_by_complaint ON complaint_events (complaint_id, at_us, id);

-- Evidence bytes live in the file store under storage_key (a key it chose); file_name is
-- only ever shown.
CREATE TABLE complaint_evidence (
    id            TEXT PRIMARY KEY,
    complaint_id  TEXT NOT NULL REFERENCES complaints(id),
    party         TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    storage_key   TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);
CREATE INDEX complaint_evidence_by_complaint ON complaint_evidence (complaint_id, created_at_us, id);
