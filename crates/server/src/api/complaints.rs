//! Merchant complaints through the API, and the complaint work the pages share: filing
//! from a payment (deadlines from the customer's calendar, a ticket opened or joined),
//! evidence checked like ticket attachments and served only as downloads, the merchant's
//! response, the agent's decision, the customer's withdrawal, and the deadline worker.
//!
//! Scoping: a customer sees only their own complaints, merchant staff only those against
//! their merchant, support staff all. Anything else answers 404, never 403.

use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::idempotency::{IdempotencyKey, run_once};
use crate::api::transactions::visible_transaction;
use crate::api::views::rfc3339;
use crate::auth::{ApiUser, CustomerOnly, MerchantOnly, SignedIn, SupportStaff};
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::calendar::{BusinessCalendar, CalendarSpec};
use domain::complaint::{
    Complaint, ComplaintAction, ComplaintActor, ComplaintCategory, ComplaintEvent, ComplaintQuery,
    DesiredOutcome, Evidence, EvidenceParty, NewComplaint, StepBy, parse_text,
};
use domain::repo::RepoError;
use domain::ticket::{
    ActorKind, Category, Channel, LinkKind, NewMessage, NewTicket, Priority, ReportedTransaction,
    Requester, TicketLink, TicketQuery, Visibility,
};
use domain::{Cursor, Limit, Money, Principal, Role, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/transactions/{id}/complaints", post(file_complaint))
        .route("/api/v1/complaints", get(list_complaints))
        .route("/api/v1/complaints/{id}", get(get_complaint))
        .route("/api/v1/complaints/{id}/evidence", post(add_evidence))
        .route("/api/v1/complaints/{id}/withdraw", post(withdraw))
        .route("/api/v1/complaints/{id}/merchant-response", post(respond))
        .route("/api/v1/complaints/{id}/decision", post(decide))
        .route("/api/v1/complaint-evidence/{id}", get(download_evidence))
}

// ---------------------------------------------------------------------------------------
// Shared work (API and pages)
// ---------------------------------------------------------------------------------------

/// May this principal see this complaint?
pub fn may_see(principal: &Principal, c: &Complaint) -> bool {
    match principal.role {
        Role::Customer => principal.customer_id() == Some(&c.customer_id),
        Role::Merchant => principal.merchant_id.as_ref() == Some(&c.merchant_id),
        r => r.is_support_staff(),
    }
}

/// The complaint, if the principal may see it; 404 otherwise.
pub async fn visible_complaint(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<Complaint, ApiError> {
    uuid::Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let c = state.repo.complaint(id).await?;
    if !may_see(principal, &c) {
        return Err(ApiError::NotFound);
    }
    Ok(c)
}

/// Who a principal is on a complaint's timeline.
pub fn step_by(principal: &Principal) -> StepBy {
    StepBy {
        actor: match principal.role {
            Role::Customer => ComplaintActor::Customer,
            Role::Merchant => ComplaintActor::Merchant,
            _ => ComplaintActor::Agent,
        },
        id: principal.user.as_str().to_owned(),
        name: principal.display_name.clone(),
    }
}

/// What a customer fills in to complain.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintForm {
    /// `not_received`, `not_as_described`, `charged_twice`, `not_authorised`,
    /// `refund_not_received`, `merchant_conduct`, `other`.
    pub category: String,
    /// What happened, in the customer's words (1–4000 characters).
    pub description: String,
    /// Disputed amount in minor units, at most what remains of the payment.
    pub amount_minor: i64,
    /// `full_refund`, `partial_refund`, `replacement`, `explanation`.
    pub desired_outcome: String,
}

