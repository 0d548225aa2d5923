-- Foundation: regions, people, merchants, sessions, idempotency keys.
-- Portable types only (see DESIGN.md): TEXT ids, BIGINT minor units and microseconds.

CREATE TABLE regions (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    country           TEXT NOT NULL,
    time_zone         TEXT NOT NULL,
    zone_abbreviation TEXT NOT NULL
);

CREATE TABLE support_groups (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE merchants (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    category      TEXT NOT NULL,
    region_id     TEXT NOT NULL REFERENCES regions(id),
    created_at_us BIGINT NOT NULL
);
CREATE INDEX merchants_by_name ON merchants (name_key, id);

CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    email         TEXT UNIQUE,
    phone         TEXT UNIQUE,
    display_name  TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    locale        TEXT NOT NULL,
    region_id     TEXT NOT NULL REFERENCES regions(id),
    status        TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
CREATE INDEX customers_by_name ON customers (name_key, id);
CREATE INDEX customers_by_region ON customers (region_id, name_key, id);

CREATE TABLE staff (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    role          TEXT NOT NULL,
    merchant_id   TEXT REFERENCES merchants(id),
    group_id      TEXT REFERENCES support_groups(id),
    locale        TEXT NOT NULL,
    status        TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);
CREATE INDEX staff_by_name ON staff (name_key, id);
CREATE INDEX staff_by_merchant ON staff (merchant_id, name_key, id);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_kind     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    csrf_token    TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL,
    user_agent    TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_kind, user_id);

CREATE TABLE idempotency_keys (
    owner         TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    status        BIGINT,
    body          TEXT,
    created_at_us BIGINT NOT NULL,
    PRIMARY KEY (owner, idem_key)
);
