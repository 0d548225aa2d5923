//! The agents' ticket pages: the list with filters and keyset pages, and one ticket with
//! its thread, what support still needs, properties, linked transactions, calls, history
//! and, for an unknown contact, identifying them as a customer. Every action is an
//! ordinary form post (same origin, this session's CSRF token, redirect after post); a
//! refused action shows the page again with the reason and what was typed. The rules are
//! the API's (`api::tickets`), called rather than copied.

use super::console::{
    CannedOption, CustomerPanel, QueueTab, agent_queues, canned_options, customer_panel,
    merge_refusal_key, queue_filters, queue_tabs,
};
use super::wallet::{TxRow, local_time, tx_row};
use super::{Chrome, PageUser, csrf_ok, error_page, render, same_origin, url_encode};
use crate::api::tickets::{
    CallBody, TicketFilter, TicketPatch, add_message_as, apply_patch, attachment_response,
    identify_contact, link_checked, log_call_by_hand, read_multipart, ticket_query, unlink,
};
use crate::auth::SupportStaff;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::tickets::{may_see, visible_ticket};
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::repo::CustomerQuery;
use domain::ticket::{
    CallLog, CallState, Category, Channel, Contact, DeliveryState, LinkKind, Priority, Requester,
    Ticket, TicketEvent, TicketLink, TicketMessage, TicketRuleError, TicketStatus, Visibility,
};
use domain::wallet::TransactionQuery;
use domain::{AccountStatus, Cursor, Customer, Limit, Phone, Principal, Staff, ValidationError};
use serde::Deserialize;
use std::collections::HashMap;

/// Tickets per list page.
const PAGE_SIZE: i64 = 25;
/// The customer's transactions offered for linking.
const RECENT_TRANSACTIONS: i64 = 20;
/// Customers shown for a search in the "this is customer …" form.
const CUSTOMER_MATCHES: i64 = 10;
/// Pages of 100 read for the assignee list: far more agents than any operator has.
const STAFF_PAGES: usize = 20;
/// Times in the list, and on tickets of unknown contacts, are shown in the operator's
/// home zone; a known customer's ticket is shown in the customer's own zone, like their
/// transactions.
const CONSOLE_TIME_ZONE: &str = "Asia/Jakarta";
/// What "active" means in the list: every status that still needs someone.
const ACTIVE: [TicketStatus; 4] = [
    TicketStatus::New,
    TicketStatus::Open,
    TicketStatus::PendingCustomer,
    TicketStatus::OnHold,
];

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/tickets", get(list))
        .route("/staff/tickets/{number}", get(show))
        .route("/staff/tickets/{number}/reply", post(reply))
        .route("/staff/tickets/{number}/{action}", post(act))
        .route("/staff/attachments/{id}", get(download))
}

// ------------------------------------------------------------------ labels

/// An option of a `<select>`, a checkbox or a radio button.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

fn choice(value: &str, label: String, current: &str) -> Choice {
    Choice {
        value: value.to_owned(),
        label,
        selected: value == current,
    }
}

/// A code enum shown to staff under a translated label.
trait Labelled: Copy + 'static {
    /// Every value, in the order lists show them.
    fn all() -> &'static [Self];
    /// The stored code.
    fn code(self) -> &'static str;
    /// Message key of the label.
    fn key(self) -> String;
    /// The label in the page's language.
    fn label(self, tr: &Tr) -> String {
        tr.t(&self.key())
    }
}

macro_rules! labelled {
    ($($t:ty => $prefix:literal),+ $(,)?) => {$(
        impl Labelled for $t {
            fn all() -> &'static [Self] {
                <$t>::ALL
            }
            fn code(self) -> &'static str {
                self.as_str()
            }
            fn key(self) -> String {
                format!(concat!($prefix, "{}"), self.as_str())
            }
        }
    )+};
}

labelled!(
    Channel => "ticket-channel-",
    Category => "ticket-category-",
    Priority => "ticket-priority-",
    CallState => "staff-ticket-call-",
);

impl Labelled for TicketStatus {
    fn all() -> &'static [Self] {
        TicketStatus::ALL
    }
    fn code(self) -> &'static str {
        self.as_str()
    }
    fn key(self) -> String {
        match self {
            // "Waiting for your reply" is the customer's wording.
            TicketStatus::PendingCustomer => "staff-ticket-status-pending_customer".into(),
            other => format!("ticket-status-{}", other.as_str()),
        }
    }
}

/// The options of a `<select>` over every value of `T`.
fn choices<T: Labelled>(tr: &Tr, current: &str) -> Vec<Choice> {
    T::all()
        .iter()
        .map(|v| choice(v.code(), v.label(tr), current))
        .collect()
}

/// Every support staff account (agents, supervisors, admins), for assignee names and
/// the assignee list.
async fn support_staff(state: &AppState) -> Result<Vec<Staff>, ApiError> {
    let mut out = Vec::new();
    let mut cursor: Option<Cursor> = None;
    for _ in 0..STAFF_PAGES {
        let page = state
            .repo
            .list_staff(None, cursor.as_ref(), Limit::parse(Some(100))?)
            .await?;
        out.extend(page.items.into_iter().filter(|s| s.role.is_support_staff()));
        match page.next_cursor {
            Some(c) => cursor = Some(Cursor::decode(&c)?),
            None => break,
        }
    }
    Ok(out)
}