/// Files a complaint for a customer against one of their payments: checks the form,
/// computes the deadlines in business days of their calendar, files it (the hold and the
/// merchant hand-over happen in the store's transaction), then opens or joins a ticket.
pub async fn file(
    state: &AppState,
    principal: &Principal,
    payment_id: &str,
    form: &ComplaintForm,
) -> Result<Complaint, ApiError> {
    let customer = principal.customer_id().ok_or(ApiError::Forbidden)?.clone();
    let payment = visible_transaction(state, principal, payment_id).await?;
    let category = ComplaintCategory::parse(form.category.trim());
    let outcome = DesiredOutcome::parse(form.desired_outcome.trim());
    let description = parse_text("description", &form.description);
    ValidationError::collect([
        category
            .is_none()
            .then(|| ValidationError::field("category", "invalid_value", "choose what went wrong")),
        outcome.is_none().then(|| {
            ValidationError::field(
                "desired_outcome",
                "invalid_value",
                "choose what you would like",
            )
        }),
        description.as_ref().err().cloned(),
        (form.amount_minor <= 0 || form.amount_minor > payment.amount.minor).then(|| {
            ValidationError::field(
                "amount_minor",
                "out_of_range",
                format!("more than 0 and at most the payment, {}", payment.amount),
            )
        }),
    ])?;
    let disputed = Money::new(form.amount_minor, payment.amount.currency);
    let tiers = &state.config.complaints.deadlines;
    tiers.check().map_err(|e| {
        ApiError::Unexpected(anyhow::anyhow!("complaint deadline tiers are invalid: {e}"))
    })?;
    let calendar =
        match crate::calendars::calendar_for(state, Some(&customer), Channel::Web).await? {
            Some((_, built)) => built,
            // No calendar set up: every day counts, in the wallet's home zone.
            None => BusinessCalendar::new(CalendarSpec::always_open("Asia/Jakarta"))?,
        };
    let now = crate::now_us();
    let at = jiff::Timestamp::from_microsecond(now).map_err(|e| ApiError::Unexpected(e.into()))?;
    let deadlines = tiers.deadlines(&calendar, at, disputed).ok_or_else(|| {
        ApiError::Unexpected(anyhow::anyhow!(
            "the customer's calendar has no business days ahead"
        ))
    })?;
    let new = NewComplaint {
        payment_id: payment.id.clone(),
        category: category.unwrap_or(ComplaintCategory::Other),
        description: description.unwrap_or_default(),
        disputed,
        desired_outcome: outcome.unwrap_or(DesiredOutcome::FullRefund),
        deadlines,
        time_zone: calendar.spec().time_zone.clone(),
        actor_name: principal.display_name.clone(),
    };
    let c = state
        .repo
        .file_complaint(&customer, &new, now)
        .await
        .map_err(|e| {
            match e {
            RepoError::Conflict(_) => ApiError::InvalidState(
                "This payment already has an open complaint. Follow that one, or withdraw it first."
                    .into(),
            ),
            other => other.into(),
        }
        })?;
    tracing::info!(complaint = %c.reference, amount = c.disputed.minor, "complaint filed");
    // The complaint stands on its own if the ticket cannot be made; it is logged.
    match open_or_join_ticket(state, principal, &c).await {
        Ok(ticket_id) => {
            state.repo.set_complaint_ticket(&c.id, &ticket_id).await?;
            return Ok(state.repo.complaint(&c.id).await?);
        }
        Err(e) => {
            tracing::warn!(complaint = %c.reference, error = %e, "no ticket for the complaint")
        }
    }
    Ok(c)
}

