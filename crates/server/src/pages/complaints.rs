//! Complaint pages for all three sides. Customers file from a payment and follow their
//! complaint (timeline, "expect a decision by …" in their local time, more evidence,
//! withdraw); merchant staff answer complaints against their merchant with a statement
//! and evidence, accepting (refund) or contesting; agents work a queue (open or
//! escalated) and decide with both sides' evidence side by side. The work itself is the
//! API module's, so pages and API cannot drift apart.

use super::{Chrome, PageUser, csrf_ok, error_page, render, same_origin};
use crate::api::complaints::{
    self as service, ComplaintForm, EvidenceView, Upload, read_uploads, visible_complaint,
};
use crate::auth::{AnyStaff, CustomerOnly, MerchantOnly, SupportStaff};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::calendar::{BusinessCalendar, CalendarSpec};
use domain::complaint::{Complaint, ComplaintCategory, ComplaintQuery, DesiredOutcome};
use domain::{Limit, Principal, Role};
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/wallet/tx/{id}/complaint",
            get(new_complaint).post(file_complaint),
        )
        .route("/complaints", get(my_complaints))
        .route("/complaints/{id}", get(complaint::<CustomerOnly>))
        .route("/complaints/{id}/evidence", post(customer_evidence))
        .route("/complaints/{id}/withdraw", post(withdraw))
        .route("/complaints/evidence/{id}", get(customer_download))
        .route("/staff/merchant/complaints", get(merchant_complaints))
        .route(
            "/staff/merchant/complaints/{id}",
            get(complaint::<MerchantOnly>),
        )
        .route("/staff/merchant/complaints/{id}/respond", post(respond))
        .route("/staff/complaints", get(queue))
        .route("/staff/complaints/{id}", get(complaint::<SupportStaff>))
        .route("/staff/complaints/{id}/decision", post(decide))
        .route("/staff/complaints/evidence/{id}", get(staff_download))
}

// ------------------------------------------------------------------ shared pieces

/// An option of a select.
struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

fn category_choices(tr: &Tr, selected: &str) -> Vec<Choice> {
    ComplaintCategory::ALL
        .iter()
        .map(|c| Choice {
            value: c.as_str(),
            label: tr.t(&c.message_key()),
            selected: c.as_str() == selected,
        })
        .collect()
}

fn outcome_choices(tr: &Tr, selected: &str) -> Vec<Choice> {
    DesiredOutcome::ALL
        .iter()
        .map(|o| Choice {
            value: o.as_str(),
            label: tr.t(&o.message_key()),
            selected: o.as_str() == selected,
        })
        .collect()
}

/// A refused input, translated for the page.
fn error_text(tr: &Tr, err: &ApiError) -> String {
    match err {
        ApiError::Validation(v) => v
            .errors
            .iter()
            .map(|e| match (e.field.as_str(), e.code) {
                ("files", "too_large") => tr.t("complaint-error-file-size"),
                ("files", "too_many") => tr.t("complaint-error-file-count"),
                ("files", "unsupported_type") => tr.t("complaint-error-file-type"),
                ("files", "required") => tr.t("complaint-error-files"),
                ("files", _) => tr.t("complaint-error-file-empty"),
                (field, _) => tr.t(&format!("complaint-error-{}", field.replace('_', "-"))),
            })
            .collect::<Vec<_>>()
            .join(" "),
        ApiError::InvalidState(d) if d.contains("open complaint") => {
            tr.t("complaint-error-already-open")
        }
        // "at most IDR … can be disputed": refunds and complaints already claim the rest.
        ApiError::InvalidState(d) if d.contains("can be disputed") => {
            tr.t("complaint-error-amount-minor")
        }
        ApiError::InvalidState(_) => tr.t("complaint-error-state"),
        _ => tr.t("error-bad-request"),
    }
}

fn form_ok(
    user_auth: Option<&crate::auth::Authenticated>,
    headers: &HeaderMap,
    csrf: &str,
) -> bool {
    same_origin(headers) && user_auth.is_some_and(|a| csrf_ok(a, csrf))
}

