//! Account protection: sign-in throttling and temporary locks, per-address rate limits,
//! one-time codes (TOTP, RFC 6238) and recovery codes, identity verification by an agent,
//! notices to the account holder, and the hash-chained audit trail. The rules are pure;
//! storage is [`ProtectionRepo`].

use crate::ids::{CustomerId, StaffId, UserId};
use crate::repo::{RepoError, SessionRecord};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const US_PER_SEC: i64 = 1_000_000;

/// Failures older than this no longer count: "consecutive" means within a day.
const FAILURE_MEMORY_US: i64 = 24 * 3_600 * US_PER_SEC;

/// The longest a repeated lock lasts.
const MAX_LOCK_US: i64 = 24 * 3_600 * US_PER_SEC;

/// When sign-in slows down and when it locks (configuration `security.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures before each further attempt has to wait.
    pub throttle_after: u32,
    /// Failures that lock the account for a while.
    pub lock_after: u32,
    /// How long the first lock lasts; each further lock without a successful sign-in
    /// in between lasts twice as long (at most a day).
    pub lock_minutes: u32,
    /// The first wait once throttled; it doubles with each further failure.
    pub base_delay_secs: u32,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            throttle_after: 3,
            lock_after: 10,
            lock_minutes: 15,
            base_delay_secs: 5,
        }
    }
}

/// The stored failure count of one account (or one unknown login).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThrottleState {
    /// Consecutive failures since the last success (or the last lock ran out).
    pub failures: u32,
    /// Time of the last failure (µs).
    pub last_failure_at_us: i64,
    /// No attempt is checked before this time (µs); 0 = any time.
    pub next_allowed_at_us: i64,
    /// End of the current or last lock (µs); 0 = never locked since the last success.
    pub locked_until_us: i64,
    /// Locks since the last successful sign-in (makes the next lock longer).
    pub locks: u32,
}

/// Whether an attempt may be checked now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Go ahead.
    Open,
    /// Not before `retry_after_secs`; `locked` when this is a lock, not a short delay.
    Wait {
        /// Whole seconds to wait (at least 1).
        retry_after_secs: u64,
        /// The account is locked (the count reached `lock_after`).
        locked: bool,
    },
}

impl ThrottlePolicy {
    /// May an attempt be checked at `now_us`?
    pub fn gate(&self, s: &ThrottleState, now_us: i64) -> Gate {
        if s.next_allowed_at_us > now_us {
            Gate::Wait {
                retry_after_secs: ceil_secs(s.next_allowed_at_us - now_us),
                locked: s.locked_until_us > now_us,
            }
        } else {
            Gate::Open
        }
    }

    /// The state after one more failure at `now_us`.
    pub fn after_failure(&self, s: &ThrottleState, now_us: i64) -> ThrottleState {
        let stale = now_us - s.last_failure_at_us > FAILURE_MEMORY_US;
        // A lock that ran out starts the count again; its memory makes the next one longer.
        let lock_over = s.locked_until_us != 0 && s.locked_until_us <= now_us;
        let failures = if stale || lock_over { 0 } else { s.failures } + 1;
        let locks = if stale { 0 } else { s.locks };
        if failures >= self.lock_after.max(1) {
            let first = i64::from(self.lock_minutes.max(1)) * 60 * US_PER_SEC;
            let lock_us = first
                .saturating_mul(1i64 << locks.min(20))
                .min(MAX_LOCK_US.max(first));
            let until = now_us + lock_us;
            return ThrottleState {
                failures,
                last_failure_at_us: now_us,
                next_allowed_at_us: until,
                locked_until_us: until,
                locks: locks + 1,
            };
        }
        let next_allowed_at_us = if failures >= self.throttle_after {
            let doublings = (failures - self.throttle_after).min(20);
            let delay = i64::from(self.base_delay_secs.max(1)) * US_PER_SEC * (1i64 << doublings);
            let cap = i64::from(self.lock_minutes.max(1)) * 60 * US_PER_SEC;
            now_us + delay.min(cap)
        } else {
            0
        };
        ThrottleState {
            failures,
            last_failure_at_us: now_us,
            next_allowed_at_us,
            locked_until_us: if lock_over { 0 } else { s.locked_until_us },
            locks,
        }
    }
}

