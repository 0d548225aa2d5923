//! Support tickets over the API: customers open and follow their own (the app), guests
//! open one with an email or phone, support staff work all of them.

use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::idempotency::{IdempotencyKey, run_once};
use crate::api::views::{PageParams, rfc3339};
use crate::auth::{ApiUser, CustomerOnly, CustomerOrSupport, SupportStaff};
use crate::error::{ApiError, Problem};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::tickets::{self, Author, GuestForm, TicketForm};
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use domain::repo::Deflection;
use domain::ticket::{
    Attachment, CallLog, CallState, Category, Channel, LinkKind, Priority, Rating, Requester,
    Ticket, TicketChanges, TicketEvent, TicketLink, TicketMessage, TicketQuery, TicketStatus,
    Visibility, parse_subject, parse_tags,
};
use domain::{CustomerId, GroupId, Locale, Principal, Role, StaffId, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who a ticket is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequesterView {
    /// `customer` or `contact` (not yet identified).
    pub kind: String,
    /// Customer or contact id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// A wallet record linked to a ticket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkView {
    /// `transaction`, `refund`, `flag`, `complaint`, `card`.
    pub kind: String,
    /// The record's id.
    pub record_id: String,
}

/// Something support still needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct MissingView {
    /// `transaction`, `transaction_time_and_amount`, `customer_identity`.
    pub code: String,
    /// In the caller's language.
    pub message: String,
}

/// A satisfaction rating.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingView {
    /// 1–5.
    pub score: u8,
    /// Words.
    pub comment: String,
    /// When (RFC 3339).
    pub rated_at: String,
}

/// A ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    /// Id.
    pub id: String,
    /// Human number.
    pub number: i64,
    /// Who it is for.
    pub requester: RequesterView,
    /// `web`, `app`, `messenger`, `x`, `phone`.
    pub channel: String,
    /// Category.
    pub category: String,
    /// Category in the caller's language.
    pub category_label: String,
    /// Subject.
    pub subject: String,
    /// `new`, `open`, `pending_customer`, `on_hold`, `solved`, `closed`.
    pub status: String,
    /// Status in the caller's language.
    pub status_label: String,
    /// `low`, `normal`, `high`, `urgent`.
    pub priority: String,
    /// Group id.
    pub group_id: Option<String>,
    /// Assignee id.
    pub assignee_id: Option<String>,
    /// Labels.
    pub tags: Vec<String>,
    /// Linked wallet records.
    pub links: Vec<LinkView>,
    /// Reported transaction time (RFC 3339), for unknown contacts.
    pub reported_at: Option<String>,
    /// Reported amount in minor units, for unknown contacts.
    pub reported_amount_minor: Option<i64>,
    /// What support still needs (staff only; empty for customers).
    pub missing: Vec<MissingView>,
    /// The rating, once given.
    pub rating: Option<RatingView>,
    /// Opened (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// Staff: when the first response is due (RFC 3339), while that clock runs.
    pub first_response_due: Option<String>,
    /// Staff: when the next response is due, while a customer waits for one.
    pub next_response_due: Option<String>,
    /// Staff: when resolution is due, while that clock runs.
    pub resolution_due: Option<String>,
    /// Staff: `none`, `active`, `paused`, `breached` or `met`.
    pub sla_state: Option<String>,
}

impl TicketView {
    /// Renders a ticket for a caller (staff see what is missing).
    pub fn new(t: &Ticket, tr: &Tr, staff: bool) -> Self {
        let requester = match &t.requester {
            Requester::Customer(id) => ("customer", id.to_string()),
            Requester::Contact(id) => ("contact", id.clone()),
        };
        Self {
            id: t.id.clone(),
            number: t.number,
            requester: RequesterView {
                kind: requester.0.into(),
                id: requester.1,
                name: t.requester_name.clone(),
            },
            channel: t.channel.as_str().into(),
            category: t.category.as_str().into(),
            category_label: tr.t(&format!("ticket-category-{}", t.category.as_str())),
            subject: t.subject.clone(),
            status: t.status.as_str().into(),
            status_label: tr.t(&format!("ticket-status-{}", t.status.as_str())),
            priority: t.priority.as_str().into(),
            group_id: t.group_id.as_ref().map(|g| g.to_string()),
            assignee_id: t.assignee_id.as_ref().map(|a| a.to_string()),
            tags: t.tags.clone(),
            links: t
                .links
                .iter()
                .map(|l| LinkView {
                    kind: l.kind.as_str().into(),
                    record_id: l.record_id.clone(),
                })
                .collect(),
            reported_at: t.reported.at_us.map(rfc3339),
            reported_amount_minor: t.reported.amount_minor,
            missing: if staff {
                t.missing()
                    .into_iter()
                    .map(|m| MissingView {
                        code: serde_json::to_value(m)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                        message: tr.t(m.message_key()),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            rating: t.rating.as_ref().map(|r| RatingView {
                score: r.score,
                comment: r.comment.clone(),
                rated_at: rfc3339(r.rated_at_us),
            }),
            created_at: rfc3339(t.created_at_us),
            updated_at: rfc3339(t.updated_at_us),
            // SLA internals are support's business, not the customer's.
            first_response_due: t.sla.first_response_due_us.filter(|_| staff).map(rfc3339),
            next_response_due: t.sla.next_response_due_us.filter(|_| staff).map(rfc3339),
            resolution_due: t.sla.resolution_due_us.filter(|_| staff).map(rfc3339),
            sla_state: staff.then(|| t.sla.state(crate::now_us()).as_str().to_owned()),
        }
    }
}

/// A file on a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    /// Id; download from `/api/v1/attachments/{id}`.
    pub id: String,
    /// Name as uploaded (display only).
    pub file_name: String,
    /// Sniffed content type.
    pub content_type: String,
    /// Bytes.
    pub size_bytes: i64,
}

impl From<&Attachment> for AttachmentView {
    fn from(a: &Attachment) -> Self {
        Self {
            id: a.id.clone(),
            file_name: a.file_name.clone(),
            content_type: a.content_type.clone(),
            size_bytes: a.size_bytes,
        }
    }
}

/// A message in a thread.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// Id.
    pub id: String,
    /// `customer`, `contact`, `staff`, `system`.
    pub author_kind: String,
    /// Name.
    pub author_name: String,
    /// `public` or `internal` (staff only).
    pub visibility: String,
    /// Text.
    pub body: String,
    /// Channel.
    pub channel: String,
    /// `not_applicable`, `queued`, `sent`, `failed`.
    pub delivery: String,
    /// Last delivery error (staff only).
    pub delivery_error: Option<String>,
    /// Files.
    pub attachments: Vec<AttachmentView>,
    /// Written (RFC 3339).
    pub created_at: String,
}

impl MessageView {
    /// Renders a message; delivery errors are for staff.
    pub fn new(m: &TicketMessage, staff: bool) -> Self {
        Self {
            id: m.id.clone(),
            author_kind: m.author_kind.as_str().into(),
            author_name: m.author_name.clone(),
            visibility: m.visibility.as_str().into(),
            body: m.body.clone(),
            channel: m.channel.as_str().into(),
            delivery: m.delivery.as_str().into(),
            delivery_error: if staff {
                m.delivery_error.clone()
            } else {
                None
            },
            attachments: m.attachments.iter().map(AttachmentView::from).collect(),
            created_at: rfc3339(m.created_at_us),
        }
    }
}

/// One change in the history.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Who (`customer`, `contact`, `staff`, `system`).
    pub actor_kind: String,
    /// Their name.
    pub actor_name: String,
    /// What changed.
    pub field: String,
    /// Before.
    pub old_value: String,
    /// After.
    pub new_value: String,
    /// When (RFC 3339).
    pub at: String,
}

