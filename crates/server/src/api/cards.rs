//! Bank cards and bank accounts over the API: customers add, verify and remove their own;
//! support staff see a customer's (masked, with risk flags). Card numbers are checked and
//! forgotten in the request: answers and stored records hold the BIN and last four only.

use crate::api::extract::ApiJson;
use crate::api::idempotency::{IdempotencyKey, run_once};
use crate::api::views::rfc3339;
use crate::auth::{ApiUser, CustomerOnly, SupportStaff};
use crate::cards::{self, VerificationAnswer};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use domain::cards::{CardInput, LinkState, LinkVerification, LinkedMethod};
use domain::{CustomerId, Locale, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/banks", get(list_banks))
        .route("/api/v1/me/payment-methods", get(my_methods))
        .route("/api/v1/me/cards", post(add_card))
        .route("/api/v1/me/bank-accounts", post(add_account))
        .route("/api/v1/me/payment-methods/{id}/verify", post(verify))
        .route("/api/v1/me/payment-methods/{id}", delete(remove))
        .route(
            "/api/v1/customers/{id}/payment-methods",
            get(customer_methods),
        )
}

/// A bank of the table.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankView {
    /// Code to send as `bank_code`.
    pub code: String,
    /// Name.
    pub name: String,
    /// ISO country.
    pub country: String,
    /// National clearing code.
    pub clearing_code: String,
    /// Digits of an account number.
    pub account_lengths: Vec<usize>,
    /// Whether cards and accounts of this bank can be linked.
    pub supported: bool,
}

/// Banks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankList {
    /// In table order.
    pub items: Vec<BankView>,
}

/// The banks whose cards and accounts are recognised, and their account-number formats.
#[utoipa::path(get, path = "/api/v1/banks", tag = "cards",
    responses((status = 200, description = "Banks", body = BankList)))]
pub async fn list_banks() -> Json<BankList> {
    Json(BankList {
        items: cards::bank_table()
            .banks
            .iter()
            .map(|b| BankView {
                code: b.code.clone(),
                name: b.name.clone(),
                country: b.country.clone(),
                clearing_code: b.clearing_code.clone(),
                account_lengths: b.account_lengths.clone(),
                supported: b.supported,
            })
            .collect(),
    })
}

/// A linked card or bank account, masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct MethodView {
    /// Id.
    pub id: String,
    /// `card` or `bank_account`.
    pub kind: String,
    /// Bank code.
    pub bank_code: String,
    /// Bank name.
    pub bank_name: String,
    /// `visa`, `mastercard`, `jcb`, `amex`, `unionpay`, `gpn` (cards).
    pub brand: Option<String>,
    /// Last four digits.
    pub last4: String,
    /// `•••• 1234`.
    pub masked: String,
    /// `MM/YYYY` (cards).
    pub expiry: Option<String>,
    /// Name on the card or account.
    pub holder_name: String,
    /// `pending_verification`, `verified`, `failed`, `removed`.
    pub state: String,
    /// `issuer_otp` or `micro_deposits`.
    pub verification: String,
    /// Why it failed (a problem code).
    pub failure: Option<String>,
    /// The failure explained in the caller's language.
    pub failure_message: Option<String>,
    /// The help article about the failure.
    pub help_url: Option<String>,
    /// Tries left while pending.
    pub attempts_left: u32,
    /// Verification must finish before (RFC 3339).
    pub verify_by: String,
    /// Added (RFC 3339).
    pub created_at: String,
    /// Staff only: first digits of the card.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    /// Staff only: `shared_with_other_customer` when the same number is on another wallet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
}

impl MethodView {
    /// The view of a record in a language; `staff` adds the BIN and the risk flag.
    pub fn new(state: &AppState, locale: Locale, m: &LinkedMethod, staff: bool) -> Self {
        let bank_name = cards::bank_table()
            .bank(&m.bank_code)
            .map(|b| b.name.clone())
            .unwrap_or_else(|| m.bank_code.clone());
        Self {
            id: m.id.clone(),
            kind: m.kind.as_str().into(),
            bank_code: m.bank_code.clone(),
            bank_name,
            brand: m.brand.map(|b| b.as_str().to_owned()),
            last4: m.last4.clone(),
            masked: m.masked(),
            expiry: m
                .expiry_month
                .zip(m.expiry_year)
                .map(|(mo, y)| format!("{mo:02}/{y}")),
            holder_name: m.holder_name.clone(),
            state: m.state.as_str().into(),
            verification: m.verification.as_str().into(),
            failure: m.failure.map(|f| f.as_str().to_owned()),
            failure_message: m
                .failure
                .map(|f| state.i18n.message(locale, &f.message_key(), None)),
            help_url: m.failure.map(|f| format!("/help/a/{}", f.help_slug())),
            attempts_left: if m.state == LinkState::PendingVerification {
                m.max_attempts.saturating_sub(m.attempts)
            } else {
                0
            },
            verify_by: rfc3339(m.verify_by_us),
            created_at: rfc3339(m.created_at_us),
            bin: if staff { m.bin.clone() } else { None },
            risk: if staff {
                m.risk.map(|r| r.as_str().to_owned())
            } else {
                None
            },
        }
    }
}