fn staff_names(staff: &[Staff]) -> HashMap<String, String> {
    staff
        .iter()
        .map(|s| (s.id.to_string(), s.display_name.as_str().to_owned()))
        .collect()
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

// -------------------------------------------------------------------- list

/// The list's filters as the form sends them: `status` may repeat.
#[derive(Default, Clone)]
struct ListForm {
    statuses: Vec<String>,
    channel: String,
    category: String,
    assignee: String,
    q: String,
    cursor: String,
    /// The console's queue tab: `mine`, `unassigned`, `group`, or all.
    queue: String,
    /// Any group's tickets.
    group: String,
    /// `updated` for most recently updated first; the queue order otherwise.
    sort: String,
    /// A notice after taking the next ticket (`empty`, `no-group`).
    note: String,
}

impl ListForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = ListForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "status" if !v.is_empty() => f.statuses.push(v),
                "channel" => f.channel = v,
                "category" => f.category = v,
                "assignee" => f.assignee = v,
                "q" => f.q = v.chars().take(200).collect(),
                "cursor" => f.cursor = v,
                "queue" => f.queue = v,
                "group" => f.group = v,
                "sort" => f.sort = v,
                "note" => f.note = v,
                _ => {}
            }
        }
        f
    }

    /// The preset in force (`active`, `all`, or "" for statuses ticked one by one) and the
    /// statuses it means (empty: any). Nothing chosen means active: that is the queue.
    fn statuses(&self) -> (&'static str, Vec<String>) {
        if self.statuses.iter().any(|s| s == "all") {
            ("all", Vec::new())
        } else if self.statuses.is_empty() || self.statuses.iter().any(|s| s == "active") {
            (
                "active",
                ACTIVE.iter().map(|s| s.as_str().to_owned()).collect(),
            )
        } else {
            ("", self.statuses.clone())
        }
    }

    /// Whether the search is a ticket number (`1042` or `#1042`).
    fn is_number_search(&self) -> bool {
        let t = self.q.trim().trim_start_matches('#');
        !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
    }

    /// This list's address with other statuses (`None`: as now) and a cursor.
    fn href(&self, statuses: Option<&[&str]>, cursor: &str) -> String {
        let own: Vec<&str> = self.statuses.iter().map(String::as_str).collect();
        let mut pairs: Vec<(&str, &str)> = statuses
            .unwrap_or(&own)
            .iter()
            .map(|s| ("status", *s))
            .collect();
        pairs.extend([
            ("channel", self.channel.as_str()),
            ("category", self.category.as_str()),
            ("assignee", self.assignee.as_str()),
            ("q", self.q.as_str()),
            ("queue", self.queue.as_str()),
            ("group", self.group.as_str()),
            ("sort", self.sort.as_str()),
            ("cursor", cursor),
        ]);
        format!("/staff/tickets?{}", query_string(&pairs))
    }

    /// This list's address in another queue tab, from its first page.
    fn queue_href(&self, queue: &str) -> String {
        let other = ListForm {
            queue: queue.to_owned(),
            ..self.clone()
        };
        other.href(None, "")
    }
}

struct TicketRow {
    number: i64,
    subject: String,
    requester: String,
    unknown: bool,
    channel: String,
    category: String,
    status: String,
    status_code: &'static str,
    priority: String,
    priority_code: &'static str,
    assignee: String,
    updated: String,
    /// The earliest running SLA due time, in the console's zone ("" when none runs).
    due: String,
    /// The same in µs for scripts and tests ("" when none runs).
    due_us: String,
    /// Whether that due time has passed.
    overdue: bool,
}

#[derive(Template)]
#[template(path = "staff_tickets.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    preset: &'static str,
    /// Whether filters under "more filters" are in use, so they show.
    more_open: bool,
    status_boxes: Vec<Choice>,
    channels: Vec<Choice>,
    categories: Vec<Choice>,
    assignees: Vec<Choice>,
    active_href: String,
    all_href: String,
    rows: Vec<TicketRow>,
    next_href: String,
    first_href: String,
    /// The agent's queues as tabs with their sizes.
    tabs: Vec<QueueTab>,
    queue: String,
    groups: Vec<Choice>,
    sorts: Vec<Choice>,
    /// Whether round robin may assign the agent tickets, and whether they have a group
    /// (to take the next ticket from).
    available: bool,
    has_group: bool,
    note: String,
}