impl From<&TicketEvent> for EventView {
    fn from(e: &TicketEvent) -> Self {
        Self {
            actor_kind: e.actor_kind.as_str().into(),
            actor_name: e.actor_name.clone(),
            field: e.field.clone(),
            old_value: e.old_value.clone(),
            new_value: e.new_value.clone(),
            at: rfc3339(e.at_us),
        }
    }
}

/// A phone call on a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallView {
    /// Id.
    pub id: String,
    /// Provider's call id (empty when logged by hand).
    pub call_id: String,
    /// Caller.
    pub from_number: String,
    /// `ringing`, `in_menu`, `answered`, `ended`, `missed`.
    pub state: String,
    /// Menu digit.
    pub ivr_choice: Option<String>,
    /// Agent.
    pub agent_id: Option<String>,
    /// Started (RFC 3339).
    pub started_at: String,
    /// Seconds talked, once ended.
    pub duration_secs: Option<i64>,
    /// Recording.
    pub recording_url: Option<String>,
    /// Agent's summary.
    pub summary: String,
}

impl From<&CallLog> for CallView {
    fn from(c: &CallLog) -> Self {
        Self {
            id: c.id.clone(),
            call_id: c.call_id.clone(),
            from_number: c.from_number.clone(),
            state: c.state.as_str().into(),
            ivr_choice: c.ivr_choice.clone(),
            agent_id: c.agent_id.as_ref().map(|a| a.to_string()),
            started_at: rfc3339(c.started_at_us),
            duration_secs: match (c.answered_at_us, c.ended_at_us) {
                (Some(a), Some(e)) => Some((e - a).max(0) / 1_000_000),
                _ => None,
            },
            recording_url: c.recording_url.clone(),
            summary: c.summary.clone(),
        }
    }
}

/// A ticket with its thread; staff also get notes, history and calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    /// The ticket.
    pub ticket: TicketView,
    /// Messages, oldest first (customers see public ones only).
    pub messages: Vec<MessageView>,
    /// Who changed what (staff only).
    pub events: Vec<EventView>,
    /// Phone calls (staff only).
    pub calls: Vec<CallView>,
}

/// The thread and, for staff, history and calls.
pub async fn detail(
    state: &AppState,
    ticket: &Ticket,
    tr: &Tr,
    staff: bool,
) -> Result<TicketDetail, ApiError> {
    let messages = state.repo.ticket_messages(&ticket.id).await?;
    let (events, calls) = if staff {
        (
            state.repo.ticket_events(&ticket.id).await?,
            state.repo.ticket_calls(&ticket.id).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(TicketDetail {
        ticket: TicketView::new(ticket, tr, staff),
        messages: messages
            .iter()
            .filter(|m| staff || m.visibility == Visibility::Public)
            .map(|m| MessageView::new(m, staff))
            .collect(),
        events: events.iter().map(EventView::from).collect(),
        calls: calls.iter().map(CallView::from).collect(),
    })
}

/// A guest's way back.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestBody {
    /// Name.
    pub name: String,
    /// Email (this or phone).
    #[serde(default)]
    pub email: Option<String>,
    /// Phone, E.164 or Indonesian local form (this or email).
    #[serde(default)]
    pub phone: Option<String>,
}

/// A new ticket.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketBody {
    /// Category.
    pub category: String,
    /// Subject.
    pub subject: String,
    /// The message.
    pub body: String,
    /// A transaction from the customer's history (failed transaction, refund, complaint).
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// Guests: when the transaction happened (RFC 3339).
    #[serde(default)]
    pub reported_at: Option<String>,
    /// Guests: how much, in rupiah.
    #[serde(default)]
    pub reported_amount: Option<String>,
    /// Anonymous callers: name and email or phone.
    #[serde(default)]
    pub guest: Option<GuestBody>,
    /// Staff: the customer the ticket is for.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// Staff: the channel the customer used (default `phone`).
    #[serde(default)]
    pub channel: Option<String>,
    /// Guests: language for our replies (`en`, `id`, `zh-CN`).
    #[serde(default)]
    pub locale: Option<String>,
}

