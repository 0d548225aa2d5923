-- Account protection: sign-in throttling and locks, per-address rate limits, session
-- devices, password resets, TOTP and recovery codes, second sign-in steps, identity
-- verification by agents, notices to account holders, and the hash-chained audit log.
-- Portable types only (see DESIGN.md): TEXT ids, BIGINT microseconds, no BOOLEAN.

-- Consecutive failures per account ("customer:<id>", "staff:<id>") or per unknown login
-- ("login:<audience>:<normalised login>"), so throttling holds across nodes.
CREATE TABLE login_throttle (
    throttle_key       TEXT PRIMARY KEY,
    failures           BIGINT NOT NULL,
    last_failure_at_us BIGINT NOT NULL,
    next_allowed_at_us BIGINT NOT NULL,
    locked_until_us    BIGINT NOT NULL,
    locks              BIGINT NOT NULL
);

-- Fixed windows of events per bucket ("sign_in:<network>", "reset:<network>", …).
CREATE TABLE rate_limits (
    bucket          TEXT NOT NULL,
    window_start_us BIGINT NOT NULL,
    hits            BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start_us)
);
CREATE INDEX rate_limits_by_window ON rate_limits (window_start_us);

ALTER TABLE sessions ADD COLUMN client_net TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at_us BIGINT NOT NULL DEFAULT 0;

-- Devices of successful sign-ins (kept after sign-out, for "new device" notices).
CREATE TABLE sign_in_history (
    id          TEXT PRIMARY KEY,
    user_kind   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    user_agent  TEXT NOT NULL,
    client_net  TEXT NOT NULL,
    at_us       BIGINT NOT NULL
);
CREATE INDEX sign_in_history_by_user ON sign_in_history (user_kind, user_id, at_us);

-- Reset tokens: only the SHA-256 of the 256-bit token is stored.
CREATE TABLE password_resets (
    token_hash    TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL REFERENCES customers(id),
    requested_by  TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL,
    used_at_us    BIGINT
);
CREATE INDEX password_resets_by_customer ON password_resets (customer_id, created_at_us);

CREATE TABLE totp_credentials (
    user_kind             TEXT NOT NULL,
    user_id               TEXT NOT NULL,
    secret                TEXT NOT NULL,
    enabled_at_us         BIGINT,
    last_used_step        BIGINT NOT NULL,
    created_at_us         BIGINT NOT NULL,
    reset_requested_by    TEXT,
    reset_effective_at_us BIGINT,
    PRIMARY KEY (user_kind, user_id)
);
CREATE INDEX totp_resets_due ON totp_credentials (reset_effective_at_us);

CREATE TABLE recovery_codes (
    user_kind  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    used_at_us BIGINT,
    PRIMARY KEY (user_kind, user_id, code_hash)
);

-- The second step of a page sign-in (password checked, code still to come).
CREATE TABLE sign_in_challenges (
    token_hash    TEXT PRIMARY KEY,
    user_kind     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    expires_at_us BIGINT NOT NULL
);

CREATE TABLE identity_verifications (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL REFERENCES customers(id),
    staff_id      TEXT NOT NULL REFERENCES staff(id),
    method        TEXT NOT NULL,
    state         TEXT NOT NULL,
    items         TEXT NOT NULL,
    code_hash     TEXT,
    attempts      BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL,
    decided_at_us BIGINT
);
CREATE INDEX identity_verifications_by_customer ON identity_verifications (customer_id, created_at_us);

-- Email and SMS notices to account holders, queued for a delivery gateway; in
-- development they are read on /dev/mailbox.
CREATE TABLE notifications (
    id            TEXT PRIMARY KEY,
    user_kind     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    channel       TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    kind          TEXT NOT NULL,
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    sent_at_us    BIGINT
);
CREATE INDEX notifications_by_time ON notifications (created_at_us);
CREATE INDEX notifications_by_user ON notifications (user_kind, user_id, created_at_us);

-- Append-only, hash-chained: hash = SHA-256(prev_hash, this row's content).
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at_us       BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    customer_id TEXT,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_by_customer ON audit_log (customer_id, seq);
