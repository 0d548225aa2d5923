//! Cross-cutting request handling: request ids, problem+json for every API error,
//! security headers, metrics.

use crate::error::{ApiError, PROBLEM_JSON, problem_response};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;
use tracing::Instrument;

/// Header carrying the request id in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served, or `-` outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".into())
}

/// Accepts a caller's `X-Request-Id` when it is short and plain (so a proxy's id
/// follows the request through), otherwise makes a new one; logs under it and returns it.
pub async fn request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut resp = REQUEST_ID
        .scope(id.clone(), next.run(req).instrument(span))
        .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }
    resp
}

/// Turns error answers that did not come from our handlers (axum's 404/405, body limit,
/// timeout, extractor rejections) into problem+json under `/api` and into a readable page
/// elsewhere, so no client ever sees a bare status or framework text.
pub async fn uniform_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = is_api_path(req.uri().path());
    let locale = crate::pages::request_locale(req.headers());
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if content_type.starts_with(PROBLEM_JSON) || content_type.starts_with("text/html") {
        return resp;
    }
    let err = match status.as_u16() {
        400 => ApiError::BadRequest("the request could not be read".into()),
        401 => ApiError::Unauthenticated,
        403 => ApiError::Forbidden,
        404 => ApiError::RouteNotFound,
        405 => ApiError::MethodNotAllowed,
        408 => ApiError::Timeout,
        413 => ApiError::PayloadTooLarge,
        415 => ApiError::UnsupportedMediaType,
        422 => ApiError::BadRequest("the request body has the wrong shape".into()),
        _ => ApiError::Unexpected(anyhow::anyhow!("unhandled error status {status}")),
    };
    if is_api {
        let mut problem = err.problem();
        problem.status = status.as_u16();
        let mut out = problem_response(status, &problem, status.as_u16() == 401);
        copy_allow_header(&resp, &mut out);
        out
    } else {
        let mut out = crate::pages::error_page(&state, locale, &err).into_response();
        *out.status_mut() = status;
        copy_allow_header(&resp, &mut out);
        out
    }
}

fn copy_allow_header(from: &Response, to: &mut Response) {
    if let Some(allow) = from.headers().get(header::ALLOW) {
        to.headers_mut().insert(header::ALLOW, allow.clone());
    }
}

/// Whether a path is served as JSON API (problem+json errors) rather than pages.
/// Channel webhooks are called by machines, so they get problem+json too.
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/webhooks/")
        || path == "/api/openapi.json"
        || path == "/healthz"
        || path == "/readyz"
}

/// The content security policy of every response, followed by `$frames`.
macro_rules! csp {
    ($frames:literal) => {
        concat!(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; base-uri 'self'; form-action 'self'",
            $frames
        )
    };
}

/// Security headers on every response. Pages load only our own scripts and styles.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // The app shows `/app/` pages in its web view, which may frame them. Another site
    // framing them gets no session: the cookie is SameSite=Lax.
    let framable = req.uri().path().starts_with("/app/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A page may ask for less (a guest's private link sends no referrer at all).
    h.entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("same-origin"));
    if !framable {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    // A response may bring a stricter policy of its own (downloads are sandboxed).
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(if framable {
            csp!("")
        } else {
            csp!("; frame-ancestors 'none'")
        }));
    if state.config.server.tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    resp
}

/// Counts requests and their latency by route template, method and status.
pub async fn track_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    state
        .metrics
        .observe(&method, &route, resp.status().as_u16(), start.elapsed());
    resp
}
