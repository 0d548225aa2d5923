//! Wallet pages: the customer's history (filters, keyset pages, CSV export), a transaction's
//! detail with private notes, flags and refund requests; the support view of a transaction;
//! and the merchant's refund approvals. Every action is an ordinary form post, so the pages
//! work without JavaScript.

use super::{Chrome, PageCtx, PageUser, csrf_ok, error_page, render, same_origin, url_encode};
use crate::api::refunds::RefundView;
use crate::api::transactions::{
    HistoryFilter, TransactionDetail, TransactionView, csv_of, detail, note_text,
    visible_transaction,
};
use crate::api::wallet::balance_view;
use crate::auth::{Access, CustomerOnly, MerchantOnly, SupportStaff};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::repo::RepoError;
use domain::wallet::{
    FlagReason, Refund, RefundDecision, RefundReason, RefundStatus, TransactionKind,
    TransactionQuery, TransactionStatus, WalletTransaction,
};
use domain::{Currency, CustomerId, Limit, Money, Principal, Role};
use serde::Deserialize;

/// Rows per history page.
const PAGE_SIZE: i64 = 25;
/// Transactions shown on a customer's profile in the console.
const RECENT_ON_PROFILE: i64 = 20;
/// Refunds listed on the merchant's page.
const MERCHANT_REFUNDS: i64 = 100;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/wallet", get(history))
        .route("/wallet/export.csv", get(export_csv))
        .route("/wallet/tx/{id}", get(transaction))
        .route("/wallet/tx/{id}/notes", post(add_note))
        .route("/wallet/notes/{id}", post(edit_note))
        .route("/wallet/notes/{id}/delete", post(delete_note))
        .route("/wallet/tx/{id}/flag", post(flag))
        .route("/wallet/tx/{id}/refund", post(request_refund))
        .route("/staff/tx/{id}", get(staff_transaction))
        .route("/staff/refunds/{id}", post(staff_decide_refund))
        .route("/staff/merchant/refunds", get(merchant_refunds))
        .route("/staff/merchant/refunds/{id}", post(decide_refund))
}

// ------------------------------------------------------------------ formatting

/// A moment in a region's time zone, as `2026-11-25 14:03`.
pub(super) fn local_time(us: i64, time_zone: &str) -> String {
    let Ok(ts) = jiff::Timestamp::from_microsecond(us) else {
        return String::new();
    };
    let zoned = ts
        .in_tz(time_zone)
        .unwrap_or_else(|_| ts.to_zoned_datetime(jiff::tz::TimeZone::UTC));
    zoned.strftime("%Y-%m-%d %H:%M").to_string()
}

/// [`local_time`] of an RFC 3339 time as the API views carry it.
fn local_time_rfc3339(rfc: &str, time_zone: &str) -> String {
    rfc.parse::<jiff::Timestamp>()
        .map(|t| local_time(t.as_microsecond(), time_zone))
        .unwrap_or_else(|_| rfc.to_owned())
}

/// Whole rupiah as people type them (`15000`, `15.000`, `15,000`, `Rp 15.000`), in minor
/// units. Separators must group thousands, so `15.5` is refused rather than read as 155.
pub(super) fn parse_rupiah(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let lower = s.to_ascii_lowercase();
    let s = if lower.starts_with("rp") {
        s.get(2..)?
    } else if lower.starts_with("idr") {
        s.get(3..)?
    } else {
        s
    };
    let s = s.trim();
    let groups: Vec<&str> = s.split(['.', ',']).collect();
    if groups.len() > 1 {
        let first_ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()));
        if !first_ok || groups.iter().skip(1).any(|g| g.len() != 3) {
            return None;
        }
    }
    let digits = groups.concat();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let major: i64 = digits.parse().ok()?;
    Money::major(major, Currency::IDR).ok().map(|m| m.minor)
}

/// Whole major units of a minor amount, for an input's default value.
fn major_units(minor: i64) -> String {
    (minor / 10i64.pow(Currency::IDR.exponent())).to_string()
}

/// A signed amount: `− IDR 35,000` when money left the wallet, `+ IDR 100,000` otherwise.
fn signed(display: &str, outgoing: bool) -> String {
    if outgoing {
        format!("\u{2212} {display}")
    } else {
        format!("+ {display}")
    }
}

fn kind_key(kind: &str) -> String {
    format!("kind-{}", kind.replace('_', "-"))
}

fn status_key(status: &str) -> String {
    format!("status-{status}")
}

pub(super) fn refund_status_key(status: &str) -> String {
    format!("refund-status-{status}")
}

pub(super) fn refund_reason_key(reason: &str) -> String {
    format!("reason-{}", reason.replace('_', "-"))
}

pub(super) fn flag_status_key(status: &str) -> String {
    format!("flag-status-{}", status.replace('_', "-"))
}

pub(super) fn flag_reason_key(reason: &str) -> String {
    format!("flag-reason-{}", reason.replace('_', "-"))
}

/// The flag reasons in the customer's own words (`I don't recognise it`).
fn flag_choice_key(reason: &str) -> String {
    format!("tx-flag-{}", reason.replace('_', "-"))
}

/// A label and value for a `<select>`.
struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

fn choices(
    values: &[&'static str],
    key: fn(&str) -> String,
    tr: &Tr,
    current: &str,
) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: v,
            label: tr.t(&key(v)),
            selected: *v == current,
        })
        .collect()
}