/// The customer's active ticket about this payment gets the complaint linked; without
/// one, a ticket is opened with the complaint's description as its first message.
async fn open_or_join_ticket(
    state: &AppState,
    principal: &Principal,
    c: &Complaint,
) -> Result<String, ApiError> {
    let link = TicketLink {
        kind: LinkKind::Complaint,
        record_id: c.id.clone(),
    };
    let actor = crate::tickets::actor_of(principal);
    let mine = state
        .repo
        .tickets(
            &TicketQuery {
                customer_id: Some(c.customer_id.clone()),
                ..TicketQuery::default()
            },
            None,
            Limit::parse(Some(100))?,
        )
        .await?;
    if let Some(t) = mine.items.iter().find(|t| {
        t.status.is_active()
            && t.links
                .iter()
                .any(|l| l.kind == LinkKind::Transaction && l.record_id == c.payment_id)
    }) {
        state
            .repo
            .link_record(&t.id, &link, &actor, crate::now_us())
            .await?;
        return Ok(t.id.clone());
    }
    let subject = format!("Complaint {} · {}", c.reference, c.merchant_name);
    let new = NewTicket {
        requester: Requester::Customer(c.customer_id.clone()),
        channel: Channel::Web,
        category: Category::MerchantComplaint,
        subject: domain::ticket::parse_subject(&subject.chars().take(150).collect::<String>())?,
        priority: Priority::Normal,
        locale: principal.locale,
        links: vec![
            TicketLink {
                kind: LinkKind::Transaction,
                record_id: c.payment_id.clone(),
            },
            link,
        ],
        reported: ReportedTransaction::default(),
        tags: vec!["complaint".into()],
        first_message: NewMessage {
            author_kind: ActorKind::Customer,
            author_id: c.customer_id.to_string(),
            author_name: principal.display_name.clone(),
            visibility: Visibility::Public,
            body: domain::ticket::parse_body(&c.description)?,
            channel: Channel::Web,
            external_id: None,
            attachments: Vec::new(),
        },
    };
    let outcome = state
        .repo
        .create_ticket(&new, None, crate::now_us())
        .await?;
    Ok(outcome.ticket.id)
}

/// One uploaded file, before it is checked.
pub struct Upload {
    /// The name the client gave (shown only, never a path).
    pub file_name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Checks and stores evidence files for the principal's side: count (with what is
/// there), size, a sniffed type (the claimed one is ignored), a display name stripped of
/// any path. All files are checked before any is stored, so a refused upload leaves
/// nothing behind.
pub async fn add_evidence_files(
    state: &AppState,
    principal: &Principal,
    c: &Complaint,
    uploads: Vec<Upload>,
) -> Result<Vec<Evidence>, ApiError> {
    let party = match principal.role {
        Role::Customer => EvidenceParty::Customer,
        Role::Merchant => EvidenceParty::Merchant,
        _ => EvidenceParty::Agent,
    };
    if !c.state.is_open() {
        return Err(ApiError::InvalidState(
            "Evidence can only be added while the complaint is open.".into(),
        ));
    }
    let max = state.config.complaints.max_evidence_files;
    let have = state
        .repo
        .complaint_evidence(&c.id)
        .await?
        .iter()
        .filter(|e| e.party == party)
        .count();
    if have + uploads.len() > max as usize {
        return Err(ValidationError::field(
            "files",
            "too_many",
            format!("at most {max} files for each side of a complaint"),
        )
        .into());
    }
    let limit = state.config.files.max_file_bytes;
    for u in &uploads {
        if u.bytes.is_empty() {
            return Err(ValidationError::field("files", "empty", "the file is empty").into());
        }
        if u.bytes.len() > limit {
            return Err(ValidationError::field(
                "files",
                "too_large",
                format!("each file at most {} KB", limit / 1024),
            )
            .into());
        }
        if crate::tickets::sniff(&u.bytes).is_none() {
            return Err(ValidationError::field(
                "files",
                "unsupported_type",
                "images (PNG, JPEG, GIF, WebP), PDF or plain text only",
            )
            .into());
        }
    }
    let by = step_by(principal);
    let mut out = Vec::new();
    for u in uploads {
        // The ticket service stores it under a key of the file store's choosing.
        let a = crate::tickets::store_attachment(state, &u.file_name, &u.bytes).await?;
        let e = Evidence {
            id: uuid::Uuid::now_v7().to_string(),
            complaint_id: c.id.clone(),
            party,
            file_name: a.file_name,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            storage_key: a.storage_key,
            created_at_us: crate::now_us(),
        };
        out.push(
            state
                .repo
                .add_evidence(&e, &by, max, crate::now_us())
                .await?,
        );
    }
    Ok(out)
}

/// Reads a multipart body: `files` parts become uploads (a file input left empty sends
/// a nameless empty part, which is skipped; a named empty file is kept, to be refused),
/// other parts are text fields.
pub async fn read_uploads(
    mut form: Multipart,
) -> Result<(Vec<Upload>, std::collections::HashMap<String, String>), ApiError> {
    let mut uploads = Vec::new();
    let mut fields = std::collections::HashMap::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "files" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
            if bytes.is_empty() && file_name.is_empty() {
                continue;
            }
            uploads.push(Upload {
                file_name,
                bytes: bytes.to_vec(),
            });
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
            fields.insert(name, text);
        }
    }
    Ok((uploads, fields))
}

