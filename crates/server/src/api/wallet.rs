//! Money movements posted by the operator's systems (and the demo simulator), holds the
//! merchant confirms or cancels, and a customer's balance.

use crate::api::extract::ApiJson;
use crate::api::idempotency::{IdempotencyKey, run_once};
use crate::api::transactions::{TransactionView, visible_transaction};
use crate::auth::{AdminOnly, ApiUser, CustomerOnly, MerchantOrAdmin};
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::wallet::{FailureReason, TransactionStatus, WalletOperation};
use domain::{Currency, CustomerId, MerchantId, Money, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A money movement.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperationBody {
    /// `top_up`, `payment`, `transfer` or `withdrawal`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The customer whose wallet it starts from.
    pub customer_id: String,
    /// Minor units, positive.
    pub amount_minor: i64,
    /// ISO currency (default `IDR`).
    pub currency: Option<String>,
    /// Payments: the merchant.
    pub merchant_id: Option<String>,
    /// Transfers: the receiving customer.
    pub to_customer_id: Option<String>,
    /// Payments: hold this many minutes for the merchant to confirm instead of paying now.
    pub hold_minutes: Option<u32>,
    /// What it is for (shown in the history).
    pub description: Option<String>,
    /// The outside world's answer when it refused (card declined, bank down, …): records
    /// the transaction as failed with this reason.
    pub external_failure: Option<String>,
}

/// A wallet balance.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
    /// ISO currency.
    pub currency: String,
    /// Posted balance, minor units.
    pub balance_minor: i64,
    /// Spendable now (posted minus held), minor units.
    pub available_minor: i64,
    /// Held by pending payments, minor units.
    pub held_minor: i64,
    /// Display form of the available amount.
    pub available_display: String,
}

/// A capture of a held payment.
#[derive(Debug, Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CaptureBody {
    /// Capture less than held (the rest is released); default the full amount.
    pub amount_minor: Option<i64>,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/wallet/operations", post(post_operation))
        .route("/api/v1/transactions/{id}/capture", post(capture))
        .route("/api/v1/transactions/{id}/void", post(void))
        .route("/api/v1/me/wallet", get(my_wallet))
}

fn parse_operation(
    b: &OperationBody,
) -> Result<(WalletOperation, Option<FailureReason>), ValidationError> {
    let mut errors = Vec::new();
    let currency = Currency::parse(b.currency.as_deref().unwrap_or("IDR"))
        .map_err(|_| ValidationError::field("currency", "invalid_value", "unknown currency"));
    if b.amount_minor <= 0 {
        errors.extend(
            ValidationError::field(
                "amount_minor",
                "out_of_range",
                "the amount must be positive",
            )
            .errors,
        );
    }
    let customer = CustomerId::parse(&b.customer_id).ok_or_else(|| {
        ValidationError::field("customer_id", "invalid_format", "not a customer id")
    });
    let description = b
        .description
        .clone()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect::<String>();
    let failure = match b.external_failure.as_deref() {
        None => Ok(None),
        // Insufficient balance is the ledger's own verdict, never claimed from outside.
        Some("insufficient_balance") => Err(ValidationError::field(
            "external_failure",
            "invalid_value",
            "insufficient_balance is decided by the ledger",
        )),
        Some(r) => FailureReason::parse(r).map(Some).ok_or_else(|| {
            ValidationError::field(
                "external_failure",
                "invalid_value",
                "unknown failure reason",
            )
        }),
    };
    for e in [
        currency.as_ref().err(),
        customer.as_ref().err(),
        failure.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        errors.extend(e.errors.clone());
    }
    let op = match (currency, customer) {
        (Ok(currency), Ok(customer)) if errors.is_empty() => {
            let amount = Money::new(b.amount_minor, currency);
            match b.kind.as_str() {
                "top_up" => Some(WalletOperation::TopUp { customer, amount }),
                "withdrawal" => Some(WalletOperation::Withdrawal { customer, amount }),
                "payment" => match b.merchant_id.as_deref().and_then(MerchantId::parse) {
                    Some(merchant) => Some(WalletOperation::Payment {
                        customer,
                        merchant,
                        amount,
                        hold_minutes: b
                            .hold_minutes
                            .filter(|m| *m > 0)
                            .map(|m| m.min(60 * 24 * 30)),
                        description: if description.is_empty() {
                            "Payment".into()
                        } else {
                            description
                        },
                    }),
                    None => {
                        errors.extend(
                            ValidationError::field(
                                "merchant_id",
                                "required",
                                "a payment needs a merchant",
                            )
                            .errors,
                        );
                        None
                    }
                },
                "transfer" => match b.to_customer_id.as_deref().and_then(CustomerId::parse) {
                    Some(to) if to != customer => Some(WalletOperation::Transfer {
                        from: customer,
                        to,
                        amount,
                        description: if description.is_empty() {
                            "Transfer".into()
                        } else {
                            description
                        },
                    }),
                    _ => {
                        errors.extend(
                            ValidationError::field(
                                "to_customer_id",
                                "invalid_value",
                                "a transfer needs another customer",
                            )
                            .errors,
                        );
                        None
                    }
                },
                _ => {
                    errors.extend(
                        ValidationError::field(
                            "type",
                            "invalid_value",
                            "type must be top_up, payment, transfer or withdrawal",
                        )
                        .errors,
                    );
                    None
                }
            }
        }
        _ => None,
    };
    match (op, errors.is_empty()) {
        (Some(op), true) => Ok((op, failure.ok().flatten())),
        _ => Err(ValidationError { errors }),
    }
}