/// One line of a transaction list.
pub(super) struct TxRow {
    /// Link to the detail page.
    pub href: String,
    /// Local date and time.
    pub date: String,
    /// Description.
    pub description: String,
    /// Merchant name, if any.
    pub merchant: String,
    /// Translated type.
    pub kind: String,
    /// Translated status.
    pub status: String,
    /// Status code, for styling.
    pub status_code: &'static str,
    /// Signed amount.
    pub amount: String,
    /// Whether money left the wallet.
    pub outgoing: bool,
    /// Reference to quote.
    pub reference: String,
    /// Short failure reason ("" unless failed).
    pub failure: String,
    /// Unusual-activity explanation ("" unless marked).
    pub unusual: String,
}

/// A list row for a transaction, linking to `{href_prefix}{id}`.
pub(super) fn tx_row(t: &WalletTransaction, tr: &Tr, time_zone: &str, href_prefix: &str) -> TxRow {
    TxRow {
        href: format!("{href_prefix}{}", t.id),
        date: local_time(t.created_at_us, time_zone),
        description: t.description.clone(),
        merchant: t.merchant_name.clone().unwrap_or_default(),
        kind: tr.t(&kind_key(t.kind.as_str())),
        status: tr.t(&status_key(t.status.as_str())),
        status_code: t.status.as_str(),
        amount: signed(&t.amount.to_string(), t.kind.is_outgoing()),
        outgoing: t.kind.is_outgoing(),
        reference: t.reference.clone(),
        failure: t
            .failure_reason
            .map(|r| tr.t(&format!("failure-short-{}", r.as_str().replace('_', "-"))))
            .unwrap_or_default(),
        unusual: t
            .unusual
            .as_ref()
            .map(|u| tr.t(u.message_key()))
            .unwrap_or_default(),
    }
}

/// The time zone of a customer's region (dates are shown as the customer lives them).
async fn customer_time_zone(state: &AppState, customer: &CustomerId) -> Result<String, ApiError> {
    let c = state.repo.customer(customer).await?;
    Ok(state.repo.region(&c.region_id).await?.time_zone)
}

/// A customer's most recent transactions, for their profile in the console.
pub(super) async fn recent_rows(
    state: &AppState,
    customer: &CustomerId,
    time_zone: &str,
    tr: &Tr,
) -> Result<Vec<TxRow>, ApiError> {
    let q = TransactionQuery {
        customer_id: Some(customer.clone()),
        ..TransactionQuery::default()
    };
    let page = state
        .repo
        .transactions(&q, None, Limit::parse(Some(RECENT_ON_PROFILE))?)
        .await?;
    Ok(page
        .items
        .iter()
        .map(|t| tx_row(t, tr, time_zone, "/staff/tx/"))
        .collect())
}

/// The caller, speaking the page's language (an explicit choice may differ from the
/// account's setting), for the API helpers that translate.
fn in_page_language<P: Access>(user: &PageUser<P>) -> Principal {
    let mut p = user.principal.clone();
    p.locale = user.ctx.tr.locale;
    p
}

/// Same-origin post carrying this session's CSRF token.
fn form_allowed<P: Access>(user: &PageUser<P>, headers: &HeaderMap, csrf: &str) -> bool {
    same_origin(headers) && user.ctx.auth.as_ref().is_some_and(|a| csrf_ok(a, csrf))
}

fn with_status(mut resp: Response, status: StatusCode) -> Response {
    *resp.status_mut() = status;
    resp
}

// --------------------------------------------------------------------- history

/// The history filters as the form sends them: dates in the customer's time zone,
/// amounts in whole rupiah.
#[derive(Debug, Default, Deserialize)]
struct WalletQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    min: String,
    #[serde(default)]
    max: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
}

/// Midnight starting `raw` (a `YYYY-MM-DD` date), or the next midnight, in `time_zone`, as
/// RFC 3339. Anything that is not a date is passed on unchanged for the API's validation
/// to name.
fn day_boundary(raw: &str, time_zone: &str, next_day: bool) -> String {
    let Ok(date) = raw.trim().parse::<jiff::civil::Date>() else {
        return raw.to_owned();
    };
    let date = if next_day {
        match date.tomorrow() {
            Ok(d) => d,
            Err(_) => return raw.to_owned(),
        }
    } else {
        date
    };
    match date.in_tz(time_zone) {
        Ok(z) => z.timestamp().to_string(),
        Err(_) => raw.to_owned(),
    }
}

impl WalletQuery {
    /// The filters as a query string, with or without the page cursor.
    fn query(&self, with_cursor: bool) -> String {
        let mut pairs = vec![
            ("from", &self.from),
            ("to", &self.to),
            ("min", &self.min),
            ("max", &self.max),
            ("kind", &self.kind),
            ("status", &self.status),
            ("q", &self.q),
        ];
        if with_cursor {
            pairs.push(("cursor", &self.cursor));
        }
        pairs
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", url_encode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn filtered(&self) -> bool {
        !self.query(false).is_empty()
    }

    /// The API's filter, or the message keys of what cannot be read.
    fn to_filter(
        &self,
        time_zone: &str,
        with_page: bool,
    ) -> Result<HistoryFilter, Vec<&'static str>> {
        let mut errors = Vec::new();
        let mut amount = |raw: &str| {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            let parsed = parse_rupiah(raw);
            if parsed.is_none() && !errors.contains(&"wallet-error-amount") {
                errors.push("wallet-error-amount");
            }
            parsed
        };
        let min_minor = amount(&self.min);
        let max_minor = amount(&self.max);
        if !errors.is_empty() {
            return Err(errors);
        }
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(HistoryFilter {
            from: text(&self.from).map(|d| day_boundary(&d, time_zone, false)),
            to: text(&self.to).map(|d| day_boundary(&d, time_zone, true)),
            min_minor,
            max_minor,
            kind: text(&self.kind),
            status: text(&self.status),
            q: text(&self.q),
            limit: with_page.then_some(PAGE_SIZE),
            cursor: if with_page { text(&self.cursor) } else { None },
            ..HistoryFilter::default()
        })
    }
}

