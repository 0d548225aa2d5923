//! The one place where errors become HTTP answers: RFC 9457 `application/problem+json`
//! with a stable `code`. Internal details go to the log with the request id, never to the
//! client.

use crate::middleware::current_request_id;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::repo::RepoError;
use domain::{FieldError, ValidationError};
use serde::Serialize;

/// Media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Every failure an API handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Input parsed but broke a rule (422).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The request could not be read: malformed JSON, wrong types, bad query string (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No or an expired session/token (401).
    #[error("authentication required")]
    Unauthenticated,
    /// A webhook's signature is missing, wrong or too old (401).
    #[error("invalid webhook signature")]
    InvalidSignature,
    /// Sign-in failed. One message whether the account exists or not (401).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Correct credentials for a suspended or closed account (403).
    #[error("account disabled")]
    AccountDisabled,
    /// Signed in, but this role may not do this (403).
    #[error("forbidden")]
    Forbidden,
    /// The record does not exist or is not the caller's (404).
    #[error("not found")]
    NotFound,
    /// No such route (404).
    #[error("no such route")]
    RouteNotFound,
    /// The route exists but not with this method (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body is larger than the configured limit (413).
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body is not JSON (415).
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The request took longer than the configured timeout (408).
    #[error("request timeout")]
    Timeout,
    /// A uniqueness rule was broken; `String` names the field (409).
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The `Idempotency-Key` was used before with a different request (422).
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    /// The `Idempotency-Key` is still being processed by another request (409).
    #[error("idempotency key in progress")]
    IdempotencyInProgress,
    /// A POST that needs an `Idempotency-Key` header came without a valid one (400).
    #[error("idempotency key missing or invalid")]
    IdempotencyKeyRequired,
    /// The record's state does not allow this (a decided refund, a captured payment) (409).
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// A money movement was refused and recorded as a failed transaction (422).
    #[error("transaction failed: {reason}")]
    TransactionFailed {
        /// Failure reason code.
        reason: &'static str,
        /// The failed transaction's reference, to quote to support.
        reference: String,
        /// The failed transaction's id.
        transaction_id: String,
    },
    /// Too many attempts: wait before the next one (429, `Retry-After`).
    #[error("throttled for {retry_after_secs} s")]
    Throttled {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// Locked after too many failed sign-ins; unlocks after the wait, a password reset or
    /// an agent's unlock (423, `Retry-After`).
    #[error("account locked for {retry_after_secs} s")]
    AccountLocked {
        /// Seconds until the lock ends by itself.
        retry_after_secs: u64,
    },
    /// The password was right; the account also needs a one-time code (401).
    #[error("one-time code required")]
    TotpRequired,
    /// The one-time or recovery code was wrong or already used (401).
    #[error("one-time code invalid")]
    TotpInvalid,
    /// The agent has not verified the customer's identity (recently enough) (409).
    #[error("identity verification required")]
    VerificationRequired,
    /// A reset link or sign-in step token that is unknown, used or expired (400).
    #[error("invalid or expired token")]
    InvalidToken,
    /// Linking or verifying a card or bank account was refused; `message` is in the
    /// customer's language (422; 409 for the limit, a repeat or a finished verification;
    /// 503 when the issuer does not answer).
    #[error("card or account not linked: {}", problem.as_str())]
    CardLink {
        /// Why.
        problem: domain::cards::LinkProblem,
        /// What to do, in the customer's language.
        message: String,
        /// The help article about it.
        help_url: String,
        /// Tries left after a wrong code or wrong amounts.
        attempts_left: Option<u32>,
    },
    /// A dependency (the database) does not answer (503).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or an unavailable database (500).
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NotFound => ApiError::NotFound,
            RepoError::Conflict(what) => ApiError::AlreadyExists(what),
            RepoError::InvalidState(what) => ApiError::InvalidState(what),
            RepoError::Unexpected(e) => ApiError::Unexpected(e),
        }
    }
}

/// An RFC 9457 problem details body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// URI naming the problem type; `urn:paydesk:problem:{code}`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened in this case, for people.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// The request id, to quote to support; also in the server log.
    pub request_id: String,
    /// For validation failures: each failing field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
    /// For failed transactions: the failure reason, reference and transaction id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub transaction: Option<serde_json::Value>,
    /// For throttling and locks: seconds to wait (also in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// For card and bank-account problems: the help article about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_url: Option<String>,
    /// For card and bank-account problems: the field it is about (`number`, `expiry`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// After a wrong code or wrong amounts: tries left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
}

