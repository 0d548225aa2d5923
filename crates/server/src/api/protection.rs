//! Account protection over the API: password reset, password change, two-step sign-in,
//! sessions and devices, and the agent's identity verification, unlock and resets.

use crate::api::extract::ApiJson;
use crate::api::views::rfc3339;
use crate::auth::{ApiUser, SignedIn, SupportStaff};
use crate::error::{ApiError, Problem};
use crate::protection::{self, agent, reset, second_factor};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use domain::CustomerId;
use domain::protection::{IdentityVerification, VerificationMethod, session_public_id};
use domain::repo::SessionKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/password-resets", post(request_reset))
        .route(
            "/api/v1/auth/password-resets/complete",
            post(complete_reset),
        )
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/me/sessions", get(list_sessions))
        .route("/api/v1/me/sessions/{id}", delete(revoke_session))
        .route("/api/v1/me/sessions/revoke-others", post(revoke_others))
        .route("/api/v1/me/totp", get(totp_status).post(start_totp))
        .route("/api/v1/me/totp/confirm", post(confirm_totp))
        .route("/api/v1/me/totp/disable", post(disable_totp))
        .route("/api/v1/me/totp/recovery-codes", post(new_recovery_codes))
        .route("/api/v1/customers/{id}/protection", get(protection_status))
        .route(
            "/api/v1/customers/{id}/verifications",
            post(start_verification),
        )
        .route(
            "/api/v1/customers/{id}/verifications/{verification_id}/answer",
            post(answer_verification),
        )
        .route("/api/v1/customers/{id}/unlock", post(unlock))
        .route("/api/v1/customers/{id}/password-reset", post(send_reset))
        .route("/api/v1/customers/{id}/totp-reset", post(start_totp_reset))
}

/// "Forgot password".
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The email or phone the customer signs in with.
    pub login: String,
}

/// An answer that says the same whatever happened.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// Always `accepted`.
    pub status: String,
    /// What the caller may expect.
    pub detail: String,
}

/// Ask for a password reset link (customers).
///
/// The answer is the same whether or not an account exists; the link goes to the
/// registered email (login by email) or phone (login by phone) and works once, for 30
/// minutes by default.
#[utoipa::path(post, path = "/api/v1/auth/password-resets", tag = "auth", request_body = ResetRequest,
    responses(
        (status = 202, description = "Accepted (sent if the account exists)", body = Accepted),
        (status = 429, description = "Too many requests from this address", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn request_reset(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ResetRequest>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    reset::request_reset(&state, &req.login, crate::now_us()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            status: "accepted".into(),
            detail: "If an account uses this email or phone number, a reset link is on its way."
                .into(),
        }),
    ))
}

/// Completing a reset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteReset {
    /// The token from the link.
    pub token: String,
    /// The new password (8 to 256 characters, not a common one).
    pub new_password: String,
    /// For accounts with two-step sign-in: a current code or a recovery code.
    pub totp: Option<String>,
}

