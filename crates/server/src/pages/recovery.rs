//! "Forgot password" and the reset page the emailed or texted link opens, and the
//! developers' mailbox that shows queued notices when `security.dev_mailbox` is on.

use super::{Chrome, PageCtx, error_page, render, same_origin};
use crate::error::ApiError;
use crate::protection::reset;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/forgot", get(forgot_form).post(forgot_submit))
        .route("/reset", get(reset_form).post(reset_submit))
        .route("/dev/mailbox", get(mailbox))
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    sent: bool,
    error: String,
}

async fn forgot_form(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let page = ForgotPage {
        chrome: ctx.chrome(),
        sent: false,
        error: String::new(),
    };
    render(&state, ctx.tr.locale, &page)
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    login: String,
}

async fn forgot_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> Response {
    if !same_origin(&headers) {
        return error_page(&state, ctx.tr.locale, &ApiError::Forbidden);
    }
    let (sent, error, status) =
        match reset::request_reset(&state, &form.login, crate::now_us()).await {
            Ok(()) => (true, String::new(), StatusCode::OK),
            Err(ApiError::Throttled { retry_after_secs }) => (
                false,
                ctx.tr.t1(
                    "signin-error-throttled",
                    "seconds",
                    &retry_after_secs.to_string(),
                ),
                StatusCode::TOO_MANY_REQUESTS,
            ),
            Err(e) => return error_page(&state, ctx.tr.locale, &e),
        };
    let page = ForgotPage {
        chrome: ctx.chrome(),
        sent,
        error,
    };
    let mut resp = render(&state, ctx.tr.locale, &page);
    *resp.status_mut() = status;
    resp
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    chrome: Chrome,
    token: String,
    needs_code: bool,
    valid: bool,
    done: bool,
    error: String,
}

/// The reset link carries a secret: no referrer may leak it to another site.
fn no_referrer(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

async fn reset_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<TokenQuery>,
) -> Response {
    let (valid, needs_code, status) = match reset::inspect(&state, &q.token, crate::now_us()).await
    {
        Ok((_, needs_code)) => (true, needs_code, StatusCode::OK),
        Err(ApiError::InvalidToken) => (false, false, StatusCode::BAD_REQUEST),
        Err(e) => return error_page(&state, ctx.tr.locale, &e),
    };
    let page = ResetPage {
        chrome: ctx.chrome(),
        token: q.token,
        needs_code,
        valid,
        done: false,
        error: String::new(),
    };
    let mut resp = render(&state, ctx.tr.locale, &page);
    *resp.status_mut() = status;
    no_referrer(resp)
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
    code: Option<String>,
}

async fn reset_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Response {
    if !same_origin(&headers) {
        return error_page(&state, ctx.tr.locale, &ApiError::Forbidden);
    }
    let now = crate::now_us();
    let result = reset::complete_reset(
        &state,
        &form.token,
        &form.new_password,
        form.code.as_deref(),
        now,
    )
    .await;
    let tr = &ctx.tr;
    let (done, valid, error, status) = match result {
        Ok(()) => (true, true, String::new(), StatusCode::OK),
        Err(ApiError::InvalidToken) => (false, false, String::new(), StatusCode::BAD_REQUEST),
        Err(ApiError::Validation(v)) => {
            let code = v.errors.first().map_or("invalid", |f| f.code);
            (
                false,
                true,
                tr.t(&format!("security-error-{}", code.replace('_', "-"))),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(ApiError::TotpRequired | ApiError::TotpInvalid) => (
            false,
            true,
            tr.t("signin-error-code"),
            StatusCode::UNAUTHORIZED,
        ),
        Err(
            ApiError::Throttled { retry_after_secs } | ApiError::AccountLocked { retry_after_secs },
        ) => (
            false,
            true,
            tr.t1(
                "signin-error-throttled",
                "seconds",
                &retry_after_secs.to_string(),
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(e) => return error_page(&state, ctx.tr.locale, &e),
    };
    let needs_code = if valid && !done {
        reset::inspect(&state, &form.token, now)
            .await
            .map(|(_, n)| n)
            .unwrap_or(false)
    } else {
        false
    };
    let page = ResetPage {
        chrome: ctx.chrome(),
        token: if done { String::new() } else { form.token },
        needs_code,
        valid,
        done,
        error,
    };
    let mut resp = render(&state, ctx.tr.locale, &page);
    *resp.status_mut() = status;
    no_referrer(resp)
}

struct MailRow {
    when: String,
    channel: String,
    recipient: String,
    kind: String,
    subject: String,
    body: String,
}

#[derive(Template)]
#[template(path = "mailbox.html")]
struct MailboxPage {
    chrome: Chrome,
    rows: Vec<MailRow>,
}

/// Queued emails and text messages, newest first, for developers. Answers 404 unless
/// `security.dev_mailbox` is on: in production these hold live reset links.
async fn mailbox(State(state): State<AppState>, ctx: PageCtx) -> Response {
    if !state.config.security.dev_mailbox {
        let mut resp = error_page(&state, ctx.tr.locale, &ApiError::RouteNotFound);
        *resp.status_mut() = StatusCode::NOT_FOUND;
        return resp;
    }
    let notices = match state.repo.notifications(None, 100).await {
        Ok(n) => n,
        Err(e) => return error_page(&state, ctx.tr.locale, &e.into()),
    };
    let rows = notices
        .into_iter()
        .map(|n| MailRow {
            when: crate::api::views::rfc3339(n.created_at_us),
            channel: n.channel.as_str().into(),
            recipient: n.recipient,
            kind: n.kind.as_str().into(),
            subject: n.subject,
            body: n.body,
        })
        .collect();
    let page = MailboxPage {
        chrome: ctx.chrome(),
        rows,
    };
    no_referrer(render(&state, ctx.tr.locale, &page))
}
