//! Transaction history: filters, keyset pages, CSV export, the detail view with
//! explanations, and the customer's notes and flags.

use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::idempotency::{IdempotencyKey, run_once};
use crate::api::views::rfc3339;
use crate::auth::{ApiUser, CustomerOnly, SignedIn, SupportStaff};
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use domain::ticket::Channel;
use domain::wallet::{
    FlagReason, Refund, TransactionFlag, TransactionKind, TransactionNote, TransactionQuery,
    TransactionStatus, UnusualRule, WalletTransaction,
};
use domain::{Cursor, CustomerId, Limit, MerchantId, Principal, Role, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why a transaction failed and what to do, in the caller's language.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailureView {
    /// Reason code from the fixed catalogue.
    pub reason: String,
    /// What happened.
    pub explanation: String,
    /// `top_up`, `retry_later`, `use_another_method` or `contact_support`.
    pub next_step: String,
    /// What to do, in words.
    pub next_step_text: String,
}

/// An unusual-activity mark.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnusualView {
    /// Rule that fired.
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
    /// The explanation in the caller's language.
    pub explanation: String,
}

/// A transaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionView {
    /// Id.
    pub id: String,
    /// Reference to quote to support.
    pub reference: String,
    /// The wallet's customer.
    pub customer_id: String,
    /// `top_up`, `payment`, `transfer_out`, `transfer_in`, `refund`, `withdrawal`.
    pub kind: String,
    /// `pending`, `succeeded`, `failed`, `reversed`.
    pub status: String,
    /// Amount in minor units (always positive).
    pub amount_minor: i64,
    /// ISO currency.
    pub currency: String,
    /// Amount for display (`IDR 15,000`).
    pub amount_display: String,
    /// Merchant of a payment or refund.
    pub merchant_id: Option<String>,
    /// Merchant name.
    pub merchant_name: Option<String>,
    /// Other customer of a transfer.
    pub counterparty_customer_id: Option<String>,
    /// Description.
    pub description: String,
    /// Failure details, for failed transactions.
    pub failure: Option<FailureView>,
    /// Unusual-activity mark.
    pub unusual: Option<UnusualView>,
    /// The payment a refund belongs to, or the other side of a transfer.
    pub original_id: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl TransactionView {
    /// Renders a transaction for a caller speaking `tr`'s language.
    pub fn new(t: &WalletTransaction, tr: &Tr) -> Self {
        Self {
            id: t.id.clone(),
            reference: t.reference.clone(),
            customer_id: t.customer_id.to_string(),
            kind: t.kind.as_str().into(),
            status: t.status.as_str().into(),
            amount_minor: t.amount.minor,
            currency: t.amount.currency.code().into(),
            amount_display: t.amount.to_string(),
            merchant_id: t.merchant_id.as_ref().map(|m| m.to_string()),
            merchant_name: t.merchant_name.clone(),
            counterparty_customer_id: t.counterparty_customer_id.as_ref().map(|c| c.to_string()),
            description: t.description.clone(),
            failure: t.failure_reason.map(|r| FailureView {
                reason: r.as_str().into(),
                explanation: tr.t(&r.message_key()),
                next_step: serde_json::to_value(r.next_step())
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                next_step_text: tr.t1(r.next_step().message_key(), "reference", &t.reference),
            }),
            unusual: t.unusual.as_ref().map(|u: &UnusualRule| UnusualView {
                rule: serde_json::to_value(u).unwrap_or_default(),
                explanation: tr.t(u.message_key()),
            }),
            original_id: t.original_id.clone(),
            created_at: rfc3339(t.created_at_us),
            updated_at: rfc3339(t.updated_at_us),
        }
    }
}

/// A private note.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    /// Id.
    pub id: String,
    /// Text.
    pub body: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last edited (RFC 3339).
    pub updated_at: String,
}

impl From<&TransactionNote> for NoteView {
    fn from(n: &TransactionNote) -> Self {
        Self {
            id: n.id.clone(),
            body: n.body.clone(),
            created_at: rfc3339(n.created_at_us),
            updated_at: rfc3339(n.updated_at_us),
        }
    }
}

/// A flag on a transaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagView {
    /// Id.
    pub id: String,
    /// The transaction.
    pub transaction_id: String,
    /// Who raised it.
    pub customer_id: String,
    /// `not_recognised` or `improper`.
    pub reason: String,
    /// The customer's words.
    pub comment: String,
    /// `open`, `in_review`, `resolved`.
    pub status: String,
    /// Raised (RFC 3339).
    pub created_at: String,
}

