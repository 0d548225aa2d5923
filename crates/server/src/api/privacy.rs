//! Privacy over the API: a customer's data download and erasure, and the admin's audit
//! log browser.
//!
//! **Erasure is immediate** once the customer confirms it with their password: a
//! cooling-off period would keep personal data the customer asked to remove, and an
//! agent's approval adds nothing the password and the explicit confirmation do not
//! already prove. It is refused while money is in the wallet (or held): that money is
//! the customer's and must be paid out or spent first. Ledger rows, transactions and
//! ticket threads stay (financial and service records); personal data is erased or
//! replaced by a pseudonym. It cannot be undone: the contact details are overwritten and
//! their blind indexes removed.
//!
//! **Extension point**: other areas (complaints, bank cards) add their part of the data
//! download by implementing [`ExportSection`] and listing it in [`export_sections`].

use crate::api::extract::ApiJson;
use crate::api::views::rfc3339;
use crate::auth::{AdminOnly, ApiUser, CustomerOnly};
use crate::error::{ApiError, Problem};
use crate::protection::{account_key, audit, begin_attempt};
use crate::state::AppState;
use async_trait::async_trait;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::privacy::{AuditQuery, ErasureBlocked, ErasureReport};
use domain::protection::{AuditEntry, verify_audit_chain};
use domain::ticket::{TicketQuery, Visibility};
use domain::wallet::TransactionQuery;
use domain::{Cursor, CustomerId, Limit, Password, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me/data", get(download))
        .route("/api/v1/me/erasure", post(erase))
        .route("/api/v1/audit", get(browse_audit))
}

/// One part of a customer's data download that another area owns (complaints, cards).
#[async_trait]
pub trait ExportSection: Send + Sync {
    /// Key of the part in the download (`complaints`).
    fn name(&self) -> &'static str;
    /// The customer's records of this area, as JSON.
    async fn collect(&self, state: &AppState, customer: &CustomerId) -> Result<Value, ApiError>;
}

/// The parts of the download contributed by other areas. Complaints (issue 7) and bank
/// cards add theirs here when they land; none are built in yet.
pub fn export_sections() -> Vec<Box<dyn ExportSection>> {
    Vec::new()
}