/// Whole seconds in `us`, rounded up, at least 1.
pub fn ceil_secs(us: i64) -> u64 {
    let secs = (us + US_PER_SEC - 1) / US_PER_SEC;
    secs.max(1) as u64
}

/// A per-address limit: at most `max` events in any `window_us`, estimated from two fixed
/// windows (the previous one weighted by how much of it still overlaps), so a burst at
/// a window's edge does not get twice the allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Events allowed per window.
    pub max: u32,
    /// Window length (µs).
    pub window_us: i64,
}

impl RateLimit {
    /// Start of the fixed window holding `now_us`.
    pub fn window_start(&self, now_us: i64) -> i64 {
        now_us - now_us.rem_euclid(self.window_us.max(1))
    }

    /// Seconds to wait when over the limit with these counts, or `None` when under it.
    pub fn check(&self, previous: i64, current: i64, now_us: i64) -> Option<u64> {
        let w = self.window_us.max(1);
        let start = self.window_start(now_us);
        let elapsed = now_us - start;
        let weighted = current + previous * (w - elapsed) / w;
        if weighted < i64::from(self.max) {
            return None;
        }
        Some(ceil_secs(start + w - now_us))
    }
}

/// Seconds of one TOTP step (RFC 6238's default, what every authenticator app uses).
pub const TOTP_STEP_SECS: i64 = 30;
/// Digits of a TOTP code.
pub const TOTP_DIGITS: u8 = 6;
/// Steps of clock drift accepted either side of now (RFC 6238 §5.2 recommends one).
pub const TOTP_SKEW: i64 = 1;
/// Bytes of a TOTP secret: 160 bits, as RFC 4226 §4 recommends.
pub const TOTP_SECRET_BYTES: usize = 20;

/// A TOTP shared secret. Never printed: `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// Wraps random bytes (at least 128 bits).
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() >= 16).then_some(Self(bytes))
    }
    /// Reads the stored or typed base32 form (spaces and case ignored).
    pub fn from_base32(s: &str) -> Option<Self> {
        let cleaned: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=')
            .collect::<String>()
            .to_uppercase();
        data_encoding::BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .ok()
            .and_then(Self::from_bytes)
    }
    /// Base32 without padding, as authenticator apps take it.
    pub fn base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }
    /// The base32 form in groups of four, easier to type by hand.
    pub fn base32_grouped(&self) -> String {
        let b = self.base32();
        b.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
    /// The `otpauth://` URI an authenticator app scans from the QR code.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let label = format!("{}:{}", uri_escape(issuer), uri_escape(account));
        format!(
            "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECS}",
            self.base32(),
            uri_escape(issuer)
        )
    }

    fn totp(&self, digits: u8) -> Option<totp_rs::Totp> {
        totp_rs::Builder::new()
            .with_algorithm(totp_rs::Algorithm::SHA1)
            .with_digits(digits)
            .with_skew(0)
            .with_step_duration(TOTP_STEP_SECS as u64)
            .with_secret(self.0.clone())
            .build()
            .ok()
    }

    /// The code of time step `step` (for tests and the enrolment preview).
    pub fn code_at_step(&self, step: i64, digits: u8) -> String {
        match self.totp(digits) {
            Some(t) if step >= 0 => t.generate(step as u64 * TOTP_STEP_SECS as u64).to_string(),
            _ => String::new(),
        }
    }

    /// The step a typed code matches within ±[`TOTP_SKEW`] of `now_us`, skipping steps at
    /// or before `last_used_step` so that a code is accepted once (RFC 6238 §5.2).
    pub fn verify(&self, code: &str, now_us: i64, last_used_step: i64) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != usize::from(TOTP_DIGITS) || !code.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let totp = self.totp(TOTP_DIGITS)?;
        let now_step = now_us.div_euclid(US_PER_SEC * TOTP_STEP_SECS);
        (now_step - TOTP_SKEW..=now_step + TOTP_SKEW)
            .filter(|s| *s > last_used_step && *s >= 0)
            .find(|s| {
                totp.check(&code, *s as u64 * TOTP_STEP_SECS as u64)
                    .is_some()
            })
    }
}

