//! Agent-assisted recovery: the agent verifies the caller's identity (recent transactions
//! among decoys, or a code sent to the registered phone) and only then may unlock the
//! account, send a password reset or start a 2FA reset. The agent never sees or sets a
//! password. Every step, refusals included, goes to the audit chain.

use super::reset::issue_reset;
use super::second_factor::active_totp;
use super::{Holder, account_key, actor, audit, notify};
use crate::error::ApiError;
use crate::state::AppState;
use domain::protection::{
    ChallengeItem, Gate, IdentityVerification, NoticeChannel, NoticeKind, TotpResetRequest,
    VERIFICATION_ATTEMPTS, VERIFICATION_VALID_US, VerificationMethod, VerificationState,
    sha256_hex, transactions_named_correctly,
};
use domain::wallet::{TransactionKind, TransactionQuery, TransactionStatus};
use domain::{Currency, CustomerId, Limit, Money, Principal, StaffId, UserId, ValidationError};
use fluent_bundle::FluentArgs;

/// How long the caller has to answer.
const ANSWER_WITHIN_US: i64 = 10 * 60 * 1_000_000;
/// Genuine transactions in a checklist.
const GENUINE: usize = 3;
/// Decoys in a checklist.
const DECOYS: usize = 3;

fn staff_of(p: &Principal) -> Result<StaffId, ApiError> {
    match &p.user {
        UserId::Staff(id) => Ok(id.clone()),
        UserId::Customer(_) => Err(ApiError::Forbidden),
    }
}

fn day(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .map(|t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date()
                .to_string()
        })
        .unwrap_or_default()
}

fn short_id() -> String {
    hex::encode(rand::random::<[u8; 4]>())
}

/// Genuine recent transactions of the customer and plausible decoys, shuffled.
async fn checklist(
    state: &AppState,
    customer: &CustomerId,
    now_us: i64,
) -> Result<Vec<ChallengeItem>, ApiError> {
    let q = TransactionQuery {
        customer_id: Some(customer.clone()),
        from_us: Some(now_us - 60 * 86_400_000_000),
        statuses: vec![TransactionStatus::Succeeded],
        kinds: vec![
            TransactionKind::Payment,
            TransactionKind::TopUp,
            TransactionKind::TransferIn,
            TransactionKind::TransferOut,
        ],
        ..TransactionQuery::default()
    };
    let recent = state
        .repo
        .transactions(&q, None, Limit::parse(Some(20))?)
        .await?;
    let label = |kind: TransactionKind, other: &str| {
        let k = match kind {
            TransactionKind::Payment => "Payment",
            TransactionKind::TopUp => "Top-up",
            TransactionKind::TransferIn => "Transfer received",
            TransactionKind::TransferOut => "Transfer sent",
            _ => "Transaction",
        };
        if other.is_empty() {
            k.to_owned()
        } else {
            format!("{k} · {other}")
        }
    };
    let mut items: Vec<ChallengeItem> = recent
        .items
        .iter()
        .take(GENUINE)
        .map(|t| ChallengeItem {
            id: short_id(),
            description: label(t.kind, t.merchant_name.as_deref().unwrap_or("")),
            amount: t.amount.to_string(),
            date: day(t.created_at_us),
            genuine: true,
        })
        .collect();
    if items.len() < 2 {
        return Err(ApiError::Validation(ValidationError::field(
            "method",
            "not_enough_history",
            "this customer has too few recent transactions; send a code to their phone instead",
        )));
    }
    let used: Vec<&str> = recent
        .items
        .iter()
        .filter_map(|t| t.merchant_name.as_deref())
        .collect();
    let merchants = state
        .repo
        .list_merchants(None, Limit::parse(Some(100))?)
        .await?;
    let mut pool: Vec<String> = merchants
        .items
        .into_iter()
        .map(|m| m.name)
        .filter(|n| !used.contains(&n.as_str()))
        .collect();
    for _ in 0..DECOYS {
        let merchant = if pool.is_empty() {
            String::new()
        } else {
            pool.swap_remove(rand::random_range(0..pool.len()))
        };
        let kind = if merchant.is_empty() {
            TransactionKind::TransferOut
        } else {
            TransactionKind::Payment
        };
        // Whole thousands of rupiah within the range of the genuine ones, on recent days.
        let amount = Money::new(rand::random_range(10i64..500) * 1_000_00, Currency::IDR);
        items.push(ChallengeItem {
            id: short_id(),
            description: label(kind, &merchant),
            amount: amount.to_string(),
            date: day(now_us - rand::random_range(1i64..30) * 86_400_000_000),
            genuine: false,
        });
    }
    for i in (1..items.len()).rev() {
        items.swap(i, rand::random_range(0..=i));
    }
    Ok(items)
}

