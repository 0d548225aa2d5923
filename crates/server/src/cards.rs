//! Linking bank cards and bank accounts: the checks (domain), the keyed fingerprint, the
//! issuer's one-time-code service, micro-deposits through the ledger, and the audit
//! records. The API and the pages both call [`link_card`], [`link_account`], [`verify`]
//! and [`remove`], so they answer alike.
//!
//! The card number, CVV and full account number live only in this request: they are
//! checked, fingerprinted (HMAC-SHA256 with `cards.fingerprint_key`) and sent to the
//! issuer when it is asked for a code, never stored or logged.
//!
//! # The issuer's code service
//!
//! `cards.issuer_base_url` points at the issuer (or the card-network gateway) that sends
//! the holder a one-time code. Two calls, JSON, `Authorization: Bearer <issuer_api_key>`:
//!
//! - `POST {base}/otp/challenges` with `{reference, kind, bank_code, number, expiry_month,
//!   expiry_year, cvv}` → `201 {"challenge_id": "…"}`; `422` means the issuer declines to
//!   send a code for this card or account.
//! - `POST {base}/otp/challenges/{challenge_id}/verify` with `{code}` → `200 {"valid": bool}`;
//!   `404`/`410` mean the challenge is gone (expired).
//!
//! Anything else (a timeout, a 5xx) is "issuer unavailable": nothing is stored and no try
//! is used up. With `cards.dev_issuer = true` (development and the demo only) a built-in
//! fake answers instead, accepting the code [`DEV_ISSUER_CODE`].

use crate::error::ApiError;
use crate::protection::{account_key, audit, check_address, count_address};
use crate::state::AppState;
use domain::cards::{
    AttemptResult, BankTable, CardInput, LinkOutcome, LinkProblem, LinkState, LinkVerification,
    LinkedMethod, MethodKind, NewLinkedMethod, deposits_match, fingerprint_material,
    micro_deposit_amounts, parse_typed_amount,
};
use domain::{Locale, Principal};
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use std::time::Duration;

const BINS_TOML: &str = include_str!("../data/bins.toml");

/// Per-address limit bucket of refused links and wrong answers (`security.address_limit`).
const ADDRESS_KIND: &str = "cards";

/// The code the development issuer accepts.
pub const DEV_ISSUER_CODE: &str = "123456";

/// Configuration section `cards`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CardsConfig {
    /// Key of the HMAC-SHA256 fingerprint of card and account numbers (at least 32
    /// characters). Empty switches linking off: without it the same card on two
    /// accounts cannot be recognised, and fingerprints must not be made with a known key.
    pub fingerprint_key: String,
    /// Base URL of the issuer's one-time-code service; empty = codes unavailable.
    pub issuer_base_url: String,
    /// Bearer token for the issuer's service.
    pub issuer_api_key: String,
    /// Development only: a built-in fake issuer that accepts [`DEV_ISSUER_CODE`].
    pub dev_issuer: bool,
    /// Time allowed for one issuer call, in seconds.
    pub issuer_timeout_secs: u64,
    /// Cards (and, separately, bank accounts) a customer may have linked or pending.
    pub max_per_customer: u32,
    /// Wrong codes or amounts before a verification fails.
    pub max_attempts: u32,
    /// Minutes a one-time code verification stays open.
    pub otp_minutes: u32,
    /// Days the customer has to read back micro-deposits.
    pub deposit_days: u32,
}

impl Default for CardsConfig {
    fn default() -> Self {
        Self {
            fingerprint_key: String::new(),
            issuer_base_url: String::new(),
            issuer_api_key: String::new(),
            dev_issuer: false,
            issuer_timeout_secs: 10,
            max_per_customer: 5,
            max_attempts: domain::cards::DEFAULT_MAX_ATTEMPTS,
            otp_minutes: 10,
            deposit_days: 7,
        }
    }
}

