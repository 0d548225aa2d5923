-- Wallet records: the double-entry ledger, customer-facing transactions, notes, flags,
-- refund policies and refunds. Ledger transfers are insert-only; the state of a hold
-- lives beside it in ledger_pending.

CREATE TABLE ledger_accounts (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    owner_id        TEXT,
    currency        TEXT NOT NULL,
    debits_posted   BIGINT NOT NULL DEFAULT 0,
    credits_posted  BIGINT NOT NULL DEFAULT 0,
    debits_pending  BIGINT NOT NULL DEFAULT 0,
    credits_pending BIGINT NOT NULL DEFAULT 0,
    created_at_us   BIGINT NOT NULL
);
CREATE INDEX ledger_accounts_by_owner ON ledger_accounts (owner_id);

CREATE TABLE ledger_transfers (
    id             TEXT PRIMARY KEY,
    debit_account  TEXT NOT NULL REFERENCES ledger_accounts(id),
    credit_account TEXT NOT NULL REFERENCES ledger_accounts(id),
    amount         BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    phase          TEXT NOT NULL,
    pending_id     TEXT,
    expires_at_us  BIGINT,
    transaction_id TEXT,
    created_at_us  BIGINT NOT NULL
);
CREATE INDEX ledger_transfers_by_transaction ON ledger_transfers (transaction_id);

CREATE TABLE ledger_pending (
    transfer_id    TEXT PRIMARY KEY REFERENCES ledger_transfers(id),
    debit_account  TEXT NOT NULL,
    credit_account TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    expires_at_us  BIGINT NOT NULL,
    state          TEXT NOT NULL
);
CREATE INDEX ledger_pending_open ON ledger_pending (state, expires_at_us);

CREATE TABLE wallet_transactions (
    id                       TEXT PRIMARY KEY,
    reference                TEXT NOT NULL UNIQUE,
    customer_id              TEXT NOT NULL REFERENCES customers(id),
    kind                     TEXT NOT NULL,
    status                   TEXT NOT NULL,
    amount                   BIGINT NOT NULL,
    currency                 TEXT NOT NULL,
    merchant_id              TEXT REFERENCES merchants(id),
    counterparty_customer_id TEXT,
    failure_reason           TEXT,
    description              TEXT NOT NULL,
    search_text              TEXT NOT NULL,
    original_id              TEXT,
    hold_transfer_id         TEXT,
    unusual                  TEXT,
    created_at_us            BIGINT NOT NULL,
    updated_at_us            BIGINT NOT NULL
);
CREATE INDEX wallet_tx_by_customer ON wallet_transactions (customer_id, created_at_us, id);
CREATE INDEX wallet_tx_by_merchant ON wallet_transactions (merchant_id, created_at_us, id);
CREATE INDEX wallet_tx_by_original ON wallet_transactions (original_id);

CREATE TABLE transaction_notes (
    id             TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES wallet_transactions(id),
    customer_id    TEXT NOT NULL,
    body           TEXT NOT NULL,
    created_at_us  BIGINT NOT NULL,
    updated_at_us  BIGINT NOT NULL
);
CREATE INDEX transaction_notes_by_tx ON transaction_notes (transaction_id, created_at_us);

CREATE TABLE transaction_flags (
    id             TEXT PRIMARY KEY,
    transaction_id TEXT NOT NULL REFERENCES wallet_transactions(id),
    customer_id    TEXT NOT NULL,
    reason         TEXT NOT NULL,
    comment        TEXT NOT NULL,
    status         TEXT NOT NULL,
    created_at_us  BIGINT NOT NULL,
    updated_at_us  BIGINT NOT NULL
);
CREATE INDEX transaction_flags_by_status ON transaction_flags (status, created_at_us, id);
CREATE INDEX transaction_flags_by_tx ON transaction_flags (transaction_id);

CREATE TABLE refund_policies (
    merchant_id               TEXT PRIMARY KEY REFERENCES merchants(id),
    window_days               BIGINT NOT NULL,
    partial_allowed           BIGINT NOT NULL,
    max_refunds_per_payment   BIGINT NOT NULL,
    auto_approve_below_minor  BIGINT NOT NULL,
    accepted_reasons          TEXT NOT NULL,
    updated_at_us             BIGINT NOT NULL
);

CREATE TABLE refunds (
    id                    TEXT PRIMARY KEY,
    payment_id            TEXT NOT NULL REFERENCES wallet_transactions(id),
    customer_id           TEXT NOT NULL,
    merchant_id           TEXT NOT NULL,
    amount                BIGINT NOT NULL,
    currency              TEXT NOT NULL,
    reason                TEXT NOT NULL,
    status                TEXT NOT NULL,
    rule                  TEXT NOT NULL,
    decided_by            TEXT,
    decision_note         TEXT NOT NULL,
    refund_transaction_id TEXT,
    created_at_us         BIGINT NOT NULL,
    updated_at_us         BIGINT NOT NULL
);
CREATE INDEX refunds_by_payment ON refunds (payment_id);
CREATE INDEX refunds_by_merchant ON refunds (merchant_id, status, created_at_us);