/// The merchant's answer: accept (the disputed amount is refunded at once) or contest
/// (an agent decides). A statement is required either way.
pub async fn merchant_response(
    state: &AppState,
    principal: &Principal,
    c: &Complaint,
    accept: bool,
    statement: &str,
) -> Result<Complaint, ApiError> {
    if principal.role != Role::Merchant {
        return Err(ApiError::Forbidden);
    }
    let statement = parse_text("statement", statement)?;
    let action = if accept {
        ComplaintAction::MerchantAccept
    } else {
        ComplaintAction::MerchantContest
    };
    act(state, principal, c, action, &statement).await
}

/// An agent's decision with its reason: for the customer (refund, full or part) or for
/// the merchant.
pub async fn decision(
    state: &AppState,
    principal: &Principal,
    c: &Complaint,
    for_customer: bool,
    refund_minor: Option<i64>,
    reason: &str,
) -> Result<Complaint, ApiError> {
    if !principal.role.is_support_staff() {
        return Err(ApiError::Forbidden);
    }
    let reason = parse_text("reason", reason)?;
    let action = if for_customer {
        let refund = refund_minor.unwrap_or(c.disputed.minor);
        if refund <= 0 || refund > c.disputed.minor {
            return Err(ValidationError::field(
                "refund_minor",
                "out_of_range",
                format!("more than 0 and at most the disputed {}", c.disputed),
            )
            .into());
        }
        ComplaintAction::DecideForCustomer {
            refund_minor: refund,
        }
    } else {
        ComplaintAction::DecideForMerchant
    };
    act(state, principal, c, action, &reason).await
}

/// The customer withdraws, saying why (optional).
pub async fn withdraw_complaint(
    state: &AppState,
    principal: &Principal,
    c: &Complaint,
    reason: &str,
) -> Result<Complaint, ApiError> {
    if principal.role != Role::Customer {
        return Err(ApiError::Forbidden);
    }
    let reason: String = reason.trim().chars().take(1000).collect();
    act(state, principal, c, ComplaintAction::Withdraw, &reason).await
}

async fn act(
    state: &AppState,
    principal: &Principal,
    c: &Complaint,
    action: ComplaintAction,
    note: &str,
) -> Result<Complaint, ApiError> {
    let done = state
        .repo
        .act_on_complaint(&c.id, action, &step_by(principal), note, crate::now_us())
        .await?;
    tracing::info!(complaint = %done.reference, action = action.as_str(), by = %principal.user.as_str(), state = done.state.as_str(), "complaint step");
    if let Some(ticket) = &done.ticket_id {
        note_on_ticket(state, &principal.display_name, ticket, &done, note).await;
    }
    Ok(done)
}

/// Keeps the ticket's thread in step: an internal note for staff with each step.
async fn note_on_ticket(
    state: &AppState,
    by_name: &str,
    ticket_id: &str,
    c: &Complaint,
    note: &str,
) {
    let body = format!(
        "Complaint {}: {} ({}). {}",
        c.reference,
        c.state.as_str().replace('_', " "),
        by_name,
        note
    );
    let Ok(body) = domain::ticket::parse_body(&body.chars().take(4000).collect::<String>()) else {
        return;
    };
    let message = NewMessage {
        author_kind: ActorKind::System,
        author_id: String::new(),
        author_name: "paydesk".into(),
        visibility: Visibility::Internal,
        body,
        channel: Channel::Web,
        external_id: None,
        attachments: Vec::new(),
    };
    if let Err(e) = state
        .repo
        .add_message(ticket_id, &message, None, None, crate::now_us())
        .await
    {
        tracing::warn!(complaint = %c.reference, error = %e, "could not note the step on the ticket");
    }
}