impl ApiError {
    /// Status, stable code, title and detail of this error.
    pub fn parts(&self) -> (StatusCode, &'static str, &'static str, String) {
        use ApiError::*;
        match self {
            Validation(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Invalid input",
                e.to_string(),
            ),
            BadRequest(d) => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Malformed request",
                d.clone(),
            ),
            Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Sign-in required",
                "Sign in to continue.".into(),
            ),
            InvalidSignature => (
                StatusCode::UNAUTHORIZED,
                "invalid_signature",
                "Invalid signature",
                "The request's signature is missing, does not match, or is too old.".into(),
            ),
            InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Sign-in failed",
                "The email, phone number or password is incorrect.".into(),
            ),
            AccountDisabled => (
                StatusCode::FORBIDDEN,
                "account_disabled",
                "Account disabled",
                "This account cannot sign in. Contact support.".into(),
            ),
            Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed",
                "Your role may not do this.".into(),
            ),
            NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "Not found",
                "No such record.".into(),
            ),
            RouteNotFound => (
                StatusCode::NOT_FOUND,
                "route_not_found",
                "Not found",
                "No such API route.".into(),
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
                "This route does not accept this HTTP method.".into(),
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Payload too large",
                "The request body is larger than the server accepts.".into(),
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
                "Send the body as application/json.".into(),
            ),
            Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                "Request timeout",
                "The request took too long.".into(),
            ),
            AlreadyExists(what) => (
                StatusCode::CONFLICT,
                "already_exists",
                "Already exists",
                format!("A record with this {what} already exists."),
            ),
            IdempotencyMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency key reused",
                "This Idempotency-Key was already used with a different request.".into(),
            ),
            IdempotencyInProgress => (
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "Request in progress",
                "A request with this Idempotency-Key is still being processed; retry shortly."
                    .into(),
            ),
            IdempotencyKeyRequired => (
                StatusCode::BAD_REQUEST,
                "idempotency_key_required",
                "Idempotency-Key required",
                "Send an Idempotency-Key header of 1 to 255 visible characters.".into(),
            ),
            InvalidState(d) => (
                StatusCode::CONFLICT,
                "invalid_state",
                "Not possible now",
                d.clone(),
            ),
            TransactionFailed {
                reason, reference, ..
            } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "transaction_failed",
                "Transaction failed",
                format!(
                    "The transaction failed ({}). Reference {reference}.",
                    reason.replace('_', " ")
                ),
            ),
            Throttled { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "Too many attempts",
                format!("Too many attempts. Try again in {retry_after_secs} seconds."),
            ),
            AccountLocked { retry_after_secs } => (
                StatusCode::LOCKED,
                "account_locked",
                "Account locked",
                format!(
                    "Sign-in is locked after too many failed attempts. It unlocks in {} minutes; reset your password or contact support to unlock it sooner.",
                    retry_after_secs.div_ceil(60)
                ),
            ),
            TotpRequired => (
                StatusCode::UNAUTHORIZED,
                "totp_required",
                "One-time code required",
                "Enter the 6-digit code from your authenticator app (field `totp`), or one of your recovery codes.".into(),
            ),
            TotpInvalid => (
                StatusCode::UNAUTHORIZED,
                "totp_invalid",
                "Code not accepted",
                "The code is wrong, expired or was already used. Wait for the next code and try again.".into(),
            ),
            VerificationRequired => (
                StatusCode::CONFLICT,
                "verification_required",
                "Identity not verified",
                "Verify the customer's identity first (a passed check from the last 30 minutes).".into(),
            ),
            InvalidToken => (
                StatusCode::BAD_REQUEST,
                "invalid_token",
                "Link expired or used",
                "This link has expired or was already used. Ask for a new one.".into(),
            ),
            CardLink {
                problem, message, ..
            } => {
                use domain::cards::LinkProblem as P;
                let status = match problem {
                    P::LimitReached | P::AlreadyLinked | P::NotPending => StatusCode::CONFLICT,
                    P::IssuerUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                (status, problem.as_str(), "Card or bank account not linked", message.clone())
            }
            Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "A service paydesk depends on is not answering.".into(),
            ),
            Unexpected(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "Something went wrong on our side. Quote the request id to support.".into(),
            ),
        }
    }

    /// The problem body for this error.
    pub fn problem(&self) -> Problem {
        let (status, code, title, detail) = self.parts();
        Problem {
            type_uri: format!("urn:paydesk:problem:{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            code: code.into(),
            request_id: current_request_id(),
            errors: match self {
                ApiError::Validation(v) => v.errors.clone(),
                _ => Vec::new(),
            },
            transaction: match self {
                ApiError::TransactionFailed {
                    reason,
                    reference,
                    transaction_id,
                } => Some(serde_json::json!({
                    "failure_reason": reason, "reference": reference, "id": transaction_id
                })),
                _ => None,
            },
            retry_after: match self {
                ApiError::Throttled { retry_after_secs }
                | ApiError::AccountLocked { retry_after_secs } => Some(*retry_after_secs),
                _ => None,
            },
            help_url: match self {
                ApiError::CardLink { help_url, .. } => Some(help_url.clone()),
                _ => None,
            },
            field: match self {
                ApiError::CardLink { problem, .. } if !problem.field().is_empty() => {
                    Some(problem.field().to_owned())
                }
                _ => None,
            },
            attempts_left: match self {
                ApiError::CardLink { attempts_left, .. } => *attempts_left,
                _ => None,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        match &self {
            ApiError::Unexpected(e) => {
                tracing::error!(request_id = %problem.request_id, error = ?e, "request failed")
            }
            ApiError::Unavailable(e) => {
                tracing::warn!(request_id = %problem.request_id, error = %e, "dependency unavailable")
            }
            _ => {}
        }
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp =
            problem_response(status, &problem, matches!(self, ApiError::Unauthenticated));
        if let Some(secs) = problem.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// Serialises a problem with the right content type (and a bearer challenge on 401).
pub fn problem_response(status: StatusCode, problem: &Problem, challenge: bool) -> Response {
    let body = serde_json::to_string(problem).unwrap_or_else(|_| "{}".into());
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if challenge {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"paydesk\""),
        );
    }
    resp
}