/// Cards and accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct MethodList {
    /// Newest first; removed ones are left out.
    pub items: Vec<MethodView>,
}

/// My cards and bank accounts.
#[utoipa::path(get, path = "/api/v1/me/payment-methods", tag = "cards", security(("bearer" = [])),
    responses(
        (status = 200, description = "Mine, newest first", body = MethodList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn my_methods(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
) -> Result<Json<MethodList>, ApiError> {
    let customer = user.principal.customer_id().ok_or(ApiError::Forbidden)?;
    let items = state.repo.linked_methods(customer, false).await?;
    Ok(Json(MethodList {
        items: items
            .iter()
            .map(|m| MethodView::new(&state, user.principal.locale, m, false))
            .collect(),
    }))
}

fn verification(
    raw: Option<&str>,
    default: LinkVerification,
) -> Result<LinkVerification, ApiError> {
    match raw {
        None => Ok(default),
        Some(v) => LinkVerification::parse(v).ok_or_else(|| {
            ValidationError::field(
                "verification",
                "invalid_value",
                "use issuer_otp or micro_deposits",
            )
            .into()
        }),
    }
}

/// A card to add. The number and CVV are checked, fingerprinted and forgotten; `Debug`
/// leaves them out.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCard {
    /// Card number (spaces and dashes allowed).
    pub number: String,
    /// Expiry month 1-12.
    pub expiry_month: u8,
    /// Expiry year (`2028` or `28`).
    pub expiry_year: u16,
    /// Security code (3 digits, 4 for American Express); passed to the issuer, never stored.
    pub cvv: Option<String>,
    /// Name on the card.
    #[serde(default)]
    pub holder_name: String,
    /// `issuer_otp` (default) or `micro_deposits`.
    pub verification: Option<String>,
}

impl std::fmt::Debug for AddCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddCard")
            .field("number", &"<redacted>")
            .field("expiry_month", &self.expiry_month)
            .field("expiry_year", &self.expiry_year)
            .field("cvv", &"<redacted>")
            .field("verification", &self.verification)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AddAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddAccount")
            .field("bank_code", &self.bank_code)
            .field("account_number", &"<redacted>")
            .field("verification", &self.verification)
            .finish_non_exhaustive()
    }
}

/// What identifies a retry of an add: everything but the number, which is replaced by
/// its keyed fingerprint, and the CVV, which is left out.
#[derive(Serialize)]
struct RetryKey<'a> {
    fingerprint: &'a str,
    expiry: Option<(u8, u16)>,
    holder_name: &'a str,
    verification: &'static str,
}