/// Everything paydesk holds about a customer, as one JSON document.
pub async fn export_customer(state: &AppState, customer: &CustomerId) -> Result<Value, ApiError> {
    let now = crate::now_us();
    let c = state.repo.customer(customer).await?;
    let user = UserId::Customer(customer.clone());
    // Transactions, all pages, newest first.
    let mut transactions = Vec::new();
    let query = TransactionQuery {
        customer_id: Some(customer.clone()),
        ..TransactionQuery::default()
    };
    let mut cursor: Option<Cursor> = None;
    let limit = Limit::parse(Some(100))?;
    loop {
        let page = state
            .repo
            .transactions(&query, cursor.as_ref(), limit)
            .await?;
        for t in &page.items {
            let notes = state.repo.notes(&t.id, customer).await?;
            let mut v = serde_json::to_value(t).map_err(anyhow::Error::new)?;
            v["notes"] = serde_json::to_value(&notes).map_err(anyhow::Error::new)?;
            transactions.push(v);
        }
        match page
            .next_cursor
            .as_deref()
            .map(Cursor::decode)
            .transpose()?
        {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    // Tickets with the thread as the customer sees it (internal notes are staff's).
    let mut tickets = Vec::new();
    let tq = TicketQuery {
        customer_id: Some(customer.clone()),
        ..TicketQuery::default()
    };
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = state.repo.tickets(&tq, cursor.as_ref(), limit).await?;
        for t in &page.items {
            let messages: Vec<_> = state
                .repo
                .ticket_messages(&t.id)
                .await?
                .into_iter()
                .filter(|m| m.visibility == Visibility::Public)
                .collect();
            let mut v = serde_json::to_value(t).map_err(anyhow::Error::new)?;
            v["messages"] = serde_json::to_value(&messages).map_err(anyhow::Error::new)?;
            tickets.push(v);
        }
        match page
            .next_cursor
            .as_deref()
            .map(Cursor::decode)
            .transpose()?
        {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let sessions: Vec<Value> = state
        .repo
        .user_sessions(&user, now)
        .await?
        .iter()
        .map(|s| {
            json!({
                "kind": s.kind.as_str(),
                "user_agent": s.user_agent,
                "created_at": rfc3339(s.created_at_us),
                "expires_at": rfc3339(s.expires_at_us),
            })
        })
        .collect();
    let sign_ins: Vec<Value> = state
        .repo
        .recent_sign_ins(&user, 100)
        .await?
        .into_iter()
        .map(|(user_agent, network)| json!({"user_agent": user_agent, "network": network}))
        .collect();
    let totp = state.repo.totp(&user).await?;
    let audit_trail: Vec<Value> = state
        .repo
        .customer_audit(customer, 1000)
        .await?
        .iter()
        .map(audit_json)
        .collect();
    let mut extensions = serde_json::Map::new();
    for section in export_sections() {
        extensions.insert(
            section.name().to_owned(),
            section.collect(state, customer).await?,
        );
    }
    Ok(json!({
        "format": "paydesk-data-export/1",
        "generated_at": rfc3339(now),
        "profile": {
            "id": c.id.as_str(),
            "email": c.email.as_ref().map(|e| e.as_str()),
            "phone": c.phone.as_ref().map(|p| p.as_str()),
            "display_name": c.display_name.as_str(),
            "locale": c.locale.tag(),
            "region_id": c.region_id.as_str(),
            "status": c.status.as_str(),
            "created_at": rfc3339(c.created_at_us),
        },
        "two_step_sign_in": totp.as_ref().is_some_and(|t| t.enabled()),
        "transactions": transactions,
        "tickets": tickets,
        "sessions": sessions,
        "sign_ins": sign_ins,
        "account_activity": audit_trail,
        "extensions": extensions,
    }))
}

fn audit_json(e: &AuditEntry) -> Value {
    json!({
        "seq": e.seq,
        "at": rfc3339(e.at_us),
        "actor": e.entry.actor,
        "action": e.entry.action,
        "customer_id": e.entry.customer_id,
        "outcome": e.entry.outcome,
        "detail": serde_json::from_str::<Value>(&e.entry.detail).unwrap_or(Value::String(e.entry.detail.clone())),
    })
}

/// Builds the download and audits it.
pub async fn download_for(state: &AppState, customer: &CustomerId) -> Result<Value, ApiError> {
    let data = export_customer(state, customer).await?;
    audit(
        state,
        &format!("customer:{}", customer.as_str()),
        "privacy.export",
        Some(customer.as_str()),
        "downloaded",
        json!({}),
        crate::now_us(),
    )
    .await?;
    Ok(data)
}

/// Download everything paydesk holds about me (JSON).
///
/// Profile, transactions with my notes, tickets with their public messages, sessions,
/// recent sign-ins, account activity, and the parts other areas add. Nobody else's data.
#[utoipa::path(get, path = "/api/v1/me/data", tag = "privacy", security(("bearer" = [])),
    responses(
        (status = 200, description = "The data, as an attachment", content_type = "application/json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn download(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
) -> Result<Response, ApiError> {
    let customer = user
        .principal
        .customer_id()
        .cloned()
        .ok_or(ApiError::Forbidden)?;
    let data = download_for(&state, &customer).await?;
    Ok(attachment(&data))
}

/// The download as a `paydesk-data.json` attachment.
pub fn attachment(data: &Value) -> Response {
    let body = serde_json::to_string_pretty(data).unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"paydesk-data.json\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// Asking for erasure.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// My password, to prove it is me.
    pub password: String,
    /// Must be `true`: I understand it cannot be undone.
    pub confirm: bool,
}

/// What an erasure did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureView {
    /// Always `erased`.
    pub status: String,
    /// The name my tickets now show.
    pub pseudonym: String,
    /// Sessions ended (I am signed out everywhere).
    pub sessions_ended: u64,
    /// Tickets kept for the records, with my name replaced.
    pub tickets_pseudonymised: u64,
}

/// Checks the password, erases, audits: what the API and the page share.
pub async fn erase_for(
    state: &AppState,
    customer: &CustomerId,
    password: &str,
    confirm: bool,
) -> Result<ErasureReport, ApiError> {
    if !confirm {
        return Err(ApiError::Validation(domain::ValidationError::field(
            "confirm",
            "required",
            "confirm that you understand the erasure cannot be undone",
        )));
    }
    let now = crate::now_us();
    let user = UserId::Customer(customer.clone());
    let attempt = begin_attempt(state, &account_key(&user), now).await?;
    let stored = state.repo.password_hash(&user).await?;
    let typed = Password::for_sign_in(password).ok();
    if !state.passwords.verify(typed.as_ref(), stored).await? {
        attempt.failed(state, Some(&user)).await?;
        return Err(ApiError::Validation(domain::ValidationError::field(
            "password",
            "incorrect",
            "the password is not right",
        )));
    }
    attempt.succeeded(state).await?;
    let actor_key = format!("customer:{}", customer.as_str());
    match state.repo.erase_customer(customer, now).await? {
        Ok(report) => {
            audit(
                state,
                &actor_key,
                "privacy.erase",
                Some(customer.as_str()),
                "erased",
                json!({
                    "sessions_ended": report.sessions_ended,
                    "contacts": report.contacts,
                    "tickets": report.tickets,
                    "notes_deleted": report.notes_deleted,
                }),
                now,
            )
            .await?;
            Ok(report)
        }
        Err(blocked) => {
            let why = match blocked {
                ErasureBlocked::OpenBalance => "open_balance",
                ErasureBlocked::AlreadyErased => "already_erased",
            };
            audit(
                state,
                &actor_key,
                "privacy.erase",
                Some(customer.as_str()),
                "refused",
                json!({"why": why}),
                now,
            )
            .await?;
            Err(ApiError::InvalidState(match blocked {
                ErasureBlocked::OpenBalance => "money is still in your wallet or on hold: withdraw or spend it first, then ask again".into(),
                ErasureBlocked::AlreadyErased => "this account's data was already erased".into(),
            }))
        }
    }
}

/// Erase my personal data (immediate, irreversible).
///
/// Contact details, name, password, two-step sign-in, sessions, devices and notes are
/// erased; tickets stay readable for staff under a pseudonym; transactions and ledger
/// entries stay, as financial records must. Signs me out everywhere. Refused while money
/// is in the wallet.
#[utoipa::path(post, path = "/api/v1/me/erasure", tag = "privacy", security(("bearer" = [])), request_body = ErasureRequest,
    responses(
        (status = 200, description = "Erased", body = ErasureView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Money still in the wallet, or already erased", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Password wrong or not confirmed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn erase(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    ApiJson(req): ApiJson<ErasureRequest>,
) -> Result<Json<ErasureView>, ApiError> {
    let customer = user
        .principal
        .customer_id()
        .cloned()
        .ok_or(ApiError::Forbidden)?;
    let report = erase_for(&state, &customer, &req.password, req.confirm).await?;
    Ok(Json(ErasureView {
        status: "erased".into(),
        pseudonym: report.pseudonym,
        sessions_ended: report.sessions_ended,
        tickets_pseudonymised: report.tickets,
    }))
}

/// Filters of the audit log (query string).
#[derive(Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(default, deny_unknown_fields)]
pub struct AuditFilters {
    /// Exact actor: `staff:<id>`, `customer:<id>` or `system`.
    pub actor: Option<String>,
    /// Action or action prefix (`2fa.`).
    pub action: Option<String>,
    /// Customer id the entries are about.
    pub subject: Option<String>,
    /// From (RFC 3339 or `YYYY-MM-DD`, UTC).
    pub from: Option<String>,
    /// Until, exclusive (RFC 3339 or `YYYY-MM-DD`, UTC).
    pub to: Option<String>,
    /// The next page: entries before this sequence number.
    pub before: Option<i64>,
    /// Page size, 1 to 100 (default 50).
    pub limit: Option<i64>,
}

/// Reads a time filter: an RFC 3339 instant or a UTC date.
pub fn parse_time(field: &str, text: &str) -> Result<i64, ApiError> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(ts.as_microsecond());
    }
    // A date, or a datetime-local input (the audit page's filter), is UTC as the page says.
    let civil = t.parse::<jiff::civil::DateTime>().or_else(|_| {
        t.parse::<jiff::civil::Date>()
            .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
    });
    if let Ok(dt) = civil
        && let Ok(z) = dt.in_tz("UTC")
    {
        return Ok(z.timestamp().as_microsecond());
    }
    Err(ApiError::Validation(domain::ValidationError::field(
        field,
        "invalid_format",
        "use a date like 2026-11-26 or a time like 2026-11-26T08:00:00Z",
    )))
}

impl AuditFilters {
    /// The store's query.
    pub fn query(&self) -> Result<AuditQuery, ApiError> {
        let clean = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let from_us = clean(&self.from)
            .map(|f| parse_time("from", &f))
            .transpose()?;
        let to_us = clean(&self.to).map(|t| parse_time("to", &t)).transpose()?;
        Ok(AuditQuery {
            actor: clean(&self.actor),
            action: clean(&self.action),
            subject: clean(&self.subject),
            from_us,
            to_us,
            before_seq: self.before,
        })
    }
}

/// Whether the whole chain verifies: `Ok(records)` or the first break.
pub async fn chain_status(state: &AppState) -> Result<Result<usize, String>, ApiError> {
    let mut all = Vec::new();
    let mut from = 1;
    loop {
        let batch = state.repo.audit_entries(from, 1_000).await?;
        let Some(last) = batch.last() else { break };
        from = last.seq + 1;
        all.extend(batch);
    }
    Ok(verify_audit_chain(&all).map_err(|b| b.to_string()))
}

/// One page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_before: Option<i64>,
    /// Whether the whole hash chain verifies.
    pub chain_intact: bool,
    /// Records checked, or where the chain breaks.
    pub chain_detail: String,
}

/// Browse the audit log (admins).
///
/// Filters by actor, action (prefix), subject customer and time; newest first; the
/// answer says whether the hash chain verifies.
#[utoipa::path(get, path = "/api/v1/audit", tag = "privacy", security(("bearer" = [])),
    params(AuditFilters),
    responses(
        (status = 200, description = "A page of entries", body = AuditPage),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is not valid", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn browse_audit(
    State(state): State<AppState>,
    _admin: ApiUser<AdminOnly>,
    Query(filters): Query<AuditFilters>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = Limit::parse(filters.limit.or(Some(50)))?;
    let query = filters.query()?;
    let (items, next_before) = audit_page(&state, &query, limit.get()).await?;
    let chain = chain_status(&state).await?;
    Ok(Json(AuditPage {
        items: items.iter().map(audit_json).collect(),
        next_before,
        chain_intact: chain.is_ok(),
        chain_detail: match chain {
            Ok(n) => format!("{n} records verified"),
            Err(e) => e,
        },
    }))
}

/// A page of entries and the `before` of the next page.
pub async fn audit_page(
    state: &AppState,
    query: &AuditQuery,
    limit: u32,
) -> Result<(Vec<AuditEntry>, Option<i64>), ApiError> {
    let mut items = state.repo.audit_search(query, limit + 1).await?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next = if more {
        items.last().map(|e| e.seq)
    } else {
        None
    };
    Ok((items, next))
}
