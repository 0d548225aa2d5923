//! The customer's privacy page (`/privacy`): download my data as JSON, and erase my
//! personal data (immediate and irreversible after the password and a confirmation; see
//! `crate::api::privacy` for why). Forms check the origin and the session's CSRF token.

use super::{Chrome, PageUser, csrf_ok, error_page, render, same_origin};
use crate::api::privacy::{attachment, download_for, erase_for};
use crate::auth::CustomerOnly;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/privacy", get(show))
        .route("/privacy/data.json", get(download))
        .route("/privacy/erase", post(erase))
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    chrome: Chrome,
    error: String,
}

#[derive(Template)]
#[template(path = "privacy_erased.html")]
struct ErasedPage {
    chrome: Chrome,
    pseudonym: String,
}

fn page(
    state: &AppState,
    user: &PageUser<CustomerOnly>,
    error: String,
    status: StatusCode,
) -> Response {
    let mut resp = render(
        state,
        user.ctx.tr.locale,
        &PrivacyPage {
            chrome: user.ctx.chrome(),
            error,
        },
    );
    *resp.status_mut() = status;
    resp
}

async fn show(State(state): State<AppState>, user: PageUser<CustomerOnly>) -> Response {
    page(&state, &user, String::new(), StatusCode::OK)
}

/// The download: the same document as `GET /api/v1/me/data`.
async fn download(State(state): State<AppState>, user: PageUser<CustomerOnly>) -> Response {
    let Some(customer) = user.principal.customer_id().cloned() else {
        return error_page(&state, user.ctx.tr.locale, &ApiError::Forbidden);
    };
    match download_for(&state, &customer).await {
        Ok(data) => attachment(&data),
        Err(e) => error_page(&state, user.ctx.tr.locale, &e),
    }
}

#[derive(Deserialize)]
struct EraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn erase(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Form(form): Form<EraseForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !same_origin(&headers)
        || !user
            .ctx
            .auth
            .as_ref()
            .is_some_and(|a| csrf_ok(a, &form.csrf))
    {
        let mut resp = error_page(&state, locale, &ApiError::Forbidden);
        *resp.status_mut() = StatusCode::FORBIDDEN;
        return resp;
    }
    let Some(customer) = user.principal.customer_id().cloned() else {
        return error_page(&state, locale, &ApiError::Forbidden);
    };
    let tr = &user.ctx.tr;
    match erase_for(&state, &customer, &form.password, form.confirm == "yes").await {
        Ok(report) => {
            // Every session is gone already; the browser forgets its cookie too.
            let mut chrome = user.ctx.chrome();
            chrome.signed_in = false;
            chrome.nav.clear();
            chrome.csrf.clear();
            let mut resp = render(
                &state,
                locale,
                &ErasedPage {
                    chrome,
                    pseudonym: report.pseudonym,
                },
            );
            if let Ok(v) = header::HeaderValue::from_str(&format!(
                "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
                crate::auth::SESSION_COOKIE
            )) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(ApiError::Unexpected(e)) => error_page(&state, locale, &ApiError::Unexpected(e)),
        Err(e) => {
            let message = match &e {
                ApiError::Validation(v) => v
                    .errors
                    .first()
                    .map(|f| match f.field.as_str() {
                        "confirm" => tr.t("privacy-error-confirm"),
                        _ => tr.t("privacy-error-password"),
                    })
                    .unwrap_or_default(),
                ApiError::InvalidState(what) if what.contains("wallet") => {
                    tr.t("privacy-error-balance")
                }
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
                _ => tr.t("signin-error-unexpected"),
            };
            page(&state, &user, message, e.parts().0)
        }
    }
}