/// Message keys for the fields the API's validation refused.
fn filter_error_keys(err: &domain::ValidationError) -> Vec<&'static str> {
    let mut keys = Vec::new();
    for e in &err.errors {
        let key = match e.field.as_str() {
            "from" | "to" => "wallet-error-date",
            "min_minor" | "max_minor" => "wallet-error-range",
            "cursor" | "limit" => "wallet-error-cursor",
            _ => "wallet-error-filter",
        };
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// A history query as the repository takes it: filters, page cursor, page size.
type HistoryQuery = (TransactionQuery, Option<domain::Cursor>, Limit);

/// Builds the API query from the form, scoped to the caller; `Ok(Err(keys))` when the
/// filters cannot be used, so the page can say so instead of failing.
fn history_query(
    wq: &WalletQuery,
    caller: &Principal,
    time_zone: &str,
    with_page: bool,
) -> Result<Result<HistoryQuery, Vec<&'static str>>, ApiError> {
    let filter = match wq.to_filter(time_zone, with_page) {
        Ok(f) => f,
        Err(keys) => return Ok(Err(keys)),
    };
    match filter.to_query(caller) {
        Ok(q) => Ok(Ok(q)),
        Err(ApiError::Validation(v)) => Ok(Err(filter_error_keys(&v))),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "wallet.html")]
struct WalletPage {
    chrome: Chrome,
    available: String,
    held: String,
    f: WalletQuery,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    errors: Vec<String>,
    rows: Vec<TxRow>,
    next_href: String,
    first_href: String,
    csv_href: String,
    filtered: bool,
    /// Whether the filters beyond the text search start unfolded.
    more_open: bool,
}

async fn history(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Query(wq): Query<WalletQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let Some(customer) = user.principal.customer_id().cloned() else {
        return error_page(&state, locale, &ApiError::Forbidden);
    };
    let loaded = async {
        let time_zone = customer_time_zone(&state, &customer).await?;
        let balance = balance_view(&state, &customer).await?;
        let query = history_query(&wq, &user.principal, &time_zone, true)?;
        let (rows, next) = match &query {
            Ok((q, cursor, limit)) => {
                let page = state.repo.transactions(q, cursor.as_ref(), *limit).await?;
                let rows = page
                    .items
                    .iter()
                    .map(|t| tx_row(t, &user.ctx.tr, &time_zone, "/wallet/tx/"))
                    .collect();
                (rows, page.next_cursor)
            }
            Err(_) => (Vec::new(), None),
        };
        Ok::<_, ApiError>((balance, query.err().unwrap_or_default(), rows, next))
    };
    let (balance, error_keys, rows, next) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&state, locale, &e),
    };
    let tr = &user.ctx.tr;
    let kinds: Vec<&'static str> = TransactionKind::ALL.iter().map(|k| k.as_str()).collect();
    let statuses: Vec<&'static str> = TransactionStatus::ALL.iter().map(|s| s.as_str()).collect();
    let filters = wq.query(false);
    let with_filters = |extra: &str| {
        let qs = [filters.as_str(), extra]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("&");
        if qs.is_empty() {
            "/wallet".to_owned()
        } else {
            format!("/wallet?{qs}")
        }
    };
    let page = WalletPage {
        available: balance.available_display,
        held: Money::new(balance.held_minor, Currency::IDR).to_string(),
        kinds: choices(&kinds, kind_key, tr, wq.kind.trim()),
        statuses: choices(&statuses, status_key, tr, wq.status.trim()),
        errors: error_keys.iter().map(|k| tr.t(k)).collect(),
        rows,
        next_href: next
            .map(|c| with_filters(&format!("cursor={}", url_encode(&c))))
            .unwrap_or_default(),
        first_href: if wq.cursor.trim().is_empty() {
            String::new()
        } else {
            with_filters("")
        },
        csv_href: if filters.is_empty() {
            "/wallet/export.csv".to_owned()
        } else {
            format!("/wallet/export.csv?{filters}")
        },
        filtered: wq.filtered(),
        more_open: !error_keys.is_empty()
            || [&wq.from, &wq.to, &wq.min, &wq.max, &wq.kind, &wq.status]
                .iter()
                .any(|v| !v.trim().is_empty()),
        chrome: user.ctx.chrome(),
        f: wq,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    with_status(render(&state, locale, &page), status)
}

/// The filtered history as CSV, with the page session. Filters that cannot be used send
/// the customer back to the history page, which explains why.
async fn export_csv(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Query(wq): Query<WalletQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let Some(customer) = user.principal.customer_id().cloned() else {
        return error_page(&state, locale, &ApiError::Forbidden);
    };
    let built = async {
        let time_zone = customer_time_zone(&state, &customer).await?;
        match history_query(&wq, &user.principal, &time_zone, false)? {
            Ok((q, _, _)) => Ok::<_, ApiError>(Some(csv_of(&state, &q).await?)),
            Err(_) => Ok(None),
        }
    };
    match built.await {
        Ok(Some(body)) => {
            let mut resp = body.into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"transactions.csv\""),
            );
            // Private records: not for shared caches or the back button of a shared phone.
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Ok(None) => {
            let qs = wq.query(false);
            Redirect::to(&format!("/wallet?{qs}")).into_response()
        }
        Err(e) => error_page(&state, locale, &e),
    }
}