async fn list(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let form = ListForm::from_pairs(pairs);
    let tr = &user.ctx.tr;
    let (preset, statuses) = form.statuses();
    // A number finds that ticket whatever its status: agents are read numbers on the phone.
    let status_filter = if form.is_number_search() {
        String::new()
    } else {
        statuses.join(",")
    };
    // A tampered cursor shows the first page rather than an error.
    let cursor = Some(form.cursor.as_str())
        .filter(|c| !c.is_empty())
        .and_then(|c| Cursor::decode(c).ok());
    let loaded = async {
        let queues = agent_queues(&state, &user.principal).await?;
        // A queue tab is a preset of the filters; a filter chosen by hand wins.
        let (assignee, group) = queue_filters(&form.queue, queues.group.as_ref());
        let filter = TicketFilter {
            status: Some(status_filter),
            channel: Some(form.channel.clone()),
            category: Some(form.category.clone()),
            assignee: Some(match assignee {
                Some(a) if form.assignee.is_empty() => a.to_owned(),
                _ => form.assignee.clone(),
            }),
            group: Some(match group {
                Some(g) if form.group.is_empty() => g,
                _ => form.group.clone(),
            }),
            q: Some(form.q.clone()),
            sort: Some(
                if form.sort == "updated" {
                    "updated"
                } else {
                    "queue"
                }
                .into(),
            ),
            limit: None,
            cursor: None,
        };
        let query = ticket_query(&user.principal, &filter)?;
        let page = state
            .repo
            .tickets(&query, cursor.as_ref(), Limit::parse(Some(PAGE_SIZE))?)
            .await?;
        let names = staff_names(&support_staff(&state).await?);
        let groups = state.repo.groups().await?;
        Ok::<_, ApiError>((page, names, queues, groups))
    };
    let (page, names, queues, groups) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&state, locale, &e),
    };
    let now = crate::now_us();
    let rows = page
        .items
        .iter()
        .map(|t| TicketRow {
            number: t.number,
            subject: t.subject.clone(),
            requester: t.requester_name.clone(),
            unknown: matches!(t.requester, Requester::Contact(_)),
            channel: t.channel.label(tr),
            category: t.category.label(tr),
            status: t.status.label(tr),
            status_code: t.status.as_str(),
            priority: t.priority.label(tr),
            priority_code: t.priority.as_str(),
            assignee: t
                .assignee_id
                .as_ref()
                .and_then(|a| names.get(a.as_str()).cloned())
                .unwrap_or_default(),
            updated: local_time(t.updated_at_us, CONSOLE_TIME_ZONE),
            due: t
                .sla
                .next_due_us
                .map(|d| local_time(d, CONSOLE_TIME_ZONE))
                .unwrap_or_default(),
            due_us: t.sla.next_due_us.map(|d| d.to_string()).unwrap_or_default(),
            overdue: t.sla.next_due_us.is_some_and(|d| d <= now),
        })
        .collect();
    let ticked: Vec<&str> = if preset == "all" {
        TicketStatus::ALL.iter().map(|s| s.as_str()).collect()
    } else {
        statuses.iter().map(String::as_str).collect()
    };
    let page = ListPage {
        q: form.q.clone(),
        preset,
        more_open: preset.is_empty() || !form.channel.is_empty() || !form.category.is_empty(),
        status_boxes: TicketStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: s.label(tr),
                selected: ticked.contains(&s.as_str()),
            })
            .collect(),
        channels: choices::<Channel>(tr, &form.channel),
        categories: choices::<Category>(tr, &form.category),
        assignees: vec![
            choice("", tr.t("staff-tickets-assignee-anyone"), &form.assignee),
            choice("me", tr.t("staff-tickets-assignee-me"), &form.assignee),
            choice(
                "none",
                tr.t("staff-tickets-assignee-unassigned"),
                &form.assignee,
            ),
        ],
        active_href: form.href(Some(&["active"]), ""),
        all_href: form.href(Some(&["all"]), ""),
        next_href: page
            .next_cursor
            .map(|c| form.href(None, &c))
            .unwrap_or_default(),
        first_href: if cursor.is_some() {
            form.href(None, "")
        } else {
            String::new()
        },
        rows,
        tabs: queue_tabs(tr, &queues, current_queue(&form.queue), |q| {
            form.queue_href(q)
        }),
        queue: form.queue.clone(),
        groups: std::iter::once(choice("", tr.t("staff-tickets-any"), &form.group))
            .chain(
                groups
                    .iter()
                    .map(|g| choice(g.id.as_str(), g.name.clone(), &form.group)),
            )
            .collect(),
        sorts: vec![
            choice("", tr.t("console-sort-queue"), &form.sort),
            choice("updated", tr.t("console-sort-updated"), &form.sort),
        ],
        available: queues.available,
        has_group: queues.group.is_some(),
        note: match form.note.as_str() {
            "empty" | "no-group" => tr.t(&format!("console-note-{}", form.note)),
            _ => String::new(),
        },
        chrome: user.ctx.chrome(),
    };
    render(&state, locale, &page)
}

/// The tab shown for a `queue=` value (anything unknown is the whole list).
fn current_queue(queue: &str) -> &'static str {
    match queue {
        "mine" => "mine",
        "unassigned" => "unassigned",
        "group" => "group",
        _ => "all",
    }
}

// ------------------------------------------------------------------ ticket

/// What an agent typed in the reply form.
#[derive(Default)]
struct ReplyDraft {
    body: String,
    internal: bool,
    status: String,
}

/// The outcome of the last action, shown on the page: what was done, or why not and
/// what was typed.
#[derive(Default)]
struct Feedback {
    /// Message key of what was done.
    done: &'static str,
    /// Why the action was refused (translated).
    error: String,
    /// The form it was refused in: `reply`, `properties`, `link`, `call`, `merge`.
    form: &'static str,
    reply: ReplyDraft,
    /// What was typed in the refused urlencoded form.
    kept: Option<ActionForm>,
    /// A canned response picked without JavaScript: it fills the reply.
    canned: String,
}

struct MessageRow {
    author: String,
    author_kind: String,
    internal: bool,
    body: String,
    at: String,
    delivery_code: &'static str,
    delivery: String,
    delivery_error: String,
    attachments: Vec<(String, String, String)>,
}

struct LinkRow {
    kind: &'static str,
    kind_label: String,
    record_id: String,
    tx: Option<TxRow>,
}

struct CallRow {
    at: String,
    from_number: String,
    state_code: &'static str,
    state: String,
    minutes: String,
    agent: String,
    ivr_choice: String,
    summary: String,
    recording_url: String,
}

struct EventRow {
    at: String,
    actor: String,
    field: String,
    old_value: String,
    new_value: String,
}

#[derive(Template)]
#[template(path = "staff_ticket.html")]
struct TicketPage {
    chrome: Chrome,
    number: i64,
    subject: String,
    requester: String,
    customer_href: String,
    unknown: bool,
    contact_facts: Vec<(String, String)>,
    channel: String,
    social: bool,
    status_code: &'static str,
    status: String,
    priority_code: &'static str,
    priority: String,
    category: String,
    assignee: String,
    tags: String,
    opened: String,
    updated: String,
    /// Each SLA target's due time and badge, in the console's zone.
    sla: Vec<super::sla::SlaRow>,
    missing: Vec<String>,
    messages: Vec<MessageRow>,
    done: String,
    error: String,
    error_form: &'static str,
    reply: ReplyDraft,
    reply_statuses: Vec<Choice>,
    statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    categories: Vec<Choice>,
    groups: Vec<Choice>,
    assignees: Vec<Choice>,
    tags_draft: String,
    links: Vec<LinkRow>,
    can_link: bool,
    recent: Vec<Choice>,
    calls: Vec<CallRow>,
    events: Vec<EventRow>,
    find: String,
    matches: Vec<Customer>,
    searched: bool,
    /// What was typed in a refused link, call or merge form; the call form's number
    /// starts as the requester's.
    typed: ActionForm,
    /// Who the requester is and their money, beside the thread.
    panel: CustomerPanel,
    /// Canned responses in the ticket's language.
    canned: Vec<CannedOption>,
    /// The ticket's language, named in itself.
    ticket_language: &'static str,
    /// Whether this ticket can still be merged (closed tickets never change).
    mergeable: bool,
}