impl NewTicketBody {
    fn form(&self) -> TicketForm {
        TicketForm {
            category: self.category.clone(),
            subject: self.subject.clone(),
            body: self.body.clone(),
            transaction_id: self.transaction_id.clone(),
            reported_at: self.reported_at.clone(),
            reported_amount: self.reported_amount.clone(),
        }
    }
}

/// A ticket just opened; guests get the key of their private link once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTicket {
    /// The ticket.
    #[serde(flatten)]
    pub ticket: TicketView,
    /// Guests only: open `/support/guest/{access_key}` to follow the ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
}

/// Open a ticket: customers (bearer token, e.g. the app) for themselves, support staff for
/// a customer (`customer_id`), anonymous callers as guests (`guest`).
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = NewTicketBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key (required when signed in)")),
    responses(
        (status = 201, description = "Opened", body = CreatedTicket),
        (status = 401, description = "An invalid or expired token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input (each failing field listed)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_ticket(
    State(state): State<AppState>,
    user: Option<ApiUser<crate::auth::SignedIn>>,
    key: Result<IdempotencyKey, ApiError>,
    ApiJson(req): ApiJson<NewTicketBody>,
) -> Result<Response, ApiError> {
    let Some(user) = user else {
        let guest = req.guest.as_ref().ok_or_else(|| {
            ValidationError::field("guest", "required", "your name and an email or phone")
        })?;
        let locale = req
            .locale
            .as_deref()
            .and_then(Locale::parse)
            .unwrap_or(Locale::Id);
        let (ticket, access_key) = tickets::open_for_guest(
            &state,
            &GuestForm {
                name: guest.name.clone(),
                email: guest.email.clone(),
                phone: guest.phone.clone(),
            },
            &req.form(),
            locale,
        )
        .await?;
        let tr = Tr::new(state.i18n.clone(), locale);
        let body = CreatedTicket {
            ticket: TicketView::new(&ticket, &tr, false),
            access_key: Some(access_key),
        };
        return Ok((StatusCode::CREATED, Json(body)).into_response());
    };
    let key = key?;
    let principal = user.principal.clone();
    run_once(
        &state,
        &principal,
        &key,
        "POST /api/v1/tickets",
        &req,
        || async {
            let tr = Tr::new(state.i18n.clone(), principal.locale);
            let ticket = match principal.role {
                Role::Customer => {
                    tickets::open_for_customer(
                        &state,
                        &principal,
                        Channel::App,
                        &req.form(),
                        Vec::new(),
                    )
                    .await?
                }
                r if r.is_support_staff() => open_on_behalf(&state, &principal, &req).await?,
                _ => {
                    return Err(ValidationError::field(
                        "customer_id",
                        "not_allowed",
                        "merchant staff do not open support tickets",
                    )
                    .into());
                }
            };
            let staff = principal.role != Role::Customer;
            Ok((
                StatusCode::CREATED,
                CreatedTicket {
                    ticket: TicketView::new(&ticket, &tr, staff),
                    access_key: None,
                },
            ))
        },
    )
    .await
}

/// An agent opens a ticket for a customer who called or wrote elsewhere.
async fn open_on_behalf(
    state: &AppState,
    agent: &Principal,
    req: &NewTicketBody,
) -> Result<Ticket, ApiError> {
    let customer_id = req
        .customer_id
        .as_deref()
        .and_then(CustomerId::parse)
        .ok_or_else(|| ValidationError::field("customer_id", "required", "the customer's id"))?;
    let customer = state
        .repo
        .customer(&customer_id)
        .await
        .map_err(|_| ValidationError::field("customer_id", "not_found", "no such customer"))?;
    let channel = match req.channel.as_deref() {
        None => Channel::Phone,
        Some(c) => Channel::parse(c).ok_or_else(|| {
            ValidationError::field(
                "channel",
                "invalid_value",
                "web, app, messenger, x or phone",
            )
        })?,
    };
    // The customer's own view decides which transaction may be linked.
    let as_customer = Principal {
        user: domain::UserId::Customer(customer.id.clone()),
        role: Role::Customer,
        display_name: customer.display_name.as_str().to_owned(),
        merchant_id: None,
        locale: customer.locale,
    };
    let mut ticket =
        tickets::open_for_customer(state, &as_customer, channel, &req.form(), Vec::new()).await?;
    let actor = tickets::actor_of(agent);
    ticket = state
        .repo
        .update_ticket(
            &ticket.id,
            &TicketChanges {
                assignee_id: Some(StaffId::parse(agent.user.as_str())),
                ..Default::default()
            },
            &actor,
            crate::now_us(),
        )
        .await?;
    Ok(ticket)
}

/// Filters of the ticket list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TicketFilter {
    /// Comma-separated statuses.
    pub status: Option<String>,
    /// Channel.
    pub channel: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Staff: assignee id, or `me`, or `none` for unassigned.
    pub assignee: Option<String>,
    /// Staff: group id.
    pub group: Option<String>,
    /// Staff: text in subject or requester name, or a ticket number.
    pub q: Option<String>,
    /// `updated` (most recently updated first, the default) or, for staff, `queue`: the
    /// agents' queue order, most urgent first.
    pub sort: Option<String>,
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of tickets.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketPage {
    /// In the order asked for (most recently updated first by default).
    pub items: Vec<TicketView>,
    /// Next page.
    pub next_cursor: Option<String>,
}

/// Builds the query of a ticket list, scoped to the caller: customers only ever get theirs.
pub fn ticket_query(principal: &Principal, f: &TicketFilter) -> Result<TicketQuery, ApiError> {
    let mut q = TicketQuery::default();
    let mut errors = Vec::new();
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        for part in s.split(',') {
            match TicketStatus::parse(part.trim()) {
                Some(st) => q.statuses.push(st),
                None => errors.push(ValidationError::field(
                    "status",
                    "invalid_value",
                    format!("unknown status {part:?}"),
                )),
            }
        }
    }
    if let Some(c) = f.channel.as_deref().filter(|s| !s.is_empty()) {
        q.channel = Channel::parse(c);
        if q.channel.is_none() {
            errors.push(ValidationError::field(
                "channel",
                "invalid_value",
                "unknown channel",
            ));
        }
    }
    if let Some(c) = f.category.as_deref().filter(|s| !s.is_empty()) {
        q.category = Category::parse(c);
        if q.category.is_none() {
            errors.push(ValidationError::field(
                "category",
                "invalid_value",
                "unknown category",
            ));
        }
    }
    match principal.role {
        Role::Customer => {
            q.customer_id = principal.customer_id().cloned();
        }
        _ => {
            match f.assignee.as_deref().filter(|s| !s.is_empty()) {
                Some("me") => q.assignee_id = Some(StaffId::from_string(principal.user.as_str())),
                Some("none") => q.unassigned = true,
                Some(id) => match StaffId::parse(id) {
                    Some(s) => q.assignee_id = Some(s),
                    None => errors.push(ValidationError::field(
                        "assignee",
                        "invalid_value",
                        "a staff id, me or none",
                    )),
                },
                None => {}
            }
            if let Some(g) = f.group.as_deref().filter(|s| !s.is_empty()) {
                match GroupId::parse(g) {
                    Some(g) => q.group_id = Some(g),
                    None => errors.push(ValidationError::field(
                        "group",
                        "invalid_value",
                        "a group id",
                    )),
                }
            }
            q.text = f.q.as_deref().map(|t| t.chars().take(200).collect());
            match f.sort.as_deref().unwrap_or_default() {
                "" | "updated" => {}
                "queue" => q.sort = domain::console::TicketSort::Queue,
                _ => errors.push(ValidationError::field(
                    "sort",
                    "invalid_value",
                    "updated or queue",
                )),
            }
        }
    }
    ValidationError::collect(errors.into_iter().map(Some))?;
    Ok(q)
}

