//! The account security page for customers and staff: two-step sign-in (set-up with a
//! QR code drawn by the server, recovery codes shown once, turning it off), password
//! change, and the list of active sessions with revoking. Every form checks the origin
//! and the session's CSRF token.

use super::{Chrome, PageUser, csrf_ok, error_page, render, same_origin};
use crate::api::protection::{SessionView, end_session, session_views};
use crate::auth::SignedIn;
use crate::error::ApiError;
use crate::protection::{reset, second_factor};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/security", get(show))
        .route("/security/totp/{action}", post(totp))
        .route("/security/password", post(password))
        .route("/security/sessions/revoke", post(revoke))
        .route("/security/sessions/revoke-others", post(revoke_others))
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    chrome: Chrome,
    totp_enabled: bool,
    recovery_codes_left: i64,
    reset_scheduled: String,
    /// A started set-up: QR code (SVG markup drawn by the server from our own data),
    /// secret in groups, for typing by hand.
    enrol_qr: String,
    enrol_secret: String,
    /// Recovery codes to show this once.
    new_codes: Vec<String>,
    sessions: Vec<SessionView>,
    notice: String,
    error: String,
}

#[derive(Default)]
struct Flash {
    notice: String,
    error: String,
    new_codes: Vec<String>,
}

async fn page(
    state: &AppState,
    user: &PageUser<SignedIn>,
    flash: Flash,
    status: StatusCode,
) -> Response {
    let locale = user.ctx.tr.locale;
    let Some(session) = user.ctx.auth.as_ref() else {
        return error_page(state, locale, &ApiError::Unauthenticated);
    };
    let loaded = async {
        let now = crate::now_us();
        let active = second_factor::active_totp(state, &user.principal.user, now).await?;
        let pending = if active.is_none() {
            second_factor::pending_enrolment(state, &user.principal.user).await?
        } else {
            None
        };
        let mut sessions = session_views(state, session).await?;
        for s in &mut sessions {
            s.created_at = short_time(&s.created_at);
            s.last_seen_at = short_time(&s.last_seen_at);
        }
        Ok::<_, ApiError>((active, pending, sessions))
    };
    let (active, pending, sessions) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(state, locale, &e),
    };
    let page = SecurityPage {
        chrome: user.ctx.chrome(),
        totp_enabled: active.is_some(),
        recovery_codes_left: active.as_ref().map_or(0, |c| c.recovery_codes_left),
        reset_scheduled: active
            .as_ref()
            .and_then(|c| c.reset_effective_at_us)
            .map(crate::api::views::rfc3339)
            .unwrap_or_default(),
        enrol_qr: pending
            .as_ref()
            .map(|e| e.qr_svg.clone())
            .unwrap_or_default(),
        enrol_secret: pending
            .as_ref()
            .map(|e| e.secret.base32_grouped())
            .unwrap_or_default(),
        new_codes: flash.new_codes,
        sessions,
        notice: flash.notice,
        error: flash.error,
    };
    let mut resp = render(state, locale, &page);
    *resp.status_mut() = status;
    resp
}

/// `2026-11-26 04:38 UTC` from an RFC 3339 time: minutes are enough to recognise a session.
fn short_time(rfc3339: &str) -> String {
    match rfc3339.get(..16) {
        Some(minutes) => format!("{} UTC", minutes.replace('T', " ")),
        None => rfc3339.to_owned(),
    }
}