impl From<&TransactionFlag> for FlagView {
    fn from(f: &TransactionFlag) -> Self {
        Self {
            id: f.id.clone(),
            transaction_id: f.transaction_id.clone(),
            customer_id: f.customer_id.to_string(),
            reason: f.reason.as_str().into(),
            comment: f.comment.clone(),
            status: f.status.as_str().into(),
            created_at: rfc3339(f.created_at_us),
        }
    }
}

/// A page of transactions.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionPage {
    /// Newest first.
    pub items: Vec<TransactionView>,
    /// Pass as `cursor` for older transactions.
    pub next_cursor: Option<String>,
}

/// A transaction with everything attached to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionDetail {
    /// The transaction.
    pub transaction: TransactionView,
    /// The caller's own notes (customers only).
    pub notes: Vec<NoteView>,
    /// Flags raised on it.
    pub flags: Vec<FlagView>,
    /// Refunds of a payment.
    pub refunds: Vec<crate::api::refunds::RefundView>,
}

/// History filters. Dates are `YYYY-MM-DD` (the start of that day in UTC) or RFC 3339.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct HistoryFilter {
    /// Created at or after.
    pub from: Option<String>,
    /// Created before (a date includes that whole day).
    pub to: Option<String>,
    /// Amount at least (minor units).
    pub min_minor: Option<i64>,
    /// Amount at most (minor units).
    pub max_minor: Option<i64>,
    /// Comma-separated kinds.
    pub kind: Option<String>,
    /// Comma-separated statuses.
    pub status: Option<String>,
    /// Merchant id.
    pub merchant_id: Option<String>,
    /// Text in description, merchant name or reference.
    pub q: Option<String>,
    /// Support staff: only this customer.
    pub customer_id: Option<String>,
    /// Page size 1–100 (default 25).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn parse_instant(field: &str, raw: &str, end_of_day: bool) -> Result<i64, ValidationError> {
    let bad = || {
        ValidationError::field(
            field,
            "invalid_format",
            "use a date like 2026-11-25 or an RFC 3339 time",
        )
    };
    if let Ok(date) = raw.parse::<jiff::civil::Date>() {
        let date = if end_of_day {
            date.tomorrow().map_err(|_| bad())?
        } else {
            date
        };
        return date
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp().as_microsecond())
            .map_err(|_| bad());
    }
    raw.parse::<jiff::Timestamp>()
        .map(|t| t.as_microsecond())
        .map_err(|_| bad())
}

fn parse_list<T: Copy>(
    field: &str,
    raw: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Result<Vec<T>, ValidationError> {
    raw.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            parse(s).ok_or_else(|| {
                ValidationError::field(field, "invalid_value", format!("unknown {field} {s:?}"))
            })
        })
        .collect()
}

impl HistoryFilter {
    /// Builds the query, scoped to the caller: customers see only their own wallet,
    /// merchant staff only their merchant's payments and refunds.
    pub fn to_query(
        &self,
        caller: &Principal,
    ) -> Result<(TransactionQuery, Option<Cursor>, Limit), ApiError> {
        let mut errors = Vec::new();
        let mut keep = |r: Result<(), ValidationError>| {
            if let Err(e) = r {
                errors.extend(e.errors);
            }
        };
        let mut q = TransactionQuery::default();
        if let Some(f) = self.from.as_deref().filter(|s| !s.is_empty()) {
            keep(parse_instant("from", f, false).map(|v| q.from_us = Some(v)));
        }
        if let Some(t) = self.to.as_deref().filter(|s| !s.is_empty()) {
            keep(parse_instant("to", t, true).map(|v| q.to_us = Some(v)));
        }
        if let (Some(a), Some(b)) = (self.min_minor, self.max_minor)
            && a > b
        {
            keep(Err(ValidationError::field(
                "max_minor",
                "out_of_range",
                "the maximum is below the minimum",
            )));
        }
        q.min_minor = self.min_minor;
        q.max_minor = self.max_minor;
        keep(parse_list("kind", self.kind.as_deref(), TransactionKind::parse).map(|v| q.kinds = v));
        keep(
            parse_list("status", self.status.as_deref(), TransactionStatus::parse)
                .map(|v| q.statuses = v),
        );
        q.text = self
            .q
            .as_deref()
            .map(|s| s.chars().take(100).collect::<String>())
            .filter(|s| !s.trim().is_empty());
        let page = crate::api::views::PageParams {
            limit: self.limit,
            cursor: self.cursor.clone().filter(|c| !c.is_empty()),
        }
        .parse();
        if let Err(e) = &page {
            errors.extend(e.errors.clone());
        }
        if !errors.is_empty() {
            return Err(ValidationError { errors }.into());
        }
        let (limit, cursor) = page?;
        let merchant_param = self
            .merchant_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|m| MerchantId::parse(m).ok_or(ApiError::NotFound))
            .transpose()?;
        let customer_param = self
            .customer_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|c| CustomerId::parse(c).ok_or(ApiError::NotFound))
            .transpose()?;
        match caller.role {
            Role::Customer => {
                q.customer_id = caller.customer_id().cloned();
                q.merchant_id = merchant_param;
            }
            Role::Merchant => {
                q.merchant_id = Some(caller.merchant_id.clone().ok_or(ApiError::Forbidden)?);
                if merchant_param.is_some_and(|m| Some(&m) != caller.merchant_id.as_ref()) {
                    return Err(ApiError::NotFound);
                }
                if q.kinds.is_empty() {
                    q.kinds = vec![TransactionKind::Payment, TransactionKind::Refund];
                }
                q.kinds
                    .retain(|k| matches!(k, TransactionKind::Payment | TransactionKind::Refund));
            }
            _ => {
                q.customer_id = customer_param;
                q.merchant_id = merchant_param;
            }
        }
        Ok((q, cursor, limit))
    }
}