#[derive(Debug, Default, Deserialize)]
struct ShowQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    find: Option<String>,
    #[serde(default)]
    canned: String,
}

/// Message key of a `done=` code in the address after a form.
fn done_key(done: &str) -> &'static str {
    match done {
        "replied" => "staff-ticket-done-replied",
        "noted" => "staff-ticket-done-noted",
        "saved" => "staff-ticket-done-saved",
        "linked" => "staff-ticket-done-linked",
        "unlinked" => "staff-ticket-done-unlinked",
        "call" => "staff-ticket-done-call",
        "merged" => "staff-ticket-done-merged",
        "merged-from" => "console-merge-done",
        "taken" => "console-taken-done",
        _ => "",
    }
}

async fn show(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Path(number): Path<String>,
    Query(sq): Query<ShowQuery>,
) -> Response {
    let fb = Feedback {
        done: done_key(&sq.done),
        canned: sq.canned,
        ..Feedback::default()
    };
    ticket_response(&state, &user, &number, fb, sq.find, StatusCode::OK).await
}

/// The ticket page with `fb`, answered with `status`.
async fn ticket_response(
    state: &AppState,
    user: &PageUser<SupportStaff>,
    number: &str,
    fb: Feedback,
    find: Option<String>,
    status: StatusCode,
) -> Response {
    let locale = user.ctx.tr.locale;
    match ticket_page(state, user, number, fb, find).await {
        Ok(page) => {
            let mut resp = render(state, locale, &page);
            if resp.status() == StatusCode::OK {
                *resp.status_mut() = status;
            }
            resp
        }
        Err(e) => error_page(state, locale, &e),
    }
}

/// Everything the page shows, read for one ticket.
struct Loaded {
    ticket: Ticket,
    messages: Vec<TicketMessage>,
    events: Vec<TicketEvent>,
    calls: Vec<CallLog>,
    staff: Vec<Staff>,
    groups: Vec<domain::SupportGroup>,
    contact: Option<Contact>,
    customer: Option<Customer>,
    time_zone: String,
}

async fn load(
    state: &AppState,
    user: &PageUser<SupportStaff>,
    number: &str,
) -> Result<Loaded, ApiError> {
    let ticket = visible_ticket(state, &user.principal, number).await?;
    let contact = match &ticket.contact_id {
        Some(id) => state.repo.contact(id).await.ok(),
        None => None,
    };
    let customer = match ticket.customer_id() {
        Some(id) => Some(state.repo.customer(id).await?),
        None => None,
    };
    let time_zone = match &customer {
        Some(c) => state.repo.region(&c.region_id).await?.time_zone,
        None => CONSOLE_TIME_ZONE.to_owned(),
    };
    Ok(Loaded {
        messages: state.repo.ticket_messages(&ticket.id).await?,
        events: state.repo.ticket_events(&ticket.id).await?,
        calls: state.repo.ticket_calls(&ticket.id).await?,
        staff: support_staff(state).await?,
        groups: state.repo.groups().await?,
        ticket,
        contact,
        customer,
        time_zone,
    })
}