async fn show(State(state): State<AppState>, user: PageUser<SignedIn>) -> Response {
    page(&state, &user, Flash::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

/// Checks origin and CSRF token of a form on this page.
fn form_ok(user: &PageUser<SignedIn>, headers: &HeaderMap, csrf: &str) -> bool {
    same_origin(headers) && user.ctx.auth.as_ref().is_some_and(|a| csrf_ok(a, csrf))
}

fn refused(state: &AppState, user: &PageUser<SignedIn>) -> Response {
    let mut resp = error_page(state, user.ctx.tr.locale, &ApiError::Forbidden);
    *resp.status_mut() = StatusCode::FORBIDDEN;
    resp
}

/// The message a refused step shows.
fn message(user: &PageUser<SignedIn>, e: &ApiError) -> String {
    let tr = &user.ctx.tr;
    match e {
        ApiError::Validation(v) => v
            .errors
            .first()
            .map(|f| tr.t(&format!("security-error-{}", f.code.replace('_', "-"))))
            .unwrap_or_default(),
        ApiError::Throttled { retry_after_secs } => tr.t1(
            "signin-error-throttled",
            "seconds",
            &retry_after_secs.to_string(),
        ),
        ApiError::AccountLocked { retry_after_secs } => tr.t1(
            "signin-error-locked",
            "minutes",
            &retry_after_secs.div_ceil(60).to_string(),
        ),
        ApiError::InvalidState(_) => tr.t("security-error-state"),
        _ => tr.t("signin-error-unexpected"),
    }
}

async fn outcome(
    state: &AppState,
    user: &PageUser<SignedIn>,
    result: Result<Flash, ApiError>,
) -> Response {
    match result {
        Ok(flash) if flash.new_codes.is_empty() && flash.error.is_empty() => {
            Redirect::to("/security").into_response()
        }
        Ok(flash) => page(state, user, flash, StatusCode::OK).await,
        Err(ApiError::Unexpected(e)) => {
            error_page(state, user.ctx.tr.locale, &ApiError::Unexpected(e))
        }
        Err(e) => {
            let status = e.parts().0;
            let flash = Flash {
                error: message(user, &e),
                ..Flash::default()
            };
            page(state, user, flash, status).await
        }
    }
}

/// The two-step sign-in forms: start the set-up, confirm it with the first code, turn it
/// off, or get new recovery codes (the last three with a code).
async fn totp(
    State(state): State<AppState>,
    user: PageUser<SignedIn>,
    Path(action): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    if !form_ok(&user, &headers, &form.csrf) {
        return refused(&state, &user);
    }
    let now = crate::now_us();
    let p = &user.principal;
    let r = match action.as_str() {
        "start" => second_factor::start_enrolment(&state, p, now)
            .await
            .map(|_| Flash::default()),
        "confirm" => second_factor::confirm_enrolment(&state, p, &form.code, now)
            .await
            .map(|codes| Flash {
                new_codes: codes,
                notice: user.ctx.tr.t("security-totp-now-on"),
                ..Flash::default()
            }),
        "disable" => second_factor::disable(&state, p, &form.code, now)
            .await
            .map(|_| Flash::default()),
        "recovery-codes" => second_factor::regenerate_recovery_codes(&state, p, &form.code, now)
            .await
            .map(|codes| Flash {
                new_codes: codes,
                ..Flash::default()
            }),
        _ => return error_page(&state, user.ctx.tr.locale, &ApiError::RouteNotFound),
    };
    outcome(&state, &user, r).await
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn password(
    State(state): State<AppState>,
    user: PageUser<SignedIn>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    if !form_ok(&user, &headers, &form.csrf) {
        return refused(&state, &user);
    }
    let Some(session) = user.ctx.auth.clone() else {
        return refused(&state, &user);
    };
    let r = reset::change_password(
        &state,
        &session,
        &form.current_password,
        &form.new_password,
        crate::now_us(),
    )
    .await
    .map(|_| Flash {
        notice: user.ctx.tr.t("security-password-changed"),
        ..Flash::default()
    });
    match r {
        Ok(flash) => page(&state, &user, flash, StatusCode::OK).await,
        Err(e) => outcome(&state, &user, Err(e)).await,
    }
}

#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
}

async fn revoke(
    State(state): State<AppState>,
    user: PageUser<SignedIn>,
    headers: HeaderMap,
    Form(form): Form<RevokeForm>,
) -> Response {
    if !form_ok(&user, &headers, &form.csrf) {
        return refused(&state, &user);
    }
    let Some(session) = user.ctx.auth.clone() else {
        return refused(&state, &user);
    };
    match end_session(&state, &session, &form.id).await {
        Ok(()) => Redirect::to("/security#sessions").into_response(),
        Err(e) => error_page(&state, user.ctx.tr.locale, &e),
    }
}

async fn revoke_others(
    State(state): State<AppState>,
    user: PageUser<SignedIn>,
    headers: HeaderMap,
    Form(form): Form<RevokeForm>,
) -> Response {
    if !form_ok(&user, &headers, &form.csrf) {
        return refused(&state, &user);
    }
    let Some(session) = user.ctx.auth.clone() else {
        return refused(&state, &user);
    };
    match state
        .repo
        .end_user_sessions(&session.principal.user, Some(&session.token_hash))
        .await
    {
        Ok(_) => Redirect::to("/security#sessions").into_response(),
        Err(e) => error_page(&state, user.ctx.tr.locale, &e.into()),
    }
}