/// One round of the complaint deadline worker (every node runs it with the background
/// jobs; the store claims rows so nothing is done twice).
pub async fn run_deadlines(state: &AppState, now_us: i64) {
    let round = match state.repo.run_complaint_deadlines(now_us, 200).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "complaint deadlines failed; will retry");
            return;
        }
    };
    if round.merchant_late + round.escalated + round.expired > 0 {
        tracing::info!(
            merchant_late = round.merchant_late,
            escalated = round.escalated,
            expired = round.expired,
            "complaint deadlines worked"
        );
    }
    // Whoever opens the ticket sees first that the promised date has passed.
    for id in &round.escalated_ids {
        let Ok(c) = state.repo.complaint(id).await else {
            continue;
        };
        if let Some(ticket) = &c.ticket_id {
            let note = format!(
                "Past its decision deadline ({}): escalated to the complaint queue.",
                local_time(c.deadlines.decision_due_us, &c.time_zone)
            );
            note_on_ticket(state, "paydesk", ticket, &c, &note).await;
        }
    }
}

/// "Tuesday 1 December 2026, 17:00 WIB" style: a due time in a zone.
pub fn local_time(us: i64, time_zone: &str) -> String {
    crate::sla::format_due(us, time_zone)
}

/// The evidence file with this id, if its complaint is visible to the principal.
pub async fn evidence_download(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<Response, ApiError> {
    uuid::Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let e = state.repo.evidence(id).await?;
    visible_complaint(state, principal, &e.complaint_id).await?;
    let bytes = state
        .files
        .get(&e.storage_key)
        .await
        .map_err(ApiError::Unexpected)?;
    Ok(super::tickets::download_response(
        bytes,
        &e.content_type,
        &e.file_name,
    ))
}

// ---------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------

/// A complaint.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintView {
    /// Id.
    pub id: String,
    /// Reference to quote.
    pub reference: String,
    /// The payment.
    pub payment_id: String,
    /// The customer.
    pub customer_id: String,
    /// The merchant.
    pub merchant_id: String,
    /// Merchant's name.
    pub merchant_name: String,
    /// Category code.
    pub category: String,
    /// Description.
    pub description: String,
    /// Disputed amount, minor units.
    pub amount_minor: i64,
    /// ISO currency.
    pub currency: String,
    /// Display amount.
    pub amount_display: String,
    /// Desired outcome code.
    pub desired_outcome: String,
    /// State code.
    pub state: String,
    /// State in the caller's language.
    pub state_label: String,
    /// Whether it is still open.
    pub open: bool,
    /// The merchant's response is due (RFC 3339).
    pub merchant_due: String,
    /// The decision is due (RFC 3339).
    pub decision_due: String,
    /// "Expect a decision by …" in the complaint's (the customer's) local time.
    pub decision_due_local: String,
    /// When it was escalated for missing its deadline.
    pub escalated_at: Option<String>,
    /// Whether the disputed amount is held from the merchant's settlement.
    pub held: bool,
    /// Refunded on the decision, minor units.
    pub refunded_minor: i64,
    /// The refund transaction in the customer's history.
    pub refund_transaction_id: Option<String>,
    /// The ticket tracking it.
    pub ticket_id: Option<String>,
    /// Filed (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl ComplaintView {
    /// Renders a complaint in the caller's language.
    pub fn new(c: &Complaint, tr: &Tr) -> Self {
        Self {
            id: c.id.clone(),
            reference: c.reference.clone(),
            payment_id: c.payment_id.clone(),
            customer_id: c.customer_id.to_string(),
            merchant_id: c.merchant_id.to_string(),
            merchant_name: c.merchant_name.clone(),
            category: c.category.as_str().into(),
            description: c.description.clone(),
            amount_minor: c.disputed.minor,
            currency: c.disputed.currency.code().into(),
            amount_display: c.disputed.to_string(),
            desired_outcome: c.desired_outcome.as_str().into(),
            state: c.state.as_str().into(),
            state_label: tr.t(&c.state.message_key()),
            open: c.state.is_open(),
            merchant_due: rfc3339(c.deadlines.merchant_due_us),
            decision_due: rfc3339(c.deadlines.decision_due_us),
            decision_due_local: local_time(c.deadlines.decision_due_us, &c.time_zone),
            escalated_at: c.escalated_at_us.map(rfc3339),
            held: c.hold_transfer_id.is_some(),
            refunded_minor: c.refunded_minor,
            refund_transaction_id: c.refund_transaction_id.clone(),
            ticket_id: c.ticket_id.clone(),
            created_at: rfc3339(c.created_at_us),
            updated_at: rfc3339(c.updated_at_us),
        }
    }
}