async fn ticket_page(
    state: &AppState,
    user: &PageUser<SupportStaff>,
    number: &str,
    fb: Feedback,
    find: Option<String>,
) -> Result<TicketPage, ApiError> {
    let tr = &user.ctx.tr;
    let l = load(state, user, number).await?;
    let t = &l.ticket;
    let tz = l.time_zone.as_str();
    let mut names = staff_names(&l.staff);
    names.extend(l.groups.iter().map(|g| (g.id.to_string(), g.name.clone())));

    let links = link_rows(state, tr, t, tz).await;
    let recent = match &l.customer {
        Some(c) => recent_choices(state, tr, c, t, tz).await?,
        None => Vec::new(),
    };
    let unknown = matches!(t.requester, Requester::Contact(_));
    let contact_hint = l
        .contact
        .as_ref()
        .and_then(|c| c.email.clone().or_else(|| c.phone.clone()))
        .unwrap_or_default();
    let searched = find.is_some();
    let find = find
        .unwrap_or(contact_hint)
        .chars()
        .take(100)
        .collect::<String>();
    let matches = if unknown && searched {
        customer_matches(state, &find).await?
    } else {
        Vec::new()
    };

    let panel = customer_panel(state, tr, t, l.customer.as_ref(), l.contact.as_ref()).await?;
    let canned = canned_options(state, t, &user.principal.display_name, &fb.canned).await?;
    let mut fb = fb;
    if fb.reply.body.is_empty()
        && let Some(c) = canned.iter().find(|c| c.selected)
    {
        fb.reply.body = c.body.clone();
    }
    let kept = fb.kept.unwrap_or_default();
    let props = if fb.form == "properties" {
        kept.clone()
    } else {
        ActionForm {
            status: t.status.as_str().into(),
            priority: t.priority.as_str().into(),
            category: t.category.as_str().into(),
            group: t
                .group_id
                .as_ref()
                .map(|g| g.to_string())
                .unwrap_or_default(),
            assignee: t
                .assignee_id
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            tags: t.tags.join(", "),
            ..ActionForm::default()
        }
    };
    let mut groups = vec![choice("", tr.t("staff-ticket-none"), &props.group)];
    groups.extend(
        l.groups
            .iter()
            .map(|g| choice(g.id.as_str(), g.name.clone(), &props.group)),
    );
    let mut assignees = vec![choice("", tr.t("staff-ticket-unassigned"), &props.assignee)];
    assignees.extend(
        l.staff
            .iter()
            // A suspended agent stays listed only while the ticket is still theirs.
            .filter(|s| s.status == AccountStatus::Active || s.id.as_str() == props.assignee)
            .map(|s| {
                choice(
                    s.id.as_str(),
                    s.display_name.as_str().to_owned(),
                    &props.assignee,
                )
            }),
    );
    let mut reply_statuses = vec![choice(
        "",
        tr.t("staff-ticket-reply-keep-status"),
        &fb.reply.status,
    )];
    reply_statuses.extend(
        TicketStatus::ALL
            .iter()
            .filter(|s| **s != TicketStatus::New)
            .map(|s| choice(s.as_str(), s.label(tr), &fb.reply.status)),
    );
    let typed = if fb.form == "call" {
        kept
    } else {
        ActionForm {
            from_number: l
                .customer
                .as_ref()
                .and_then(|c| c.phone.as_ref().map(|p| p.as_str().to_owned()))
                .or_else(|| l.contact.as_ref().and_then(|c| c.phone.clone()))
                .unwrap_or_default(),
            ..kept
        }
    };

    Ok(TicketPage {
        number: t.number,
        subject: t.subject.clone(),
        requester: t.requester_name.clone(),
        customer_href: t
            .customer_id()
            .map(|c| format!("/staff/customers/{c}"))
            .unwrap_or_default(),
        unknown,
        contact_facts: contact_facts(tr, l.contact.as_ref()),
        channel: t.channel.label(tr),
        social: t.channel.is_social(),
        status_code: t.status.as_str(),
        status: t.status.label(tr),
        priority_code: t.priority.as_str(),
        priority: t.priority.label(tr),
        category: t.category.label(tr),
        assignee: t
            .assignee_id
            .as_ref()
            .and_then(|a| names.get(a.as_str()).cloned())
            .unwrap_or_else(|| tr.t("staff-ticket-unassigned")),
        tags: t.tags.join(", "),
        opened: local_time(t.created_at_us, tz),
        updated: local_time(t.updated_at_us, tz),
        sla: super::sla::badges(tr, &t.sla, crate::now_us(), CONSOLE_TIME_ZONE),
        missing: t
            .missing()
            .into_iter()
            .map(|m| tr.t(m.message_key()))
            .collect(),
        messages: l.messages.iter().map(|m| message_row(tr, m, tz)).collect(),
        done: if fb.done.is_empty() {
            String::new()
        } else {
            tr.t(fb.done)
        },
        error: fb.error,
        error_form: fb.form,
        reply: fb.reply,
        reply_statuses,
        statuses: choices::<TicketStatus>(tr, &props.status),
        priorities: choices::<Priority>(tr, &props.priority),
        categories: choices::<Category>(tr, &props.category),
        groups,
        assignees,
        tags_draft: props.tags,
        links,
        can_link: t.customer_id().is_some(),
        recent,
        calls: l
            .calls
            .iter()
            .map(|c| call_row(tr, c, tz, &names))
            .collect(),
        events: l
            .events
            .iter()
            .rev()
            .map(|e| event_row(tr, e, tz, &names))
            .collect(),
        find,
        matches,
        searched,
        typed,
        panel,
        canned,
        ticket_language: t.locale.native_name(),
        mergeable: t.status != TicketStatus::Closed,
        chrome: user.ctx.chrome(),
    })
}

fn contact_facts(tr: &Tr, contact: Option<&Contact>) -> Vec<(String, String)> {
    let Some(c) = contact else {
        return Vec::new();
    };
    let mut facts = vec![(
        tr.t("staff-ticket-contact-identity"),
        format!("{} · {}", c.channel.label(tr), c.external_id),
    )];
    if let Some(e) = &c.email {
        facts.push((tr.t("col-email"), e.clone()));
    }
    if let Some(p) = &c.phone {
        facts.push((tr.t("col-phone"), p.clone()));
    }
    facts
}

fn message_row(tr: &Tr, m: &TicketMessage, tz: &str) -> MessageRow {
    let delivery_code = match m.delivery {
        DeliveryState::NotApplicable => "",
        other => other.as_str(),
    };
    MessageRow {
        author: m.author_name.clone(),
        author_kind: tr.t(&format!("staff-ticket-author-{}", m.author_kind.as_str())),
        internal: m.visibility == Visibility::Internal,
        body: m.body.clone(),
        at: local_time(m.created_at_us, tz),
        delivery_code,
        delivery: if delivery_code.is_empty() {
            String::new()
        } else {
            tr.t(&format!("staff-ticket-delivery-{delivery_code}"))
        },
        delivery_error: m.delivery_error.clone().unwrap_or_default(),
        attachments: m
            .attachments
            .iter()
            .map(|a| {
                let kb = (a.size_bytes + 1023) / 1024;
                (a.id.clone(), a.file_name.clone(), format!("{kb} KB"))
            })
            .collect(),
    }
}

fn call_row(tr: &Tr, c: &CallLog, tz: &str, names: &HashMap<String, String>) -> CallRow {
    let minutes = match (c.answered_at_us, c.ended_at_us) {
        (Some(a), Some(e)) => ((e - a).max(0) / 60_000_000).to_string(),
        _ => String::new(),
    };
    CallRow {
        at: local_time(c.started_at_us, tz),
        from_number: c.from_number.clone(),
        state_code: c.state.as_str(),
        state: c.state.label(tr),
        minutes,
        agent: c
            .agent_id
            .as_ref()
            .and_then(|a| names.get(a.as_str()).cloned())
            .unwrap_or_default(),
        ivr_choice: c.ivr_choice.clone().unwrap_or_default(),
        summary: c.summary.clone(),
        // The provider's address; anything but https is not offered as a link.
        recording_url: c
            .recording_url
            .clone()
            .filter(|u| u.starts_with("https://"))
            .unwrap_or_default(),
    }
}