/// Starts a verification by `agent` of `customer`.
pub async fn start_verification(
    state: &AppState,
    agent: &Principal,
    customer_id: &CustomerId,
    method: VerificationMethod,
    now_us: i64,
) -> Result<IdentityVerification, ApiError> {
    let staff_id = staff_of(agent)?;
    let customer = state.repo.customer(customer_id).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let (items, code_hash) = match method {
        VerificationMethod::Transactions => (checklist(state, customer_id, now_us).await?, None),
        VerificationMethod::PhoneCode => {
            if customer.phone.is_none() {
                return Err(ApiError::Validation(ValidationError::field(
                    "method",
                    "no_phone",
                    "this customer has no registered phone; use the transactions check",
                )));
            }
            let code = format!("{:06}", rand::random_range(0u32..1_000_000));
            let holder = Holder::load(state, &UserId::Customer(customer_id.clone())).await?;
            let mut args = FluentArgs::new();
            args.set("code", code.clone());
            args.set("agent", agent.display_name.clone());
            notify(
                state,
                &holder,
                NoticeKind::VerificationCode,
                Some(NoticeChannel::Sms),
                args,
                now_us,
            )
            .await?;
            (
                Vec::new(),
                Some(sha256_hex(format!("{id}:{code}").as_bytes())),
            )
        }
    };
    let v = IdentityVerification {
        id,
        customer_id: customer_id.clone(),
        staff_id,
        method,
        state: VerificationState::Pending,
        items,
        code_hash,
        attempts: 0,
        created_at_us: now_us,
        expires_at_us: now_us + ANSWER_WITHIN_US,
        decided_at_us: None,
    };
    state.repo.create_verification(&v).await?;
    audit(
        state,
        &actor(agent),
        "verification.started",
        Some(customer_id.as_str()),
        "ok",
        serde_json::json!({"verification": v.id, "method": method.as_str()}),
        now_us,
    )
    .await?;
    Ok(v)
}

/// What the caller answered.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// Ids of the checklist lines the caller named.
    pub named: Vec<String>,
    /// The code the caller read back.
    pub code: Option<String>,
}

/// Records the caller's answer. The transactions check allows one answer; the phone code
/// three tries.
pub async fn answer(
    state: &AppState,
    agent: &Principal,
    customer_id: &CustomerId,
    verification_id: &str,
    given: &Answer,
    now_us: i64,
) -> Result<IdentityVerification, ApiError> {
    let staff_id = staff_of(agent)?;
    let mut v = state.repo.verification(verification_id).await?;
    // Another customer's or another agent's check is not this agent's to answer.
    if &v.customer_id != customer_id || v.staff_id != staff_id {
        return Err(ApiError::NotFound);
    }
    if v.state != VerificationState::Pending {
        return Err(ApiError::InvalidState(
            "this check is already decided; start a new one".into(),
        ));
    }
    let passed = now_us <= v.expires_at_us
        && match v.method {
            VerificationMethod::Transactions => {
                transactions_named_correctly(&v.items, &given.named)
            }
            VerificationMethod::PhoneCode => {
                let typed: String = given
                    .code
                    .as_deref()
                    .unwrap_or("")
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                let expected = v.code_hash.clone().unwrap_or_default();
                let got = sha256_hex(format!("{}:{typed}", v.id).as_bytes());
                use subtle::ConstantTimeEq;
                bool::from(got.as_bytes().ct_eq(expected.as_bytes()))
            }
        };
    let attempts = v.attempts + 1;
    let next = if passed {
        VerificationState::Passed
    } else if v.method == VerificationMethod::Transactions
        || attempts >= VERIFICATION_ATTEMPTS
        || now_us > v.expires_at_us
    {
        VerificationState::Failed
    } else {
        VerificationState::Pending
    };
    if !state
        .repo
        .answer_verification(&v.id, next, attempts, now_us)
        .await?
    {
        return Err(ApiError::InvalidState(
            "this check was answered at the same time elsewhere; reload".into(),
        ));
    }
    audit(
        state,
        &actor(agent),
        "verification.answered",
        Some(customer_id.as_str()),
        next.as_str(),
        serde_json::json!({"verification": v.id, "method": v.method.as_str(), "attempt": attempts}),
        now_us,
    )
    .await?;
    v.state = next;
    v.attempts = attempts;
    v.decided_at_us = (next != VerificationState::Pending).then_some(now_us);
    Ok(v)
}

/// The agent's passed verification of this customer from the last 30 minutes, or
/// `VerificationRequired` (audited as a refusal of `action`).
async fn require_passed(
    state: &AppState,
    agent: &Principal,
    customer_id: &CustomerId,
    action: &str,
    now_us: i64,
) -> Result<(), ApiError> {
    let staff_id = staff_of(agent)?;
    // The customer must exist (a made-up id is a 404, not a refusal).
    state.repo.customer(customer_id).await?;
    let passed = state
        .repo
        .verifications(customer_id, 20)
        .await?
        .into_iter()
        .any(|v| {
            v.staff_id == staff_id
                && v.state == VerificationState::Passed
                && v.decided_at_us
                    .is_some_and(|t| now_us - t <= VERIFICATION_VALID_US)
        });
    if passed {
        return Ok(());
    }
    audit(
        state,
        &actor(agent),
        action,
        Some(customer_id.as_str()),
        "refused",
        serde_json::json!({"why": "identity not verified"}),
        now_us,
    )
    .await?;
    Err(ApiError::VerificationRequired)
}