fn uri_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' | b'+' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A recovery code from 10 random bytes (80 bits): 16 base32 characters in groups of
/// four, lower case (`k3n7-q2xa-…`).
pub fn recovery_code(bytes: &[u8; 10]) -> String {
    let b32 = data_encoding::BASE32_NOPAD.encode(bytes).to_lowercase();
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed recovery code in its canonical form, if it has the shape of one.
pub fn normalize_recovery_code(typed: &str) -> Option<String> {
    let s: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    let valid = s.len() == 16 && s.chars().all(|c| matches!(c, 'a'..='z' | '2'..='7'));
    valid.then_some(s)
}

/// The stored form of a recovery code: SHA-256 of the account and the code. A fast hash
/// is enough for 80 random bits; the account in the input stops one table of hashes
/// from serving every account.
pub fn recovery_code_hash(user: &UserId, normalized: &str) -> String {
    sha256_hex(format!("{}:{}:{normalized}", user_kind(user), user.as_str()).as_bytes())
}

/// `customer` or `staff`.
pub fn user_kind(user: &UserId) -> &'static str {
    match user {
        UserId::Customer(_) => "customer",
        UserId::Staff(_) => "staff",
    }
}

/// The user id stored as kind and id.
pub fn user_from_parts(kind: &str, id: String) -> UserId {
    match kind {
        "customer" => UserId::Customer(CustomerId::from_string(id)),
        _ => UserId::Staff(StaffId::from_string(id)),
    }
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A stored TOTP enrolment.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpCredential {
    /// Whose.
    pub user: UserId,
    /// The shared secret.
    pub secret: TotpSecret,
    /// When the holder confirmed it with a code (µs); `None` while enrolment is pending.
    pub enabled_at_us: Option<i64>,
    /// The last time step accepted (replays of it and earlier steps are refused).
    pub last_used_step: i64,
    /// An agent's 2FA reset waiting to take effect (µs), after identity verification.
    pub reset_effective_at_us: Option<i64>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

impl std::fmt::Debug for TotpCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpCredential")
            .field("user", &self.user)
            .field("enabled_at_us", &self.enabled_at_us)
            .field("reset_effective_at_us", &self.reset_effective_at_us)
            .finish_non_exhaustive()
    }
}

impl TotpCredential {
    /// Whether sign-in asks for a code.
    pub fn enabled(&self) -> bool {
        self.enabled_at_us.is_some()
    }
}

string_enum!(
    /// How an agent checks that a caller is the account holder.
    VerificationMethod {
        /// The caller names recent transactions among decoys.
        Transactions => "transactions",
        /// The caller reads back a code sent to the registered phone.
        PhoneCode => "phone_code",
    }
);

string_enum!(
    /// Where an identity verification stands.
    VerificationState {
        /// Waiting for the caller's answer.
        Pending => "pending",
        /// The caller proved to be the holder.
        Passed => "passed",
        /// Wrong answer, or too many tries.
        Failed => "failed",
    }
);

/// One line of the transactions checklist. `genuine` never leaves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeItem {
    /// Short id the agent ticks.
    pub id: String,
    /// What it was (`Payment · Warung Nusantara`).
    pub description: String,
    /// Amount as shown (`IDR 35,000`).
    pub amount: String,
    /// Day (`2026-11-20`).
    pub date: String,
    /// A real transaction of the customer (otherwise a decoy).
    pub genuine: bool,
}

/// A customer's identity check by an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityVerification {
    /// Id.
    pub id: String,
    /// Who is being verified.
    pub customer_id: CustomerId,
    /// The agent.
    pub staff_id: StaffId,
    /// How.
    pub method: VerificationMethod,
    /// Where it stands.
    pub state: VerificationState,
    /// The checklist (transactions method).
    pub items: Vec<ChallengeItem>,
    /// SHA-256 of the code sent (phone method).
    pub code_hash: Option<String>,
    /// Answers tried.
    pub attempts: i64,
    /// Started (µs).
    pub created_at_us: i64,
    /// The answer is no longer taken after this (µs).
    pub expires_at_us: i64,
    /// Passed or failed at (µs).
    pub decided_at_us: Option<i64>,
}