/// Set a new password with a reset token.
///
/// Ends every session of the account and clears a sign-in lock. An account with
/// two-step sign-in must also give a code (`totp_required`).
#[utoipa::path(post, path = "/api/v1/auth/password-resets/complete", tag = "auth", request_body = CompleteReset,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "Unknown, used or expired token", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Code required or wrong", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Password refused, with the reason", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn complete_reset(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CompleteReset>,
) -> Result<StatusCode, ApiError> {
    reset::complete_reset(
        &state,
        &req.token,
        &req.new_password,
        req.totp.as_deref(),
        crate::now_us(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in use.
    pub current_password: String,
    /// The new one.
    pub new_password: String,
}

/// Change my password; my other sessions end.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "account", security(("bearer" = [])), request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Current password wrong, or new one refused with the reason", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    reset::change_password(
        &state,
        &user.session,
        &req.current_password,
        &req.new_password,
        crate::now_us(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One active session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Id to revoke it by.
    pub id: String,
    /// The session making this request.
    pub current: bool,
    /// `cookie` (browser) or `bearer` (app or API).
    pub kind: String,
    /// Readable device (`Chrome · Android`).
    pub device: String,
    /// The full user agent.
    pub user_agent: String,
    /// Network it started from (IPv4 /24, IPv6 /64).
    pub network: String,
    /// Started (RFC 3339).
    pub created_at: String,
    /// Last request seen, to within five minutes (RFC 3339).
    pub last_seen_at: String,
    /// Ends (RFC 3339).
    pub expires_at: String,
}

/// My active sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    /// Newest first.
    pub items: Vec<SessionView>,
}

/// The caller's sessions as views.
pub async fn session_views(
    state: &AppState,
    session: &crate::auth::Authenticated,
) -> Result<Vec<SessionView>, ApiError> {
    let records = state
        .repo
        .user_sessions(&session.principal.user, crate::now_us())
        .await?;
    Ok(records
        .into_iter()
        .map(|r| SessionView {
            id: session_public_id(&r.token_hash),
            current: r.token_hash == session.token_hash,
            kind: match r.kind {
                SessionKind::Cookie => "cookie".into(),
                SessionKind::Bearer => "bearer".into(),
            },
            device: protection::device_label(&r.user_agent),
            user_agent: r.user_agent,
            network: r.client_net,
            created_at: rfc3339(r.created_at_us),
            last_seen_at: rfc3339(r.last_seen_at_us),
            expires_at: rfc3339(r.expires_at_us),
        })
        .collect())
}

/// Ends one of the caller's sessions by public id; another user's id is not found.
pub async fn end_session(
    state: &AppState,
    session: &crate::auth::Authenticated,
    id: &str,
) -> Result<(), ApiError> {
    let records = state
        .repo
        .user_sessions(&session.principal.user, crate::now_us())
        .await?;
    let target = records
        .iter()
        .find(|r| session_public_id(&r.token_hash) == id)
        .ok_or(ApiError::NotFound)?;
    state.repo.delete_session(&target.token_hash).await?;
    Ok(())
}

/// List my active sessions and devices.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "account", security(("bearer" = [])),
    responses(
        (status = 200, description = "Sessions, newest first", body = SessionList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_sessions(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
) -> Result<Json<SessionList>, ApiError> {
    Ok(Json(SessionList {
        items: session_views(&state, &user.session).await?,
    }))
}

/// Revoke one of my sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "account", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id from the list")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session of yours", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_session(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    end_session(&state, &user.session, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many sessions ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ended {
    /// Count.
    pub ended: u64,
}

/// Sign out everywhere else: every session but this one ends.
#[utoipa::path(post, path = "/api/v1/me/sessions/revoke-others", tag = "account", security(("bearer" = [])),
    responses(
        (status = 200, description = "Other sessions ended", body = Ended),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_others(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
) -> Result<Json<Ended>, ApiError> {
    let ended = state
        .repo
        .end_user_sessions(&user.principal.user, Some(&user.session.token_hash))
        .await?;
    Ok(Json(Ended { ended }))
}

/// Two-step sign-in status.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpStatus {
    /// Sign-in asks for a code.
    pub enabled: bool,
    /// A set-up was started and not confirmed.
    pub pending: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    /// An agent's 2FA reset takes effect then (RFC 3339).
    pub reset_scheduled_at: Option<String>,
}

/// My two-step sign-in.
#[utoipa::path(get, path = "/api/v1/me/totp", tag = "account", security(("bearer" = [])),
    responses(
        (status = 200, description = "Status", body = TotpStatus),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn totp_status(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
) -> Result<Json<TotpStatus>, ApiError> {
    let now = crate::now_us();
    let active = second_factor::active_totp(&state, &user.principal.user, now).await?;
    let stored = state.repo.totp(&user.principal.user).await?;
    Ok(Json(TotpStatus {
        enabled: active.is_some(),
        pending: stored.as_ref().is_some_and(|c| !c.enabled()),
        recovery_codes_left: active.as_ref().map_or(0, |c| c.recovery_codes_left),
        reset_scheduled_at: active
            .as_ref()
            .and_then(|c| c.reset_effective_at_us)
            .map(rfc3339),
    }))
}

/// A started set-up.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// The secret in base32 (to type into an app by hand).
    pub secret: String,
    /// The `otpauth://` URI (what the QR code holds).
    pub otpauth_uri: String,
    /// The QR code as SVG.
    pub qr_svg: String,
}

/// Start setting up two-step sign-in: a new secret, not active until confirmed.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "account", security(("bearer" = [])),
    responses(
        (status = 201, description = "Set-up started", body = TotpEnrolment),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already on", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn start_totp(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
) -> Result<(StatusCode, Json<TotpEnrolment>), ApiError> {
    let e = second_factor::start_enrolment(&state, &user.principal, crate::now_us()).await?;
    Ok((
        StatusCode::CREATED,
        Json(TotpEnrolment {
            secret: e.secret.base32(),
            otpauth_uri: e.uri,
            qr_svg: e.qr_svg,
        }),
    ))
}

/// A code from the authenticator app (or a recovery code where allowed).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// The code.
    pub code: String,
}

/// Recovery codes, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Each works once, in place of a code from the app.
    pub recovery_codes: Vec<String>,
}