static TABLE: LazyLock<BankTable> = LazyLock::new(|| match parse_table(BINS_TOML) {
    Ok(t) => t,
    Err(e) => {
        tracing::error!(error = %e, "the shipped bank and BIN table is invalid; card linking refuses every card");
        BankTable::default()
    }
});

fn parse_table(text: &str) -> Result<BankTable, String> {
    let t: BankTable = toml::from_str(text).map_err(|e| e.to_string())?;
    t.validate()?;
    Ok(t)
}

/// The shipped bank and BIN table (`data/bins.toml`, a sample: see its header).
pub fn bank_table() -> &'static BankTable {
    &TABLE
}

/// Hex HMAC-SHA256 of a number under the configured key; `None` when no key is set.
pub fn fingerprint(
    config: &CardsConfig,
    kind: MethodKind,
    bank: &str,
    number: &str,
) -> Option<String> {
    if config.fingerprint_key.is_empty() {
        return None;
    }
    let material = fingerprint_material(kind, bank, number);
    crate::channels::signature::hmac_sha256(
        config.fingerprint_key.as_bytes(),
        &[material.as_bytes()],
    )
    .map(hex::encode)
}

/// A refused link or verification, with the message in the customer's language.
pub fn problem(
    state: &AppState,
    locale: Locale,
    p: LinkProblem,
    attempts_left: Option<u32>,
) -> ApiError {
    let mut message = state.i18n.message(locale, &p.message_key(), None);
    if let Some(left) = attempts_left {
        let mut args = fluent_bundle::FluentArgs::new();
        args.set("count", left);
        message = format!(
            "{message} {}",
            state
                .i18n
                .message(locale, "cards-attempts-left", Some(&args))
        );
    }
    ApiError::CardLink {
        problem: p,
        message,
        help_url: format!("/help/a/{}", p.help_slug()),
        attempts_left,
    }
}

/// `(year, month)` now in the customer's region's time zone (UTC if unknown).
async fn customer_month(
    state: &AppState,
    principal: &Principal,
    now_us: i64,
) -> Result<(i16, i8), ApiError> {
    let customer = principal.customer_id().ok_or(ApiError::Forbidden)?;
    let c = state.repo.customer(customer).await?;
    let zone = match state.repo.region(&c.region_id).await {
        Ok(r) => jiff::tz::TimeZone::get(&r.time_zone).unwrap_or(jiff::tz::TimeZone::UTC),
        Err(_) => jiff::tz::TimeZone::UTC,
    };
    let ts =
        jiff::Timestamp::from_microsecond(now_us).map_err(|e| ApiError::Unexpected(e.into()))?;
    let local = ts.to_zoned_datetime(zone);
    Ok((local.year(), local.month()))
}

/// What the issuer is asked to send a code for. Never logged: `Debug` is not derived.
#[derive(Serialize)]
struct ChallengeRequest<'a> {
    reference: &'a str,
    kind: &'static str,
    bank_code: &'a str,
    number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_month: Option<i8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry_year: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cvv: Option<&'a str>,
}

/// How an issuer call ended badly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IssuerError {
    /// No answer, or an answer that is not the protocol's.
    Unavailable,
    /// The issuer refuses (to send a code) or the challenge is gone.
    Declined,
}

