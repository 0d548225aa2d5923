//! The audit log browser for admins (`/staff/audit`): filters by actor, action (prefix),
//! subject customer and time, newest first, paginated by sequence number, with whether
//! the whole hash chain verifies.

use super::{Chrome, PageUser, error_page, render};
use crate::api::privacy::{AuditFilters, audit_page, chain_status};
use crate::auth::AdminOnly;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/staff/audit", get(show))
}

const PAGE: u32 = 50;

struct Row {
    seq: i64,
    at: String,
    actor: String,
    actor_q: String,
    action: String,
    action_q: String,
    subject: String,
    subject_q: String,
    outcome: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    chain_ok: bool,
    chain_detail: String,
    error: String,
    actor: String,
    action: String,
    subject: String,
    from: String,
    to: String,
    rows: Vec<Row>,
    next_href: String,
}

fn q(s: &str) -> String {
    super::url_encode(s)
}

/// `2026-11-26 04:38:12 UTC`.
fn when(us: i64) -> String {
    let t = crate::api::views::rfc3339(us);
    match t.get(..19) {
        Some(s) => format!("{} UTC", s.replace('T', " ")),
        None => t,
    }
}

async fn show(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    Query(filters): Query<AuditFilters>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let chain = match chain_status(&state).await {
        Ok(c) => c,
        Err(e) => return error_page(&state, locale, &e),
    };
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let mut page = AuditPage {
        chrome: user.ctx.chrome(),
        chain_ok: chain.is_ok(),
        chain_detail: match &chain {
            Ok(n) => n.to_string(),
            Err(e) => e.clone(),
        },
        error: String::new(),
        actor: text(&filters.actor),
        action: text(&filters.action),
        subject: text(&filters.subject),
        from: text(&filters.from),
        to: text(&filters.to),
        rows: Vec::new(),
        next_href: String::new(),
    };
    let query = match filters.query() {
        Ok(query) => query,
        Err(ApiError::Validation(_)) => {
            page.error = user.ctx.tr.t("audit-error-date");
            return render(&state, locale, &page);
        }
        Err(e) => return error_page(&state, locale, &e),
    };
    let (items, next) = match audit_page(&state, &query, PAGE).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, locale, &e),
    };
    page.rows = items
        .iter()
        .map(|e| {
            let subject = e.entry.customer_id.clone().unwrap_or_default();
            Row {
                seq: e.seq,
                at: when(e.at_us),
                actor_q: q(&e.entry.actor),
                actor: e.entry.actor.clone(),
                action_q: q(&e.entry.action),
                action: e.entry.action.clone(),
                subject_q: q(&subject),
                subject,
                outcome: e.entry.outcome.clone(),
                detail: e.entry.detail.clone(),
            }
        })
        .collect();
    if let Some(before) = next {
        page.next_href = format!(
            "/staff/audit?actor={}&action={}&subject={}&from={}&to={}&before={before}",
            q(&page.actor),
            q(&page.action),
            q(&page.subject),
            q(&page.from),
            q(&page.to)
        );
    }
    render(&state, locale, &page)
}