/// Wrong answers allowed before a verification fails.
pub const VERIFICATION_ATTEMPTS: i64 = 3;
/// How long a passed verification lets the agent act (µs).
pub const VERIFICATION_VALID_US: i64 = 30 * 60 * US_PER_SEC;

/// The transactions check passes when the caller named every genuine transaction and no
/// decoy.
pub fn transactions_named_correctly(items: &[ChallengeItem], named: &[String]) -> bool {
    let genuine = items.iter().filter(|i| i.genuine).count();
    genuine > 0
        && items
            .iter()
            .all(|i| i.genuine == named.iter().any(|n| n == &i.id))
}

string_enum!(
    /// What a notice to an account holder is about.
    NoticeKind {
        /// A password reset link.
        PasswordReset => "password_reset",
        /// The account was locked after failed sign-ins.
        AccountLocked => "account_locked",
        /// A sign-in from a device not seen before.
        NewDevice => "new_device",
        /// The one-time code an agent asks the caller to read back.
        VerificationCode => "verification_code",
        /// An agent started a 2FA reset that takes effect after a wait.
        TotpResetScheduled => "totp_reset_scheduled",
        /// Two-step sign-in was turned off by the reset.
        TotpResetDone => "totp_reset_done",
        /// The password was changed.
        PasswordChanged => "password_changed",
        /// Two-step sign-in was turned on or off by the holder.
        TotpChanged => "totp_changed",
    }
);

string_enum!(
    /// How a notice reaches the holder.
    NoticeChannel {
        /// Email to the registered address.
        Email => "email",
        /// Text message to the registered phone.
        Sms => "sms",
    }
);

/// A notice queued for delivery to an account holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Id.
    pub id: String,
    /// To whom.
    pub user: UserId,
    /// Email or SMS.
    pub channel: NoticeChannel,
    /// Address or number.
    pub recipient: String,
    /// What about.
    pub kind: NoticeKind,
    /// Subject line (email).
    pub subject: String,
    /// The text, in the holder's language.
    pub body: String,
    /// Queued at (µs).
    pub created_at_us: i64,
}

/// Public id of a session: a hash of its token hash, so neither the token nor the
/// lookup key ever leaves the server.
pub fn session_public_id(token_hash: &str) -> String {
    sha256_hex(format!("session:{token_hash}").as_bytes())[..32].to_owned()
}

/// Where an agent's 2FA reset may start from: it takes effect only after a wait, so the
/// holder is warned and can object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpResetRequest {
    /// Whose 2FA.
    pub user: UserId,
    /// The agent.
    pub requested_by: StaffId,
    /// When it takes effect (µs).
    pub effective_at_us: i64,
}

/// An audit record to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// Who acted: `staff:<id>`, `customer:<id>` or `system`.
    pub actor: String,
    /// What (`account.unlock`, `verification.check`, …).
    pub action: String,
    /// Which customer it concerns.
    pub customer_id: Option<String>,
    /// `ok`, `refused`, `passed`, `failed`, …
    pub outcome: String,
    /// Details as JSON (never secrets).
    pub detail: String,
}

/// A stored audit record: one link of the hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain, from 1 without gaps.
    pub seq: i64,
    /// When (µs).
    pub at_us: i64,
    /// The record's content.
    pub entry: NewAuditEntry,
    /// Hash of the record before (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 of `prev_hash` and this record's content.
    pub hash: String,
}

/// `prev_hash` of the first record.
pub const AUDIT_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of a record: SHA-256 over the previous hash and the record's fields as one
/// JSON array, so no field boundary can be shifted without changing the hash.
pub fn audit_hash(prev_hash: &str, seq: i64, at_us: i64, e: &NewAuditEntry) -> String {
    let content = serde_json::json!([
        seq,
        at_us,
        e.actor,
        e.action,
        e.customer_id,
        e.outcome,
        e.detail
    ]);
    sha256_hex(format!("{prev_hash}\n{content}").as_bytes())
}