fn issuer_client(config: &CardsConfig) -> Result<reqwest::Client, IssuerError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(config.issuer_timeout_secs.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("paydesk/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|_| IssuerError::Unavailable)
}

/// Asks the issuer to send the holder a code; returns the challenge id.
async fn request_code(
    config: &CardsConfig,
    req: &ChallengeRequest<'_>,
) -> Result<String, IssuerError> {
    if config.dev_issuer {
        return Ok(format!("dev-{}", uuid::Uuid::now_v7()));
    }
    let base = config.issuer_base_url.trim_end_matches('/');
    if base.is_empty() {
        return Err(IssuerError::Unavailable);
    }
    #[derive(Deserialize)]
    struct Created {
        challenge_id: String,
    }
    let resp = issuer_client(config)?
        .post(format!("{base}/otp/challenges"))
        .bearer_auth(&config.issuer_api_key)
        .json(req)
        .send()
        .await
        .map_err(|e| {
            // The error may carry the URL, never the body: safe to log.
            tracing::warn!(error = %e.without_url(), "issuer unreachable");
            IssuerError::Unavailable
        })?;
    match resp.status().as_u16() {
        200 | 201 => resp
            .json::<Created>()
            .await
            .map(|c| c.challenge_id)
            .map_err(|_| IssuerError::Unavailable),
        422 | 403 => Err(IssuerError::Declined),
        status => {
            tracing::warn!(status, "issuer refused the code request");
            Err(IssuerError::Unavailable)
        }
    }
}

/// Asks the issuer whether `code` is the one it sent.
async fn check_code(
    config: &CardsConfig,
    challenge: &str,
    code: &str,
) -> Result<bool, IssuerError> {
    if config.dev_issuer && challenge.starts_with("dev-") {
        return Ok(code.trim() == DEV_ISSUER_CODE);
    }
    let base = config.issuer_base_url.trim_end_matches('/');
    if base.is_empty() {
        return Err(IssuerError::Unavailable);
    }
    #[derive(Deserialize)]
    struct Verdict {
        valid: bool,
    }
    let resp = issuer_client(config)?
        .post(format!("{base}/otp/challenges/{challenge}/verify"))
        .bearer_auth(&config.issuer_api_key)
        .json(&serde_json::json!({ "code": code.trim() }))
        .send()
        .await
        .map_err(|e| {
            tracing::warn!(error = %e.without_url(), "issuer unreachable");
            IssuerError::Unavailable
        })?;
    match resp.status().as_u16() {
        200 => resp
            .json::<Verdict>()
            .await
            .map(|v| v.valid)
            .map_err(|_| IssuerError::Unavailable),
        404 | 410 => Err(IssuerError::Declined),
        _ => Err(IssuerError::Unavailable),
    }
}

fn detail(m: &LinkedMethod) -> serde_json::Value {
    serde_json::json!({
        "id": m.id, "kind": m.kind.as_str(), "bank": m.bank_code, "brand": m.brand.map(|b| b.as_str()),
        "last4": m.last4, "verification": m.verification.as_str(), "state": m.state.as_str(),
    })
}

/// Audits a refusal and returns it as the error to answer with.
async fn refuse(
    state: &AppState,
    principal: &Principal,
    action: &str,
    p: LinkProblem,
    left: Option<u32>,
    extra: serde_json::Value,
    now_us: i64,
) -> ApiError {
    let customer = principal.customer_id().map(|c| c.to_string());
    // Refusals count against the client's address, so trying stolen numbers one after
    // another (card testing) or guessing codes across records soon has to wait.
    if p != LinkProblem::IssuerUnavailable
        && let Err(e) = count_address(state, ADDRESS_KIND, now_us).await
    {
        return e;
    }
    if let Err(e) = audit(
        state,
        &account_key(&principal.user),
        action,
        customer.as_deref(),
        "refused",
        serde_json::json!({"problem": p.as_str(), "detail": extra}),
        now_us,
    )
    .await
    {
        return e;
    }
    problem(state, principal.locale, p, left)
}

/// The fields a new card or account record shares.
struct Draft {
    kind: MethodKind,
    bank_code: String,
    currency: domain::Currency,
    brand: Option<domain::cards::CardBrand>,
    bin: Option<String>,
    last4: String,
    expiry: Option<(i8, i16)>,
    holder_name: String,
}

/// What is checked before anything is stored, so a retry with the same input is
/// recognised (`Idempotency-Key`) without the number: the fingerprint stands in for it.
pub struct CheckedLink {
    fingerprint: String,
    draft: Draft,
    number: String,
    cvv: Option<String>,
}

impl CheckedLink {
    /// The keyed fingerprint of the number.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

fn holder(name: &str) -> String {
    name.trim().chars().take(100).collect()
}

/// Checks a typed card: number, brand length, BIN, bank, expiry in the customer's month.
pub async fn check_card(
    state: &AppState,
    principal: &Principal,
    input: &CardInput,
    holder_name: &str,
    now_us: i64,
) -> Result<CheckedLink, ApiError> {
    check_address(state, ADDRESS_KIND, now_us).await?;
    let today = customer_month(state, principal, now_us).await?;
    let card = match bank_table().check_card(input, today) {
        Ok(c) => c,
        Err(p) => {
            return Err(refuse(
                state,
                principal,
                "card.link",
                p,
                None,
                serde_json::json!({"kind": "card"}),
                now_us,
            )
            .await);
        }
    };
    let Some(fp) = fingerprint(
        &state.config.cards,
        MethodKind::Card,
        &card.bank.code,
        &card.pan,
    ) else {
        return Err(ApiError::Unavailable(
            "cards.fingerprint_key is not configured".into(),
        ));
    };
    let holder_name = holder(holder_name);
    Ok(CheckedLink {
        fingerprint: fp,
        draft: Draft {
            kind: MethodKind::Card,
            bank_code: card.bank.code.clone(),
            currency: card.bank.currency,
            brand: Some(card.brand),
            bin: Some(card.bin.clone()),
            last4: card.last4.clone(),
            expiry: Some((card.expiry_month, card.expiry_year)),
            holder_name,
        },
        number: card.pan,
        cvv: input.cvv.clone().filter(|c| !c.trim().is_empty()),
    })
}

/// Checks a typed bank account against its bank's format.
pub async fn check_account(
    state: &AppState,
    principal: &Principal,
    bank_code: &str,
    number: &str,
    holder_name: &str,
    now_us: i64,
) -> Result<CheckedLink, ApiError> {
    principal.customer_id().ok_or(ApiError::Forbidden)?;
    check_address(state, ADDRESS_KIND, now_us).await?;
    let account = match bank_table().check_account(bank_code, number) {
        Ok(a) => a,
        Err(p) => {
            return Err(refuse(
                state,
                principal,
                "bank_account.link",
                p,
                None,
                serde_json::json!({"kind": "bank_account", "bank": bank_code}),
                now_us,
            )
            .await);
        }
    };
    let Some(fp) = fingerprint(
        &state.config.cards,
        MethodKind::BankAccount,
        &account.bank.code,
        &account.number,
    ) else {
        return Err(ApiError::Unavailable(
            "cards.fingerprint_key is not configured".into(),
        ));
    };
    let holder_name = holder(holder_name);
    Ok(CheckedLink {
        fingerprint: fp,
        draft: Draft {
            kind: MethodKind::BankAccount,
            bank_code: account.bank.code.clone(),
            currency: account.bank.currency,
            brand: None,
            bin: None,
            last4: account.last4.clone(),
            expiry: None,
            holder_name,
        },
        number: account.number,
        cvv: None,
    })
}

/// Stores a checked card or account as pending verification: asks the issuer for a code
/// or posts the micro-deposits, flags a number another customer has linked, audits.
pub async fn link(
    state: &AppState,
    principal: &Principal,
    checked: CheckedLink,
    verification: LinkVerification,
    now_us: i64,
) -> Result<LinkedMethod, ApiError> {
    let customer = principal.customer_id().ok_or(ApiError::Forbidden)?.clone();
    let cfg = &state.config.cards;
    let d = &checked.draft;
    let action = match d.kind {
        MethodKind::Card => "card.link",
        MethodKind::BankAccount => "bank_account.link",
    };
    let id = uuid::Uuid::now_v7().to_string();
    let summary =
        serde_json::json!({"kind": d.kind.as_str(), "bank": d.bank_code, "last4": d.last4});
    // Cheap early answers for the limit and a repeat, before the issuer is bothered; the
    // store checks both again under its lock.
    let existing = state.repo.linked_methods(&customer, false).await?;
    let active: Vec<_> = existing
        .iter()
        .filter(|m| m.kind == d.kind && m.is_active())
        .collect();
    if active.iter().any(|m| m.fingerprint == checked.fingerprint) {
        return Err(refuse(
            state,
            principal,
            action,
            LinkProblem::AlreadyLinked,
            None,
            summary,
            now_us,
        )
        .await);
    }
    if active.len() >= cfg.max_per_customer as usize {
        return Err(refuse(
            state,
            principal,
            action,
            LinkProblem::LimitReached,
            None,
            summary,
            now_us,
        )
        .await);
    }
    let (otp_challenge, deposits, verify_by_us) = match verification {
        LinkVerification::IssuerOtp => {
            let req = ChallengeRequest {
                reference: &id,
                kind: d.kind.as_str(),
                bank_code: &d.bank_code,
                number: &checked.number,
                expiry_month: d.expiry.map(|e| e.0),
                expiry_year: d.expiry.map(|e| e.1),
                cvv: checked.cvv.as_deref(),
            };
            match request_code(cfg, &req).await {
                Ok(challenge) => (
                    Some(challenge),
                    None,
                    now_us + i64::from(cfg.otp_minutes.max(1)) * 60_000_000,
                ),
                Err(IssuerError::Unavailable) => {
                    return Err(refuse(
                        state,
                        principal,
                        action,
                        LinkProblem::IssuerUnavailable,
                        None,
                        summary,
                        now_us,
                    )
                    .await);
                }
                Err(IssuerError::Declined) => {
                    return Err(refuse(
                        state,
                        principal,
                        action,
                        LinkProblem::IssuerDeclined,
                        None,
                        summary,
                        now_us,
                    )
                    .await);
                }
            }
        }
        LinkVerification::MicroDeposits => {
            let amounts = micro_deposit_amounts(d.currency, rand::random());
            (
                None,
                Some(amounts),
                now_us + i64::from(cfg.deposit_days.max(1)) * 86_400_000_000,
            )
        }
    };
    let method = LinkedMethod {
        id,
        customer_id: customer.clone(),
        kind: d.kind,
        bank_code: d.bank_code.clone(),
        brand: d.brand,
        bin: d.bin.clone(),
        last4: d.last4.clone(),
        fingerprint: checked.fingerprint.clone(),
        expiry_month: d.expiry.map(|e| e.0),
        expiry_year: d.expiry.map(|e| e.1),
        holder_name: d.holder_name.clone(),
        state: LinkState::PendingVerification,
        verification,
        failure: None,
        attempts: 0,
        max_attempts: cfg.max_attempts.max(1),
        otp_challenge,
        deposits,
        deposit_currency: deposits.map(|_| d.currency),
        verify_by_us,
        risk: None,
        created_at_us: now_us,
        updated_at_us: now_us,
    };
    let outcome = state
        .repo
        .link_method(
            &NewLinkedMethod {
                method,
                limit: cfg.max_per_customer,
            },
            now_us,
        )
        .await?;
    let (method, shared_with) = match outcome {
        LinkOutcome::Linked {
            method,
            shared_with,
        } => (*method, shared_with),
        LinkOutcome::Refused(p) => {
            return Err(refuse(state, principal, action, p, None, summary, now_us).await);
        }
    };
    let actor = account_key(&principal.user);
    audit(
        state,
        &actor,
        action,
        Some(customer.as_str()),
        "ok",
        detail(&method),
        now_us,
    )
    .await?;
    if !shared_with.is_empty() {
        // For risk review: the same card or account is on other wallets.
        audit(
            state,
            "system",
            "card.risk_shared",
            Some(customer.as_str()),
            "flagged",
            serde_json::json!({"id": method.id, "last4": method.last4, "other_customers": shared_with.iter().map(|c| c.to_string()).collect::<Vec<_>>()}),
            now_us,
        )
        .await?;
    }
    Ok(method)
}

/// The customer's answer to a verification: the issuer's code, or the two deposits.
/// `Debug` leaves both out.
#[derive(Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct VerificationAnswer {
    /// The one-time code (issuer_otp).
    pub code: Option<String>,
    /// The two amounts as shown on the bank statement, e.g. `["537", "214"]` or
    /// `["0.37", "0.14"]` (micro_deposits).
    pub amounts: Option<Vec<String>>,
}

impl std::fmt::Debug for VerificationAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerificationAnswer(<redacted>)")
    }
}