fn event_row(tr: &Tr, e: &TicketEvent, tz: &str, names: &HashMap<String, String>) -> EventRow {
    let field = match e.field.as_str() {
        f @ ("status" | "priority" | "category" | "group_id" | "assignee_id" | "tags"
        | "subject" | "link" | "requester" | "rating" | "call" | "merged_into"
        | "merged_from" | "sla_warning" | "sla_breach" | "sla_escalation") => {
            tr.t(&format!("staff-ticket-field-{f}"))
        }
        other => other.to_owned(),
    };
    EventRow {
        at: local_time(e.at_us, tz),
        actor: e.actor_name.clone(),
        field,
        old_value: event_value(tr, &e.field, &e.old_value, names),
        new_value: event_value(tr, &e.field, &e.new_value, names),
    }
}

/// A history value as people read it: labels for codes, names for ids.
fn event_value(tr: &Tr, field: &str, raw: &str, names: &HashMap<String, String>) -> String {
    if raw.is_empty() {
        return String::new();
    }
    let label = match field {
        "status" => TicketStatus::parse(raw).map(|s| s.label(tr)),
        "priority" => Priority::parse(raw).map(|p| p.label(tr)),
        "category" => Category::parse(raw).map(|c| c.label(tr)),
        "call" => CallState::parse(raw).map(|s| s.label(tr)),
        "group_id" | "assignee_id" => names.get(raw).cloned(),
        "tags" => serde_json::from_str::<Vec<String>>(raw)
            .ok()
            .map(|t| t.join(", ")),
        "merged_into" | "merged_from" => Some(format!("#{raw}")),
        "sla_warning" | "sla_breach" | "sla_escalation" => {
            domain::sla::SlaTarget::parse(raw).map(|t| tr.t(&crate::sla::target_key(t)))
        }
        _ => None,
    };
    label.unwrap_or_else(|| raw.to_owned())
}

/// Linked records; a transaction shows its reference, amount and status and links to
/// the staff transaction page.
async fn link_rows(state: &AppState, tr: &Tr, t: &Ticket, tz: &str) -> Vec<LinkRow> {
    let mut rows = Vec::new();
    for l in &t.links {
        let tx = match l.kind {
            LinkKind::Transaction => state
                .repo
                .transaction(&l.record_id)
                .await
                .ok()
                .map(|tx| tx_row(&tx, tr, tz, "/staff/tx/")),
            _ => None,
        };
        rows.push(LinkRow {
            kind: l.kind.as_str(),
            kind_label: tr.t(&format!("staff-ticket-link-{}", l.kind.as_str())),
            record_id: l.record_id.clone(),
            tx,
        });
    }
    rows
}

/// The customer's most recent transactions not linked yet, for the link form.
async fn recent_choices(
    state: &AppState,
    tr: &Tr,
    customer: &Customer,
    t: &Ticket,
    tz: &str,
) -> Result<Vec<Choice>, ApiError> {
    let q = TransactionQuery {
        customer_id: Some(customer.id.clone()),
        ..TransactionQuery::default()
    };
    let page = state
        .repo
        .transactions(&q, None, Limit::parse(Some(RECENT_TRANSACTIONS))?)
        .await?;
    Ok(page
        .items
        .iter()
        .filter(|tx| !t.links.iter().any(|l| l.record_id == tx.id))
        .map(|tx| {
            let row = tx_row(tx, tr, tz, "");
            Choice {
                value: tx.id.clone(),
                label: format!(
                    "{} · {} · {} · {} · {}",
                    row.date, row.reference, row.description, row.amount, row.status
                ),
                selected: false,
            }
        })
        .collect())
}

/// Customers matching an email, phone number (local form accepted) or name.
async fn customer_matches(state: &AppState, find: &str) -> Result<Vec<Customer>, ApiError> {
    let find = find.trim();
    if find.is_empty() {
        return Ok(Vec::new());
    }
    // Phones are stored in E.164; people type 0812…
    let text = match Phone::parse(find) {
        Ok(p) if !find.contains('@') => p.as_str().to_owned(),
        _ => find.to_owned(),
    };
    let query = CustomerQuery {
        text: Some(text),
        region_id: None,
    };
    Ok(state
        .repo
        .list_customers(&query, None, Limit::parse(Some(CUSTOMER_MATCHES))?)
        .await?
        .items)
}

// ------------------------------------------------------------------- forms

/// The checks every post starts with: same origin, this session's CSRF token, and a
/// ticket the agent may see.
async fn posted_ticket(
    state: &AppState,
    user: &PageUser<SupportStaff>,
    headers: &HeaderMap,
    csrf: &str,
    number: &str,
) -> Result<Ticket, Response> {
    let locale = user.ctx.tr.locale;
    let token_ok = user.ctx.auth.as_ref().is_some_and(|a| csrf_ok(a, csrf));
    if !same_origin(headers) || !token_ok {
        return Err(error_page(state, locale, &ApiError::Forbidden));
    }
    visible_ticket(state, &user.principal, number)
        .await
        .map_err(|e| error_page(state, locale, &e))
}

/// Message key of a field's error: pages translate by field, the API's English text is
/// for API clients.
fn field_error_key(field: &str) -> &'static str {
    match field {
        "body" => "staff-ticket-error-body",
        "files" => "staff-ticket-error-files",
        "tags" => "staff-ticket-error-tags",
        "status" | "priority" | "category" | "group_id" | "assignee_id" => {
            "staff-ticket-error-choice"
        }
        "record_id" | "kind" => "staff-ticket-error-record",
        "phone" => "staff-ticket-error-phone",
        "summary" => "staff-ticket-error-summary",
        "state" => "staff-ticket-error-call-state",
        "duration_minutes" => "staff-ticket-error-minutes",
        "customer_id" => "staff-ticket-error-customer",
        "into" => "console-merge-error-into",
        _ => "staff-ticket-error-invalid",
    }
}

