//! Server-rendered pages (askama), in English, Indonesian and Simplified Chinese, laid out
//! for phone width first.

mod apidocs;
mod assets;
mod audit;
mod calendars;
mod cards;
mod complaints;
mod console;
mod coupons;
mod help;
mod help_admin;
mod home;
mod privacy;
mod recovery;
mod security;
mod signin;
mod sla;
mod staff;
mod staff_access;
mod staff_tickets;
mod support;
mod wallet;

use crate::auth::{self, Access, Authenticated};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::middleware::current_request_id;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::repo::SessionKind;
use domain::{Locale, Principal, Role};
use std::marker::PhantomData;

/// Cookie holding an explicit language choice.
pub const LOCALE_COOKIE: &str = "paydesk_locale";

/// All page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(signin::router())
        .merge(security::router())
        .merge(cards::router())
        .merge(recovery::router())
        .merge(staff_access::router())
        .merge(home::router())
        .merge(staff::router())
        .merge(staff_tickets::router())
        .merge(wallet::router())
        .merge(apidocs::router())
        .merge(assets::router())
        .merge(help::router())
        .merge(help_admin::router())
        .merge(sla::router())
        .merge(calendars::router())
        .merge(support::router())
        .merge(console::router())
        .merge(privacy::router())
        .merge(audit::router())
        .merge(coupons::router())
        .merge(complaints::router())
}

/// The language of a request without a signed-in user: explicit choice (cookie), then
/// the browser's `Accept-Language`, then English.
pub fn request_locale(headers: &HeaderMap) -> Locale {
    cookie_locale(headers)
        .or_else(|| accept_language(headers))
        .unwrap_or_default()
}

fn cookie_locale(headers: &HeaderMap) -> Option<Locale> {
    axum_extra::extract::CookieJar::from_headers(headers)
        .get(LOCALE_COOKIE)
        .and_then(|c| Locale::parse(c.value()))
}

fn accept_language(headers: &HeaderMap) -> Option<Locale> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    accept_language::parse(value)
        .iter()
        .find_map(|tag| Locale::parse(tag))
}

/// What every page knows about its request: language, who is signed in, where it is.
pub struct PageCtx {
    /// Translator in the page's language.
    pub tr: Tr,
    /// The signed-in session, if any.
    pub auth: Option<Authenticated>,
    /// Path and query of this page, for the language switch to come back to.
    pub path: String,
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = match auth::session_cookie(&parts.headers) {
            Some(token) => auth::resolve(state, &token, SessionKind::Cookie)
                .await
                .map_err(|e| error_page(state, request_locale(&parts.headers), &e))?,
            None => None,
        };
        // An explicit choice wins, then the account's setting, then the browser's.
        let locale = cookie_locale(&parts.headers)
            .or_else(|| auth.as_ref().map(|a| a.principal.locale))
            .or_else(|| accept_language(&parts.headers))
            .unwrap_or_default();
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        Ok(PageCtx {
            tr: Tr::new(state.i18n.clone(), locale),
            auth,
            path,
        })
    }
}

impl PageCtx {
    /// The navigation and header of the page.
    pub fn chrome(&self) -> Chrome {
        Chrome::new(self)
    }
}

/// A page visitor signed in with a role allowed by `P`. Without a session the visitor is
/// sent to the right sign-in page and brought back afterwards.
pub struct PageUser<P: Access> {
    /// The request context.
    pub ctx: PageCtx,
    /// Who.
    pub principal: Principal,
    _policy: PhantomData<P>,
}

impl<P: Access> FromRequestParts<AppState> for PageUser<P> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = PageCtx::from_request_parts(parts, state).await?;
        let Some(authenticated) = &ctx.auth else {
            let signin = if P::STAFF_PAGE {
                "/staff/signin"
            } else {
                "/signin"
            };
            let next = url_encode(&ctx.path);
            return Err(Redirect::to(&format!("{signin}?next={next}")).into_response());
        };
        if !P::allows(authenticated.principal.role) {
            let mut resp = error_page(state, ctx.tr.locale, &ApiError::Forbidden);
            *resp.status_mut() = StatusCode::FORBIDDEN;
            return Err(resp);
        }
        let principal = authenticated.principal.clone();
        Ok(PageUser {
            ctx,
            principal,
            _policy: PhantomData,
        })
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A local path to go back to after a form; anything else (other hosts, `//evil`,
/// backslashes) falls back to `default`, so forms cannot be used as open redirects.
pub fn safe_next(next: Option<&str>, default: &str) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.contains("://") =>
        {
            n.to_owned()
        }
        _ => default.to_owned(),
    }
}

