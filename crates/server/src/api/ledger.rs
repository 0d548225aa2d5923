//! Linked ledger transfers posted by the operator's own systems: settlement runs, fee
//! collection, corrections. A group succeeds or fails as a whole.

use crate::api::extract::ApiJson;
use crate::auth::{AdminOnly, ApiUser};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use domain::ledger::{GroupOutcome, Phase, TransferRequest};
use domain::{Currency, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One transfer of a group.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// Client-chosen UUID; resubmitting it is answered `exists` (safe retries).
    pub id: String,
    /// Account debited.
    pub debit_account: String,
    /// Account credited.
    pub credit_account: String,
    /// Minor units, positive.
    pub amount_minor: i64,
    /// ISO currency (default IDR).
    pub currency: Option<String>,
}

/// Linked transfers: all are posted or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferGroup {
    /// 1 to 100 transfers.
    pub transfers: Vec<TransferBody>,
}

/// The group's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupResult {
    /// `posted` or `exists`.
    pub outcome: String,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/ledger/transfers", post(post_group))
}

/// Post linked transfers between existing accounts (admins / operator systems).
/// A refusal names the transfer and the ledger rule, and nothing is applied.
#[utoipa::path(post, path = "/api/v1/ledger/transfers", tag = "wallet", security(("bearer" = [])), request_body = TransferGroup,
    responses(
        (status = 201, description = "Posted", body = GroupResult),
        (status = 200, description = "Already posted before (retry)", body = GroupResult),
        (status = 422, description = "Invalid, or refused by the ledger (insufficient funds, unknown account, …)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn post_group(
    State(state): State<AppState>,
    _user: ApiUser<AdminOnly>,
    ApiJson(body): ApiJson<TransferGroup>,
) -> Result<(StatusCode, Json<GroupResult>), ApiError> {
    if body.transfers.is_empty() || body.transfers.len() > 100 {
        return Err(ValidationError::field(
            "transfers",
            "invalid_length",
            "send 1 to 100 transfers",
        )
        .into());
    }
    let mut group = Vec::with_capacity(body.transfers.len());
    let mut errors = Vec::new();
    for (i, t) in body.transfers.iter().enumerate() {
        let field = format!("transfers[{i}]");
        let currency = Currency::parse(t.currency.as_deref().unwrap_or("IDR"));
        let id_ok = uuid::Uuid::parse_str(&t.id).is_ok();
        match (currency, id_ok, t.amount_minor > 0) {
            (Ok(currency), true, true) => group.push(TransferRequest {
                id: t.id.clone(),
                debit_account: t.debit_account.clone(),
                credit_account: t.credit_account.clone(),
                amount: t.amount_minor,
                currency,
                phase: Phase::Posted,
            }),
            _ => errors.extend(
                ValidationError::field(
                    &field,
                    "invalid_value",
                    "needs a UUID id, a positive amount and a known currency",
                )
                .errors,
            ),
        }
    }
    if !errors.is_empty() {
        return Err(ValidationError { errors }.into());
    }
    match state
        .repo
        .post_linked_transfers(&group, crate::now_us())
        .await?
    {
        GroupOutcome::Posted => Ok((
            StatusCode::CREATED,
            Json(GroupResult {
                outcome: "posted".into(),
            }),
        )),
        GroupOutcome::Exists => Ok((
            StatusCode::OK,
            Json(GroupResult {
                outcome: "exists".into(),
            }),
        )),
        GroupOutcome::Refused { index, error } => {
            let code = serde_json::to_value(&error)
                .ok()
                .and_then(|v| v.get("code").and_then(|c| c.as_str().map(str::to_owned)))
                .unwrap_or_default();
            let field = format!("transfers[{index}]");
            Err(ValidationError {
                errors: vec![domain::FieldError {
                    field,
                    code: leak_code(&code),
                    message: error.to_string(),
                }],
            }
            .into())
        }
    }
}

/// Field error codes are `&'static str`; ledger error codes are a fixed set.
fn leak_code(code: &str) -> &'static str {
    match code {
        "insufficient_funds" => "insufficient_funds",
        "account_not_found" => "account_not_found",
        "currency_mismatch" => "currency_mismatch",
        "same_account" => "same_account",
        "duplicate_in_batch" => "duplicate_in_batch",
        "overflow" => "overflow",
        _ => "refused",
    }
}