/// One timeline entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// `customer`, `merchant`, `agent`, `system`.
    pub actor: String,
    /// Their name.
    pub actor_name: String,
    /// `filed`, an action, `evidence_added`, `escalated`.
    pub action: String,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// Why, or the statement.
    pub note: String,
    /// Refunded by this step, minor units.
    pub amount_minor: i64,
    /// When (RFC 3339).
    pub at: String,
}

impl From<&ComplaintEvent> for EventView {
    fn from(e: &ComplaintEvent) -> Self {
        Self {
            actor: e.actor.as_str().into(),
            actor_name: e.actor_name.clone(),
            action: e.action.clone(),
            from_state: e.from_state.map(|s| s.as_str().to_owned()),
            to_state: e.to_state.as_str().into(),
            note: e.note.clone(),
            amount_minor: e.amount_minor,
            at: rfc3339(e.at_us),
        }
    }
}

/// An evidence file.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    /// Id (download at `/api/v1/complaint-evidence/{id}`).
    pub id: String,
    /// `customer`, `merchant` or `agent`.
    pub party: String,
    /// Name shown.
    pub file_name: String,
    /// Sniffed type.
    pub content_type: String,
    /// Size.
    pub size_bytes: i64,
    /// Uploaded (RFC 3339).
    pub created_at: String,
}

impl From<&Evidence> for EvidenceView {
    fn from(e: &Evidence) -> Self {
        Self {
            id: e.id.clone(),
            party: e.party.as_str().into(),
            file_name: e.file_name.clone(),
            content_type: e.content_type.clone(),
            size_bytes: e.size_bytes,
            created_at: rfc3339(e.created_at_us),
        }
    }
}

/// A complaint with its timeline and both sides' evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintDetail {
    /// The complaint.
    pub complaint: ComplaintView,
    /// Oldest first.
    pub timeline: Vec<EventView>,
    /// Oldest first.
    pub evidence: Vec<EvidenceView>,
}

/// A page of complaints.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintPage {
    /// Items.
    pub items: Vec<ComplaintView>,
    /// Pass back as `cursor` for more.
    pub next_cursor: Option<String>,
}

async fn detail(state: &AppState, c: &Complaint, tr: &Tr) -> Result<ComplaintDetail, ApiError> {
    let timeline = state.repo.complaint_events(&c.id).await?;
    let evidence = state.repo.complaint_evidence(&c.id).await?;
    Ok(ComplaintDetail {
        complaint: ComplaintView::new(c, tr),
        timeline: timeline.iter().map(EventView::from).collect(),
        evidence: evidence.iter().map(EvidenceView::from).collect(),
    })
}

// ---------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------

