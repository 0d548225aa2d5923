//! Two-step sign-in with TOTP (RFC 6238): enrolment with a QR code, codes accepted
//! once, recovery codes, and the agent's 2FA reset that takes effect after a wait.

use super::{Holder, account_key, audit, begin_attempt, customer_of, notify};
use crate::error::ApiError;
use crate::state::AppState;
use domain::protection::{
    NoticeKind, RECOVERY_CODES, TOTP_SECRET_BYTES, TotpCredential, TotpSecret,
    normalize_recovery_code, recovery_code, recovery_code_hash,
};
use domain::{Principal, UserId, ValidationError};
use fluent_bundle::FluentArgs;

/// Name shown in authenticator apps.
pub const ISSUER: &str = "paydesk";

/// What the second step of a sign-in found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    /// The account has no two-step sign-in.
    NotEnrolled,
    /// A valid code was given.
    Passed,
    /// No code was given.
    Missing,
    /// The code was wrong or already used.
    Wrong,
}

/// Which kind of code matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// A one-time code from the app.
    Totp,
    /// A recovery code (now used up).
    Recovery,
}

/// The account's enabled TOTP, applying a 2FA reset whose wait is over first.
pub async fn active_totp(
    state: &AppState,
    user: &UserId,
    now_us: i64,
) -> Result<Option<TotpCredential>, ApiError> {
    let Some(cred) = state.repo.totp(user).await? else {
        return Ok(None);
    };
    if !cred.enabled() {
        return Ok(None);
    }
    if cred.reset_effective_at_us.is_some_and(|t| t <= now_us) {
        apply_totp_reset(state, user, now_us).await?;
        return Ok(None);
    }
    Ok(Some(cred))
}

/// Checks a typed code (TOTP or recovery) and uses it up. Concurrent use of the same code
/// succeeds once: the step and the recovery code are taken with conditional updates.
pub async fn use_code(
    state: &AppState,
    cred: &TotpCredential,
    code: &str,
    now_us: i64,
) -> Result<Option<CodeKind>, ApiError> {
    if let Some(step) = cred.secret.verify(code, now_us, cred.last_used_step) {
        return Ok(state
            .repo
            .use_totp_step(&cred.user, step)
            .await?
            .then_some(CodeKind::Totp));
    }
    if let Some(normalized) = normalize_recovery_code(code) {
        let hash = recovery_code_hash(&cred.user, &normalized);
        if state
            .repo
            .use_recovery_code(&cred.user, &hash, now_us)
            .await?
        {
            return Ok(Some(CodeKind::Recovery));
        }
    }
    Ok(None)
}

/// The second step of a sign-in whose password was right.
pub async fn check_second_factor(
    state: &AppState,
    user: &UserId,
    code: Option<&str>,
    now_us: i64,
) -> Result<SecondFactor, ApiError> {
    let Some(cred) = active_totp(state, user, now_us).await? else {
        return Ok(SecondFactor::NotEnrolled);
    };
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(SecondFactor::Missing);
    };
    match use_code(state, &cred, code, now_us).await? {
        Some(kind) => {
            // The holder just proved they still have their authenticator: a pending 2FA
            // reset an agent started (perhaps for an impostor) is called off.
            if kind == CodeKind::Totp
                && cred.reset_effective_at_us.is_some()
                && state.repo.cancel_totp_reset(user).await?
            {
                audit(
                    state,
                    &account_key(user),
                    "totp.reset.cancelled",
                    customer_of(user),
                    "ok",
                    serde_json::json!({"why": "signed in with a valid code"}),
                    now_us,
                )
                .await?;
            }
            Ok(SecondFactor::Passed)
        }
        None => Ok(SecondFactor::Wrong),
    }
}

/// A new enrolment: its secret and the QR code of its `otpauth://` URI.
pub struct Enrolment {
    /// The shared secret (shown once, in base32, for typing into an app by hand).
    pub secret: TotpSecret,
    /// The `otpauth://` URI.
    pub uri: String,
    /// The URI as a QR code, an inline SVG drawn by the server.
    pub qr_svg: String,
}

/// The account name shown in the authenticator app.
async fn account_label(state: &AppState, user: &UserId) -> Result<String, ApiError> {
    let h = Holder::load(state, user).await?;
    Ok(h.email.or(h.phone).unwrap_or(h.name))
}

/// Renders `text` as a QR code in SVG.
pub fn qr_svg(text: &str) -> Result<String, ApiError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| ApiError::Unexpected(anyhow::anyhow!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

/// Describes an enrolment of a stored secret.
pub async fn enrolment_of(
    state: &AppState,
    user: &UserId,
    secret: TotpSecret,
) -> Result<Enrolment, ApiError> {
    let uri = secret.otpauth_uri(ISSUER, &account_label(state, user).await?);
    let qr_svg = qr_svg(&uri)?;
    Ok(Enrolment {
        secret,
        uri,
        qr_svg,
    })
}

/// Starts (or restarts) enrolment with a fresh 160-bit secret.
pub async fn start_enrolment(
    state: &AppState,
    principal: &Principal,
    now_us: i64,
) -> Result<Enrolment, ApiError> {
    let bytes: [u8; TOTP_SECRET_BYTES] = rand::random();
    let secret = TotpSecret::from_bytes(bytes.to_vec())
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("secret too short")))?;
    state
        .repo
        .begin_totp(&principal.user, &secret, now_us)
        .await?;
    enrolment_of(state, &principal.user, secret).await
}