/// One link of the main navigation.
pub struct NavItem {
    /// Target.
    pub href: &'static str,
    /// Translated label.
    pub label: String,
    /// Whether it is the current page.
    pub current: bool,
}

/// The shared page frame: language, navigation, forms' CSRF token.
pub struct Chrome {
    /// Translator.
    pub tr: Tr,
    /// This page's path (for the language switch).
    pub path: String,
    /// CSRF token of the session ("" when signed out).
    pub csrf: String,
    /// Whether someone is signed in.
    pub signed_in: bool,
    /// Where the brand link goes.
    pub home_href: &'static str,
    /// Main navigation for this visitor.
    pub nav: Vec<NavItem>,
    /// Language menu: tag, native name, selected.
    pub locales: Vec<(&'static str, &'static str, bool)>,
    /// Inside the app's web view (`/app/`): the app draws its own header, so the page
    /// shows no site header or footer.
    pub bare: bool,
}

impl Chrome {
    fn new(ctx: &PageCtx) -> Self {
        let role = ctx.auth.as_ref().map(|a| a.principal.role);
        let links: Vec<(&'static str, &'static str)> = match role {
            None => vec![
                ("/help", "nav-help"),
                ("/signin", "nav-signin"),
                ("/staff/signin", "nav-staff-signin"),
                ("/api", "nav-api"),
            ],
            Some(Role::Customer) => vec![
                ("/home", "nav-home"),
                ("/wallet", "nav-wallet"),
                ("/cards", "nav-cards"),
                ("/coupons", "nav-coupons"),
                ("/support", "nav-tickets"),
                ("/complaints", "nav-complaints"),
                ("/help", "nav-help"),
            ],
            Some(Role::Merchant) => vec![
                ("/staff", "nav-home"),
                ("/staff/merchant", "nav-merchant"),
                ("/staff/merchant/complaints", "nav-complaints"),
                ("/help", "nav-help"),
                ("/api", "nav-api"),
            ],
            Some(Role::Admin) => vec![
                ("/staff", "nav-home"),
                ("/staff/tickets", "nav-staff-tickets"),
                ("/staff/complaints", "nav-complaints"),
                ("/staff/dashboard", "nav-dashboard"),
                ("/staff/canned", "nav-canned"),
                ("/staff/customers", "nav-customers"),
                ("/staff/team", "nav-team"),
                ("/staff/help", "nav-help-admin"),
                ("/staff/sla", "nav-sla"),
                ("/staff/calendars", "nav-calendars"),
                ("/staff/audit", "nav-audit"),
                ("/staff/coupons", "nav-coupons-admin"),
                ("/help", "nav-help"),
                ("/api", "nav-api"),
            ],
            Some(Role::Supervisor) => vec![
                ("/staff", "nav-home"),
                ("/staff/tickets", "nav-staff-tickets"),
                ("/staff/complaints", "nav-complaints"),
                ("/staff/dashboard", "nav-dashboard"),
                ("/staff/customers", "nav-customers"),
                ("/staff/team", "nav-team"),
                ("/help", "nav-help"),
                ("/api", "nav-api"),
            ],
            Some(_) => vec![
                ("/staff", "nav-home"),
                ("/staff/tickets", "nav-staff-tickets"),
                ("/staff/complaints", "nav-complaints"),
                ("/staff/callbacks", "nav-callbacks"),
                ("/staff/customers", "nav-customers"),
                ("/staff/team", "nav-team"),
                ("/help", "nav-help"),
                ("/api", "nav-api"),
            ],
        };
        let current_path = ctx.path.split('?').next().unwrap_or("");
        Chrome {
            tr: ctx.tr.clone(),
            path: ctx.path.clone(),
            csrf: ctx
                .auth
                .as_ref()
                .map(|a| a.csrf_token.clone())
                .unwrap_or_default(),
            signed_in: role.is_some(),
            home_href: match role {
                None => "/",
                Some(Role::Customer) => "/home",
                Some(_) => "/staff",
            },
            nav: links
                .into_iter()
                .map(|(href, key)| NavItem {
                    href,
                    label: ctx.tr.t(key),
                    current: current_path == href,
                })
                .collect(),
            locales: Locale::ALL
                .iter()
                .map(|l| (l.tag(), l.native_name(), *l == ctx.tr.locale))
                .collect(),
            bare: ctx.path.starts_with("/app/"),
        }
    }
}