/// Message key of a refusal by the ticket rules, recognised by the rule's own text
/// (storage checks the rules inside its transaction and reports them as invalid state).
fn rule_key(message: &str) -> &'static str {
    let rules = [
        (TicketRuleError::Closed, "staff-ticket-rule-closed"),
        (TicketRuleError::BackToNew, "staff-ticket-rule-back-to-new"),
        (
            TicketRuleError::CloseUnsolved,
            "staff-ticket-rule-close-unsolved",
        ),
    ];
    rules
        .iter()
        .find(|(rule, _)| rule.to_string() == message)
        .map_or("staff-ticket-error-state", |(_, key)| key)
}

/// A refusal an agent can act on, as a status and a readable message; anything else is
/// an error page.
fn refusal(tr: &Tr, e: &ApiError) -> Option<(StatusCode, String)> {
    match e {
        ApiError::Validation(v) => {
            let mut keys: Vec<&str> = v.errors.iter().map(|f| field_error_key(&f.field)).collect();
            keys.dedup();
            let text = keys.iter().map(|k| tr.t(k)).collect::<Vec<_>>().join(" ");
            Some((StatusCode::UNPROCESSABLE_ENTITY, text))
        }
        ApiError::InvalidState(message) => Some((
            StatusCode::CONFLICT,
            tr.t(merge_refusal_key(message).unwrap_or_else(|| rule_key(message))),
        )),
        _ => None,
    }
}

/// Back to the ticket after a form: redirect on success, or the page again with the
/// reason and what was typed.
async fn finish<T>(
    state: &AppState,
    user: &PageUser<SupportStaff>,
    ticket: &Ticket,
    result: Result<T, ApiError>,
    done: &str,
    mut fb: Feedback,
) -> Response {
    let e = match result {
        Ok(_) => {
            return Redirect::to(&format!("/staff/tickets/{}?done={done}", ticket.number))
                .into_response();
        }
        Err(e) => e,
    };
    match refusal(&user.ctx.tr, &e) {
        Some((status, message)) => {
            fb.error = message;
            let number = ticket.number.to_string();
            ticket_response(state, user, &number, fb, None, status).await
        }
        None => error_page(state, user.ctx.tr.locale, &e),
    }
}

/// The reply form: multipart, for files. The CSRF token is the form's first field, so a
/// forged post is refused before any file is stored.
async fn reply(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    headers: HeaderMap,
    Path(number): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let Ok(mut form) = form else {
        return error_page(&state, locale, &ApiError::UnsupportedMediaType);
    };
    let csrf = match form.next_field().await {
        Ok(Some(field)) if field.name() == Some("csrf") => field.text().await.unwrap_or_default(),
        _ => String::new(),
    };
    let ticket = match posted_ticket(&state, &user, &headers, &csrf, &number).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let fb = |reply: ReplyDraft| Feedback {
        form: "reply",
        reply,
        ..Feedback::default()
    };
    let m = match read_multipart(&state, form).await {
        Ok(m) => m,
        Err(e) => {
            return finish(
                &state,
                &user,
                &ticket,
                Err::<(), _>(e),
                "",
                fb(ReplyDraft::default()),
            )
            .await;
        }
    };
    let result = add_message_as(
        &state,
        &user.principal,
        &ticket.id,
        &m.body,
        m.internal,
        Some(m.status.as_str()),
        m.attachments,
    )
    .await;
    let done = if m.internal { "noted" } else { "replied" };
    let draft = ReplyDraft {
        body: m.body,
        internal: m.internal,
        status: m.status,
    };
    finish(&state, &user, &ticket, result, done, fb(draft)).await
}

/// The fields of every urlencoded form on the ticket page; each action reads its own.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
struct ActionForm {
    csrf: String,
    // properties
    status: String,
    priority: String,
    category: String,
    group: String,
    assignee: String,
    /// Comma-separated.
    tags: String,
    // links: picked from the customer's recent transactions, or typed (an id or a
    // reference, which wins over the pick); unlink names the link.
    transaction: String,
    reference: String,
    kind: String,
    record_id: String,
    // calls
    from_number: String,
    summary: String,
    /// `ended` or `missed`.
    state: String,
    /// Whole minutes talked, as typed.
    minutes: String,
    // merge
    customer_id: String,
    /// Merge this ticket into the ticket with this number.
    into: String,
}

/// One posted action on one ticket.
struct Action<'a> {
    state: &'a AppState,
    principal: &'a Principal,
    ticket: &'a Ticket,
    form: &'a ActionForm,
}