/// Add a card (customers).
///
/// Checked: digits and Luhn, length for the brand, the BIN in the bank table, the bank
/// supported, expiry not before this month in the customer's time zone, and at most
/// `cards.max_per_customer` cards. Then the issuer sends the holder a code (`issuer_otp`)
/// or two small amounts are paid to the card (`micro_deposits`); the card stays
/// `pending_verification` until the customer answers. Problems carry a `code`, a message
/// in the customer's language, the `field` and a `help_url`.
#[utoipa::path(post, path = "/api/v1/me/cards", tag = "cards", security(("bearer" = [])), request_body = AddCard,
    params(("Idempotency-Key" = String, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Added, pending verification", body = MethodView),
        (status = 409, description = "Limit reached or already linked", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Number, expiry or bank refused, with the reason", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The issuer does not answer; nothing stored", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_card(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    key: IdempotencyKey,
    ApiJson(req): ApiJson<AddCard>,
) -> Result<Response, ApiError> {
    let now = crate::now_us();
    let method = verification(req.verification.as_deref(), LinkVerification::IssuerOtp)?;
    let input = CardInput {
        number: req.number,
        expiry_month: req.expiry_month,
        expiry_year: req.expiry_year,
        cvv: req.cvv,
    };
    let checked = cards::check_card(&state, &user.principal, &input, &req.holder_name, now).await?;
    let fingerprint = checked.fingerprint().to_owned();
    let retry = RetryKey {
        fingerprint: &fingerprint,
        expiry: Some((input.expiry_month, input.expiry_year)),
        holder_name: &req.holder_name,
        verification: method.as_str(),
    };
    run_once(
        &state,
        &user.principal,
        &key,
        "POST /api/v1/me/cards",
        &retry,
        || async {
            let m = cards::link(&state, &user.principal, checked, method, now).await?;
            Ok((
                StatusCode::CREATED,
                MethodView::new(&state, user.principal.locale, &m, false),
            ))
        },
    )
    .await
}

/// A bank account to add. `Debug` leaves the number out.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddAccount {
    /// Bank code from `GET /api/v1/banks` (`BCA`, `ICBC`).
    pub bank_code: String,
    /// Account number (its length is checked per bank).
    pub account_number: String,
    /// Name on the account.
    #[serde(default)]
    pub holder_name: String,
    /// `micro_deposits` (default) or `issuer_otp`.
    pub verification: Option<String>,
}

/// Add a bank account (customers).
///
/// The account number must have the bank's length (BCA 10 digits, Mandiri 13, BRI 15,
/// BNI 10, Chinese banks 16-19). Verified by two micro-deposits by default.
#[utoipa::path(post, path = "/api/v1/me/bank-accounts", tag = "cards", security(("bearer" = [])), request_body = AddAccount,
    params(("Idempotency-Key" = String, Header, description = "Makes retries safe")),
    responses(
        (status = 201, description = "Added, pending verification", body = MethodView),
        (status = 409, description = "Limit reached or already linked", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bank or number refused, with the reason", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The issuer does not answer; nothing stored", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_account(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    key: IdempotencyKey,
    ApiJson(req): ApiJson<AddAccount>,
) -> Result<Response, ApiError> {
    let now = crate::now_us();
    let method = verification(req.verification.as_deref(), LinkVerification::MicroDeposits)?;
    let checked = cards::check_account(
        &state,
        &user.principal,
        &req.bank_code,
        &req.account_number,
        &req.holder_name,
        now,
    )
    .await?;
    let fingerprint = checked.fingerprint().to_owned();
    let retry = RetryKey {
        fingerprint: &fingerprint,
        expiry: None,
        holder_name: &req.holder_name,
        verification: method.as_str(),
    };
    run_once(
        &state,
        &user.principal,
        &key,
        "POST /api/v1/me/bank-accounts",
        &retry,
        || async {
            let m = cards::link(&state, &user.principal, checked, method, now).await?;
            Ok((
                StatusCode::CREATED,
                MethodView::new(&state, user.principal.locale, &m, false),
            ))
        },
    )
    .await
}

/// Confirm a card or account: the issuer's code, or the two micro-deposit amounts.
///
/// A wrong answer uses up a try (`attempts_left` in the problem); the last wrong one fails
/// the link (`attempts_exhausted`). When the issuer does not answer no try is used.
#[utoipa::path(post, path = "/api/v1/me/payment-methods/{id}/verify", tag = "cards", security(("bearer" = [])),
    request_body = VerificationAnswer,
    params(("id" = String, Path, description = "Card or account id")),
    responses(
        (status = 200, description = "Verified", body = MethodView),
        (status = 404, description = "Not yours or no such record", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending verification", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong code or amounts, tries exhausted, or too late", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The issuer does not answer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<VerificationAnswer>,
) -> Result<Json<MethodView>, ApiError> {
    let m = cards::verify(&state, &user.principal, &id, &req, crate::now_us()).await?;
    Ok(Json(MethodView::new(
        &state,
        user.principal.locale,
        &m,
        false,
    )))
}

/// Remove one of my cards or accounts.
#[utoipa::path(delete, path = "/api/v1/me/payment-methods/{id}", tag = "cards", security(("bearer" = [])),
    params(("id" = String, Path, description = "Card or account id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "Not yours or no such record", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    cards::remove(&state, &user.principal, &id, crate::now_us()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A customer's cards and accounts (support staff): masked, with the BIN and risk flags,
/// removed ones included.
#[utoipa::path(get, path = "/api/v1/customers/{id}/payment-methods", tag = "cards", security(("bearer" = [])),
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The customer's cards and accounts", body = MethodList),
        (status = 403, description = "Not support staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such customer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn customer_methods(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
) -> Result<Json<MethodList>, ApiError> {
    let customer = CustomerId::parse(&id).ok_or(ApiError::NotFound)?;
    state.repo.customer(&customer).await?;
    let items = state.repo.linked_methods(&customer, true).await?;
    Ok(Json(MethodList {
        items: items
            .iter()
            .map(|m| MethodView::new(&state, user.principal.locale, m, true))
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_numbers() {
        let card: AddCard = serde_json::from_value(serde_json::json!({
            "number": "4556120000000001", "expiry_month": 12, "expiry_year": 2030, "cvv": "987"
        }))
        .unwrap();
        let shown = format!("{card:?}");
        assert!(
            !shown.contains("4556120000000001") && !shown.contains("987"),
            "{shown}"
        );
        let account: AddAccount = serde_json::from_value(serde_json::json!({
            "bank_code": "BCA", "account_number": "7310485926"
        }))
        .unwrap();
        assert!(!format!("{account:?}").contains("7310485926"));
    }
}