/// May this caller see this transaction? Customers their own, merchant staff payments to
/// and refunds from their merchant, support staff all.
pub fn may_view(caller: &Principal, t: &WalletTransaction) -> bool {
    match caller.role {
        Role::Customer => caller.customer_id() == Some(&t.customer_id),
        Role::Merchant => {
            t.merchant_id.is_some()
                && t.merchant_id == caller.merchant_id
                && matches!(t.kind, TransactionKind::Payment | TransactionKind::Refund)
        }
        _ => true,
    }
}

/// Loads a transaction the caller may see; anything else is 404.
pub async fn visible_transaction(
    state: &AppState,
    caller: &Principal,
    id: &str,
) -> Result<WalletTransaction, ApiError> {
    uuid_like(id)?;
    let t = state.repo.transaction(id).await?;
    if !may_view(caller, &t) {
        return Err(ApiError::NotFound);
    }
    Ok(t)
}

fn uuid_like(id: &str) -> Result<(), ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|_| ())
        .map_err(|_| ApiError::NotFound)
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/transactions", get(list_transactions))
        .route("/api/v1/transactions.csv", get(export_csv))
        .route("/api/v1/transactions/{id}", get(get_transaction))
        .route("/api/v1/transactions/{id}/notes", post(add_note))
        .route("/api/v1/notes/{id}", patch(update_note).delete(delete_note))
        .route("/api/v1/transactions/{id}/flags", post(add_flag))
        .route("/api/v1/flags", get(list_flags))
}