/// Confirm the set-up with the first code; returns 10 recovery codes, shown once.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "account", security(("bearer" = [])), request_body = CodeBody,
    responses(
        (status = 200, description = "Two-step sign-in is on", body = RecoveryCodes),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No set-up started, or already on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong code", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    ApiJson(req): ApiJson<CodeBody>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let codes =
        second_factor::confirm_enrolment(&state, &user.principal, &req.code, crate::now_us())
            .await?;
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Turn two-step sign-in off (needs a current code or a recovery code).
#[utoipa::path(post, path = "/api/v1/me/totp/disable", tag = "account", security(("bearer" = [])), request_body = CodeBody,
    responses(
        (status = 204, description = "Off"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not on", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong code", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn disable_totp(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    ApiJson(req): ApiJson<CodeBody>,
) -> Result<StatusCode, ApiError> {
    second_factor::disable(&state, &user.principal, &req.code, crate::now_us()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace my recovery codes (needs a current code from the app).
#[utoipa::path(post, path = "/api/v1/me/totp/recovery-codes", tag = "account", security(("bearer" = [])), request_body = CodeBody,
    responses(
        (status = 200, description = "New codes; the old ones no longer work", body = RecoveryCodes),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Two-step sign-in is off", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong code", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn new_recovery_codes(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    ApiJson(req): ApiJson<CodeBody>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let codes = second_factor::regenerate_recovery_codes(
        &state,
        &user.principal,
        &req.code,
        crate::now_us(),
    )
    .await?;
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

fn customer_id(raw: &str) -> Result<CustomerId, ApiError> {
    CustomerId::parse(raw).ok_or(ApiError::NotFound)
}

/// A verification as the agent sees it (never which lines are genuine).
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// Id.
    pub id: String,
    /// `transactions` or `phone_code`.
    pub method: String,
    /// `pending`, `passed` or `failed`.
    pub state: String,
    /// Answers tried.
    pub attempts: i64,
    /// The checklist to tick what the caller names (transactions method).
    pub items: Vec<ChecklistLine>,
    /// Answers are taken until then (RFC 3339).
    pub expires_at: String,
}

/// One line of the checklist.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistLine {
    /// Id to send back when the caller named it.
    pub id: String,
    /// What it was.
    pub description: String,
    /// Amount.
    pub amount: String,
    /// Day.
    pub date: String,
}

impl From<&IdentityVerification> for VerificationView {
    fn from(v: &IdentityVerification) -> Self {
        Self {
            id: v.id.clone(),
            method: v.method.as_str().into(),
            state: v.state.as_str().into(),
            attempts: v.attempts,
            items: v
                .items
                .iter()
                .map(|i| ChecklistLine {
                    id: i.id.clone(),
                    description: i.description.clone(),
                    amount: i.amount.clone(),
                    date: i.date.clone(),
                })
                .collect(),
            expires_at: rfc3339(v.expires_at_us),
        }
    }
}

/// A customer's account protection, for support staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProtectionView {
    /// Sign-in is locked.
    pub locked: bool,
    /// Seconds until the lock (or the current slow-down) ends.
    pub retry_after_secs: Option<u64>,
    /// Consecutive failed sign-ins.
    pub failed_sign_ins: u32,
    /// Two-step sign-in is on.
    pub totp_enabled: bool,
    /// An agent's 2FA reset takes effect then (RFC 3339).
    pub totp_reset_at: Option<String>,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
    /// The caller has a passed verification of this customer from the last 30 minutes.
    pub verified_by_you: bool,
    /// Recent verifications, newest first.
    pub verifications: Vec<VerificationView>,
}

/// A customer's sign-in lock, two-step sign-in and verifications (support staff).
#[utoipa::path(get, path = "/api/v1/customers/{id}/protection", tag = "account protection", security(("bearer" = [])),
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Status", body = ProtectionView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not support staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn protection_status(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
) -> Result<Json<ProtectionView>, ApiError> {
    let id = customer_id(&id)?;
    let s = agent::status(&state, &user.principal, &id, crate::now_us()).await?;
    Ok(Json(ProtectionView {
        locked: s.locked_for_secs.is_some(),
        retry_after_secs: s.locked_for_secs.or(s.throttled_for_secs),
        failed_sign_ins: s.failures,
        totp_enabled: s.totp_enabled,
        totp_reset_at: s.totp_reset_at_us.map(rfc3339),
        recovery_codes_left: s.recovery_codes_left,
        verified_by_you: s.verified,
        verifications: s.verifications.iter().map(VerificationView::from).collect(),
    }))
}

/// Starting a verification.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartVerification {
    /// `transactions` (the caller names recent transactions among decoys) or `phone_code`
    /// (a code goes to the registered phone and the caller reads it back).
    pub method: String,
}

/// Start verifying a caller's identity (support staff).
#[utoipa::path(post, path = "/api/v1/customers/{id}/verifications", tag = "account protection", security(("bearer" = [])), request_body = StartVerification,
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 201, description = "Started", body = VerificationView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not support staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown method, or not possible for this customer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn start_verification(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StartVerification>,
) -> Result<(StatusCode, Json<VerificationView>), ApiError> {
    let id = customer_id(&id)?;
    let method = VerificationMethod::parse(&req.method).ok_or_else(|| {
        ApiError::Validation(domain::ValidationError::field(
            "method",
            "invalid_value",
            "use transactions or phone_code",
        ))
    })?;
    let v =
        agent::start_verification(&state, &user.principal, &id, method, crate::now_us()).await?;
    Ok((StatusCode::CREATED, Json(VerificationView::from(&v))))
}

/// The caller's answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationAnswer {
    /// Checklist line ids the caller named correctly (transactions method).
    #[serde(default)]
    pub named: Vec<String>,
    /// The code the caller read back (phone method).
    pub code: Option<String>,
}

/// Record the caller's answer (support staff; only the agent who started it).
#[utoipa::path(post, path = "/api/v1/customers/{id}/verifications/{verification_id}/answer", tag = "account protection", security(("bearer" = [])), request_body = VerificationAnswer,
    params(("id" = String, Path, description = "Customer id"), ("verification_id" = String, Path, description = "Verification id")),
    responses(
        (status = 200, description = "Decided (or one more try for a code)", body = VerificationView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not support staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such verification of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn answer_verification(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path((id, verification_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<VerificationAnswer>,
) -> Result<Json<VerificationView>, ApiError> {
    let id = customer_id(&id)?;
    let v = agent::answer(
        &state,
        &user.principal,
        &id,
        &verification_id,
        &agent::Answer {
            named: req.named,
            code: req.code,
        },
        crate::now_us(),
    )
    .await?;
    Ok(Json(VerificationView::from(&v)))
}

/// Unlock a customer's sign-in after a passed verification (support staff; audited).
#[utoipa::path(post, path = "/api/v1/customers/{id}/unlock", tag = "account protection", security(("bearer" = [])),
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 204, description = "Unlocked"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not support staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Identity not verified", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn unlock(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = customer_id(&id)?;
    agent::unlock(&state, &user.principal, &id, crate::now_us()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether a reset link went out.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetSent {
    /// False when the hourly limit of reset messages for this customer held it back.
    pub sent: bool,
}

/// Send the customer a password reset link after a passed verification (support staff;
/// the agent never sees the link).
#[utoipa::path(post, path = "/api/v1/customers/{id}/password-reset", tag = "account protection", security(("bearer" = [])),
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 202, description = "Link sent to the registered email or phone", body = ResetSent),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not support staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Identity not verified", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn send_reset(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ResetSent>), ApiError> {
    let id = customer_id(&id)?;
    let sent = agent::send_reset(&state, &user.principal, &id, crate::now_us()).await?;
    Ok((StatusCode::ACCEPTED, Json(ResetSent { sent })))
}

/// When a scheduled 2FA reset takes effect.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpResetScheduled {
    /// RFC 3339.
    pub effective_at: String,
}

/// Start a 2FA reset after a passed verification (support staff). The customer is told
/// at once; two-step sign-in is removed after `security.totp_reset_wait_hours`, unless
/// the customer signs in with a valid code before then.
#[utoipa::path(post, path = "/api/v1/customers/{id}/totp-reset", tag = "account protection", security(("bearer" = [])),
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 202, description = "Scheduled", body = TotpResetScheduled),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not support staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Identity not verified, or no two-step sign-in", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn start_totp_reset(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<TotpResetScheduled>), ApiError> {
    let id = customer_id(&id)?;
    let at = agent::start_totp_reset(&state, &user.principal, &id, crate::now_us()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(TotpResetScheduled {
            effective_at: rfc3339(at),
        }),
    ))
}
