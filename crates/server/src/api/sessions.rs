//! API sign-in and sign-out with bearer tokens (the mobile app).

use crate::api::extract::ApiJson;
use crate::api::views::{MeView, rfc3339};
use crate::auth::{self, ApiUser, Audience, SignedIn};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{delete, post};
use axum::{Json, Router};
use domain::repo::SessionKind;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Sign-in request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// `customer` (email or phone) or `staff` (work email).
    pub audience: Audience,
    /// Email address or phone number.
    pub login: String,
    /// Password.
    pub password: String,
    /// For accounts with two-step sign-in: the current code from the authenticator app,
    /// or a recovery code. Without it such an account gets `totp_required`.
    pub totp: Option<String>,
}

/// A bearer token for the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Expiry (RFC 3339, UTC).
    pub expires_at: String,
    /// Who signed in.
    pub user: MeView,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/tokens", post(create_token))
        .route("/api/v1/auth/tokens/current", delete(delete_token))
}

/// Sign in and get a bearer token.
///
/// Unknown accounts and wrong passwords get the same answer in the same time.
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 201, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong login or password (`invalid_credentials`), or a one-time code is needed (`totp_required`) or wrong (`totp_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account suspended or closed", body = Problem, content_type = "application/problem+json"),
        (status = 423, description = "Locked after too many failed attempts (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts: wait `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed body", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<TokenResponse>), ApiError> {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let attempt = auth::SignInAttempt {
        audience: req.audience,
        login: &req.login,
        password: &req.password,
        code: req.totp.as_deref(),
        user_agent: agent,
        now_us: crate::now_us(),
    };
    let principal = match auth::sign_in(&state, &attempt).await? {
        auth::SignInOutcome::SignedIn(p) => p,
        auth::SignInOutcome::NeedsCode(_) => return Err(ApiError::TotpRequired),
    };
    let session = auth::start_session(&state, &principal, SessionKind::Bearer, agent).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenResponse {
            token: session.token,
            token_type: "Bearer".into(),
            expires_at: rfc3339(session.record.expires_at_us),
            user: MeView::from(&principal),
        }),
    ))
}

/// Sign out: revoke the token used for this request.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/current", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Token revoked"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_token(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
) -> Result<StatusCode, ApiError> {
    state.repo.delete_session(&user.session.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}