// ---------------------------------------------------------------------- detail

/// What the last action left to say on the detail page, and the values to keep in the
/// forms when it failed.
#[derive(Default)]
struct Feedback {
    /// Confirmation message key.
    done_key: &'static str,
    /// The refund to show the policy's answer for.
    refund_id: String,
    /// Error message key (shown with role=alert).
    error_key: &'static str,
    note_draft: String,
    /// A failed edit: the note and the text typed.
    editing: Option<(String, String)>,
    flag_reason: String,
    flag_comment: String,
    refund_amount: Option<String>,
    refund_reason: String,
}

struct NoteRow {
    id: String,
    body: String,
    date: String,
    editing: bool,
    draft: String,
}

struct FlagRow {
    reason: String,
    status: String,
    comment: String,
    date: String,
}

struct RefundRow {
    id: String,
    /// Staff view: the caller may decide it now.
    decidable: bool,
    /// Staff view: deciding it would override the merchant's rules (supervisors, admins).
    overrides: bool,
    amount: String,
    reason: String,
    status: String,
    status_code: String,
    explanation: String,
    note: String,
    date: String,
}

#[derive(Template)]
#[template(path = "wallet_tx.html")]
struct TxPage {
    chrome: Chrome,
    staff_view: bool,
    /// Staff view: the caller may reject (supervisors and admins; agents only approve).
    can_reject: bool,
    customer_name: String,
    back_href: String,
    back_key: &'static str,
    tx: TransactionView,
    date: String,
    kind: String,
    status: String,
    amount: String,
    outgoing: bool,
    failure_explanation: String,
    failure_next: String,
    unusual: String,
    notes: Vec<NoteRow>,
    flags: Vec<FlagRow>,
    flagged_message: String,
    can_flag: bool,
    flag_reasons: Vec<Choice>,
    can_refund: bool,
    refund_reasons: Vec<Choice>,
    refunds: Vec<RefundRow>,
    done: String,
    refund_answer: String,
    refund_answer_explanation: String,
    error: String,
    note_draft: String,
    flag_comment: String,
    refund_amount: String,
    /// Complaints about this payment, and whether a new one may be filed.
    complaints: Vec<super::complaints::ComplaintLink>,
    can_complain: bool,
    /// The coupon discount a checkout took off this payment ("" when none), and for
    /// staff the link to the payment's stored evaluation.
    coupon_discount: String,
    coupon_href: String,
}