/// The pending enrolment, if one was started and not confirmed.
pub async fn pending_enrolment(
    state: &AppState,
    user: &UserId,
) -> Result<Option<Enrolment>, ApiError> {
    match state.repo.totp(user).await? {
        Some(c) if !c.enabled() => Ok(Some(enrolment_of(state, user, c.secret).await?)),
        _ => Ok(None),
    }
}

fn code_refused() -> ApiError {
    ApiError::Validation(ValidationError::field(
        "code",
        "invalid_code",
        "the code is wrong or was already used; enter the current code from your app",
    ))
}

/// Fresh recovery codes: what to show once, and what to store.
fn new_recovery_codes(user: &UserId) -> (Vec<String>, Vec<String>) {
    (0..RECOVERY_CODES)
        .map(|_| {
            let code = recovery_code(&rand::random::<[u8; 10]>());
            let hash = recovery_code_hash(user, &code.replace('-', ""));
            (code, hash)
        })
        .unzip()
}

/// Turns two-step sign-in on with the first code from the app; returns the recovery
/// codes, shown this once.
pub async fn confirm_enrolment(
    state: &AppState,
    principal: &Principal,
    code: &str,
    now_us: i64,
) -> Result<Vec<String>, ApiError> {
    let user = &principal.user;
    let cred = match state.repo.totp(user).await? {
        Some(c) if !c.enabled() => c,
        Some(_) => {
            return Err(ApiError::InvalidState(
                "two-step sign-in is already on".into(),
            ));
        }
        None => {
            return Err(ApiError::InvalidState(
                "start the set-up first: no code is expected yet".into(),
            ));
        }
    };
    let attempt = begin_attempt(state, &account_key(user), now_us).await?;
    let Some(step) = cred.secret.verify(code, now_us, cred.last_used_step) else {
        attempt.failed(state, Some(user)).await?;
        return Err(code_refused());
    };
    let (codes, hashes) = new_recovery_codes(user);
    if !state.repo.enable_totp(user, step, &hashes, now_us).await? {
        attempt.not_counted(state).await?;
        return Err(ApiError::InvalidState(
            "two-step sign-in is already on".into(),
        ));
    }
    attempt.succeeded(state).await?;
    let holder = Holder::load(state, user).await?;
    let mut args = FluentArgs::new();
    args.set("state", "on");
    notify(state, &holder, NoticeKind::TotpChanged, None, args, now_us).await?;
    audit(
        state,
        &account_key(user),
        "totp.enabled",
        customer_of(user),
        "ok",
        serde_json::json!({}),
        now_us,
    )
    .await?;
    Ok(codes)
}

/// Checks a code for a signed-in holder's own change (turning 2FA off, new recovery
/// codes), throttled like sign-in so a stolen session cannot guess codes.
async fn require_code(
    state: &AppState,
    user: &UserId,
    code: &str,
    now_us: i64,
    allow_recovery: bool,
) -> Result<(), ApiError> {
    let Some(cred) = active_totp(state, user, now_us).await? else {
        return Err(ApiError::InvalidState("two-step sign-in is off".into()));
    };
    let attempt = begin_attempt(state, &account_key(user), now_us).await?;
    match use_code(state, &cred, code, now_us).await? {
        Some(CodeKind::Totp) => attempt.succeeded(state).await,
        Some(CodeKind::Recovery) if allow_recovery => attempt.succeeded(state).await,
        _ => {
            attempt.failed(state, Some(user)).await?;
            Err(code_refused())
        }
    }
}

/// Turns two-step sign-in off, with a current code (or a recovery code).
pub async fn disable(
    state: &AppState,
    principal: &Principal,
    code: &str,
    now_us: i64,
) -> Result<(), ApiError> {
    let user = &principal.user;
    require_code(state, user, code, now_us, true).await?;
    state.repo.delete_totp(user).await?;
    let holder = Holder::load(state, user).await?;
    let mut args = FluentArgs::new();
    args.set("state", "off");
    notify(state, &holder, NoticeKind::TotpChanged, None, args, now_us).await?;
    audit(
        state,
        &account_key(user),
        "totp.disabled",
        customer_of(user),
        "ok",
        serde_json::json!({}),
        now_us,
    )
    .await
}

/// Replaces the recovery codes (the old ones stop working), with a current app code.
pub async fn regenerate_recovery_codes(
    state: &AppState,
    principal: &Principal,
    code: &str,
    now_us: i64,
) -> Result<Vec<String>, ApiError> {
    let user = &principal.user;
    require_code(state, user, code, now_us, false).await?;
    let (codes, hashes) = new_recovery_codes(user);
    state.repo.replace_recovery_codes(user, &hashes).await?;
    audit(
        state,
        &account_key(user),
        "totp.recovery_codes.replaced",
        customer_of(user),
        "ok",
        serde_json::json!({}),
        now_us,
    )
    .await?;
    Ok(codes)
}

/// An agent's 2FA reset takes effect: TOTP and recovery codes are removed and the holder
/// is told.
pub async fn apply_totp_reset(
    state: &AppState,
    user: &UserId,
    now_us: i64,
) -> Result<(), ApiError> {
    // Only the node that actually cancels the pending reset goes on, so the notice and the
    // audit record are written once even when several nodes see it due.
    if !state.repo.cancel_totp_reset(user).await? {
        return Ok(());
    }
    state.repo.delete_totp(user).await?;
    let holder = Holder::load(state, user).await?;
    notify(
        state,
        &holder,
        NoticeKind::TotpResetDone,
        None,
        FluentArgs::new(),
        now_us,
    )
    .await?;
    audit(
        state,
        "system",
        "totp.reset.applied",
        customer_of(user),
        "ok",
        serde_json::json!({}),
        now_us,
    )
    .await
}