/// The urlencoded forms of the ticket page: `properties`, `links`, `unlink`, `calls`,
/// `merge`.
async fn act(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    headers: HeaderMap,
    Path((number, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let ticket = match posted_ticket(&state, &user, &headers, &form.csrf, &number).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let a = Action {
        state: &state,
        principal: &user.principal,
        ticket: &ticket,
        form: &form,
    };
    let result = match action.as_str() {
        "properties" => save_properties(&a).await,
        "links" => link(&a).await,
        "unlink" => unlink_record(&a).await,
        "calls" => log_call(&a).await,
        "merge" => merge(&a).await,
        // Merged: the conversation continues on the other ticket, so that is where to go.
        "merge-into" => match merge_ticket(&a).await {
            Ok(target) => {
                return Redirect::to(&format!(
                    "/staff/tickets/{}?done=merged-from",
                    target.number
                ))
                .into_response();
            }
            Err(e) => Err(e),
        },
        _ => return error_page(&state, user.ctx.tr.locale, &ApiError::RouteNotFound),
    };
    let (done, form_name) = done_and_form(&action);
    let fb = Feedback {
        form: form_name,
        kept: Some(form),
        ..Feedback::default()
    };
    finish(&state, &user, &ticket, result, done, fb).await
}

/// The `done=` code of an action and the form it belongs to on the page.
fn done_and_form(action: &str) -> (&'static str, &'static str) {
    match action {
        "properties" => ("saved", "properties"),
        "links" => ("linked", "link"),
        "unlink" => ("unlinked", "link"),
        "calls" => ("call", "call"),
        "merge-into" => ("merged-from", "merge-ticket"),
        _ => ("merged", "merge"),
    }
}

async fn save_properties(a: &Action<'_>) -> Result<(), ApiError> {
    let f = a.form;
    let patch = TicketPatch {
        status: Some(f.status.clone()),
        priority: Some(f.priority.clone()),
        category: Some(f.category.clone()),
        group_id: Some(f.group.clone()),
        assignee_id: Some(f.assignee.clone()),
        tags: Some(
            f.tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        subject: None,
    };
    apply_patch(a.state, a.principal, a.ticket, &patch).await?;
    Ok(())
}

/// The transaction an agent means: an id, or a reference among the ticket customer's
/// transactions (another customer's reference is simply not found).
async fn transaction_for(state: &AppState, ticket: &Ticket, raw: &str) -> Result<String, ApiError> {
    let raw = raw.trim();
    let not_found = || ValidationError::field("record_id", "not_found", "no such transaction");
    if raw.is_empty() {
        return Err(not_found().into());
    }
    if uuid::Uuid::parse_str(raw).is_ok() {
        return Ok(raw.to_owned());
    }
    let customer = ticket.customer_id().ok_or_else(not_found)?;
    let q = TransactionQuery {
        customer_id: Some(customer.clone()),
        text: Some(raw.chars().take(100).collect()),
        ..TransactionQuery::default()
    };
    let page = state
        .repo
        .transactions(&q, None, Limit::parse(Some(RECENT_TRANSACTIONS))?)
        .await?;
    page.items
        .iter()
        .find(|t| t.reference.eq_ignore_ascii_case(raw))
        .map(|t| t.id.clone())
        .ok_or_else(|| not_found().into())
}

async fn link(a: &Action<'_>) -> Result<(), ApiError> {
    let raw = if a.form.reference.trim().is_empty() {
        &a.form.transaction
    } else {
        &a.form.reference
    };
    let link = TicketLink {
        kind: LinkKind::Transaction,
        record_id: transaction_for(a.state, a.ticket, raw).await?,
    };
    link_checked(a.state, a.principal, a.ticket, &link).await?;
    Ok(())
}

async fn unlink_record(a: &Action<'_>) -> Result<(), ApiError> {
    let f = a.form;
    unlink(a.state, a.principal, a.ticket, &f.kind, &f.record_id).await?;
    Ok(())
}

async fn log_call(a: &Action<'_>) -> Result<(), ApiError> {
    let f = a.form;
    let minutes = f.minutes.trim();
    let duration_minutes = if minutes.is_empty() {
        0
    } else {
        minutes.parse::<i64>().map_err(|_| {
            ValidationError::field("duration_minutes", "invalid_format", "whole minutes")
        })?
    };
    let body = CallBody {
        from_number: f.from_number.clone(),
        summary: f.summary.clone(),
        state: f.state.clone(),
        duration_minutes,
    };
    log_call_by_hand(a.state, a.principal, a.ticket, &body).await?;
    Ok(())
}

async fn merge(a: &Action<'_>) -> Result<(), ApiError> {
    let Requester::Contact(contact) = &a.ticket.requester else {
        return Err(ApiError::InvalidState(
            "the requester is already a customer".into(),
        ));
    };
    match identify_contact(a.state, a.principal, contact, &a.form.customer_id).await {
        Ok(_) => Ok(()),
        // The contact was just read with the ticket: a missing record is the customer.
        Err(ApiError::NotFound) => {
            Err(ValidationError::field("customer_id", "not_found", "no such customer").into())
        }
        Err(e) => Err(e),
    }
}

/// Merges this ticket into the one whose number was typed.
async fn merge_ticket(a: &Action<'_>) -> Result<Ticket, ApiError> {
    let into = a.form.into.trim().trim_start_matches('#');
    let number = into
        .parse::<i64>()
        .map_err(|_| ValidationError::field("into", "invalid_format", "a ticket number"))?;
    crate::api::console::merge_into(a.state, a.principal, a.ticket, number).await
}

/// Attachments as downloads, for support staff (notes' files included).
async fn download(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Path(id): Path<String>,
) -> Response {
    let principal = &user.principal;
    match attachment_response(&state, &id, |ticket, _| may_see(principal, ticket)).await {
        Ok(resp) => resp,
        Err(e) => error_page(&state, user.ctx.tr.locale, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_refusals_are_recognised_by_their_text() {
        assert_eq!(
            rule_key(&TicketRuleError::CloseUnsolved.to_string()),
            "staff-ticket-rule-close-unsolved"
        );
        assert_eq!(
            rule_key(&TicketRuleError::Closed.to_string()),
            "staff-ticket-rule-closed"
        );
        assert_eq!(rule_key("something else"), "staff-ticket-error-state");
    }

    #[test]
    fn the_list_defaults_to_active_and_numbers_search_everything() {
        let f = ListForm::from_pairs(vec![("q".into(), "#1042".into())]);
        assert_eq!(f.statuses().0, "active");
        assert!(f.is_number_search());
        let f = ListForm::from_pairs(vec![
            ("status".into(), "solved".into()),
            ("status".into(), "closed".into()),
            ("q".into(), "saldo".into()),
        ]);
        assert_eq!(f.statuses(), ("", vec!["solved".into(), "closed".into()]));
        assert!(!f.is_number_search());
        assert_eq!(
            f.href(None, "abc"),
            "/staff/tickets?status=solved&status=closed&q=saldo&cursor=abc"
        );
        let f = ListForm::from_pairs(vec![("status".into(), "all".into())]);
        assert_eq!(f.statuses(), ("all", vec![]));
    }
}