async fn tx_page(
    state: &AppState,
    ctx: &PageCtx,
    caller: &Principal,
    id: &str,
    staff_view: bool,
    fb: Feedback,
) -> Result<TxPage, ApiError> {
    let TransactionDetail {
        transaction: tx,
        notes,
        flags,
        refunds,
    } = detail(state, caller, id).await?;
    let customer_id = CustomerId::parse(&tx.customer_id).ok_or(ApiError::NotFound)?;
    let customer = state.repo.customer(&customer_id).await?;
    let time_zone = state.repo.region(&customer.region_id).await?.time_zone;
    let tr = &ctx.tr;
    let outgoing = TransactionKind::parse(&tx.kind).is_some_and(|k| k.is_outgoing());
    let open_flag = flags.iter().rev().find(|f| f.status != "resolved");
    let committed: i64 = refunds
        .iter()
        .filter(|r| matches!(r.status.as_str(), "requested" | "approved" | "succeeded"))
        .map(|r| r.amount_minor)
        .sum();
    let remaining = tx.amount_minor - committed;
    let is_payment = tx.kind == TransactionKind::Payment.as_str();
    let can_refund = !staff_view
        && is_payment
        && tx.status == TransactionStatus::Succeeded.as_str()
        && tx.currency == Currency::IDR.code()
        && remaining > 0;
    let complaints = super::complaints::links_for_payment(state, tr, &tx.id, staff_view).await?;
    let can_complain = !staff_view
        && is_payment
        && tx.status == TransactionStatus::Succeeded.as_str()
        && !complaints.iter().any(|c| c.open);
    // A payment made at checkout carries its coupon evaluation; others have none.
    let coupon_discount = if is_payment {
        match state.repo.payment_evaluation(&tx.id).await {
            Ok(e) if e.evaluation.discount.minor > 0 => e.evaluation.discount.to_string(),
            Ok(_) | Err(domain::repo::RepoError::NotFound) => String::new(),
            Err(e) => return Err(e.into()),
        }
    } else {
        String::new()
    };
    let coupon_href = if staff_view && !coupon_discount.is_empty() {
        format!("/staff/tx/{}/coupons", url_encode(&tx.id))
    } else {
        String::new()
    };
    let answer = refunds.iter().find(|r| r.id == fb.refund_id);
    let (failure_explanation, failure_next) = tx
        .failure
        .as_ref()
        .map(|f| (f.explanation.clone(), f.next_step_text.clone()))
        .unwrap_or_default();
    let flag_reason_values: Vec<&'static str> =
        FlagReason::ALL.iter().map(|r| r.as_str()).collect();
    let refund_reason_values: Vec<&'static str> =
        RefundReason::ALL.iter().map(|r| r.as_str()).collect();
    let back_href = if staff_view {
        format!("/staff/customers/{}", tx.customer_id)
    } else {
        "/wallet".to_owned()
    };
    Ok(TxPage {
        chrome: ctx.chrome(),
        staff_view,
        can_reject: staff_view && matches!(caller.role, Role::Supervisor | Role::Admin),
        customer_name: customer.display_name.as_str().to_owned(),
        back_href,
        back_key: if staff_view {
            "tx-back-customer"
        } else {
            "tx-back"
        },
        date: local_time_rfc3339(&tx.created_at, &time_zone),
        kind: tr.t(&kind_key(&tx.kind)),
        status: tr.t(&status_key(&tx.status)),
        amount: signed(&tx.amount_display, outgoing),
        outgoing,
        failure_explanation,
        failure_next,
        unusual: tx
            .unusual
            .as_ref()
            .map(|u| u.explanation.clone())
            .unwrap_or_default(),
        notes: notes
            .into_iter()
            .map(|n| {
                let editing = fb.editing.as_ref().filter(|(id, _)| *id == n.id);
                NoteRow {
                    date: local_time_rfc3339(&n.updated_at, &time_zone),
                    editing: editing.is_some(),
                    draft: editing.map_or_else(|| n.body.clone(), |(_, d)| d.clone()),
                    id: n.id,
                    body: n.body,
                }
            })
            .collect(),
        flagged_message: open_flag
            .map(|f| tr.t1("tx-flagged", "status", &tr.t(&flag_status_key(&f.status))))
            .unwrap_or_default(),
        can_flag: !staff_view && open_flag.is_none(),
        flags: flags
            .iter()
            .map(|f| FlagRow {
                reason: tr.t(&flag_reason_key(&f.reason)),
                status: tr.t(&flag_status_key(&f.status)),
                comment: f.comment.clone(),
                date: local_time_rfc3339(&f.created_at, &time_zone),
            })
            .collect(),
        flag_reasons: choices(&flag_reason_values, flag_choice_key, tr, &fb.flag_reason),
        can_refund,
        complaints,
        can_complain,
        coupon_discount,
        coupon_href,
        refund_reasons: choices(
            &refund_reason_values,
            refund_reason_key,
            tr,
            &fb.refund_reason,
        ),
        refunds: refunds
            .iter()
            .map(|r| {
                let mut row = refund_row(r, tr, &time_zone);
                // Support decides what waits for the merchant; only supervisors and
                // admins may approve what the merchant's rules rejected.
                let senior = matches!(caller.role, Role::Supervisor | Role::Admin);
                row.decidable =
                    staff_view && (r.status == "requested" || (senior && r.status == "rejected"));
                row.overrides = staff_view && senior && r.status == "rejected";
                row
            })
            .collect(),
        done: if fb.done_key.is_empty() {
            String::new()
        } else {
            tr.t(fb.done_key)
        },
        refund_answer: answer
            .map(|r| {
                tr.t1(
                    "tx-refund-answer",
                    "status",
                    &tr.t(&refund_status_key(&r.status)),
                )
            })
            .unwrap_or_default(),
        refund_answer_explanation: answer.map(|r| r.explanation.clone()).unwrap_or_default(),
        error: if fb.error_key.is_empty() {
            String::new()
        } else {
            tr.t(fb.error_key)
        },
        note_draft: fb.note_draft,
        flag_comment: fb.flag_comment,
        refund_amount: fb
            .refund_amount
            .unwrap_or_else(|| major_units(remaining.max(0))),
        tx,
    })
}

fn refund_row(r: &RefundView, tr: &Tr, time_zone: &str) -> RefundRow {
    RefundRow {
        id: r.id.clone(),
        decidable: false,
        overrides: false,
        amount: r.amount_display.clone(),
        reason: tr.t(&refund_reason_key(&r.reason)),
        status: tr.t(&refund_status_key(&r.status)),
        status_code: r.status.clone(),
        explanation: r.explanation.clone(),
        note: r.decision_note.clone(),
        date: local_time_rfc3339(&r.created_at, time_zone),
    }
}

