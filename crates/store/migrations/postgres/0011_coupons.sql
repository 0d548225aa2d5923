-- Coupons (issue 8): campaigns with their rules, the coupons customers hold, each use of
-- a coupon by a payment, and the evaluation every checkout was made with (its input and
-- answer, so support can replay "why wasn't my coupon applied?" exactly).
--
-- The counters `uses` and `spent_minor` count reserved and completed uses; a checkout
-- raises them with a conditional UPDATE inside its transaction, so the limits and the
-- budget hold under any number of concurrent payments.

CREATE TABLE coupon_campaigns (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    -- The campaign's rules as JSON (domain::coupon::Campaign); status lives beside it.
    rules              TEXT NOT NULL,
    code               TEXT UNIQUE,
    status             TEXT NOT NULL,
    funder_merchant_id TEXT REFERENCES merchants(id),
    per_customer_limit BIGINT NOT NULL,
    total_limit        BIGINT,
    budget_minor       BIGINT,
    uses               BIGINT NOT NULL DEFAULT 0,
    spent_minor        BIGINT NOT NULL DEFAULT 0,
    created_at_us      BIGINT NOT NULL
);

CREATE TABLE coupons (
    id            TEXT PRIMARY KEY,
    campaign_id   TEXT NOT NULL REFERENCES coupon_campaigns(id),
    customer_id   TEXT NOT NULL REFERENCES customers(id),
    source        TEXT NOT NULL,
    uses          BIGINT NOT NULL DEFAULT 0,
    created_at_us BIGINT NOT NULL,
    UNIQUE (campaign_id, customer_id)
);
CREATE INDEX coupons_by_customer ON coupons (customer_id, created_at_us);

-- One coupon use by one payment: redeemed, released (the payment failed) or restored
-- (the payment was refunded in full).
CREATE TABLE coupon_redemptions (
    id             TEXT PRIMARY KEY,
    coupon_id      TEXT NOT NULL REFERENCES coupons(id),
    campaign_id    TEXT NOT NULL REFERENCES coupon_campaigns(id),
    transaction_id TEXT NOT NULL REFERENCES wallet_transactions(id),
    funder         TEXT NOT NULL,
    discount_minor BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    state          TEXT NOT NULL,
    created_at_us  BIGINT NOT NULL,
    updated_at_us  BIGINT NOT NULL
);
CREATE INDEX coupon_redemptions_by_transaction ON coupon_redemptions (transaction_id);

CREATE TABLE coupon_evaluations (
    transaction_id TEXT PRIMARY KEY REFERENCES wallet_transactions(id),
    customer_id    TEXT NOT NULL REFERENCES customers(id),
    input          TEXT NOT NULL,
    evaluation     TEXT NOT NULL,
    created_at_us  BIGINT NOT NULL
);
