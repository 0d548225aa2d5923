//! The start page, sign-in and sign-out for customers and staff, and the language switch.

use super::{Chrome, LOCALE_COOKIE, PageCtx, csrf_ok, error_page, render, safe_next, same_origin};
use crate::auth::{self, Audience, SESSION_COOKIE};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use domain::repo::SessionKind;
use domain::{Locale, Principal, Role};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/signin", get(customer_form).post(customer_submit))
        .route("/staff/signin", get(staff_form).post(staff_submit))
        .route("/signin/code", post(code_submit))
        .route("/signout", post(signout))
        .route("/locale", post(set_locale))
}

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing {
    chrome: Chrome,
}

async fn landing(State(state): State<AppState>, ctx: PageCtx) -> Response {
    match ctx.auth.as_ref().map(|a| a.principal.role) {
        Some(Role::Customer) => Redirect::to("/home").into_response(),
        Some(_) => Redirect::to("/staff").into_response(),
        None => render(
            &state,
            ctx.tr.locale,
            &Landing {
                chrome: ctx.chrome(),
            },
        ),
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    chrome: Chrome,
    action: &'static str,
    title_key: &'static str,
    intro_key: &'static str,
    login_label_key: &'static str,
    other_href: &'static str,
    other_key: &'static str,
    error: String,
    login: String,
    next: String,
    forgot: bool,
}

fn signin_page(
    audience: Audience,
    chrome: Chrome,
    error: String,
    login: String,
    next: String,
) -> SignInPage {
    match audience {
        Audience::Customer => SignInPage {
            chrome,
            action: "/signin",
            title_key: "signin-title",
            intro_key: "signin-intro",
            login_label_key: "signin-login-label",
            other_href: "/staff/signin",
            other_key: "signin-staff-link",
            error,
            login,
            next,
            forgot: true,
        },
        Audience::Staff => SignInPage {
            chrome,
            action: "/staff/signin",
            title_key: "staff-signin-title",
            intro_key: "staff-signin-intro",
            login_label_key: "staff-signin-login-label",
            other_href: "/signin",
            other_key: "staff-signin-customer-link",
            error,
            login,
            next,
            forgot: false,
        },
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn customer_form(state: State<AppState>, ctx: PageCtx, q: Query<NextQuery>) -> Response {
    show_form(state, ctx, q, Audience::Customer)
}

async fn staff_form(state: State<AppState>, ctx: PageCtx, q: Query<NextQuery>) -> Response {
    show_form(state, ctx, q, Audience::Staff)
}

fn show_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<NextQuery>,
    audience: Audience,
) -> Response {
    let next = q.next.unwrap_or_default();
    let page = signin_page(audience, ctx.chrome(), String::new(), String::new(), next);
    render(&state, ctx.tr.locale, &page)
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn customer_submit(
    state: State<AppState>,
    ctx: PageCtx,
    jar: CookieJar,
    headers: HeaderMap,
    form: Form<SignInForm>,
) -> Response {
    submit(state, ctx, jar, headers, form, Audience::Customer).await
}

async fn staff_submit(
    state: State<AppState>,
    ctx: PageCtx,
    jar: CookieJar,
    headers: HeaderMap,
    form: Form<SignInForm>,
) -> Response {
    submit(state, ctx, jar, headers, form, Audience::Staff).await
}

async fn submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
    audience: Audience,
) -> Response {
    let locale = ctx.tr.locale;
    let next_raw = form.next.clone().unwrap_or_default();
    let fail = |message: String, status: StatusCode| {
        let page = signin_page(
            audience,
            ctx.chrome(),
            message,
            form.login.clone(),
            next_raw.clone(),
        );
        let mut resp = render(&state, locale, &page);
        *resp.status_mut() = status;
        resp
    };
    if !same_origin(&headers) {
        return fail(ctx.tr.t("signin-error-csrf"), StatusCode::FORBIDDEN);
    }
    let agent = user_agent(&headers);
    let attempt = auth::SignInAttempt {
        audience,
        login: &form.login,
        password: &form.password,
        code: None,
        user_agent: &agent,
        now_us: crate::now_us(),
    };
    let principal = match auth::sign_in(&state, &attempt).await {
        Ok(auth::SignInOutcome::SignedIn(p)) => p,
        Ok(auth::SignInOutcome::NeedsCode(p)) => {
            return match auth::begin_second_step(&state, &p.user, crate::now_us()).await {
                Ok(token) => code_page(
                    &state,
                    &ctx,
                    audience,
                    token,
                    next_raw.clone(),
                    String::new(),
                ),
                Err(e) => error_page(&state, locale, &e),
            };
        }
        Err(e) => {
            let (message, status) = sign_in_error(&ctx, &e);
            return fail(message, status);
        }
    };
    finish_sign_in(
        &state,
        &ctx,
        jar,
        &headers,
        &principal,
        form.next.as_deref(),
    )
    .await
}

/// The message and status a failed sign-in step shows on the page.
fn sign_in_error(ctx: &PageCtx, e: &ApiError) -> (String, StatusCode) {
    let tr = &ctx.tr;
    match e {
        ApiError::InvalidCredentials => (tr.t("signin-error-invalid"), StatusCode::UNAUTHORIZED),
        ApiError::AccountDisabled => (tr.t("signin-error-disabled"), StatusCode::FORBIDDEN),
        ApiError::Throttled { retry_after_secs } => (
            tr.t1(
                "signin-error-throttled",
                "seconds",
                &retry_after_secs.to_string(),
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        ApiError::AccountLocked { retry_after_secs } => (
            tr.t1(
                "signin-error-locked",
                "minutes",
                &retry_after_secs.div_ceil(60).to_string(),
            ),
            StatusCode::LOCKED,
        ),
        ApiError::TotpInvalid => (tr.t("signin-error-code"), StatusCode::UNAUTHORIZED),
        ApiError::InvalidToken => (tr.t("signin-error-step-expired"), StatusCode::BAD_REQUEST),
        other => {
            tracing::error!(error = ?other, "sign-in failed unexpectedly");
            (
                tr.t("signin-error-unexpected"),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}

fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// Starts the browser session and sends the person where they were going.
async fn finish_sign_in(
    state: &AppState,
    ctx: &PageCtx,
    jar: CookieJar,
    headers: &HeaderMap,
    principal: &Principal,
    next: Option<&str>,
) -> Response {
    let jar = match browser_session(state, jar, headers, principal).await {
        Ok(jar) => jar,
        Err(e) => return error_page(state, ctx.tr.locale, &e),
    };
    let default = if principal.role == Role::Customer {
        "/home"
    } else {
        "/staff"
    };
    let target = safe_next(next.filter(|n| !n.is_empty()), default);
    // A customer must not land on a staff page and vice versa; fall back to their home.
    let target = if target.starts_with("/staff") == (principal.role == Role::Customer) {
        default.to_owned()
    } else {
        target
    };
    (jar, Redirect::to(&target)).into_response()
}

#[derive(Template)]
#[template(path = "signin_code.html")]
struct CodePage {
    chrome: Chrome,
    step: String,
    next: String,
    error: String,
    title_key: &'static str,
}

fn code_page(
    state: &AppState,
    ctx: &PageCtx,
    audience: Audience,
    step: String,
    next: String,
    error: String,
) -> Response {
    let page = CodePage {
        chrome: ctx.chrome(),
        step,
        next,
        error,
        title_key: match audience {
            Audience::Customer => "signin-title",
            Audience::Staff => "staff-signin-title",
        },
    };
    render(state, ctx.tr.locale, &page)
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    code: String,
    next: Option<String>,
}

/// The second step of a sign-in: the code from the authenticator app (or a recovery
/// code). The step token in the form is a secret of this sign-in, so a form posted from
/// another site cannot complete it.
async fn code_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let next = form.next.clone().unwrap_or_default();
    if !same_origin(&headers) {
        return error_page(&state, ctx.tr.locale, &ApiError::Forbidden);
    }
    let agent = user_agent(&headers);
    match auth::sign_in_second_step(&state, &form.step, &form.code, &agent, crate::now_us()).await {
        Ok(principal) => finish_sign_in(&state, &ctx, jar, &headers, &principal, Some(&next)).await,
        Err(ApiError::InvalidToken) => {
            let page = signin_page(
                Audience::Customer,
                ctx.chrome(),
                ctx.tr.t("signin-error-step-expired"),
                String::new(),
                next,
            );
            let mut resp = render(&state, ctx.tr.locale, &page);
            *resp.status_mut() = StatusCode::BAD_REQUEST;
            resp
        }
        Err(e) => {
            let (message, status) = sign_in_error(&ctx, &e);
            let audience = if next.starts_with("/staff") {
                Audience::Staff
            } else {
                Audience::Customer
            };
            let mut resp = code_page(&state, &ctx, audience, form.step, next, message);
            *resp.status_mut() = status;
            resp
        }
    }
}

/// Starts a page session for `principal` in this browser and sets its cookie (sign-in
/// pages, and the app's web view hand-off).
pub(super) async fn browser_session(
    state: &AppState,
    jar: CookieJar,
    headers: &HeaderMap,
    principal: &Principal,
) -> Result<CookieJar, ApiError> {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let session = auth::start_session(state, principal, SessionKind::Cookie, agent).await?;
    // Whoever was signed in on this browser before is signed out on the server too.
    if let Some(old) = jar.get(SESSION_COOKIE) {
        let _ = state
            .repo
            .delete_session(&auth::token_hash(old.value()))
            .await;
    }
    let cookie = Cookie::build((SESSION_COOKIE, session.token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.server.tls)
        .path("/")
        .max_age(cookie::time::Duration::hours(
            state.config.auth.session_hours as i64,
        ))
        .build();
    Ok(jar.add(cookie))
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn signout(
    State(state): State<AppState>,
    ctx: PageCtx,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some(authenticated) = &ctx.auth else {
        return Redirect::to("/").into_response();
    };
    if !same_origin(&headers) || !csrf_ok(authenticated, &form.csrf) {
        return error_page(&state, ctx.tr.locale, &ApiError::Forbidden);
    }
    if let Err(e) = state.repo.delete_session(&authenticated.token_hash).await {
        return error_page(&state, ctx.tr.locale, &e.into());
    }
    let removal = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    (jar.remove(removal), Redirect::to("/")).into_response()
}

#[derive(Deserialize)]
struct LocaleForm {
    locale: String,
    next: Option<String>,
    #[serde(default)]
    csrf: String,
}

async fn set_locale(
    State(state): State<AppState>,
    ctx: PageCtx,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<LocaleForm>,
) -> Response {
    if !same_origin(&headers) {
        return error_page(&state, ctx.tr.locale, &ApiError::Forbidden);
    }
    let Some(locale) = Locale::parse(&form.locale) else {
        let mut resp = error_page(
            &state,
            ctx.tr.locale,
            &ApiError::BadRequest("unknown locale".into()),
        );
        *resp.status_mut() = StatusCode::BAD_REQUEST;
        return resp;
    };
    // Signed in: remember it on the account too (so the app and e-mails follow), but only
    // with the session's CSRF token, so another site cannot change it.
    if let Some(authenticated) = &ctx.auth
        && csrf_ok(authenticated, &form.csrf)
        && let Err(e) = state
            .repo
            .set_locale(&authenticated.principal.user, locale)
            .await
    {
        return error_page(&state, ctx.tr.locale, &e.into());
    }
    let cookie = Cookie::build((LOCALE_COOKIE, locale.tag()))
        .same_site(SameSite::Lax)
        .secure(state.config.server.tls)
        .path("/")
        .max_age(cookie::time::Duration::days(365))
        .build();
    let target = safe_next(form.next.as_deref(), "/");
    (jar.add(cookie), Redirect::to(&target)).into_response()
}