fn take(fields: &mut HashMap<String, String>, name: &str) -> String {
    fields.remove(name).unwrap_or_default()
}

/// A due time in words, in the visitor's language and the complaint's zone, always with
/// its date ("Tuesday 1 December, 17:00 WIB"): a promise names the day.
fn due_words(tr: &Tr, us: i64, time_zone: &str) -> String {
    let cal = BusinessCalendar::new(CalendarSpec::always_open(time_zone));
    match (cal, jiff::Timestamp::from_microsecond(us)) {
        (Ok(cal), Ok(at)) => {
            // Seen from a week before, the words always carry the date.
            let week_before = at
                .checked_sub(jiff::SignedDuration::from_hours(24 * 7))
                .unwrap_or(at);
            crate::calendars::opening_words(tr, &cal, at, week_before)
        }
        _ => service::local_time(us, time_zone),
    }
}

/// A complaint as the payment's page lists it.
pub(super) struct ComplaintLink {
    /// Its page for this visitor.
    pub href: String,
    /// Reference.
    pub reference: String,
    /// State, translated.
    pub state: String,
    /// Whether it is still open.
    pub open: bool,
}

/// The complaints about a payment, linked to the customer's or the staff page.
pub(super) async fn links_for_payment(
    state: &AppState,
    tr: &Tr,
    payment_id: &str,
    staff_view: bool,
) -> Result<Vec<ComplaintLink>, ApiError> {
    let q = ComplaintQuery {
        payment_id: Some(payment_id.to_owned()),
        ..ComplaintQuery::default()
    };
    let page = state
        .repo
        .complaints(&q, None, Limit::parse(Some(20))?)
        .await?;
    let base = if staff_view {
        "/staff/complaints"
    } else {
        "/complaints"
    };
    Ok(page
        .items
        .iter()
        .map(|c| ComplaintLink {
            href: format!("{base}/{}", c.id),
            reference: c.reference.clone(),
            state: tr.t(&c.state.message_key()),
            open: c.state.is_open(),
        })
        .collect())
}

// ------------------------------------------------------------------ filing

#[derive(Template)]
#[template(path = "complaint_new.html")]
struct NewPage {
    chrome: Chrome,
    tx_id: String,
    payment_label: String,
    categories: Vec<Choice>,
    outcomes: Vec<Choice>,
    description: String,
    amount: String,
    error: String,
    max_files: u32,
}

async fn new_page(
    state: &AppState,
    user: &PageUser<CustomerOnly>,
    tx_id: &str,
    draft: &ComplaintForm,
    amount: &str,
    error: String,
    status: StatusCode,
) -> Response {
    let tr = &user.ctx.tr;
    let t = match crate::api::transactions::visible_transaction(state, &user.principal, tx_id).await
    {
        Ok(t) => t,
        Err(e) => return error_page(state, tr.locale, &e),
    };
    let page = NewPage {
        chrome: user.ctx.chrome(),
        tx_id: t.id.clone(),
        payment_label: format!(
            "{} · {} · {}",
            t.merchant_name.clone().unwrap_or_default(),
            t.amount,
            t.reference
        ),
        categories: category_choices(tr, &draft.category),
        outcomes: outcome_choices(tr, &draft.desired_outcome),
        description: draft.description.clone(),
        amount: if amount.is_empty() {
            (t.amount.minor / 100).to_string()
        } else {
            amount.to_owned()
        },
        error,
        max_files: state.config.complaints.max_evidence_files,
    };
    let mut resp = render(state, tr.locale, &page);
    *resp.status_mut() = status;
    resp
}