/// Clears the customer's sign-in lock and failure count.
pub async fn unlock(
    state: &AppState,
    agent: &Principal,
    customer_id: &CustomerId,
    now_us: i64,
) -> Result<(), ApiError> {
    require_passed(state, agent, customer_id, "account.unlock", now_us).await?;
    let user = UserId::Customer(customer_id.clone());
    state.repo.clear_throttle(&account_key(&user)).await?;
    audit(
        state,
        &actor(agent),
        "account.unlock",
        Some(customer_id.as_str()),
        "ok",
        serde_json::json!({}),
        now_us,
    )
    .await
}

/// Sends the customer a password reset link to their registered address (the agent
/// never learns it). False when the hourly limit held it back.
pub async fn send_reset(
    state: &AppState,
    agent: &Principal,
    customer_id: &CustomerId,
    now_us: i64,
) -> Result<bool, ApiError> {
    require_passed(state, agent, customer_id, "password_reset.send", now_us).await?;
    let customer = state.repo.customer(customer_id).await?;
    issue_reset(state, &customer, None, &actor(agent), now_us).await
}

/// Schedules the removal of the customer's two-step sign-in after the configured wait
/// and tells the customer on every channel they have. Returns when it takes effect.
pub async fn start_totp_reset(
    state: &AppState,
    agent: &Principal,
    customer_id: &CustomerId,
    now_us: i64,
) -> Result<i64, ApiError> {
    require_passed(state, agent, customer_id, "totp.reset.start", now_us).await?;
    let user = UserId::Customer(customer_id.clone());
    if active_totp(state, &user, now_us).await?.is_none() {
        return Err(ApiError::InvalidState(
            "this customer has no two-step sign-in to reset".into(),
        ));
    }
    let wait_us = i64::from(state.config.security.totp_reset_wait_hours) * 3_600_000_000;
    let effective = now_us + wait_us;
    state
        .repo
        .schedule_totp_reset(&TotpResetRequest {
            user: user.clone(),
            requested_by: staff_of(agent)?,
            effective_at_us: effective,
        })
        .await?;
    let holder = Holder::load(state, &user).await?;
    for channel in [NoticeChannel::Email, NoticeChannel::Sms] {
        let mut args = FluentArgs::new();
        args.set("when", crate::api::views::rfc3339(effective));
        notify(
            state,
            &holder,
            NoticeKind::TotpResetScheduled,
            Some(channel),
            args,
            now_us,
        )
        .await?;
    }
    audit(
        state,
        &actor(agent),
        "totp.reset.start",
        Some(customer_id.as_str()),
        "ok",
        serde_json::json!({"effective_at": crate::api::views::rfc3339(effective)}),
        now_us,
    )
    .await?;
    Ok(effective)
}

/// What the agent sees of a customer's account protection.
#[derive(Debug, Clone)]
pub struct ProtectionStatus {
    /// Seconds until the lock ends, when locked.
    pub locked_for_secs: Option<u64>,
    /// Seconds until the next attempt is taken, when slowed down (not locked).
    pub throttled_for_secs: Option<u64>,
    /// Consecutive failed sign-ins.
    pub failures: u32,
    /// Two-step sign-in is on.
    pub totp_enabled: bool,
    /// A 2FA reset waits to take effect at this time (µs).
    pub totp_reset_at_us: Option<i64>,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    /// Recent verifications, newest first.
    pub verifications: Vec<IdentityVerification>,
    /// Whether the asking agent has a passed verification now.
    pub verified: bool,
}

/// The customer's protection status, for the agent.
pub async fn status(
    state: &AppState,
    agent: &Principal,
    customer_id: &CustomerId,
    now_us: i64,
) -> Result<ProtectionStatus, ApiError> {
    let staff_id = staff_of(agent)?;
    state.repo.customer(customer_id).await?;
    let user = UserId::Customer(customer_id.clone());
    let throttle = state
        .repo
        .throttle_state(&account_key(&user))
        .await?
        .unwrap_or_default();
    let (locked_for_secs, throttled_for_secs) =
        match state.config.security.policy().gate(&throttle, now_us) {
            Gate::Open => (None, None),
            Gate::Wait {
                retry_after_secs,
                locked: true,
            } => (Some(retry_after_secs), None),
            Gate::Wait {
                retry_after_secs, ..
            } => (None, Some(retry_after_secs)),
        };
    let totp = active_totp(state, &user, now_us).await?;
    let verifications = state.repo.verifications(customer_id, 5).await?;
    let verified = verifications.iter().any(|v| {
        v.staff_id == staff_id
            && v.state == VerificationState::Passed
            && v.decided_at_us
                .is_some_and(|t| now_us - t <= VERIFICATION_VALID_US)
    });
    Ok(ProtectionStatus {
        locked_for_secs,
        throttled_for_secs,
        failures: throttle.failures,
        totp_enabled: totp.is_some(),
        totp_reset_at_us: totp.as_ref().and_then(|t| t.reset_effective_at_us),
        recovery_codes_left: totp.as_ref().map_or(0, |t| t.recovery_codes_left),
        verifications,
        verified,
    })
}