/// A customer's own record, or `NotFound` (also for other customers' ids).
pub async fn own_method(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<LinkedMethod, ApiError> {
    let customer = principal.customer_id().ok_or(ApiError::Forbidden)?;
    match state.repo.linked_method(id).await {
        Ok(m) if &m.customer_id == customer && m.state != LinkState::Removed => Ok(m),
        Ok(_) | Err(domain::repo::RepoError::NotFound) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Checks the customer's answer; wrong answers use up tries, the last one fails the link.
pub async fn verify(
    state: &AppState,
    principal: &Principal,
    id: &str,
    answer: &VerificationAnswer,
    now_us: i64,
) -> Result<LinkedMethod, ApiError> {
    check_address(state, ADDRESS_KIND, now_us).await?;
    let m = own_method(state, principal, id).await?;
    let summary = detail(&m);
    if m.state != LinkState::PendingVerification {
        return Err(refuse(
            state,
            principal,
            "card.verify",
            LinkProblem::NotPending,
            None,
            summary,
            now_us,
        )
        .await);
    }
    let (correct, wrong_problem) = match m.verification {
        LinkVerification::IssuerOtp => {
            let code = answer.code.as_deref().unwrap_or("").trim();
            let challenge = m.otp_challenge.clone().unwrap_or_default();
            let correct = if code.is_empty() || code.len() > 12 {
                false
            } else {
                match check_code(&state.config.cards, &challenge, code).await {
                    Ok(v) => v,
                    Err(IssuerError::Unavailable) => {
                        return Err(refuse(
                            state,
                            principal,
                            "card.verify",
                            LinkProblem::IssuerUnavailable,
                            None,
                            summary,
                            now_us,
                        )
                        .await);
                    }
                    Err(IssuerError::Declined) => {
                        let failed = state
                            .repo
                            .fail_verification(&m.id, LinkProblem::VerificationExpired, now_us)
                            .await?;
                        return Err(refuse(
                            state,
                            principal,
                            "card.verify",
                            LinkProblem::VerificationExpired,
                            None,
                            detail(&failed),
                            now_us,
                        )
                        .await);
                    }
                }
            };
            (correct, LinkProblem::CodeWrong)
        }
        LinkVerification::MicroDeposits => {
            let currency = m.deposit_currency.unwrap_or(domain::Currency::IDR);
            let typed: Vec<Option<i64>> = answer
                .amounts
                .as_deref()
                .unwrap_or(&[])
                .iter()
                .map(|a| parse_typed_amount(currency, a))
                .collect();
            let correct = match (typed.as_slice(), m.deposits) {
                ([Some(a), Some(b)], Some(d)) => deposits_match(d, (*a, *b)),
                _ => false,
            };
            (correct, LinkProblem::AmountsWrong)
        }
    };
    let (next, result) = match state
        .repo
        .answer_link_verification(&m.id, correct, now_us)
        .await?
    {
        Ok(v) => v,
        Err(p) => {
            return Err(refuse(state, principal, "card.verify", p, None, summary, now_us).await);
        }
    };
    let actor = account_key(&principal.user);
    let customer = next.customer_id.to_string();
    match result {
        AttemptResult::Verified => {
            audit(
                state,
                &actor,
                "card.verify",
                Some(&customer),
                "passed",
                detail(&next),
                now_us,
            )
            .await?;
            Ok(next)
        }
        AttemptResult::Wrong { left } => Err(refuse(
            state,
            principal,
            "card.verify",
            wrong_problem,
            Some(left),
            detail(&next),
            now_us,
        )
        .await),
        AttemptResult::Exhausted => {
            let p = next.failure.unwrap_or(LinkProblem::AttemptsExhausted);
            Err(refuse(
                state,
                principal,
                "card.verify",
                p,
                None,
                detail(&next),
                now_us,
            )
            .await)
        }
    }
}

/// Removes a customer's card or account (audited).
pub async fn remove(
    state: &AppState,
    principal: &Principal,
    id: &str,
    now_us: i64,
) -> Result<LinkedMethod, ApiError> {
    let customer = principal.customer_id().ok_or(ApiError::Forbidden)?;
    let m = state.repo.remove_method(id, customer, now_us).await?;
    audit(
        state,
        &account_key(&principal.user),
        "card.remove",
        Some(customer.as_str()),
        "ok",
        detail(&m),
        now_us,
    )
    .await?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_is_valid_and_covers_every_brand() {
        let t = parse_table(BINS_TOML).unwrap();
        assert!(
            t.banks.iter().any(|b| !b.supported),
            "an unsupported bank for the refusal path"
        );
        for brand in domain::cards::CardBrand::ALL {
            assert!(
                t.bins.iter().any(|r| r.brand == *brand),
                "{brand:?} has no range"
            );
        }
        for (code, len) in [("BCA", 10), ("MANDIRI", 13), ("BRI", 15), ("BNI", 10)] {
            assert_eq!(t.bank(code).unwrap().account_lengths, vec![len], "{code}");
        }
        assert!(
            t.banks
                .iter()
                .filter(|b| b.country == "CN")
                .all(|b| b.account_lengths == vec![16, 17, 18, 19])
        );
        assert!(
            BINS_TOML.starts_with("# SAMPLE"),
            "the header must say it is a sample"
        );
    }

    #[test]
    fn every_problem_links_a_help_article_in_every_language() {
        let kb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kb/articles");
        for p in LinkProblem::ALL {
            for locale in ["en", "id", "zh-CN"] {
                let file = kb.join(format!("{}.{locale}.md", p.help_slug()));
                assert!(file.is_file(), "{p:?}: no {}", file.display());
            }
        }
    }

    #[test]
    fn every_problem_has_a_message_in_every_language() {
        let i18n = crate::i18n::I18n::load().unwrap();
        for locale in [Locale::En, Locale::Id, Locale::ZhCn] {
            let keys = i18n.keys(locale);
            for p in LinkProblem::ALL {
                assert!(
                    keys.contains(&p.message_key()),
                    "{locale:?} lacks {}",
                    p.message_key()
                );
            }
            for state in domain::cards::LinkState::ALL {
                let key = format!("cards-state-{}", state.as_str());
                assert!(keys.contains(&key), "{locale:?} lacks {key}");
            }
        }
    }

    #[test]
    fn fingerprints_are_keyed_and_separate_cards_from_accounts() {
        let mut c = CardsConfig::default();
        assert_eq!(fingerprint(&c, MethodKind::Card, "BCA", "4556"), None);
        c.fingerprint_key = "k1".repeat(16);
        let a = fingerprint(&c, MethodKind::Card, "BCA", "4556123412341234").unwrap();
        assert_eq!(a.len(), 64);
        assert_eq!(
            Some(a.clone()),
            fingerprint(&c, MethodKind::Card, "BCA", "4556123412341234")
        );
        assert_ne!(
            Some(a.clone()),
            fingerprint(&c, MethodKind::BankAccount, "BCA", "4556123412341234")
        );
        c.fingerprint_key = "k2".repeat(16);
        assert_ne!(
            Some(a),
            fingerprint(&c, MethodKind::Card, "BCA", "4556123412341234")
        );
    }
}