/// Post a money movement (operator systems, simulator). Requires an `Idempotency-Key`.
/// A refusal (insufficient balance, an external failure) is recorded in the customer's
/// history and answered 422 `transaction_failed` with the reference — and the same again
/// for every retry with that key.
#[utoipa::path(post, path = "/api/v1/wallet/operations", tag = "wallet", security(("bearer" = [])), request_body = OperationBody,
    params(("Idempotency-Key" = String, Header, description = "Retry key")),
    responses(
        (status = 201, description = "Succeeded or pending (held)", body = TransactionView),
        (status = 404, description = "No such customer or merchant", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, or refused and recorded as failed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn post_operation(
    State(state): State<AppState>,
    user: ApiUser<AdminOnly>,
    key: IdempotencyKey,
    ApiJson(body): ApiJson<OperationBody>,
) -> Result<Response, ApiError> {
    run_once(
        &state,
        &user.principal,
        &key,
        "POST /api/v1/wallet/operations",
        &body,
        || async {
            let (op, external) = parse_operation(&body)?;
            state.repo.customer(op.customer()).await?;
            match &op {
                WalletOperation::Payment { merchant, .. } => {
                    state.repo.merchant(merchant).await?;
                }
                WalletOperation::Transfer { to, .. } => {
                    state.repo.customer(to).await?;
                }
                _ => {}
            }
            let now = crate::now_us();
            let t = match external {
                Some(reason) => state.repo.record_failure(&op, reason, now).await?,
                None => state.repo.execute(&op, now).await?,
            };
            if t.status == TransactionStatus::Failed {
                return Err(ApiError::TransactionFailed {
                    reason: t.failure_reason.map_or("unknown", |r| r.as_str()),
                    reference: t.reference.clone(),
                    transaction_id: t.id.clone(),
                });
            }
            let tr = Tr::new(state.i18n.clone(), user.principal.locale);
            Ok((StatusCode::CREATED, TransactionView::new(&t, &tr)))
        },
    )
    .await
}

async fn held_payment_of(
    state: &AppState,
    user: &ApiUser<MerchantOrAdmin>,
    id: &str,
) -> Result<(), ApiError> {
    visible_transaction(state, &user.principal, id)
        .await
        .map(|_| ())
}

/// Confirm a held payment (the merchant, or an admin), in full or in part.
#[utoipa::path(post, path = "/api/v1/transactions/{id}/capture", tag = "wallet", security(("bearer" = [])), request_body = CaptureBody,
    params(("id" = String, Path, description = "Payment transaction id")),
    responses(
        (status = 200, description = "Captured", body = TransactionView),
        (status = 404, description = "Not the caller's merchant's payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending, or the hold expired", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn capture(
    State(state): State<AppState>,
    user: ApiUser<MerchantOrAdmin>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CaptureBody>,
) -> Result<Json<TransactionView>, ApiError> {
    held_payment_of(&state, &user, &id).await?;
    if body.amount_minor.is_some_and(|a| a <= 0) {
        return Err(ValidationError::field(
            "amount_minor",
            "out_of_range",
            "the amount must be positive",
        )
        .into());
    }
    let t = state
        .repo
        .capture_payment(&id, body.amount_minor, crate::now_us())
        .await?;
    Ok(Json(TransactionView::new(
        &t,
        &Tr::new(state.i18n.clone(), user.principal.locale),
    )))
}

/// Cancel a held payment; the customer's money is released.
#[utoipa::path(post, path = "/api/v1/transactions/{id}/void", tag = "wallet", security(("bearer" = [])),
    params(("id" = String, Path, description = "Payment transaction id")),
    responses(
        (status = 200, description = "Voided", body = TransactionView),
        (status = 404, description = "Not the caller's merchant's payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn void(
    State(state): State<AppState>,
    user: ApiUser<MerchantOrAdmin>,
    Path(id): Path<String>,
) -> Result<Json<TransactionView>, ApiError> {
    held_payment_of(&state, &user, &id).await?;
    let t = state.repo.void_payment(&id, crate::now_us()).await?;
    Ok(Json(TransactionView::new(
        &t,
        &Tr::new(state.i18n.clone(), user.principal.locale),
    )))
}

/// My wallet balance (IDR).
#[utoipa::path(get, path = "/api/v1/me/wallet", tag = "wallet", security(("bearer" = [])),
    responses(
        (status = 200, description = "Balance", body = BalanceView),
        (status = 403, description = "Not a customer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn my_wallet(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
) -> Result<Json<BalanceView>, ApiError> {
    let customer = user.principal.customer_id().ok_or(ApiError::Forbidden)?;
    Ok(Json(balance_view(&state, customer).await?))
}

/// A customer's IDR balance for display.
pub async fn balance_view(
    state: &AppState,
    customer: &CustomerId,
) -> Result<BalanceView, ApiError> {
    let b = state.repo.wallet_balance(customer, Currency::IDR).await?;
    Ok(BalanceView {
        currency: "IDR".into(),
        balance_minor: b.posted(),
        available_minor: b.available(),
        held_minor: b.debits_pending,
        available_display: Money::new(b.available(), Currency::IDR).to_string(),
    })
}