/// Renders a customer's detail page with feedback, answering with `status`.
async fn customer_tx_response(
    state: &AppState,
    user: &PageUser<CustomerOnly>,
    id: &str,
    fb: Feedback,
    status: StatusCode,
) -> Response {
    let locale = user.ctx.tr.locale;
    match tx_page(state, &user.ctx, &in_page_language(user), id, false, fb).await {
        Ok(page) => with_status(render(state, locale, &page), status),
        Err(e) => error_page(state, locale, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    refund: String,
}

async fn transaction(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Path(id): Path<String>,
    Query(dq): Query<DoneQuery>,
) -> Response {
    // Only known confirmations are shown: the query string is not a place for text.
    let done_key = match dq.done.as_str() {
        "note-added" => "tx-note-added",
        "note-saved" => "tx-done",
        "note-deleted" => "tx-note-deleted",
        "flagged" => "tx-flag-done",
        "paid" => "tx-paid",
        _ => "",
    };
    let fb = Feedback {
        done_key,
        refund_id: if dq.done == "refund" {
            dq.refund
        } else {
            String::new()
        },
        ..Feedback::default()
    };
    customer_tx_response(&state, &user, &id, fb, StatusCode::OK).await
}

fn back_to(id: &str, done: &str) -> Response {
    Redirect::to(&format!("/wallet/tx/{}?done={done}", url_encode(id))).into_response()
}

fn forbidden(state: &AppState, user_locale: domain::Locale) -> Response {
    error_page(state, user_locale, &ApiError::Forbidden)
}

#[derive(Debug, Default, Deserialize)]
struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    /// The transaction the note belongs to (edit and delete come back to it).
    #[serde(default)]
    tx: String,
}

async fn add_note(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<NoteForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    // Scope first: another customer's transaction is 404 whatever the note says.
    let (customer, t) = match customer_form_tx(&state, &user, &headers, &form.csrf, &id).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Ok(body) = note_text(&form.body) else {
        let fb = Feedback {
            error_key: "tx-error-note",
            note_draft: form.body,
            ..Feedback::default()
        };
        return customer_tx_response(&state, &user, &t.id, fb, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    match state
        .repo
        .add_note(&t.id, &customer, &body, crate::now_us())
        .await
    {
        Ok(_) => back_to(&t.id, "note-added"),
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

/// The checks every customer form post starts with: same origin, this session's CSRF
/// token, a signed-in customer, and a transaction that customer may see.
async fn customer_form_tx(
    state: &AppState,
    user: &PageUser<CustomerOnly>,
    headers: &HeaderMap,
    csrf: &str,
    tx_id: &str,
) -> Result<(CustomerId, WalletTransaction), Response> {
    let locale = user.ctx.tr.locale;
    if !form_allowed(user, headers, csrf) {
        return Err(forbidden(state, locale));
    }
    let Some(customer) = user.principal.customer_id().cloned() else {
        return Err(forbidden(state, locale));
    };
    match visible_transaction(state, &user.principal, tx_id).await {
        Ok(t) => Ok((customer, t)),
        Err(e) => Err(error_page(state, locale, &e)),
    }
}

fn valid_id(id: &str) -> Result<(), ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|_| ())
        .map_err(|_| ApiError::NotFound)
}

async fn edit_note(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Path(note_id): Path<String>,
    Form(form): Form<NoteForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if let Err(e) = valid_id(&note_id) {
        return error_page(&state, locale, &e);
    }
    let (customer, t) = match customer_form_tx(&state, &user, &headers, &form.csrf, &form.tx).await
    {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Ok(body) = note_text(&form.body) else {
        let fb = Feedback {
            error_key: "tx-error-note",
            editing: Some((note_id, form.body)),
            ..Feedback::default()
        };
        return customer_tx_response(&state, &user, &t.id, fb, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    // The repository only touches the customer's own notes: anyone else's is 404.
    match state
        .repo
        .update_note(&note_id, &customer, &body, crate::now_us())
        .await
    {
        Ok(note) => back_to(&note.transaction_id, "note-saved"),
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

async fn delete_note(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Path(note_id): Path<String>,
    Form(form): Form<NoteForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if let Err(e) = valid_id(&note_id) {
        return error_page(&state, locale, &e);
    }
    let (customer, t) = match customer_form_tx(&state, &user, &headers, &form.csrf, &form.tx).await
    {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    match state.repo.delete_note(&note_id, &customer).await {
        Ok(()) => back_to(&t.id, "note-deleted"),
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
struct FlagForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    comment: String,
}

async fn flag(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<FlagForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let (customer, t) = match customer_form_tx(&state, &user, &headers, &form.csrf, &id).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let keep = |error_key| Feedback {
        error_key,
        flag_reason: form.reason.clone(),
        flag_comment: form.comment.clone(),
        ..Feedback::default()
    };
    let Some(reason) = FlagReason::parse(&form.reason) else {
        let fb = keep("tx-error-flag-reason");
        return customer_tx_response(&state, &user, &t.id, fb, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    if form.comment.chars().count() > 2000 {
        let fb = keep("tx-error-comment");
        return customer_tx_response(&state, &user, &t.id, fb, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    }
    match state
        .repo
        .add_flag(
            &t.id,
            &customer,
            reason,
            form.comment.trim(),
            crate::now_us(),
        )
        .await
    {
        Ok(flag) => {
            match crate::tickets::open_for_flag(
                &state,
                &user.principal,
                domain::ticket::Channel::Web,
                &t,
                &flag,
            )
            .await
            {
                Ok(_) => back_to(&t.id, "flagged"),
                Err(e) => error_page(&state, locale, &e),
            }
        }
        Err(RepoError::InvalidState(_)) => {
            let fb = keep("tx-error-already-flagged");
            customer_tx_response(&state, &user, &t.id, fb, StatusCode::CONFLICT).await
        }
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
struct RefundForm {
    #[serde(default)]
    csrf: String,
    /// Whole rupiah.
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

async fn request_refund(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RefundForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let (_, t) = match customer_form_tx(&state, &user, &headers, &form.csrf, &id).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let keep = |error_key| Feedback {
        error_key,
        refund_amount: Some(form.amount.clone()),
        refund_reason: form.reason.clone(),
        ..Feedback::default()
    };
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    // A zero amount would only be recorded as a refused request; say so before that.
    let Some(amount_minor) = parse_rupiah(&form.amount).filter(|a| *a > 0) else {
        return customer_tx_response(&state, &user, &t.id, keep("tx-error-amount"), unprocessable)
            .await;
    };
    let Some(reason) = RefundReason::parse(&form.reason) else {
        let fb = keep("tx-error-refund-reason");
        return customer_tx_response(&state, &user, &t.id, fb, unprocessable).await;
    };
    match state
        .repo
        .request_refund(&t.id, amount_minor, reason, crate::now_us())
        .await
    {
        Ok(refund) => {
            tracing::info!(refund_id = %refund.id, status = refund.status.as_str(), "refund requested on a page");
            Redirect::to(&format!(
                "/wallet/tx/{}?done=refund&refund={}",
                url_encode(&t.id),
                url_encode(&refund.id)
            ))
            .into_response()
        }
        Err(RepoError::InvalidState(_)) => {
            let fb = keep("refund-rule-payment-not-refundable");
            customer_tx_response(&state, &user, &t.id, fb, StatusCode::CONFLICT).await
        }
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

/// A transaction as support sees it: flags and refunds, never the customer's notes.
async fn staff_transaction(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Path(id): Path<String>,
    Query(dq): Query<DoneQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let caller = in_page_language(&user);
    let fb = match dq.done.as_str() {
        "refund-decided" => Feedback {
            done_key: "tx-refund-decided",
            ..Feedback::default()
        },
        "note-required" => Feedback {
            error_key: "tx-error-decision-note",
            ..Feedback::default()
        },
        _ => Feedback::default(),
    };
    match tx_page(&state, &user.ctx, &caller, &id, true, fb).await {
        Ok(page) => render(&state, locale, &page),
        Err(e) => error_page(&state, locale, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct StaffDecisionForm {
    #[serde(default)]
    csrf: String,
    /// The transaction page to return to.
    #[serde(default)]
    tx: String,
    #[serde(default)]
    approve: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    override_policy: String,
}

/// Support decides a refund for the customer: agents approve within the merchant's
/// policy; supervisors and admins also reject, or approve against the merchant's own
/// rules with a reason. Same rules as the API (`api::refunds::decision_for`).
async fn staff_decide_refund(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<StaffDecisionForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !form_allowed(&user, &headers, &form.csrf) {
        return forbidden(&state, locale);
    }
    if let Err(e) = valid_id(&id).and_then(|_| valid_id(&form.tx)) {
        return error_page(&state, locale, &e);
    }
    let decided = async {
        let refund = state.repo.refund(&id).await?;
        let body = crate::api::refunds::DecisionBody {
            approve: form.approve == "true",
            note: form.note.clone(),
            override_policy: form.override_policy == "true",
        };
        let decision = crate::api::refunds::decision_for(&user.principal, &refund, &body)?;
        state
            .repo
            .decide_refund(&id, &decision, crate::now_us())
            .await?;
        tracing::info!(refund_id = %id, by = %user.principal.user.as_str(), role = user.principal.role.as_str(), override_policy = body.override_policy, "refund decided by support");
        Ok::<_, ApiError>(())
    };
    match decided.await {
        Ok(()) => Redirect::to(&format!(
            "/staff/tx/{}?done=refund-decided",
            url_encode(&form.tx)
        ))
        .into_response(),
        Err(ApiError::Validation(_)) => Redirect::to(&format!(
            "/staff/tx/{}?done=note-required",
            url_encode(&form.tx)
        ))
        .into_response(),
        Err(e) => error_page(&state, locale, &e),
    }
}

// ------------------------------------------------------------- merchant refunds

struct MerchantRefundRow {
    id: String,
    date: String,
    payment_reference: String,
    payment_description: String,
    amount: String,
    reason: String,
    status: String,
    status_code: String,
    explanation: String,
    note: String,
    pending: bool,
    draft: String,
}

#[derive(Template)]
#[template(path = "merchant_refunds.html")]
struct MerchantRefundsPage {
    chrome: Chrome,
    merchant_name: String,
    rows: Vec<MerchantRefundRow>,
    done: String,
    error: String,
}

/// A refund of the caller's merchant; another merchant's answers 404 like an unknown id.
async fn own_refund(state: &AppState, caller: &Principal, id: &str) -> Result<Refund, ApiError> {
    valid_id(id)?;
    let refund = state.repo.refund(id).await?;
    if caller.merchant_id.as_ref() != Some(&refund.merchant_id) {
        return Err(ApiError::NotFound);
    }
    Ok(refund)
}

async fn merchant_page(
    state: &AppState,
    user: &PageUser<MerchantOnly>,
    done_key: &'static str,
    error_key: &'static str,
    draft: Option<(&str, &str)>,
) -> Result<MerchantRefundsPage, ApiError> {
    let merchant_id = user
        .principal
        .merchant_id
        .clone()
        .ok_or(ApiError::Forbidden)?;
    let merchant = state.repo.merchant(&merchant_id).await?;
    let time_zone = state.repo.region(&merchant.region_id).await?.time_zone;
    let mut refunds = state
        .repo
        .merchant_refunds(&merchant_id, None, Limit::parse(Some(MERCHANT_REFUNDS))?)
        .await?;
    // Requests waiting for a decision first; each group stays newest first.
    refunds.sort_by_key(|r| r.status != RefundStatus::Requested);
    let tr = &user.ctx.tr;
    let mut rows = Vec::with_capacity(refunds.len());
    for r in &refunds {
        let payment = match state.repo.transaction(&r.payment_id).await {
            Ok(p) => Some(p),
            Err(RepoError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let view = RefundView::new(r, tr);
        rows.push(MerchantRefundRow {
            date: local_time(r.created_at_us, &time_zone),
            payment_reference: payment
                .as_ref()
                .map(|p| p.reference.clone())
                .unwrap_or_default(),
            payment_description: payment.map(|p| p.description).unwrap_or_default(),
            amount: view.amount_display,
            reason: tr.t(&refund_reason_key(&view.reason)),
            status: tr.t(&refund_status_key(&view.status)),
            status_code: view.status,
            explanation: view.explanation,
            note: view.decision_note,
            pending: r.status == RefundStatus::Requested,
            draft: draft
                .filter(|(id, _)| *id == r.id)
                .map(|(_, d)| d.to_owned())
                .unwrap_or_default(),
            id: view.id,
        });
    }
    Ok(MerchantRefundsPage {
        chrome: user.ctx.chrome(),
        merchant_name: merchant.name,
        rows,
        done: if done_key.is_empty() {
            String::new()
        } else {
            tr.t(done_key)
        },
        error: if error_key.is_empty() {
            String::new()
        } else {
            tr.t(error_key)
        },
    })
}

async fn merchant_refunds(
    State(state): State<AppState>,
    user: PageUser<MerchantOnly>,
    Query(dq): Query<DoneQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let done_key = match dq.done.as_str() {
        "approved" => "merchant-refund-approved",
        "rejected" => "merchant-refund-rejected",
        _ => "",
    };
    match merchant_page(&state, &user, done_key, "", None).await {
        Ok(page) => render(&state, locale, &page),
        Err(e) => error_page(&state, locale, &e),
    }
}

/// The merchant's page again, explaining why a decision was not taken and keeping the
/// note typed.
async fn merchant_again(
    state: &AppState,
    user: &PageUser<MerchantOnly>,
    refund_id: &str,
    draft: &str,
    error_key: &'static str,
    status: StatusCode,
) -> Response {
    let locale = user.ctx.tr.locale;
    match merchant_page(state, user, "", error_key, Some((refund_id, draft))).await {
        Ok(page) => with_status(render(state, locale, &page), status),
        Err(e) => error_page(state, locale, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    /// `true` or `false` (the two submit buttons).
    #[serde(default)]
    approve: String,
    #[serde(default)]
    note: String,
}

async fn decide_refund(
    State(state): State<AppState>,
    user: PageUser<MerchantOnly>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !form_allowed(&user, &headers, &form.csrf) {
        return forbidden(&state, locale);
    }
    let refund = match own_refund(&state, &user.principal, &id).await {
        Ok(r) => r,
        Err(e) => return error_page(&state, locale, &e),
    };
    let approve = match form.approve.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return error_page(
                &state,
                locale,
                &ApiError::BadRequest("approve must be true or false".into()),
            );
        }
    };
    let note = form.note.trim().to_owned();
    let again = |error_key, status| {
        merchant_again(&state, &user, &refund.id, &form.note, error_key, status)
    };
    if !approve && note.is_empty() {
        return again(
            "merchant-refund-note-required",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if note.chars().count() > 1000 {
        return again(
            "merchant-refund-note-too-long",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let by = user.principal.user.as_str().to_owned();
    let decision = if approve {
        RefundDecision::Approve {
            by,
            note,
            override_policy: false,
        }
    } else {
        RefundDecision::Reject { by, note }
    };
    match state
        .repo
        .decide_refund(&refund.id, &decision, crate::now_us())
        .await
    {
        Ok(decided) => {
            tracing::info!(refund_id = %decided.id, by = %user.principal.user.as_str(), status = decided.status.as_str(), "refund decided on the merchant page");
            let done = if approve { "approved" } else { "rejected" };
            Redirect::to(&format!("/staff/merchant/refunds?done={done}")).into_response()
        }
        Err(RepoError::InvalidState(_)) => {
            again("merchant-refund-decided", StatusCode::CONFLICT).await
        }
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_amounts_as_people_type_them() {
        assert_eq!(parse_rupiah("15000"), Some(15_000_00));
        assert_eq!(parse_rupiah(" 15.000 "), Some(15_000_00));
        assert_eq!(parse_rupiah("1,500,000"), Some(1_500_000_00));
        assert_eq!(parse_rupiah("Rp 35.000"), Some(35_000_00));
        assert_eq!(parse_rupiah("IDR 10000"), Some(10_000_00));
        assert_eq!(parse_rupiah("0"), Some(0));
        for bad in [
            "",
            "15.5",
            "-100",
            "abc",
            "1.2345",
            ".000",
            "Rp",
            "9999999999999999999",
        ] {
            assert_eq!(parse_rupiah(bad), None, "{bad}");
        }
    }

    #[test]
    fn times_and_days_follow_the_region() {
        // 2026-11-25T07:03:00Z is 14:03 in Jakarta (UTC+7).
        let us = "2026-11-25T07:03:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_microsecond();
        assert_eq!(local_time(us, "Asia/Jakarta"), "2026-11-25 14:03");
        assert_eq!(local_time(us, "Asia/Shanghai"), "2026-11-25 15:03");
        assert_eq!(
            day_boundary("2026-11-25", "Asia/Jakarta", false),
            "2026-11-24T17:00:00Z"
        );
        assert_eq!(
            day_boundary("2026-11-25", "Asia/Jakarta", true),
            "2026-11-25T17:00:00Z"
        );
        assert_eq!(
            day_boundary("25/11/2026", "Asia/Jakarta", false),
            "25/11/2026"
        );
    }

    #[test]
    fn filters_round_trip_through_links() {
        let wq = WalletQuery {
            q: "nasi & teh".into(),
            kind: "payment".into(),
            cursor: "abc".into(),
            ..WalletQuery::default()
        };
        assert_eq!(wq.query(false), "kind=payment&q=nasi%20%26%20teh");
        assert_eq!(wq.query(true), "kind=payment&q=nasi%20%26%20teh&cursor=abc");
        assert!(!WalletQuery::default().filtered());
        let bad = WalletQuery {
            min: "lots".into(),
            ..WalletQuery::default()
        };
        assert_eq!(
            bad.to_filter("Asia/Jakarta", true).err(),
            Some(vec!["wallet-error-amount"])
        );
    }
}