/// Renders a template, or a readable error page if rendering fails.
pub fn render<T: Template>(state: &AppState, locale: Locale, page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_page(
            state,
            locale,
            &ApiError::Unexpected(anyhow::anyhow!("template: {e}")),
        ),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    message_key: &'static str,
    request_id: String,
}

/// A page explaining an error in the visitor's language, with the request id to quote.
pub fn error_page(state: &AppState, locale: Locale, err: &ApiError) -> Response {
    let (status, code, _, _) = err.parts();
    if status.is_server_error() {
        tracing::error!(request_id = %current_request_id(), error = ?err, "page failed");
    }
    let message_key = match code {
        "not_found" | "route_not_found" => "error-not-found",
        "forbidden" | "unauthenticated" | "account_disabled" => "error-forbidden",
        "method_not_allowed" => "error-method",
        "payload_too_large" => "error-too-large",
        "timeout" => "error-timeout",
        "bad_request" | "validation_failed" | "unsupported_media_type" => "error-bad-request",
        _ => "error-internal",
    };
    let ctx = PageCtx {
        tr: Tr::new(state.i18n.clone(), locale),
        auth: None,
        path: "/".into(),
    };
    let page = ErrorPage {
        chrome: ctx.chrome(),
        message_key,
        request_id: current_request_id(),
    };
    let html = page.render().unwrap_or_else(|_| {
        format!(
            "<!doctype html><title>Error</title><p>Error. Request id: {}</p>",
            current_request_id()
        )
    });
    (status, Html(html)).into_response()
}

/// Refuses cross-site form posts: when the browser says where the form came from
/// (`Origin`), it must be this host. Together with SameSite=Lax cookies and per-session
/// CSRF tokens this stops login CSRF and cross-site actions.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
    !host.is_empty() && origin_host == host
}

/// Constant-time comparison of a submitted CSRF token with the session's.
pub fn csrf_ok(auth: &Authenticated, submitted: &str) -> bool {
    use subtle::ConstantTimeEq;
    !submitted.is_empty() && bool::from(auth.csrf_token.as_bytes().ct_eq(submitted.as_bytes()))
}

/// Translation key of an account status.
pub fn status_key(status: domain::AccountStatus) -> &'static str {
    match status {
        domain::AccountStatus::Active => "status-active",
        domain::AccountStatus::Suspended => "status-suspended",
        domain::AccountStatus::Closed => "status-closed",
    }
}

/// Translation key of a role.
pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Customer => "role-customer",
        Role::Agent => "role-agent",
        Role::Supervisor => "role-supervisor",
        Role::Admin => "role-admin",
        Role::Merchant => "role-merchant",
    }
}

/// A date in a region's time zone (`2026-03-14`), for "member since".
pub fn local_date(us: i64, time_zone: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_microsecond(us) else {
        return String::new();
    };
    match ts.in_tz(time_zone) {
        Ok(zoned) => zoned.date().to_string(),
        Err(_) => ts
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_stay_on_this_site() {
        assert_eq!(
            safe_next(Some("/staff/customers?q=a"), "/home"),
            "/staff/customers?q=a"
        );
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "home"] {
            assert_eq!(safe_next(Some(bad), "/home"), "/home", "{bad}");
        }
        assert_eq!(safe_next(None, "/home"), "/home");
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(!same_origin(&h));
    }
}