async fn new_complaint(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Path(id): Path<String>,
) -> Response {
    new_page(
        &state,
        &user,
        &id,
        &ComplaintForm::default(),
        "",
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// Files the complaint with its evidence. Files are checked before the complaint is
/// filed, so a refused file shows the form again with everything that was typed.
async fn file_complaint(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let Ok(form) = form else {
        return error_page(&state, locale, &ApiError::UnsupportedMediaType);
    };
    let (uploads, mut fields) = match read_uploads(form).await {
        Ok(v) => v,
        Err(e) => return error_page(&state, locale, &e),
    };
    if !form_ok(user.ctx.auth.as_ref(), &headers, &take(&mut fields, "csrf")) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let amount_raw = take(&mut fields, "amount");
    let draft = ComplaintForm {
        category: take(&mut fields, "category"),
        description: take(&mut fields, "description"),
        amount_minor: super::wallet::parse_rupiah(&amount_raw).unwrap_or(0),
        desired_outcome: take(&mut fields, "desired_outcome"),
    };
    let again = |err: ApiError| {
        let (state, user, id, draft, amount_raw) = (&state, &user, &id, &draft, &amount_raw);
        async move {
            let status = err.parts().0;
            if !matches!(err, ApiError::Validation(_) | ApiError::InvalidState(_)) {
                return error_page(state, locale, &err);
            }
            let text = error_text(&user.ctx.tr, &err);
            new_page(state, user, id, draft, amount_raw, text, status).await
        }
    };
    if let Err(e) = precheck(&state, &uploads) {
        return again(e).await;
    }
    let c = match service::file(&state, &user.principal, &id, &draft).await {
        Ok(c) => c,
        Err(e) => return again(e).await,
    };
    if !uploads.is_empty()
        && let Err(e) = service::add_evidence_files(&state, &user.principal, &c, uploads).await
    {
        tracing::warn!(complaint = %c.reference, error = %e, "evidence with a new complaint refused");
    }
    Redirect::to(&format!("/complaints/{}?done=filed", c.id)).into_response()
}

/// The file checks of [`service::add_evidence_files`] that need no complaint yet.
fn precheck(state: &AppState, uploads: &[Upload]) -> Result<(), ApiError> {
    let max = state.config.complaints.max_evidence_files as usize;
    if uploads.len() > max {
        return Err(domain::ValidationError::field("files", "too_many", "too many files").into());
    }
    for u in uploads {
        if u.bytes.is_empty() {
            return Err(domain::ValidationError::field("files", "empty", "empty file").into());
        }
        if u.bytes.len() > state.config.files.max_file_bytes {
            return Err(domain::ValidationError::field("files", "too_large", "too large").into());
        }
        if crate::tickets::sniff(&u.bytes).is_none() {
            return Err(domain::ValidationError::field("files", "unsupported_type", "type").into());
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ lists

/// One row of a complaint list.
struct Row {
    href: String,
    reference: String,
    merchant: String,
    amount: String,
    category: String,
    state: String,
    state_code: &'static str,
    merchant_due: String,
    decision_due: String,
    escalated: bool,
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ListPage {
    chrome: Chrome,
    title_key: &'static str,
    side: &'static str,
    view: String,
    rows: Vec<Row>,
}

async fn list(
    state: &AppState,
    tr: &Tr,
    chrome: Chrome,
    query: ComplaintQuery,
    href: &str,
    side: &'static str,
    view: &str,
) -> Response {
    let limit = match Limit::parse(Some(100)) {
        Ok(l) => l,
        Err(e) => return error_page(state, tr.locale, &e.into()),
    };
    let page = match state.repo.complaints(&query, None, limit).await {
        Ok(p) => p,
        Err(e) => return error_page(state, tr.locale, &e.into()),
    };
    let rows = page
        .items
        .iter()
        .map(|c| Row {
            href: format!("{href}/{}", c.id),
            reference: c.reference.clone(),
            merchant: c.merchant_name.clone(),
            amount: c.disputed.to_string(),
            category: tr.t(&c.category.message_key()),
            state: tr.t(&c.state.message_key()),
            state_code: c.state.as_str(),
            merchant_due: service::local_time(c.deadlines.merchant_due_us, &c.time_zone),
            decision_due: service::local_time(c.deadlines.decision_due_us, &c.time_zone),
            escalated: c.escalated_at_us.is_some() && c.state.is_open(),
        })
        .collect();
    let title_key = match side {
        "customer" => "complaints-title",
        "merchant" => "complaints-merchant-title",
        _ => "complaints-queue-title",
    };
    render(
        state,
        tr.locale,
        &ListPage {
            chrome,
            title_key,
            side,
            view: view.to_owned(),
            rows,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
struct ViewQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    done: String,
}

async fn my_complaints(State(state): State<AppState>, user: PageUser<CustomerOnly>) -> Response {
    let q = ComplaintQuery {
        customer_id: user.principal.customer_id().cloned(),
        ..ComplaintQuery::default()
    };
    list(
        &state,
        &user.ctx.tr,
        user.ctx.chrome(),
        q,
        "/complaints",
        "customer",
        "all",
    )
    .await
}

async fn merchant_complaints(
    State(state): State<AppState>,
    user: PageUser<MerchantOnly>,
) -> Response {
    let Some(m) = user.principal.merchant_id.clone() else {
        return error_page(&state, user.ctx.tr.locale, &ApiError::Forbidden);
    };
    let q = ComplaintQuery {
        merchant_id: Some(m),
        ..ComplaintQuery::default()
    };
    list(
        &state,
        &user.ctx.tr,
        user.ctx.chrome(),
        q,
        "/staff/merchant/complaints",
        "merchant",
        "all",
    )
    .await
}

async fn queue(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Query(vq): Query<ViewQuery>,
) -> Response {
    let view = match vq.view.as_str() {
        "escalated" | "all" => vq.view.as_str(),
        _ => "open",
    };
    let q = ComplaintQuery {
        open_only: view == "open",
        escalated_only: view == "escalated",
        ..ComplaintQuery::default()
    };
    list(
        &state,
        &user.ctx.tr,
        user.ctx.chrome(),
        q,
        "/staff/complaints",
        "agent",
        view,
    )
    .await
}

// ------------------------------------------------------------------ one complaint

/// An evidence file on the page.
struct EvidenceRow {
    href: String,
    file_name: String,
    content_type: String,
    size_kb: i64,
}

/// A timeline entry on the page.
struct EventRow {
    at: String,
    who: String,
    what: String,
    note: String,
}

#[derive(Template)]
#[template(path = "complaint.html")]
struct DetailPage {
    chrome: Chrome,
    side: &'static str,
    back_href: &'static str,
    c: Complaint,
    amount: String,
    refunded: String,
    category: String,
    outcome: String,
    state: String,
    open: bool,
    awaiting_merchant: bool,
    under_review: bool,
    decision_due: String,
    merchant_due: String,
    escalated: bool,
    customer_evidence: Vec<EvidenceRow>,
    merchant_evidence: Vec<EvidenceRow>,
    agent_evidence: Vec<EvidenceRow>,
    timeline: Vec<EventRow>,
    done: String,
    error: String,
    refund_default: String,
    ticket_href: String,
}

async fn detail_page(
    state: &AppState,
    ctx: &super::PageCtx,
    principal: &Principal,
    id: &str,
    done: &str,
    error: String,
    status: StatusCode,
) -> Response {
    let tr = &ctx.tr;
    let c = match visible_complaint(state, principal, id).await {
        Ok(c) => c,
        Err(e) => return error_page(state, tr.locale, &e),
    };
    let (events, evidence) = match (
        state.repo.complaint_events(&c.id).await,
        state.repo.complaint_evidence(&c.id).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error_page(state, tr.locale, &e.into()),
    };
    let (side, back_href, download) = match principal.role {
        Role::Customer => ("customer", "/complaints", "/complaints/evidence"),
        Role::Merchant => (
            "merchant",
            "/staff/merchant/complaints",
            "/staff/complaints/evidence",
        ),
        _ => ("agent", "/staff/complaints", "/staff/complaints/evidence"),
    };
    let rows = |party: &str| -> Vec<EvidenceRow> {
        evidence
            .iter()
            .map(EvidenceView::from)
            .filter(|e| e.party == party)
            .map(|e| EvidenceRow {
                href: format!("{download}/{}", e.id),
                file_name: e.file_name,
                content_type: e.content_type,
                size_kb: (e.size_bytes + 1023) / 1024,
            })
            .collect()
    };
    let timeline = events
        .iter()
        .map(|e| EventRow {
            at: super::wallet::local_time(e.at_us, &c.time_zone),
            who: if e.actor == domain::complaint::ComplaintActor::System {
                tr.t("complaint-actor-system")
            } else {
                format!(
                    "{} ({})",
                    e.actor_name,
                    tr.t(&format!("complaint-actor-{}", e.actor.as_str()))
                )
            },
            what: tr.t(&format!("complaint-action-{}", e.action.replace('_', "-"))),
            note: e.note.clone(),
        })
        .collect();
    let done_key = match done {
        "filed" => "complaint-done-filed",
        "evidence" => "complaint-done-evidence",
        "withdrawn" => "complaint-done-withdrawn",
        "responded" => "complaint-done-responded",
        "decided" => "complaint-done-decided",
        _ => "",
    };
    let page = DetailPage {
        chrome: ctx.chrome(),
        side,
        back_href,
        amount: c.disputed.to_string(),
        refunded: domain::Money::new(c.refunded_minor, c.disputed.currency).to_string(),
        category: tr.t(&c.category.message_key()),
        outcome: tr.t(&c.desired_outcome.message_key()),
        state: tr.t(&c.state.message_key()),
        open: c.state.is_open(),
        awaiting_merchant: c.state == domain::complaint::ComplaintState::AwaitingMerchant,
        under_review: c.state == domain::complaint::ComplaintState::UnderReview,
        decision_due: due_words(tr, c.deadlines.decision_due_us, &c.time_zone),
        merchant_due: due_words(tr, c.deadlines.merchant_due_us, &c.time_zone),
        escalated: c.escalated_at_us.is_some() && c.state.is_open(),
        customer_evidence: rows("customer"),
        merchant_evidence: rows("merchant"),
        agent_evidence: rows("agent"),
        timeline,
        done: if done_key.is_empty() {
            String::new()
        } else {
            tr.t(done_key)
        },
        error,
        refund_default: (c.disputed.minor / 100).to_string(),
        ticket_href: match (principal.role, &c.ticket_id) {
            (Role::Customer, Some(t)) => format!("/support/tickets/{t}"),
            (Role::Merchant, _) | (_, None) => String::new(),
            (_, Some(t)) => format!("/staff/tickets/{t}"),
        },
        c,
    };
    let mut resp = render(state, tr.locale, &page);
    *resp.status_mut() = status;
    resp
}

/// One complaint for whoever may see it: the customer who filed it, the merchant it is
/// against, support staff (`P` decides who gets in; `detail_page` scopes the rest).
async fn complaint<P: crate::auth::Access>(
    State(state): State<AppState>,
    user: PageUser<P>,
    Path(id): Path<String>,
    Query(vq): Query<ViewQuery>,
) -> Response {
    detail_page(
        &state,
        &user.ctx,
        &user.principal,
        &id,
        &vq.done,
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// After a form: back to the complaint with a confirmation, or the page again with the
/// refusal explained.
async fn after<P: crate::auth::Access>(
    state: &AppState,
    user: &PageUser<P>,
    base: &str,
    id: &str,
    result: Result<(), ApiError>,
    done: &str,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("{base}/{id}?done={done}")).into_response(),
        Err(e @ (ApiError::Validation(_) | ApiError::InvalidState(_))) => {
            let text = error_text(&user.ctx.tr, &e);
            detail_page(state, &user.ctx, &user.principal, id, "", text, e.parts().0).await
        }
        Err(e) => error_page(state, user.ctx.tr.locale, &e),
    }
}

async fn customer_evidence(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let result = match evidence_post(&state, &user.ctx, &user.principal, &headers, &id, form).await
    {
        Ok((_, 0)) => Err(no_files()),
        Ok(_) => Ok(()),
        Err(e) => Err(e),
    };
    after(&state, &user, "/complaints", &id, result, "evidence").await
}

/// Reads a multipart evidence post after the form checks and stores its files; returns
/// the other fields and how many files were stored.
async fn evidence_post(
    state: &AppState,
    ctx: &super::PageCtx,
    principal: &Principal,
    headers: &HeaderMap,
    id: &str,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(HashMap<String, String>, usize), ApiError> {
    let c = visible_complaint(state, principal, id).await?;
    let form = form.map_err(|_| ApiError::UnsupportedMediaType)?;
    let (uploads, mut fields) = read_uploads(form).await?;
    if !form_ok(ctx.auth.as_ref(), headers, &take(&mut fields, "csrf")) {
        return Err(ApiError::Forbidden);
    }
    let stored = if uploads.is_empty() {
        0
    } else {
        service::add_evidence_files(state, principal, &c, uploads)
            .await?
            .len()
    };
    Ok((fields, stored))
}

fn no_files() -> ApiError {
    domain::ValidationError::field("files", "required", "attach a file").into()
}

#[derive(Debug, Default, Deserialize)]
struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn withdraw(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> Response {
    let result = async {
        let c = visible_complaint(&state, &user.principal, &id).await?;
        if !form_ok(user.ctx.auth.as_ref(), &headers, &form.csrf) {
            return Err(ApiError::Forbidden);
        }
        service::withdraw_complaint(&state, &user.principal, &c, &form.reason).await?;
        Ok(())
    }
    .await;
    after(&state, &user, "/complaints", &id, result, "withdrawn").await
}

/// The merchant's statement, evidence and answer in one form.
async fn respond(
    State(state): State<AppState>,
    user: PageUser<MerchantOnly>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let result = async {
        let (mut fields, stored) =
            evidence_post(&state, &user.ctx, &user.principal, &headers, &id, form).await?;
        let statement = take(&mut fields, "statement");
        // Evidence alone (no answer chosen) is allowed; an answer needs the statement.
        let answer = take(&mut fields, "answer");
        if answer.is_empty() {
            return if stored == 0 { Err(no_files()) } else { Ok(()) };
        }
        let c = visible_complaint(&state, &user.principal, &id).await?;
        service::merchant_response(&state, &user.principal, &c, answer == "accept", &statement)
            .await?;
        Ok(())
    }
    .await;
    after(
        &state,
        &user,
        "/staff/merchant/complaints",
        &id,
        result,
        "responded",
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    refund: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let result = async {
        let c = visible_complaint(&state, &user.principal, &id).await?;
        if !form_ok(user.ctx.auth.as_ref(), &headers, &form.csrf) {
            return Err(ApiError::Forbidden);
        }
        let for_customer = form.decision == "customer";
        let refund = if for_customer {
            Some(super::wallet::parse_rupiah(&form.refund).unwrap_or(0))
        } else {
            None
        };
        service::decision(
            &state,
            &user.principal,
            &c,
            for_customer,
            refund,
            &form.reason,
        )
        .await?;
        Ok(())
    }
    .await;
    after(&state, &user, "/staff/complaints", &id, result, "decided").await
}

async fn customer_download(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Path(id): Path<String>,
) -> Response {
    match service::evidence_download(&state, &user.principal, &id).await {
        Ok(r) => r,
        Err(e) => error_page(&state, user.ctx.tr.locale, &e),
    }
}

async fn staff_download(
    State(state): State<AppState>,
    user: PageUser<AnyStaff>,
    Path(id): Path<String>,
) -> Response {
    match service::evidence_download(&state, &user.principal, &id).await {
        Ok(r) => r,
        Err(e) => error_page(&state, user.ctx.tr.locale, &e),
    }
}