/// Where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// A record's content does not match its hash: it was edited.
    #[error("audit record {0} was edited")]
    Edited(i64),
    /// A record does not point at the one before: a record was removed or replaced.
    #[error("audit record {0} does not follow the record before it (removed or replaced)")]
    Relinked(i64),
    /// Sequence numbers jump: records are missing.
    #[error("audit records before {0} are missing")]
    Missing(i64),
}

/// Checks an audit chain read in `seq` order from its start; returns how many records
/// were checked. Deleting the newest records cannot be seen from the chain alone: compare
/// the count with one noted elsewhere for that.
pub fn verify_audit_chain(entries: &[AuditEntry]) -> Result<usize, ChainBreak> {
    let mut prev = AUDIT_GENESIS.to_owned();
    for (expected_seq, e) in (1..).zip(entries.iter()) {
        if e.seq != expected_seq {
            return Err(ChainBreak::Missing(e.seq));
        }
        if e.prev_hash != prev {
            return Err(ChainBreak::Relinked(e.seq));
        }
        if audit_hash(&e.prev_hash, e.seq, e.at_us, &e.entry) != e.hash {
            return Err(ChainBreak::Edited(e.seq));
        }
        prev = e.hash.clone();
    }
    Ok(entries.len())
}

/// The network a client address belongs to, for "new device" checks and the sessions
/// list: IPv4 /24, IPv6 /64 (one home or office), "" when unknown.
pub fn client_network(ip: Option<std::net::IpAddr>) -> String {
    match ip {
        Some(std::net::IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        Some(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => client_network(Some(std::net::IpAddr::V4(v4))),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => String::new(),
    }
}

/// Storage of account protection.
#[async_trait]
pub trait ProtectionRepo: Send + Sync {
    /// The failure count under a throttle key, if any.
    async fn throttle_state(&self, key: &str) -> Result<Option<ThrottleState>, RepoError>;
    /// Replaces the state under `key` only if it still is `expected` (`None`: no row), so
    /// concurrent attempts on several nodes cannot both pass one free slot. True if swapped.
    async fn swap_throttle(
        &self,
        key: &str,
        expected: Option<&ThrottleState>,
        new: &ThrottleState,
    ) -> Result<bool, RepoError>;
    /// Forgets the failures under `key` (successful sign-in, reset, agent unlock).
    async fn clear_throttle(&self, key: &str) -> Result<(), RepoError>;
    /// Counts of `bucket` in the previous and the current window.
    async fn rate_counts(
        &self,
        bucket: &str,
        previous_start_us: i64,
        current_start_us: i64,
    ) -> Result<(i64, i64), RepoError>;
    /// Adds one event to `bucket`'s current window.
    async fn rate_hit(&self, bucket: &str, current_start_us: i64) -> Result<(), RepoError>;
    /// Deletes rate windows that started before `before_us`.
    async fn purge_rate_windows(&self, before_us: i64) -> Result<u64, RepoError>;

    /// Notes a request on a session if the last note is older than `stale_before_us`.
    async fn touch_session(
        &self,
        token_hash: &str,
        now_us: i64,
        stale_before_us: i64,
    ) -> Result<(), RepoError>;
    /// A user's unexpired sessions, newest first.
    async fn user_sessions(
        &self,
        user: &UserId,
        now_us: i64,
    ) -> Result<Vec<SessionRecord>, RepoError>;
    /// Ends a user's sessions except `keep` (a token hash); returns how many ended.
    async fn end_user_sessions(&self, user: &UserId, keep: Option<&str>) -> Result<u64, RepoError>;
    /// Records a successful sign-in's device.
    async fn record_sign_in(
        &self,
        user: &UserId,
        user_agent: &str,
        client_net: &str,
        now_us: i64,
    ) -> Result<(), RepoError>;
    /// The devices `(user agent, network)` of a user's last `limit` sign-ins.
    async fn recent_sign_ins(
        &self,
        user: &UserId,
        limit: u32,
    ) -> Result<Vec<(String, String)>, RepoError>;

    /// The password hash of an account.
    async fn password_hash(&self, user: &UserId) -> Result<Option<String>, RepoError>;
    /// Replaces an account's password hash.
    async fn set_password_hash(&self, user: &UserId, hash: &str) -> Result<(), RepoError>;
    /// Stores a reset token (hashed) for a customer.
    async fn create_password_reset(
        &self,
        token_hash: &str,
        customer: &CustomerId,
        requested_by: &str,
        now_us: i64,
        expires_at_us: i64,
    ) -> Result<(), RepoError>;
    /// The customer of an unused, unexpired reset token.
    async fn password_reset_target(
        &self,
        token_hash: &str,
        now_us: i64,
    ) -> Result<Option<CustomerId>, RepoError>;
    /// Uses a reset token (once: a second use finds nothing) and retires the customer's
    /// other unused tokens.
    async fn consume_password_reset(
        &self,
        token_hash: &str,
        now_us: i64,
    ) -> Result<Option<CustomerId>, RepoError>;
    /// Reset tokens created for a customer since a time (to limit messages sent).
    async fn count_password_resets(
        &self,
        customer: &CustomerId,
        since_us: i64,
    ) -> Result<i64, RepoError>;

    /// A user's TOTP enrolment, pending or enabled.
    async fn totp(&self, user: &UserId) -> Result<Option<TotpCredential>, RepoError>;
    /// Starts (or restarts) a pending enrolment; `InvalidState` if TOTP is already on.
    async fn begin_totp(
        &self,
        user: &UserId,
        secret: &TotpSecret,
        now_us: i64,
    ) -> Result<(), RepoError>;
    /// Turns a pending enrolment on with the step of its confirming code and the hashes
    /// of new recovery codes. False if there was no pending enrolment.
    async fn enable_totp(
        &self,
        user: &UserId,
        step: i64,
        recovery_hashes: &[String],
        now_us: i64,
    ) -> Result<bool, RepoError>;
    /// Takes a time step for a user: true only if it is later than the last one used.
    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool, RepoError>;
    /// Uses a recovery code (once). True if it was valid and unused.
    async fn use_recovery_code(
        &self,
        user: &UserId,
        code_hash: &str,
        now_us: i64,
    ) -> Result<bool, RepoError>;
    /// Replaces a user's recovery codes.
    async fn replace_recovery_codes(
        &self,
        user: &UserId,
        hashes: &[String],
    ) -> Result<(), RepoError>;
    /// Removes TOTP and recovery codes.
    async fn delete_totp(&self, user: &UserId) -> Result<(), RepoError>;
    /// Schedules an agent's 2FA reset; `NotFound` if TOTP is not on.
    async fn schedule_totp_reset(&self, request: &TotpResetRequest) -> Result<(), RepoError>;
    /// Cancels a scheduled 2FA reset; true if one was pending.
    async fn cancel_totp_reset(&self, user: &UserId) -> Result<bool, RepoError>;
    /// Users whose scheduled 2FA reset is due.
    async fn due_totp_resets(&self, now_us: i64) -> Result<Vec<UserId>, RepoError>;

    /// Stores the second step of a page sign-in (token hashed).
    async fn create_sign_in_challenge(
        &self,
        token_hash: &str,
        user: &UserId,
        expires_at_us: i64,
    ) -> Result<(), RepoError>;
    /// The user of an unexpired second-step challenge.
    async fn sign_in_challenge(
        &self,
        token_hash: &str,
        now_us: i64,
    ) -> Result<Option<UserId>, RepoError>;
    /// Ends a second-step challenge.
    async fn delete_sign_in_challenge(&self, token_hash: &str) -> Result<(), RepoError>;

    /// Stores a new identity verification.
    async fn create_verification(&self, v: &IdentityVerification) -> Result<(), RepoError>;
    /// One verification.
    async fn verification(&self, id: &str) -> Result<IdentityVerification, RepoError>;
    /// Records an answer: new state and attempts, only while still pending. True if saved.
    async fn answer_verification(
        &self,
        id: &str,
        state: VerificationState,
        attempts: i64,
        now_us: i64,
    ) -> Result<bool, RepoError>;
    /// A customer's verifications, newest first.
    async fn verifications(
        &self,
        customer: &CustomerId,
        limit: u32,
    ) -> Result<Vec<IdentityVerification>, RepoError>;

    /// Queues a notice.
    async fn queue_notification(&self, n: &Notification) -> Result<(), RepoError>;
    /// Notices, newest first (the developers' mailbox), optionally one user's.
    async fn notifications(
        &self,
        user: Option<&UserId>,
        limit: u32,
    ) -> Result<Vec<Notification>, RepoError>;

    /// Appends to the audit chain (retrying when another node appended first).
    async fn append_audit(&self, e: &NewAuditEntry, now_us: i64) -> Result<AuditEntry, RepoError>;
    /// Audit records from `from_seq`, in order.
    async fn audit_entries(&self, from_seq: i64, limit: u32) -> Result<Vec<AuditEntry>, RepoError>;
    /// A customer's audit records, newest first.
    async fn customer_audit(
        &self,
        customer: &CustomerId,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = US_PER_SEC;

    #[test]
    fn delays_grow_then_the_account_locks_and_unlocks_by_waiting() {
        let p = ThrottlePolicy {
            throttle_after: 3,
            lock_after: 6,
            lock_minutes: 15,
            base_delay_secs: 5,
        };
        let mut s = ThrottleState::default();
        let mut now = 1_000 * S;
        let mut waits = Vec::new();
        for _ in 0..5 {
            assert_eq!(p.gate(&s, now), Gate::Open);
            s = p.after_failure(&s, now);
            match p.gate(&s, now) {
                Gate::Open => waits.push(0),
                Gate::Wait {
                    retry_after_secs,
                    locked,
                } => {
                    assert!(!locked);
                    waits.push(retry_after_secs);
                }
            }
            now = s.next_allowed_at_us.max(now);
        }
        assert_eq!(waits, vec![0, 0, 5, 10, 20]);
        s = p.after_failure(&s, now);
        assert_eq!(
            p.gate(&s, now),
            Gate::Wait {
                retry_after_secs: 15 * 60,
                locked: true
            }
        );
        // Waiting it out opens the gate and starts the count again.
        now += 15 * 60 * S;
        assert_eq!(p.gate(&s, now), Gate::Open);
        let after = p.after_failure(&s, now);
        assert_eq!(after.failures, 1);
        assert_eq!(p.gate(&after, now), Gate::Open);
        // Locking again without a success in between locks for longer.
        let mut s2 = after;
        for _ in 0..5 {
            s2 = p.after_failure(&s2, s2.next_allowed_at_us.max(now));
        }
        assert_eq!(s2.locks, 2);
        assert_eq!(s2.locked_until_us - s2.last_failure_at_us, 30 * 60 * S);
    }

    #[test]
    fn old_failures_are_forgotten() {
        let p = ThrottlePolicy::default();
        let mut s = ThrottleState::default();
        for i in 0..4 {
            s = p.after_failure(&s, 10 * S + i * 60 * S);
        }
        let next_day = 10 * S + 2 * 24 * 3_600 * S;
        assert_eq!(p.after_failure(&s, next_day).failures, 1);
    }

    #[test]
    fn address_limits_weigh_the_previous_window() {
        let l = RateLimit {
            max: 10,
            window_us: 600 * S,
        };
        let start = l.window_start(6_000 * S + 1);
        assert_eq!(start, 6_000 * S);
        assert_eq!(l.check(0, 9, start + S), None);
        assert!(l.check(0, 10, start + S).is_some());
        // Half way through, ten from the last window count as five.
        assert_eq!(l.check(10, 4, start + 300 * S), None);
        assert_eq!(l.check(10, 5, start + 300 * S), Some(300));
    }

    #[test]
    fn totp_matches_the_rfc_6238_sha1_test_vectors() {
        // RFC 6238 Appendix B: secret "12345678901234567890", 8 digits, T0 = 0, X = 30.
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        for (time, code) in [
            (59i64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(secret.code_at_step(time / 30, 8), code, "T = {time}");
        }
        assert_eq!(
            secret.base32(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "RFC 4648 base32 of the test secret"
        );
    }

    #[test]
    fn a_code_is_accepted_within_one_step_and_only_once() {
        let secret = TotpSecret::from_base32("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ").unwrap();
        let now = 1_111_111_111 * S;
        let step = 1_111_111_111 / 30;
        let code = secret.code_at_step(step, 6);
        assert_eq!(secret.verify(&code, now, 0), Some(step));
        // The same code again (step already used) is a replay.
        assert_eq!(secret.verify(&code, now, step), None);
        // The neighbours are accepted for clock drift; two steps off is not.
        let before = secret.code_at_step(step - 1, 6);
        assert_eq!(secret.verify(&before, now, 0), Some(step - 1));
        let far = secret.code_at_step(step - 2, 6);
        assert_eq!(secret.verify(&far, now, 0), None);
        assert_eq!(secret.verify("12345", now, 0), None);
        assert_eq!(secret.verify("abcdef", now, 0), None);
        assert!(secret.otpauth_uri("paydesk", "siti@example.id").starts_with(
            "otpauth://totp/paydesk:siti@example.id?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=paydesk"
        ));
        assert_eq!(format!("{secret:?}"), "TotpSecret(<redacted>)");
    }

    #[test]
    fn recovery_codes_normalise_and_hash_per_account() {
        let code = recovery_code(&[7u8; 10]);
        assert_eq!(code.len(), 19);
        let typed = code.to_uppercase().replace('-', " ");
        let n = normalize_recovery_code(&typed).unwrap();
        assert_eq!(n, code.replace('-', ""));
        assert!(normalize_recovery_code("123456").is_none());
        let a = UserId::Customer(CustomerId::new());
        let b = UserId::Customer(CustomerId::new());
        assert_ne!(recovery_code_hash(&a, &n), recovery_code_hash(&b, &n));
    }

    #[test]
    fn the_transactions_check_needs_every_genuine_one_and_no_decoy() {
        let item = |id: &str, genuine| ChallengeItem {
            id: id.into(),
            description: String::new(),
            amount: String::new(),
            date: String::new(),
            genuine,
        };
        let items = vec![item("a", true), item("b", false), item("c", true)];
        let named = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(transactions_named_correctly(&items, &named(&["a", "c"])));
        assert!(!transactions_named_correctly(&items, &named(&["a"])));
        assert!(!transactions_named_correctly(
            &items,
            &named(&["a", "b", "c"])
        ));
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = AUDIT_GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let entry = NewAuditEntry {
                    actor: "staff:1".into(),
                    action: "account.unlock".into(),
                    customer_id: Some("c1".into()),
                    outcome: "ok".into(),
                    detail: format!("{{\"n\":{seq}}}"),
                };
                let hash = audit_hash(&prev, seq, seq * 10, &entry);
                let e = AuditEntry {
                    seq,
                    at_us: seq * 10,
                    entry,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn the_audit_chain_shows_edits_and_removals() {
        let good = chain(5);
        assert_eq!(verify_audit_chain(&good), Ok(5));
        let mut edited = good.clone();
        edited[2].entry.outcome = "refused".into();
        assert_eq!(verify_audit_chain(&edited), Err(ChainBreak::Edited(3)));
        let mut removed = good.clone();
        removed.remove(1);
        assert_eq!(verify_audit_chain(&removed), Err(ChainBreak::Missing(3)));
        // Renumbering after a removal breaks the links instead.
        let mut renumbered = removed.clone();
        for (i, e) in renumbered.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        assert!(verify_audit_chain(&renumbered).is_err());
    }

    #[test]
    fn client_networks_group_a_home_or_office() {
        use std::net::IpAddr;
        let v4: IpAddr = "203.0.113.77".parse().unwrap();
        assert_eq!(client_network(Some(v4)), "203.0.113.0/24");
        let v6: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        assert_eq!(client_network(Some(v6)), "2001:db8:1:2::/64");
        assert_eq!(client_network(None), "");
    }
}