/// Tickets: a customer's own, or (support staff) all with filters, most recently updated first.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])),
    params(TicketFilter),
    responses(
        (status = 200, description = "A page of tickets", body = TicketPage),
        (status = 422, description = "Unknown filter value", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_tickets(
    State(state): State<AppState>,
    user: ApiUser<CustomerOrSupport>,
    ApiQuery(f): ApiQuery<TicketFilter>,
) -> Result<Json<TicketPage>, ApiError> {
    let (limit, cursor) = PageParams {
        limit: f.limit,
        cursor: f.cursor.clone(),
    }
    .parse()?;
    let q = ticket_query(&user.principal, &f)?;
    let page = state.repo.tickets(&q, cursor.as_ref(), limit).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    let staff = user.principal.role != Role::Customer;
    Ok(Json(TicketPage {
        items: page
            .items
            .iter()
            .map(|t| TicketView::new(t, &tr, staff))
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One ticket with its thread (by id or number).
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id or number")),
    responses(
        (status = 200, description = "The ticket", body = TicketDetail),
        (status = 404, description = "No such ticket or not the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_ticket(
    State(state): State<AppState>,
    user: ApiUser<CustomerOrSupport>,
    Path(id): Path<String>,
) -> Result<Json<TicketDetail>, ApiError> {
    let ticket = tickets::visible_ticket(&state, &user.principal, &id).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    let staff = user.principal.role != Role::Customer;
    Ok(Json(detail(&state, &ticket, &tr, staff).await?))
}

/// Staff changes to a ticket; omitted fields stay as they are.
#[derive(Debug, Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    /// New status.
    pub status: Option<String>,
    /// New priority.
    pub priority: Option<String>,
    /// New category.
    pub category: Option<String>,
    /// Group id, or `""` to clear.
    pub group_id: Option<String>,
    /// Assignee (staff id), or `""` to clear.
    pub assignee_id: Option<String>,
    /// Replaces all tags.
    pub tags: Option<Vec<String>>,
    /// New subject.
    pub subject: Option<String>,
}

/// Checks a patch against the directory: groups and assignees must exist, assignees must
/// be support staff.
pub async fn parse_patch(state: &AppState, p: &TicketPatch) -> Result<TicketChanges, ApiError> {
    let mut errors: Vec<Option<ValidationError>> = Vec::new();
    let mut c = TicketChanges::default();
    if let Some(s) = &p.status {
        c.status = TicketStatus::parse(s);
        errors.push(
            c.status
                .is_none()
                .then(|| ValidationError::field("status", "invalid_value", "unknown status")),
        );
    }
    if let Some(s) = &p.priority {
        c.priority = Priority::parse(s);
        errors.push(c.priority.is_none().then(|| {
            ValidationError::field("priority", "invalid_value", "low, normal, high or urgent")
        }));
    }
    if let Some(s) = &p.category {
        c.category = Category::parse(s);
        errors.push(
            c.category
                .is_none()
                .then(|| ValidationError::field("category", "invalid_value", "unknown category")),
        );
    }
    if let Some(tags) = &p.tags {
        match parse_tags(tags) {
            Ok(t) => c.tags = Some(t),
            Err(e) => errors.push(Some(e)),
        }
    }
    if let Some(s) = &p.subject {
        match parse_subject(s) {
            Ok(s) => c.subject = Some(s),
            Err(e) => errors.push(Some(e)),
        }
    }
    if let Some(g) = &p.group_id {
        if g.is_empty() {
            c.group_id = Some(None);
        } else {
            let groups = state.repo.groups().await?;
            match groups.iter().find(|x| x.id.as_str() == g) {
                Some(found) => c.group_id = Some(Some(found.id.clone())),
                None => errors.push(Some(ValidationError::field(
                    "group_id",
                    "not_found",
                    "no such group",
                ))),
            }
        }
    }
    if let Some(a) = &p.assignee_id {
        if a.is_empty() {
            c.assignee_id = Some(None);
        } else {
            let staff = match StaffId::parse(a) {
                Some(id) => state.repo.staff(&id).await.ok(),
                None => None,
            };
            match staff {
                Some(s) if s.role.is_support_staff() => c.assignee_id = Some(Some(s.id)),
                _ => errors.push(Some(ValidationError::field(
                    "assignee_id",
                    "not_found",
                    "no such agent",
                ))),
            }
        }
    }
    ValidationError::collect(errors)?;
    Ok(c)
}

/// Change status, priority, category, group, assignee, tags or subject; each change is
/// recorded in the history.
#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", security(("bearer" = [])), request_body = TicketPatch,
    params(("id" = String, Path, description = "Ticket id or number")),
    responses(
        (status = 200, description = "Changed", body = TicketView),
        (status = 409, description = "Closed, or a status change the rules forbid", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid values", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn patch_ticket(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<TicketPatch>,
) -> Result<Json<TicketView>, ApiError> {
    let before = tickets::visible_ticket(&state, &user.principal, &id).await?;
    let after = apply_patch(&state, &user.principal, &before, &p).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(TicketView::new(&after, &tr, true)))
}

/// Checks and applies staff changes to a ticket (API and console pages); solving asks
/// the customer for a rating.
pub async fn apply_patch(
    state: &AppState,
    principal: &Principal,
    before: &Ticket,
    p: &TicketPatch,
) -> Result<Ticket, ApiError> {
    let changes = parse_patch(state, p).await?;
    let after = state
        .repo
        .update_ticket(
            &before.id,
            &changes,
            &tickets::actor_of(principal),
            crate::now_us(),
        )
        .await?;
    if after.status == TicketStatus::Solved && before.status != TicketStatus::Solved {
        tickets::ask_for_rating(state, &after).await?;
    }
    Ok(after)
}

/// A reply or an internal note.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    /// Text.
    pub body: String,
    /// Staff: an internal note, not shown to the customer.
    #[serde(default)]
    pub internal: bool,
    /// Staff: set this status with the reply (e.g. `pending_customer`, `solved`).
    #[serde(default)]
    pub status: Option<String>,
}

/// What adding a message did.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageAdded {
    /// The message.
    pub message: MessageView,
    /// The ticket after it.
    pub ticket: TicketView,
}

/// Adds a reply or note as a signed-in principal (API and console pages).
pub async fn add_message_as(
    state: &AppState,
    principal: &Principal,
    id: &str,
    body: &str,
    internal: bool,
    status: Option<&str>,
    attachments: Vec<Attachment>,
) -> Result<MessageAdded, ApiError> {
    let ticket = tickets::visible_ticket(state, principal, id).await?;
    let status =
        match status.filter(|s| !s.is_empty()) {
            Some(s) => Some(TicketStatus::parse(s).ok_or_else(|| {
                ValidationError::field("status", "invalid_value", "unknown status")
            })?),
            None => None,
        };
    let visibility = if internal {
        Visibility::Internal
    } else {
        Visibility::Public
    };
    let outcome = tickets::reply(
        state,
        Author::Signed(principal),
        &ticket,
        body,
        visibility,
        status,
        attachments,
    )
    .await?;
    let tr = Tr::new(state.i18n.clone(), principal.locale);
    let staff = principal.role != Role::Customer;
    Ok(MessageAdded {
        message: MessageView::new(&outcome.message, staff),
        ticket: TicketView::new(&outcome.ticket, &tr, staff),
    })
}

/// Reply (customers and staff) or add an internal note (staff). A customer's reply reopens
/// a solved ticket; a closed ticket takes no messages. Staff replies to Messenger and X
/// tickets are delivered to the platform through the outbox.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages", tag = "tickets", security(("bearer" = [])), request_body = MessageBody,
    params(("id" = String, Path, description = "Ticket id or number")),
    responses(
        (status = 201, description = "Added", body = MessageAdded),
        (status = 403, description = "Customers cannot write notes or set statuses", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Closed", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_message(
    State(state): State<AppState>,
    user: ApiUser<CustomerOrSupport>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MessageBody>,
) -> Result<(StatusCode, Json<MessageAdded>), ApiError> {
    let added = add_message_as(
        &state,
        &user.principal,
        &id,
        &req.body,
        req.internal,
        req.status.as_deref(),
        Vec::new(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// The parts of a multipart message: text fields and files.
#[derive(Debug, Default)]
pub struct MultipartMessage {
    /// `body` field.
    pub body: String,
    /// `internal` field (`true`/`on`).
    pub internal: bool,
    /// `status` field.
    pub status: String,
    /// Other text fields, by name.
    pub fields: std::collections::HashMap<String, String>,
    /// Stored files.
    pub attachments: Vec<Attachment>,
}

/// Reads a multipart form, storing each non-empty `files` part through the file store
/// (sniffed, size-checked). Other parts are text fields.
pub async fn read_multipart(
    state: &AppState,
    mut form: Multipart,
) -> Result<MultipartMessage, ApiError> {
    let mut out = MultipartMessage::default();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "files" {
            let file_name = field.file_name().unwrap_or("file").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
            if bytes.is_empty() && file_name.is_empty() {
                continue;
            }
            if bytes.is_empty() {
                // A file input left empty still sends a part with no bytes.
                continue;
            }
            if out.attachments.len() >= state.config.files.max_files_per_message {
                return Err(ValidationError::field(
                    "files",
                    "too_many",
                    format!(
                        "at most {} files per message",
                        state.config.files.max_files_per_message
                    ),
                )
                .into());
            }
            out.attachments
                .push(tickets::store_attachment(state, &file_name, &bytes).await?);
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
            match name.as_str() {
                "body" => out.body = text,
                "internal" => out.internal = matches!(text.as_str(), "true" | "on" | "1"),
                "status" => out.status = text,
                _ => {
                    out.fields.insert(name, text);
                }
            }
        }
    }
    Ok(out)
}

/// Reply with files (multipart/form-data: `body`, optional `internal` and `status`, and
/// up to the configured number of `files`). Images, PDF and plain text; the type is
/// sniffed from the bytes.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id or number")),
    request_body(content_type = "multipart/form-data", description = "body, internal, status, files"),
    responses(
        (status = 201, description = "Added", body = MessageAdded),
        (status = 422, description = "Too large, too many, or an unsupported type", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_attachments(
    State(state): State<AppState>,
    user: ApiUser<CustomerOrSupport>,
    Path(id): Path<String>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<MessageAdded>), ApiError> {
    // Check the ticket before storing any bytes for it.
    tickets::visible_ticket(&state, &user.principal, &id).await?;
    let form = form.map_err(|_| ApiError::UnsupportedMediaType)?;
    let m = read_multipart(&state, form).await?;
    let added = add_message_as(
        &state,
        &user.principal,
        &id,
        &m.body,
        m.internal,
        Some(m.status.as_str()),
        m.attachments,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// Download an attachment (always as a file, never rendered inline).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "Attachment id")),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 404, description = "No such file or not the caller's", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn download_attachment(
    State(state): State<AppState>,
    user: ApiUser<CustomerOrSupport>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    attachment_response(&state, &id, |ticket, message_public| {
        tickets::may_see(&user.principal, ticket)
            && (message_public || user.principal.role != Role::Customer)
    })
    .await
}

/// Serves an attachment when `allowed(ticket, on_a_public_message)` says so.
pub async fn attachment_response(
    state: &AppState,
    id: &str,
    allowed: impl Fn(&Ticket, bool) -> bool,
) -> Result<Response, ApiError> {
    uuid::Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let (ticket_id, attachment) = find_attachment(state, id).await?;
    let ticket = state.repo.ticket(&ticket_id).await?;
    let messages = state.repo.ticket_messages(&ticket_id).await?;
    let public = messages.iter().any(|m| {
        m.visibility == Visibility::Public && m.attachments.iter().any(|a| a.id == attachment.id)
    });
    if !allowed(&ticket, public) {
        return Err(ApiError::NotFound);
    }
    let bytes = state
        .files
        .get(&attachment.storage_key)
        .await
        .map_err(ApiError::Unexpected)?;
    Ok(download_response(
        bytes,
        &attachment.content_type,
        &attachment.file_name,
    ))
}

/// A file served for download only: the sniffed type, `attachment` disposition with the
/// name encoded (never trusted), `nosniff`, a sandboxing CSP, no caching.
pub fn download_response(bytes: Vec<u8>, content_type: &str, file_name: &str) -> Response {
    let mut res = bytes.into_response();
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    // RFC 6266 with RFC 5987 encoding: the name is shown, never trusted.
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"download\"; filename*=UTF-8''{encoded}"
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

async fn find_attachment(state: &AppState, id: &str) -> Result<(String, Attachment), ApiError> {
    Ok(state.repo.attachment(id).await?)
}

/// A record to link.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// `transaction`, `refund`, `flag`, `complaint`, `card`.
    pub kind: String,
    /// The record's id.
    pub record_id: String,
}

/// Checks a record kind and id.
pub fn parse_link(kind: &str, record_id: &str) -> Result<TicketLink, ApiError> {
    let kind = LinkKind::parse(kind).ok_or_else(|| {
        ValidationError::field(
            "kind",
            "invalid_value",
            "transaction, refund, flag, complaint or card",
        )
    })?;
    let record_id = record_id.trim();
    if record_id.is_empty() || record_id.len() > 100 {
        return Err(ValidationError::field("record_id", "invalid_format", "a record id").into());
    }
    Ok(TicketLink {
        kind,
        record_id: record_id.to_owned(),
    })
}

/// Link a wallet record; transactions and refunds must exist and belong to the ticket's
/// customer.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/links", tag = "tickets", security(("bearer" = [])), request_body = LinkBody,
    params(("id" = String, Path, description = "Ticket id or number")),
    responses(
        (status = 200, description = "Linked", body = TicketView),
        (status = 422, description = "Unknown kind, or not this customer's record", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn link_record(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LinkBody>,
) -> Result<Json<TicketView>, ApiError> {
    let ticket = tickets::visible_ticket(&state, &user.principal, &id).await?;
    let link = parse_link(&req.kind, &req.record_id)?;
    let t = link_checked(&state, &user.principal, &ticket, &link).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(TicketView::new(&t, &tr, true)))
}

/// Links a record after checking that transactions and refunds exist and belong to the
/// ticket's customer (API and console pages).
pub async fn link_checked(
    state: &AppState,
    principal: &Principal,
    ticket: &Ticket,
    link: &TicketLink,
) -> Result<Ticket, ApiError> {
    let owner = match link.kind {
        LinkKind::Transaction => Some(
            state
                .repo
                .transaction(&link.record_id)
                .await
                .ok()
                .map(|t| t.customer_id),
        ),
        LinkKind::Refund => Some(
            state
                .repo
                .refund(&link.record_id)
                .await
                .ok()
                .map(|r| r.customer_id),
        ),
        _ => None,
    };
    if let Some(owner) = owner
        && (owner.is_none() || owner.as_ref() != ticket.customer_id())
    {
        return Err(ValidationError::field(
            "record_id",
            "not_found",
            "no such record of this ticket's customer",
        )
        .into());
    }
    Ok(state
        .repo
        .link_record(
            &ticket.id,
            link,
            &tickets::actor_of(principal),
            crate::now_us(),
        )
        .await?)
}

/// Unlink a wallet record.
#[utoipa::path(delete, path = "/api/v1/tickets/{id}/links/{kind}/{record_id}", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "Ticket id or number"), ("kind" = String, Path, description = "Record kind"), ("record_id" = String, Path, description = "Record id")),
    responses(
        (status = 200, description = "Unlinked", body = TicketView),
    ))]
pub async fn unlink_record(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path((id, kind, record_id)): Path<(String, String, String)>,
) -> Result<Json<TicketView>, ApiError> {
    let ticket = tickets::visible_ticket(&state, &user.principal, &id).await?;
    let t = unlink(&state, &user.principal, &ticket, &kind, &record_id).await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(TicketView::new(&t, &tr, true)))
}

/// Unlinks a record (API and console pages).
pub async fn unlink(
    state: &AppState,
    principal: &Principal,
    ticket: &Ticket,
    kind: &str,
    record_id: &str,
) -> Result<Ticket, ApiError> {
    let link = parse_link(kind, record_id)?;
    Ok(state
        .repo
        .unlink_record(
            &ticket.id,
            &link,
            &tickets::actor_of(principal),
            crate::now_us(),
        )
        .await?)
}

/// A satisfaction rating.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    /// 1–5.
    pub score: i64,
    /// Optional words.
    #[serde(default)]
    pub comment: String,
}

/// Rate a solved ticket (the customer's own; rating again replaces the rating).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/rating", tag = "tickets", security(("bearer" = [])), request_body = RatingBody,
    params(("id" = String, Path, description = "Ticket id or number")),
    responses(
        (status = 200, description = "Rated", body = TicketView),
        (status = 409, description = "Not solved yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Score out of range", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn rate_ticket(
    State(state): State<AppState>,
    user: ApiUser<CustomerOnly>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RatingBody>,
) -> Result<Json<TicketView>, ApiError> {
    let ticket = tickets::visible_ticket(&state, &user.principal, &id).await?;
    let rating = Rating::parse(req.score, &req.comment, crate::now_us())?;
    let t = state
        .repo
        .rate_ticket(&ticket.id, &rating, crate::now_us())
        .await?;
    let tr = Tr::new(state.i18n.clone(), user.principal.locale);
    Ok(Json(TicketView::new(&t, &tr, false)))
}

/// A call an agent logs by hand.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallBody {
    /// The caller's number.
    pub from_number: String,
    /// What was said and agreed.
    pub summary: String,
    /// `ended` (talked) or `missed`.
    #[serde(default = "ended")]
    pub state: String,
    /// Minutes talked.
    #[serde(default)]
    pub duration_minutes: i64,
}

fn ended() -> String {
    "ended".into()
}

/// Log a phone call by hand on a ticket.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/calls", tag = "tickets", security(("bearer" = [])), request_body = CallBody,
    params(("id" = String, Path, description = "Ticket id or number")),
    responses(
        (status = 201, description = "Logged", body = CallView),
        (status = 422, description = "Invalid number or summary", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn log_call(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CallBody>,
) -> Result<(StatusCode, Json<CallView>), ApiError> {
    let ticket = tickets::visible_ticket(&state, &user.principal, &id).await?;
    let logged = log_call_by_hand(&state, &user.principal, &ticket, &req).await?;
    Ok((StatusCode::CREATED, Json(CallView::from(&logged))))
}

/// Checks and records a call an agent logs by hand (API and console pages).
pub async fn log_call_by_hand(
    state: &AppState,
    principal: &Principal,
    ticket: &Ticket,
    req: &CallBody,
) -> Result<CallLog, ApiError> {
    let phone = domain::Phone::parse(&req.from_number);
    let summary = req.summary.trim();
    let call_state =
        CallState::parse(&req.state).filter(|s| matches!(s, CallState::Ended | CallState::Missed));
    ValidationError::collect([
        phone.as_ref().err().cloned(),
        (summary.is_empty() || summary.chars().count() > 5000).then(|| {
            ValidationError::field(
                "summary",
                "required",
                "what was said (up to 5,000 characters)",
            )
        }),
        call_state
            .is_none()
            .then(|| ValidationError::field("state", "invalid_value", "ended or missed")),
        (!(0..=600).contains(&req.duration_minutes))
            .then(|| ValidationError::field("duration_minutes", "out_of_range", "0 to 600")),
    ])?;
    let now = crate::now_us();
    let talked_us = req.duration_minutes * 60_000_000;
    let answered = call_state == Some(CallState::Ended);
    let call = CallLog {
        id: String::new(),
        ticket_id: ticket.id.clone(),
        call_id: String::new(),
        from_number: phone?.as_str().to_owned(),
        state: call_state.unwrap_or(CallState::Ended),
        ivr_choice: None,
        agent_id: StaffId::parse(principal.user.as_str()),
        started_at_us: now - talked_us,
        answered_at_us: answered.then_some(now - talked_us),
        ended_at_us: Some(now),
        recording_url: None,
        summary: summary.to_owned(),
    };
    Ok(state
        .repo
        .log_call(&call, &tickets::actor_of(principal), now)
        .await?)
}

/// The customer a contact turned out to be.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// Customer id.
    pub customer_id: String,
}

/// How many tickets moved.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResult {
    /// Tickets now the customer's.
    pub tickets_moved: u64,
}

/// Identify a contact (a Messenger sender, a guest, a caller) as a customer after checking
/// who they are: their tickets become the customer's, replies still reach the channel.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/merge", tag = "tickets", security(("bearer" = [])), request_body = MergeBody,
    params(("id" = String, Path, description = "Contact id")),
    responses(
        (status = 200, description = "Merged", body = MergeResult),
        (status = 404, description = "No such contact or customer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already identified as someone else", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn merge_contact(
    State(state): State<AppState>,
    user: ApiUser<SupportStaff>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MergeBody>,
) -> Result<Json<MergeResult>, ApiError> {
    let moved = identify_contact(&state, &user.principal, &id, &req.customer_id).await?;
    Ok(Json(MergeResult {
        tickets_moved: moved,
    }))
}

/// Identifies a contact as a customer; returns how many tickets moved (API and console
/// pages).
pub async fn identify_contact(
    state: &AppState,
    principal: &Principal,
    contact_id: &str,
    customer_id: &str,
) -> Result<u64, ApiError> {
    uuid::Uuid::parse_str(contact_id).map_err(|_| ApiError::NotFound)?;
    let customer = CustomerId::parse(customer_id.trim())
        .ok_or_else(|| ValidationError::field("customer_id", "invalid_format", "a customer id"))?;
    let moved = state
        .repo
        .merge_contact(
            contact_id,
            &customer,
            &tickets::actor_of(principal),
            crate::now_us(),
        )
        .await?;
    tracing::info!(contact = %contact_id, customer = %customer, moved, by = %principal.user.as_str(), "contact identified");
    Ok(moved)
}

/// What a contact-form visitor did with the suggested articles.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeflectionBody {
    /// What they had typed (kept to 500 characters).
    pub query: String,
    /// The article that answered them, or the top suggestion.
    #[serde(default)]
    pub article_slug: Option<String>,
    /// `deflected` (left satisfied) or `continued` (sent the message anyway).
    pub outcome: String,
    /// Their language.
    #[serde(default)]
    pub locale: Option<String>,
}

/// Record whether the contact form's suggestions answered the visitor (the deflection rate).
#[utoipa::path(post, path = "/api/v1/help/deflections", tag = "help", request_body = DeflectionBody,
    responses(
        (status = 204, description = "Recorded"),
        (status = 422, description = "Unknown outcome", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn record_deflection(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<DeflectionBody>,
) -> Result<StatusCode, ApiError> {
    save_deflection(&state, &req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks and stores a deflection outcome (API and contact page).
pub async fn save_deflection(state: &AppState, req: &DeflectionBody) -> Result<(), ApiError> {
    if !matches!(req.outcome.as_str(), "deflected" | "continued") {
        return Err(
            ValidationError::field("outcome", "invalid_value", "deflected or continued").into(),
        );
    }
    let slug = req
        .article_slug
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 120)
        .map(str::to_owned);
    state
        .repo
        .record_deflection(&Deflection {
            query: req.query.trim().chars().take(500).collect(),
            article_slug: slug,
            outcome: req.outcome.clone(),
            locale: req
                .locale
                .as_deref()
                .and_then(Locale::parse)
                .unwrap_or(Locale::En),
            at_us: crate::now_us(),
        })
        .await?;
    Ok(())
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tickets", get(list_tickets).post(create_ticket))
        .route("/api/v1/tickets/{id}", get(get_ticket).patch(patch_ticket))
        .route("/api/v1/tickets/{id}/messages", post(add_message))
        .route("/api/v1/tickets/{id}/attachments", post(add_attachments))
        .route("/api/v1/tickets/{id}/links", post(link_record))
        .route(
            "/api/v1/tickets/{id}/links/{kind}/{record_id}",
            delete(unlink_record),
        )
        .route("/api/v1/tickets/{id}/rating", post(rate_ticket))
        .route("/api/v1/tickets/{id}/calls", post(log_call))
        .route("/api/v1/attachments/{id}", get(download_attachment))
        .route("/api/v1/contacts/{id}/merge", post(merge_contact))
        .route("/api/v1/help/deflections", post(record_deflection))
}
