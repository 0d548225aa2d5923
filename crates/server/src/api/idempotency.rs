//! `Idempotency-Key` handling for POSTs that create records or move money: the first
//! request runs, a retry with the same body gets the same answer, the same key with a
//! different body is refused. Failures on a rule or a state check are stored and replayed
//! like successes, so they keep failing the same way; unexpected (5xx) failures release
//! the key so a retry can run.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::Principal;
use domain::repo::IdempotencyState;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The request's `Idempotency-Key` (1–255 visible ASCII characters). Required.
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
            .map(|k| IdempotencyKey(k.to_owned()))
            .ok_or(ApiError::IdempotencyKeyRequired)
    }
}

/// Runs `work` at most once per `(caller, key)`; `request` is the parsed body, hashed with
/// `route` to recognise a retry.
pub async fn run_once<Req, Res, F, Fut>(
    state: &AppState,
    caller: &Principal,
    key: &IdempotencyKey,
    route: &str,
    request: &Req,
    work: F,
) -> Result<Response, ApiError>
where
    Req: Serialize,
    Res: Serialize,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(StatusCode, Res), ApiError>>,
{
    let owner = format!("{}:{}", caller.role.as_str(), caller.user.as_str());
    let body = serde_json::to_vec(request).map_err(|e| ApiError::Unexpected(e.into()))?;
    let mut hasher = Sha256::new();
    hasher.update(route.as_bytes());
    hasher.update([0]);
    hasher.update(&body);
    let fingerprint = hex::encode(hasher.finalize());
    match state
        .repo
        .begin_idempotent(&owner, &key.0, &fingerprint, crate::now_us())
        .await?
    {
        IdempotencyState::Reserved => {}
        IdempotencyState::Completed { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            return Ok(stored_response(status, body, true));
        }
        IdempotencyState::InProgress => return Err(ApiError::IdempotencyInProgress),
        IdempotencyState::Mismatch => return Err(ApiError::IdempotencyMismatch),
    }
    match work().await {
        Ok((status, value)) => {
            let json = serde_json::to_string(&value).map_err(|e| ApiError::Unexpected(e.into()))?;
            state
                .repo
                .complete_idempotent(&owner, &key.0, status.as_u16(), &json)
                .await?;
            Ok(stored_response(status, json, false))
        }
        Err(ApiError::Unexpected(e)) => {
            state.repo.abandon_idempotent(&owner, &key.0).await?;
            Err(ApiError::Unexpected(e))
        }
        Err(err) => {
            // Rule and state failures are final for this key: store the problem as sent.
            let problem = err.problem();
            let json =
                serde_json::to_string(&problem).map_err(|e| ApiError::Unexpected(e.into()))?;
            state
                .repo
                .complete_idempotent(&owner, &key.0, problem.status, &json)
                .await?;
            Err(err)
        }
    }
}

fn stored_response(status: StatusCode, body: String, replayed: bool) -> Response {
    let content_type = if status.is_success() {
        "application/json"
    } else {
        crate::error::PROBLEM_JSON
    };
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if replayed {
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    resp
}