/// File a complaint about one of my payments. The disputed amount is held from the
/// merchant's settlement until a decision; deadlines follow the amount's tier.
#[utoipa::path(post, path = "/api/v1/transactions/{id}/complaints", tag = "complaints", security(("bearer" = [])), request_body = ComplaintForm,
    params(("id" = String, Path, description = "Payment transaction id"), ("Idempotency-Key" = String, Header, description = "Retry key")),
    responses(
        (status = 201, description = "Filed and sent to the merchant", body = ComplaintDetail),
        (status = 404, description = "Not the caller's transaction", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The payment already has an open complaint, or cannot be complained about", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid category, outcome, description or amount", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn file_complaint(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    key: IdempotencyKey,
    Path(id): Path<String>,
    ApiJson(form): ApiJson<ComplaintForm>,
) -> Result<Response, ApiError> {
    let route = format!("POST /api/v1/transactions/{id}/complaints");
    run_once(&state, &user.principal, &key, &route, &form, || async {
        let c = file(&state, &user.principal, &id, &form).await?;
        let tr = Tr::new(state.i18n.clone(), user.principal.locale);
        Ok((StatusCode::CREATED, detail(&state, &c, &tr).await?))
    })
    .await
}

/// Filters of the complaint list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ComplaintFilter {
    /// `open` (the queue, due soonest first), `escalated` (open and past the decision
    /// deadline) or `all` (newest first, the default).
    pub view: Option<String>,
    /// Only of this payment.
    pub payment_id: Option<String>,
    /// Page size 1–100.
    pub limit: Option<i64>,
    /// From a previous page.
    pub cursor: Option<String>,
}

/// Complaints the caller may see: a customer's own, a merchant's against it, all for
/// support staff.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints", security(("bearer" = [])),
    params(ComplaintFilter),
    responses(
        (status = 200, description = "A page of complaints", body = ComplaintPage),
        (status = 422, description = "Unknown view", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_complaints(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    ApiQuery(f): ApiQuery<ComplaintFilter>,
) -> Result<Json<ComplaintPage>, ApiError> {
    let p = &user.principal;
    let mut q = ComplaintQuery {
        payment_id: f.payment_id.filter(|s| !s.is_empty()),
        ..ComplaintQuery::default()
    };
    match f.view.as_deref().unwrap_or("all") {
        "all" | "" => {}
        "open" => q.open_only = true,
        "escalated" => q.escalated_only = true,
        _ => {
            return Err(
                ValidationError::field("view", "invalid_value", "open, escalated or all").into(),
            );
        }
    }
    match p.role {
        Role::Customer => q.customer_id = p.customer_id().cloned(),
        Role::Merchant => {
            q.merchant_id = Some(p.merchant_id.clone().ok_or(ApiError::Forbidden)?);
        }
        _ => {}
    }
    let cursor = f.cursor.as_deref().map(Cursor::decode).transpose()?;
    let page = state
        .repo
        .complaints(&q, cursor.as_ref(), Limit::parse(f.limit)?)
        .await?;
    let tr = Tr::new(state.i18n.clone(), p.locale);
    Ok(Json(ComplaintPage {
        items: page
            .items
            .iter()
            .map(|c| ComplaintView::new(c, &tr))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One complaint with its timeline and both sides' evidence.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints", security(("bearer" = [])),
    params(("id" = String, Path, description = "Complaint id")),
    responses(
        (status = 200, description = "The complaint", body = ComplaintDetail),
        (status = 404, description = "No such complaint or not the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_complaint(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    Path(id): Path<String>,
) -> Result<Json<ComplaintDetail>, ApiError> {
    let c = visible_complaint(&state, &user.principal, &id).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(detail(&state, &c, &tr).await?))
}

/// Add evidence (multipart/form-data, `files`: images, PDF or plain text; the type is
/// sniffed from the bytes) to my side of a complaint.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/evidence", tag = "complaints", security(("bearer" = [])),
    params(("id" = String, Path, description = "Complaint id")),
    request_body(content_type = "multipart/form-data", description = "files"),
    responses(
        (status = 201, description = "Stored", body = Vec<EvidenceView>),
        (status = 404, description = "No such complaint or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The complaint is closed", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, too large, too many, or an unsupported type", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_evidence(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    Path(id): Path<String>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Vec<EvidenceView>>), ApiError> {
    let c = visible_complaint(&state, &user.principal, &id).await?;
    let form = form.map_err(|_| ApiError::UnsupportedMediaType)?;
    let (uploads, _) = read_uploads(form).await?;
    if uploads.is_empty() {
        return Err(ValidationError::field("files", "required", "attach at least one file").into());
    }
    let stored = add_evidence_files(&state, &user.principal, &c, uploads).await?;
    Ok((
        StatusCode::CREATED,
        Json(stored.iter().map(EvidenceView::from).collect()),
    ))
}

/// Download an evidence file (always as an attachment, never rendered).
#[utoipa::path(get, path = "/api/v1/complaint-evidence/{id}", tag = "complaints", security(("bearer" = [])),
    params(("id" = String, Path, description = "Evidence id")),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, description = "No such file or not the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn download_evidence(
    State(state): State<AppState>,
    user: ApiUser<SignedIn>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    evidence_download(&state, &user.principal, &id).await
}

/// Why the customer withdraws.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// Optional words.
    #[serde(default)]
    pub reason: String,
}

/// Withdraw my complaint: the held amount goes back to the merchant.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/withdraw", tag = "complaints", security(("bearer" = [])), request_body = WithdrawBody,
    params(("id" = String, Path, description = "Complaint id")),
    responses(
        (status = 200, description = "Withdrawn", body = ComplaintView),
        (status = 404, description = "Not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already closed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn withdraw(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WithdrawBody>,
) -> Result<Json<ComplaintView>, ApiError> {
    let c = visible_complaint(&state, &user.principal, &id).await?;
    let done = withdraw_complaint(&state, &user.principal, &c, &body.reason).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(ComplaintView::new(&done, &tr)))
}

/// The merchant's response.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    /// `true`: accept and refund the disputed amount now; `false`: contest.
    pub accept: bool,
    /// The merchant's statement (1–4000 characters).
    pub statement: String,
}

/// Respond to a complaint against my merchant: accept (refund) or contest.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/merchant-response", tag = "complaints", security(("bearer" = [])), request_body = ResponseBody,
    params(("id" = String, Path, description = "Complaint id")),
    responses(
        (status = 200, description = "Recorded; an acceptance refunds at once", body = ComplaintView),
        (status = 404, description = "Not against the caller's merchant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not waiting for the merchant", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A statement is required", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn respond(
    State(state): State<AppState>,
    user: ApiUser<MerchantOnly>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResponseBody>,
) -> Result<Json<ComplaintView>, ApiError> {
    let c = visible_complaint(&state, &user.principal, &id).await?;
    let done = merchant_response(&state, &user.principal, &c, body.accept, &body.statement).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(ComplaintView::new(&done, &tr)))
}

/// An agent's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `true`: for the customer (refund); `false`: for the merchant.
    pub for_customer: bool,
    /// For the customer: the refund in minor units (default: the whole disputed amount).
    #[serde(default)]
    pub refund_minor: Option<i64>,
    /// The reason, shown on the timeline (1–4000 characters).
    pub reason: String,
}

/// Decide a complaint: the money moves in the same transaction as the decision.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/decision", tag = "complaints", security(("bearer" = [])), request_body = DecisionBody,
    params(("id" = String, Path, description = "Complaint id")),
    responses(
        (status = 200, description = "Decided", body = ComplaintView),
        (status = 404, description = "No such complaint", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not open, or not yet heard from the merchant (for the merchant)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A reason is required; refund out of range", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<ComplaintView>, ApiError> {
    let c = visible_complaint(&state, &user.principal, &id).await?;
    let done = decision(
        &state,
        &user.principal,
        &c,
        body.for_customer,
        body.refund_minor,
        &body.reason,
    )
    .await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(ComplaintView::new(&done, &tr)))
}