/// Transaction history, newest first, filtered and scoped to the caller.
#[utoipa::path(get, path = "/api/v1/transactions", tag = "transactions", security(("bearer" = [])), params(HistoryFilter),
    responses(
        (status = 200, description = "A page of transactions", body = TransactionPage),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_transactions(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    ApiQuery(f): ApiQuery<HistoryFilter>,
) -> Result<Json<TransactionPage>, ApiError> {
    let (q, cursor, limit) = f.to_query(&user.principal)?;
    let page = state.repo.transactions(&q, cursor.as_ref(), limit).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(TransactionPage {
        items: page
            .items
            .iter()
            .map(|t| TransactionView::new(t, &tr))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// The most rows one export returns; narrow the filters for more.
pub const CSV_MAX_ROWS: usize = 10_000;

/// Writes filtered transactions as CSV (RFC 4180), newest first.
pub async fn csv_of(state: &AppState, q: &TransactionQuery) -> Result<String, ApiError> {
    let mut out = String::from(
        "date,reference,type,status,amount,currency,merchant,description,failure_reason\r\n",
    );
    let mut cursor = None;
    let mut rows = 0;
    let limit = Limit::parse(Some(100))?;
    loop {
        let page = state.repo.transactions(q, cursor.as_ref(), limit).await?;
        for t in &page.items {
            let sign = if t.kind.is_outgoing() { "-" } else { "" };
            let minor = t.amount.minor;
            let exp = t.amount.currency.exponent();
            let major = format!(
                "{sign}{}.{:0width$}",
                minor / 10i64.pow(exp),
                minor % 10i64.pow(exp),
                width = exp as usize
            );
            let fields = [
                rfc3339(t.created_at_us),
                t.reference.clone(),
                t.kind.as_str().to_owned(),
                t.status.as_str().to_owned(),
                major,
                t.amount.currency.code().to_owned(),
                t.merchant_name.clone().unwrap_or_default(),
                t.description.clone(),
                t.failure_reason
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
            ];
            out.push_str(
                &fields
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push_str("\r\n");
            rows += 1;
        }
        match page.next_cursor {
            Some(c) if rows < CSV_MAX_ROWS => cursor = Some(Cursor::decode(&c)?),
            _ => break,
        }
    }
    Ok(out)
}

/// Quotes a CSV field; a leading `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheet
/// programs do not run customer-controlled text as a formula.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '@']) || (s.starts_with('-') && s.parse::<f64>().is_err()) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The filtered history as CSV (at most 10,000 rows).
#[utoipa::path(get, path = "/api/v1/transactions.csv", tag = "transactions", security(("bearer" = [])), params(HistoryFilter),
    responses(
        (status = 200, description = "CSV file", content_type = "text/csv"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn export_csv(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    ApiQuery(f): ApiQuery<HistoryFilter>,
) -> Result<Response, ApiError> {
    let (q, _, _) = f.to_query(&user.principal)?;
    let body = csv_of(&state, &q).await?;
    let mut resp = body.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"transactions.csv\""),
    );
    Ok(resp)
}

/// One transaction with its notes, flags and refunds.
#[utoipa::path(get, path = "/api/v1/transactions/{id}", tag = "transactions", security(("bearer" = [])),
    params(("id" = String, Path, description = "Transaction id")),
    responses(
        (status = 200, description = "The transaction", body = TransactionDetail),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such transaction visible to the caller", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_transaction(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    Path(id): Path<String>,
) -> Result<Json<TransactionDetail>, ApiError> {
    Ok(Json(detail(&state, &user.principal, &id).await?))
}

/// Builds the detail view for a caller.
pub async fn detail(
    state: &AppState,
    caller: &Principal,
    id: &str,
) -> Result<TransactionDetail, ApiError> {
    let t = visible_transaction(state, caller, id).await?;
    let tr = Tr::new(state.i18n.clone(), caller.locale);
    let notes = match caller.customer_id() {
        Some(c) => state
            .repo
            .notes(&t.id, c)
            .await?
            .iter()
            .map(NoteView::from)
            .collect(),
        None => Vec::new(),
    };
    let flags = if caller.role == Role::Merchant {
        Vec::new()
    } else {
        state
            .repo
            .flags(&t.id)
            .await?
            .iter()
            .map(FlagView::from)
            .collect()
    };
    let refunds: Vec<Refund> = if t.kind == TransactionKind::Payment {
        state.repo.refunds_of_payment(&t.id).await?
    } else {
        Vec::new()
    };
    Ok(TransactionDetail {
        transaction: TransactionView::new(&t, &tr),
        notes,
        flags,
        refunds: refunds
            .iter()
            .map(|r| crate::api::refunds::RefundView::new(r, &tr))
            .collect(),
    })
}

/// A note's text.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// 1 to 2,000 characters.
    pub body: String,
}

/// Validates a note's text.
pub fn note_text(body: &str) -> Result<String, ValidationError> {
    let t = body.trim();
    let n = t.chars().count();
    if n == 0 || n > 2000 {
        return Err(ValidationError::field(
            "body",
            "invalid_length",
            "a note has 1 to 2,000 characters",
        ));
    }
    Ok(t.to_owned())
}

/// Add a private note to one of my transactions.
#[utoipa::path(post, path = "/api/v1/transactions/{id}/notes", tag = "transactions", security(("bearer" = [])), request_body = NoteBody,
    params(("id" = String, Path, description = "Transaction id"), ("Idempotency-Key" = String, Header, description = "Retry key")),
    responses(
        (status = 201, description = "Created", body = NoteView),
        (status = 404, description = "Not the caller's transaction", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_note(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoteBody>,
) -> Result<Response, ApiError> {
    let route = format!("POST /api/v1/transactions/{id}/notes");
    run_once(&state, &user.principal, &key, &route, &req, || async {
        let body = note_text(&req.body)?;
        let t = visible_transaction(&state, &user.principal, &id).await?;
        let customer = user.principal.customer_id().ok_or(ApiError::Forbidden)?;
        let note = state
            .repo
            .add_note(&t.id, customer, &body, crate::now_us())
            .await?;
        Ok((StatusCode::CREATED, NoteView::from(&note)))
    })
    .await
}

/// Edit one of my notes.
#[utoipa::path(patch, path = "/api/v1/notes/{id}", tag = "transactions", security(("bearer" = [])), request_body = NoteBody,
    params(("id" = String, Path, description = "Note id")),
    responses(
        (status = 200, description = "Updated", body = NoteView),
        (status = 404, description = "Not the caller's note", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_note(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NoteBody>,
) -> Result<Json<NoteView>, ApiError> {
    let body = note_text(&req.body)?;
    uuid_like(&id)?;
    let customer = user.principal.customer_id().ok_or(ApiError::Forbidden)?;
    let note = state
        .repo
        .update_note(&id, customer, &body, crate::now_us())
        .await?;
    Ok(Json(NoteView::from(&note)))
}

/// Delete one of my notes.
#[utoipa::path(delete, path = "/api/v1/notes/{id}", tag = "transactions", security(("bearer" = [])),
    params(("id" = String, Path, description = "Note id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "Not the caller's note", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_note(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    uuid_like(&id)?;
    let customer = user.principal.customer_id().ok_or(ApiError::Forbidden)?;
    state.repo.delete_note(&id, customer).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A flag.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagBody {
    /// `not_recognised` or `improper`.
    pub reason: String,
    /// What is wrong (up to 2,000 characters).
    #[serde(default)]
    pub comment: String,
}

/// Report one of my transactions as not recognised or improper.
#[utoipa::path(post, path = "/api/v1/transactions/{id}/flags", tag = "transactions", security(("bearer" = [])), request_body = FlagBody,
    params(("id" = String, Path, description = "Transaction id"), ("Idempotency-Key" = String, Header, description = "Retry key")),
    responses(
        (status = 201, description = "Flag raised", body = FlagView),
        (status = 404, description = "Not the caller's transaction", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already flagged", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown reason", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_flag(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<FlagBody>,
) -> Result<Response, ApiError> {
    let route = format!("POST /api/v1/transactions/{id}/flags");
    run_once(&state, &user.principal, &key, &route, &req, || async {
        let reason = FlagReason::parse(&req.reason).ok_or_else(|| {
            ValidationError::field(
                "reason",
                "invalid_value",
                "reason must be not_recognised or improper",
            )
        })?;
        if req.comment.chars().count() > 2000 {
            return Err(
                ValidationError::field("comment", "too_long", "at most 2,000 characters").into(),
            );
        }
        let t = visible_transaction(&state, &user.principal, &id).await?;
        let customer = user.principal.customer_id().ok_or(ApiError::Forbidden)?;
        let flag = state
            .repo
            .add_flag(&t.id, customer, reason, req.comment.trim(), crate::now_us())
            .await?;
        crate::tickets::open_for_flag(&state, &user.principal, Channel::App, &t, &flag).await?;
        Ok((StatusCode::CREATED, FlagView::from(&flag)))
    })
    .await
}

/// A page of flags.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagPage {
    /// Oldest first.
    pub items: Vec<FlagView>,
    /// Next page.
    pub next_cursor: Option<String>,
}

/// Flags waiting for support, oldest first.
#[utoipa::path(get, path = "/api/v1/flags", tag = "transactions", security(("bearer" = [])), params(crate::api::views::PageParams),
    responses(
        (status = 200, description = "Open flags", body = FlagPage),
        (status = 403, description = "Not support staff", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_flags(
    State(state): State<AppState>,
    _user: ApiUser<SupportStaff>,
    ApiQuery(p): ApiQuery<crate::api::views::PageParams>,
) -> Result<Json<FlagPage>, ApiError> {
    let (limit, cursor) = p.parse()?;
    let page = state.repo.open_flags(cursor.as_ref(), limit).await?;
    Ok(Json(FlagPage {
        items: page.items.iter().map(FlagView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-150.00"), "-150.00");
        assert_eq!(csv_field("-cmd"), "'-cmd");
    }

    #[test]
    fn dates_cover_whole_days() {
        let from = parse_instant("from", "2026-11-25", false).unwrap();
        let to = parse_instant("to", "2026-11-25", true).unwrap();
        assert_eq!(to - from, 86_400_000_000);
        assert!(parse_instant("from", "25/11/2026", false).is_err());
        assert!(parse_instant("from", "2026-11-25T10:00:00Z", false).is_ok());
    }
}
