//! The agent console around the ticket pages: the queues' counts and the availability
//! switch for the list, the customer panel and canned responses for a ticket, taking the
//! next ticket, the admins' canned-response editor and the supervisors' dashboard with
//! server-drawn SVG charts (no script, no external assets; each chart has a title, a
//! description and its numbers as a table).

use super::assets::asset;
use super::wallet::{
    TxRow, flag_reason_key, flag_status_key, local_time, refund_reason_key, refund_status_key,
    tx_row,
};
use super::{Chrome, PageUser, csrf_ok, error_page, local_date, render, safe_next, same_origin};
use crate::api::console::{staff_id_of, take_next_for};
use crate::auth::{AdminOnly, SupervisorOrAdmin, SupportStaff};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::console::{
    CannedFields, CannedResponse, FIRST_RESPONSE_BOUNDS_MIN, MergeRefusal, QueueCounts,
};
use domain::ticket::{Category, Contact, Requester, Ticket, TicketQuery, TicketStatus};
use domain::wallet::TransactionQuery;
use domain::{Customer, GroupId, Limit, Principal};
use serde::Deserialize;

const CSS: &str = include_str!("../../static/console.css");
const JS: &str = include_str!("../../static/console.js");

/// Transactions in the customer panel: enough to find the one a ticket is about.
const PANEL_TRANSACTIONS: i64 = 10;
/// Refunds and flags in the customer panel.
const PANEL_RECORDS: u32 = 5;
/// The requester's other tickets in the panel.
const PANEL_TICKETS: i64 = 10;
/// The dashboard's period for response times and ratings.
const DASHBOARD_DAYS: i64 = 30;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/dashboard", get(dashboard))
        .route("/staff/canned", get(canned_list).post(canned_create))
        .route("/staff/canned/{id}", post(canned_save))
        .route("/staff/canned/{id}/delete", post(canned_delete))
        .route("/staff/routing", get(routing).post(save_routing))
        .route("/staff/availability", post(availability))
        .route("/staff/queue/next", post(take_next))
        .route(
            "/static/console.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/static/console.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
}

/// A same-origin post carrying this session's CSRF token.
fn posted<P: crate::auth::Access>(user: &PageUser<P>, headers: &HeaderMap, csrf: &str) -> bool {
    same_origin(headers) && user.ctx.auth.as_ref().is_some_and(|a| csrf_ok(a, csrf))
}

// ------------------------------------------------------------------- queues

/// What the list page shows about the signed-in agent's queues.
pub(super) struct AgentQueues {
    /// Their group, when they have one.
    pub group: Option<GroupId>,
    /// Its name.
    pub group_name: String,
    /// Sizes of the queues.
    pub counts: QueueCounts,
    /// Whether round robin may assign them tickets.
    pub available: bool,
}

/// The agent's group, queue sizes and availability.
pub(super) async fn agent_queues(
    state: &AppState,
    principal: &Principal,
) -> Result<AgentQueues, ApiError> {
    let id = staff_id_of(principal)?;
    let staff = state.repo.staff(&id).await?;
    let group_name = match &staff.group_id {
        Some(g) => state
            .repo
            .groups()
            .await?
            .into_iter()
            .find(|x| &x.id == g)
            .map(|x| x.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok(AgentQueues {
        counts: state
            .repo
            .queue_counts(&id, staff.group_id.as_ref())
            .await?,
        available: state.repo.is_available(&id).await?,
        group: staff.group_id,
        group_name,
    })
}

/// One tab of the queue bar.
pub(super) struct QueueTab {
    /// `mine`, `unassigned`, `group`, `all`.
    pub key: &'static str,
    /// Translated name.
    pub label: String,
    /// Active tickets in it.
    pub count: i64,
    /// The list with this queue.
    pub href: String,
    /// Whether it is the one shown.
    pub current: bool,
}

/// The tabs for the agent's queues; `href` gives a queue's address with the other filters.
pub(super) fn queue_tabs(
    tr: &Tr,
    q: &AgentQueues,
    current: &str,
    href: impl Fn(&str) -> String,
) -> Vec<QueueTab> {
    let mut keys = vec![("mine", q.counts.mine), ("unassigned", q.counts.unassigned)];
    if q.group.is_some() {
        keys.push(("group", q.counts.group));
    }
    keys.push(("all", q.counts.all));
    keys.into_iter()
        .map(|(key, count)| QueueTab {
            key,
            label: if key == "group" {
                tr.t1("console-queue-group", "group", &q.group_name)
            } else {
                tr.t(&format!("console-queue-{key}"))
            },
            count,
            href: href(key),
            current: key == current,
        })
        .collect()
}

/// What a queue means as list filters: `(assignee, group)`, each `None` to leave it.
pub(super) fn queue_filters(
    queue: &str,
    my_group: Option<&GroupId>,
) -> (Option<&'static str>, Option<String>) {
    match queue {
        "mine" => (Some("me"), None),
        "unassigned" => (Some("none"), None),
        "group" => (None, my_group.map(|g| g.to_string())),
        _ => (None, None),
    }
}

#[derive(Debug, Default, Deserialize)]
struct AvailabilityForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    available: String,
    #[serde(default)]
    next: String,
}

/// The available/away switch.
async fn availability(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    headers: HeaderMap,
    Form(form): Form<AvailabilityForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !posted(&user, &headers, &form.csrf) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let saved = async {
        let id = staff_id_of(&user.principal)?;
        let on = form.available == "true";
        state.repo.set_available(&id, on, crate::now_us()).await?;
        Ok::<_, ApiError>(())
    };
    match saved.await {
        Ok(()) => Redirect::to(&safe_next(Some(&form.next), "/staff/tickets")).into_response(),
        Err(e) => error_page(&state, locale, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Take next: open the ticket just assigned, or the group's queue saying it is empty.
async fn take_next(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !posted(&user, &headers, &form.csrf) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    match take_next_for(&state, &user.principal).await {
        Ok(Some(t)) => Redirect::to(&format!("/staff/tickets/{}?done=taken", t.number)),
        Ok(None) => Redirect::to("/staff/tickets?queue=group&note=empty"),
        Err(ApiError::InvalidState(_)) => Redirect::to("/staff/tickets?note=no-group"),
        Err(e) => return error_page(&state, locale, &e),
    }
    .into_response()
}

// ---------------------------------------------------------- customer panel

/// A refund in the panel.
pub(super) struct RefundLine {
    pub amount: String,
    pub status: String,
    pub status_code: &'static str,
    pub reason: String,
    pub date: String,
    pub payment_href: String,
}

/// A flag in the panel.
pub(super) struct FlagLine {
    pub reason: String,
    pub status: String,
    pub date: String,
    pub comment: String,
    pub transaction_href: String,
}

/// Another ticket of the same requester.
pub(super) struct OtherTicket {
    pub number: i64,
    pub subject: String,
    pub status: String,
    pub status_code: &'static str,
    pub updated: String,
    /// Not closed: a ticket this one may be merged into.
    pub mergeable: bool,
}

/// The panel beside the thread: who the requester is, and their money.
#[derive(Default)]
pub(super) struct CustomerPanel {
    /// A customer (else an unknown contact).
    pub known: bool,
    pub name: String,
    pub href: String,
    pub email: String,
    pub phone: String,
    pub region: String,
    /// The customer's clock now, with their zone's abbreviation.
    pub local_now: String,
    pub status: String,
    pub member_since: String,
    pub language: String,
    pub transactions: Vec<TxRow>,
    pub refunds: Vec<RefundLine>,
    pub flags: Vec<FlagLine>,
    /// Linked cards and bank accounts, masked, with risk flags.
    pub cards: Vec<crate::api::cards::MethodView>,
    /// What the channel knows about an unknown contact.
    pub contact_facts: Vec<(String, String)>,
    pub others: Vec<OtherTicket>,
}

/// Reads the panel for a ticket: the customer's profile, region and local time, recent
/// transactions (failures marked), refunds, flags and other tickets; for an unknown
/// contact, what their channel told us and their other tickets.
pub(super) async fn customer_panel(
    state: &AppState,
    tr: &Tr,
    t: &Ticket,
    customer: Option<&Customer>,
    contact: Option<&Contact>,
) -> Result<CustomerPanel, ApiError> {
    let mut panel = CustomerPanel::default();
    let mut tz = "Asia/Jakarta".to_owned();
    if let Some(c) = customer {
        let region = state.repo.region(&c.region_id).await?;
        let now = crate::now_us();
        panel.known = true;
        panel.name = c.display_name.as_str().to_owned();
        panel.href = format!("/staff/customers/{}", c.id);
        panel.email = c
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default();
        panel.phone = c
            .phone
            .as_ref()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        panel.local_now = format!(
            "{} {}",
            local_time(now, &region.time_zone),
            region.zone_abbreviation
        );
        panel.region = region.name;
        panel.status = tr.t(super::status_key(c.status));
        panel.member_since = local_date(c.created_at_us, &region.time_zone);
        panel.language = c.locale.native_name().to_owned();
        tz = region.time_zone;
        let q = TransactionQuery {
            customer_id: Some(c.id.clone()),
            ..TransactionQuery::default()
        };
        panel.transactions = state
            .repo
            .transactions(&q, None, Limit::parse(Some(PANEL_TRANSACTIONS))?)
            .await?
            .items
            .iter()
            .map(|tx| tx_row(tx, tr, &tz, "/staff/tx/"))
            .collect();
        panel.refunds = state
            .repo
            .customer_refunds(&c.id, PANEL_RECORDS)
            .await?
            .iter()
            .map(|r| RefundLine {
                amount: r.amount.to_string(),
                status: tr.t(&refund_status_key(r.status.as_str())),
                status_code: r.status.as_str(),
                reason: tr.t(&refund_reason_key(r.reason.as_str())),
                date: local_time(r.created_at_us, &tz),
                payment_href: format!("/staff/tx/{}", r.payment_id),
            })
            .collect();
        panel.flags = state
            .repo
            .customer_flags(&c.id, PANEL_RECORDS)
            .await?
            .iter()
            .map(|f| FlagLine {
                reason: tr.t(&flag_reason_key(f.reason.as_str())),
                status: tr.t(&flag_status_key(f.status.as_str())),
                date: local_time(f.created_at_us, &tz),
                comment: f.comment.clone(),
                transaction_href: format!("/staff/tx/{}", f.transaction_id),
            })
            .collect();
        panel.cards = state
            .repo
            .linked_methods(&c.id, true)
            .await?
            .iter()
            .map(|m| crate::api::cards::MethodView::new(state, tr.locale, m, true))
            .collect();
    } else if let Some(c) = contact {
        panel.name = c.display_name.clone();
        panel.contact_facts = vec![
            (
                tr.t("console-panel-channel"),
                tr.t(&format!("ticket-channel-{}", c.channel.as_str())),
            ),
            (tr.t("console-panel-identity"), c.external_id.clone()),
        ];
        if let Some(e) = &c.email {
            panel.contact_facts.push((tr.t("col-email"), e.clone()));
        }
        if let Some(p) = &c.phone {
            panel.contact_facts.push((tr.t("col-phone"), p.clone()));
        }
        panel.contact_facts.push((
            tr.t("console-panel-first-seen"),
            local_time(c.created_at_us, &tz),
        ));
    }
    let query = match &t.requester {
        Requester::Customer(id) => TicketQuery {
            customer_id: Some(id.clone()),
            ..TicketQuery::default()
        },
        Requester::Contact(id) => TicketQuery {
            contact_id: Some(id.clone()),
            ..TicketQuery::default()
        },
    };
    panel.others = state
        .repo
        .tickets(&query, None, Limit::parse(Some(PANEL_TICKETS + 1))?)
        .await?
        .items
        .iter()
        .filter(|o| o.id != t.id && o.requester == t.requester)
        .take(PANEL_TICKETS as usize)
        .map(|o| OtherTicket {
            number: o.number,
            subject: o.subject.clone(),
            status: tr.t(&format!("ticket-status-{}", o.status.as_str())),
            status_code: o.status.as_str(),
            updated: local_time(o.updated_at_us, &tz),
            mergeable: o.status != TicketStatus::Closed,
        })
        .collect();
    Ok(panel)
}

// --------------------------------------------------------- canned responses

/// A canned response offered in the reply form, already in the ticket's language.
pub(super) struct CannedOption {
    pub id: String,
    pub title: String,
    pub body: String,
    pub selected: bool,
}

/// The canned responses for a ticket, those of its category first, each filled in for
/// this requester and agent in the ticket's language.
pub(super) async fn canned_options(
    state: &AppState,
    t: &Ticket,
    agent: &str,
    chosen: &str,
) -> Result<Vec<CannedOption>, ApiError> {
    let fields = CannedFields {
        name: t.requester_name.clone(),
        agent: agent.to_owned(),
        number: t.number.to_string(),
    };
    let mut all = state.repo.canned_responses().await?;
    // Stable: by title within each rank.
    all.sort_by_key(|c| match c.category {
        Some(cat) if cat == t.category => 0,
        None => 1,
        Some(_) => 2,
    });
    Ok(all
        .iter()
        .map(|c| CannedOption {
            id: c.id.clone(),
            title: c.title.clone(),
            body: c.fill(t.locale, &fields),
            selected: c.id == chosen,
        })
        .collect())
}

/// Message key of a merge refusal recognised by its text (storage reports the rule as
/// invalid state inside the transaction that checked it).
pub(super) fn merge_refusal_key(message: &str) -> Option<&'static str> {
    MergeRefusal::ALL
        .iter()
        .find(|r| r.to_string() == message)
        .map(|r| r.message_key())
}

/// A canned response on the admin page: its edit form holds what is stored, or what was
/// typed when saving it was refused.
struct CannedRow {
    id: String,
    title: String,
    category: String,
    form: CannedForm,
    error: String,
}

#[derive(Template)]
#[template(path = "console_canned.html")]
struct CannedPage {
    chrome: Chrome,
    rows: Vec<CannedRow>,
    categories: Vec<(String, String)>,
    done: String,
    new_form: CannedForm,
    new_error: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
struct CannedForm {
    csrf: String,
    title: String,
    category: String,
    body_en: String,
    body_id: String,
    body_zh: String,
}

async fn canned_page(
    state: &AppState,
    user: &PageUser<AdminOnly>,
    done: &str,
    error: String,
    error_form: String,
    draft: CannedForm,
) -> Result<CannedPage, ApiError> {
    let tr = &user.ctx.tr;
    let mut draft = Some(draft);
    let rows = state
        .repo
        .canned_responses()
        .await?
        .into_iter()
        .map(|c| {
            let refused = c.id == error_form;
            CannedRow {
                category: c
                    .category
                    .map(|cat| tr.t(&format!("ticket-category-{}", cat.as_str())))
                    .unwrap_or_else(|| tr.t("console-canned-any-category")),
                form: match draft.take_if(|_| refused) {
                    Some(d) => d,
                    None => CannedForm {
                        csrf: String::new(),
                        title: c.title.clone(),
                        category: c
                            .category
                            .map(|x| x.as_str().to_owned())
                            .unwrap_or_default(),
                        body_en: c.body_en.clone(),
                        body_id: c.body_id.clone(),
                        body_zh: c.body_zh.clone(),
                    },
                },
                error: if refused {
                    error.clone()
                } else {
                    String::new()
                },
                id: c.id,
                title: c.title,
            }
        })
        .collect();
    let new_refused = error_form == "new";
    Ok(CannedPage {
        chrome: user.ctx.chrome(),
        rows,
        categories: Category::ALL
            .iter()
            .map(|c| {
                (
                    c.as_str().to_owned(),
                    tr.t(&format!("ticket-category-{}", c.as_str())),
                )
            })
            .collect(),
        done: match done {
            "saved" | "deleted" => tr.t(&format!("console-canned-done-{done}")),
            _ => String::new(),
        },
        new_form: if new_refused {
            draft.unwrap_or_default()
        } else {
            CannedForm::default()
        },
        new_error: if new_refused { error } else { String::new() },
    })
}

/// Admins' list of canned responses, each with its edit form, and a form for a new one.
async fn canned_list(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    match canned_page(
        &state,
        &user,
        &q.done,
        String::new(),
        String::new(),
        CannedForm::default(),
    )
    .await
    {
        Ok(page) => render(&state, locale, &page),
        Err(e) => error_page(&state, locale, &e),
    }
}

/// Saves a canned response under `id` (a new one or an edit); a refusal shows the page
/// again with the reason next to the form and what was typed.
async fn save_canned(
    state: &AppState,
    user: &PageUser<AdminOnly>,
    headers: &HeaderMap,
    id: String,
    form: CannedForm,
    form_name: String,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !posted(user, headers, &form.csrf) {
        return error_page(state, locale, &ApiError::Forbidden);
    }
    let parsed = CannedResponse::parse(
        id,
        &form.title,
        &form.category,
        &form.body_en,
        &form.body_id,
        &form.body_zh,
        crate::now_us(),
    );
    let canned = match parsed {
        Ok(c) => c,
        Err(v) => {
            let mut fields: Vec<String> = v
                .errors
                .iter()
                .map(|f| user.ctx.tr.t(&format!("console-canned-error-{}", f.field)))
                .collect();
            fields.dedup();
            return match canned_page(state, user, "", fields.join(" "), form_name, form).await {
                Ok(page) => {
                    let mut resp = render(state, locale, &page);
                    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    resp
                }
                Err(e) => error_page(state, locale, &e),
            };
        }
    };
    match state.repo.save_canned_response(&canned).await {
        Ok(()) => {
            tracing::info!(canned = %canned.id, by = %user.principal.user.as_str(), "canned response saved");
            Redirect::to("/staff/canned?done=saved").into_response()
        }
        Err(e) => error_page(state, locale, &e.into()),
    }
}

async fn canned_create(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    headers: HeaderMap,
    Form(form): Form<CannedForm>,
) -> Response {
    let id = uuid::Uuid::now_v7().to_string();
    save_canned(&state, &user, &headers, id, form, "new".into()).await
}

async fn canned_save(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CannedForm>,
) -> Response {
    // Only ids that exist can be edited; a made-up one is not created by the back door.
    if let Err(e) = state.repo.canned_response(&id).await {
        return error_page(&state, user.ctx.tr.locale, &e.into());
    }
    save_canned(&state, &user, &headers, id.clone(), form, id).await
}

async fn canned_delete(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let locale = user.ctx.tr.locale;
    if !posted(&user, &headers, &form.csrf) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    match state.repo.delete_canned_response(&id).await {
        Ok(()) => {
            tracing::info!(canned = %id, by = %user.principal.user.as_str(), "canned response deleted");
            Redirect::to("/staff/canned?done=deleted").into_response()
        }
        Err(e) => error_page(&state, locale, &e.into()),
    }
}

// ------------------------------------------------------------------ routing

/// A category and the group its new tickets land in.
struct RouteRow {
    category: &'static str,
    label: String,
    groups: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "console_routing.html")]
struct RoutingPage {
    chrome: Chrome,
    rows: Vec<RouteRow>,
    done: bool,
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

/// Admins choose, per category, the group new tickets land in (and so whose agents the
/// round robin picks from).
async fn routing(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let loaded = async {
        Ok::<_, ApiError>((
            state.repo.groups().await?,
            state.repo.category_groups().await?,
        ))
    };
    let (groups, routes) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&state, locale, &e),
    };
    let tr = &user.ctx.tr;
    let rows = Category::ALL
        .iter()
        .map(|c| {
            let current = routes.iter().find(|(rc, _)| rc == c).map(|(_, g)| g);
            let mut options = vec![(
                String::new(),
                tr.t("console-routing-none"),
                current.is_none(),
            )];
            options.extend(
                groups
                    .iter()
                    .map(|g| (g.id.to_string(), g.name.clone(), current == Some(&g.id))),
            );
            RouteRow {
                category: c.as_str(),
                label: tr.t(&format!("ticket-category-{}", c.as_str())),
                groups: options,
            }
        })
        .collect();
    let page = RoutingPage {
        chrome: user.ctx.chrome(),
        rows,
        done: q.done == "saved",
    };
    render(&state, locale, &page)
}

/// Saves the whole table: `group_{category}` holds a group id, or nothing for none.
async fn save_routing(
    State(state): State<AppState>,
    user: PageUser<AdminOnly>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    if !posted(&user, &headers, csrf) {
        return error_page(&state, locale, &ApiError::Forbidden);
    }
    let saved = async {
        let groups = state.repo.groups().await?;
        for c in Category::ALL {
            let key = format!("group_{}", c.as_str());
            let Some((_, chosen)) = fields.iter().find(|(k, _)| *k == key) else {
                continue;
            };
            // Only a group that exists; anything else is refused rather than stored.
            let group = match chosen.as_str() {
                "" => None,
                id => Some(
                    groups
                        .iter()
                        .find(|g| g.id.as_str() == id)
                        .map(|g| g.id.clone())
                        .ok_or(ApiError::NotFound)?,
                ),
            };
            state.repo.set_category_group(*c, group.as_ref()).await?;
        }
        Ok::<_, ApiError>(())
    };
    match saved.await {
        Ok(()) => {
            tracing::info!(by = %user.principal.user.as_str(), "ticket routing saved");
            Redirect::to("/staff/routing?done=saved").into_response()
        }
        Err(e) => error_page(&state, locale, &e),
    }
}

// ---------------------------------------------------------------- dashboard

/// Drawing sizes of a bar chart (SVG user units; the chart scales to its box).
const CHART_WIDTH: i64 = 520;
const CHART_LABELS: i64 = 210;
const CHART_BARS: i64 = 250;
const CHART_ROW: i64 = 30;

/// One bar, placed.
pub(super) struct Bar {
    pub label: String,
    /// The value as written beside the bar and in the table.
    pub shown: String,
    pub y: i64,
    pub text_y: i64,
    pub width: i64,
    pub value_x: i64,
}

/// A horizontal bar chart drawn on the server.
pub(super) struct Chart {
    /// Element id prefix (for the title and description references).
    pub id: &'static str,
    pub title: String,
    /// A sentence saying what the chart shows, for screen readers.
    pub summary: String,
    /// Header of the labels column in the table.
    pub label_header: String,
    /// Header of the values column in the table.
    pub value_header: String,
    pub bars: Vec<Bar>,
    pub height: i64,
    pub width: i64,
    pub label_x: i64,
    pub bar_x: i64,
}

fn chart(
    id: &'static str,
    tr: &Tr,
    title_key: &str,
    label_header: String,
    rows: Vec<(String, i64)>,
) -> Chart {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let total: i64 = rows.iter().map(|r| r.1).sum();
    let summary = tr.t1("console-chart-summary", "total", &total.to_string());
    let rows = rows
        .into_iter()
        .map(|(label, value)| (label, value, value.to_string()))
        .collect();
    let mut c = scaled_chart(id, tr, title_key, label_header, rows, max, summary);
    c.value_header = tr.t("console-chart-count");
    c
}

/// A chart whose bars are shares (0–100) drawn against 100, each shown with its own text.
fn percent_chart(
    id: &'static str,
    tr: &Tr,
    title_key: &str,
    label_header: String,
    rows: Vec<(String, i64, String)>,
    summary: String,
) -> Chart {
    let mut c = scaled_chart(id, tr, title_key, label_header, rows, 100, summary);
    c.value_header = tr.t("console-chart-percent");
    c
}

/// Places the bars of `rows` (label, value, text shown) on a scale whose full width is
/// `max`.
fn scaled_chart(
    id: &'static str,
    tr: &Tr,
    title_key: &str,
    label_header: String,
    rows: Vec<(String, i64, String)>,
    max: i64,
    summary: String,
) -> Chart {
    let max = max.max(1);
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, shown))| {
            let y = 8 + i as i64 * CHART_ROW;
            // A bar of a few units is still visible, so "1" never looks like "0".
            let width = if value > 0 {
                (value * CHART_BARS / max).max(3)
            } else {
                0
            };
            Bar {
                label,
                shown,
                y,
                text_y: y + 15,
                width,
                value_x: CHART_LABELS + width + 8,
            }
        })
        .collect::<Vec<_>>();
    let title = tr.t(title_key);
    Chart {
        id,
        summary,
        title,
        label_header,
        value_header: String::new(),
        height: 16 + bars.len() as i64 * CHART_ROW,
        bars,
        width: CHART_WIDTH,
        label_x: CHART_LABELS - 10,
        bar_x: CHART_LABELS,
    }
}

/// "75% (3/4)", or a dash when there is nothing to divide.
fn share(part: i64, whole: i64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{}% ({part}/{whole})", part * 100 / whole)
    }
}

/// A headline number of the dashboard.
pub(super) struct Figure {
    pub label: String,
    pub value: String,
    pub testid: &'static str,
}

#[derive(Template)]
#[template(path = "console_dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    figures: Vec<Figure>,
    charts: Vec<Chart>,
    days: i64,
}

/// The supervisors' dashboard: active tickets by category and channel, first-response
/// times and satisfaction over the last 30 days, and help-center deflection.
async fn dashboard(State(state): State<AppState>, user: PageUser<SupervisorOrAdmin>) -> Response {
    let locale = user.ctx.tr.locale;
    let since = crate::now_us() - DASHBOARD_DAYS * 86_400_000_000;
    let loaded = async {
        let stats = state.repo.dashboard_stats(since, crate::now_us()).await?;
        let deflection = state.repo.deflection_counts(since).await?;
        Ok::<_, ApiError>((stats, deflection))
    };
    let (stats, (deflected, continued)) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&state, locale, &e),
    };
    let tr = &user.ctx.tr;
    let open: i64 = stats.open_by_category.iter().map(|c| c.count).sum();
    let fr = &stats.first_response;
    let sat = &stats.satisfaction;
    let shown = deflected + continued;
    let (met, decided) = stats
        .sla
        .targets
        .iter()
        .fold((0, 0), |(m, d), t| (m + t.met, d + t.met + t.missed));
    let figures = vec![
        Figure {
            label: tr.t("console-dash-open"),
            value: open.to_string(),
            testid: "figure-open",
        },
        Figure {
            label: tr.t("console-dash-first-response"),
            value: fr
                .average_minutes()
                .map(|m| tr.t1("console-dash-minutes", "minutes", &m.to_string()))
                .unwrap_or_else(|| "—".into()),
            testid: "figure-first-response",
        },
        Figure {
            label: tr.t("console-dash-unanswered"),
            value: fr.unanswered.to_string(),
            testid: "figure-unanswered",
        },
        Figure {
            label: tr.t("console-dash-satisfaction"),
            value: sat
                .average_hundredths()
                .map(|h| format!("{}.{:02} / 5 ({})", h / 100, h % 100, sat.count()))
                .unwrap_or_else(|| "—".into()),
            testid: "figure-satisfaction",
        },
        Figure {
            label: tr.t("console-dash-deflection"),
            value: share(deflected, shown),
            testid: "figure-deflection",
        },
        Figure {
            label: tr.t("console-dash-sla"),
            value: share(met, decided),
            testid: "figure-sla",
        },
    ];
    let sla_rows = stats
        .sla
        .targets
        .iter()
        .filter_map(|t| {
            let percent = t.percent()?;
            Some((
                tr.t(&format!(
                    "sla-target-{}",
                    t.target.as_str().replace('_', "-")
                )),
                percent,
                share(t.met, t.met + t.missed),
            ))
        })
        .collect::<Vec<_>>();
    let running: i64 = stats.sla.targets.iter().map(|t| t.running).sum();
    let category_header = tr.t("staff-tickets-category");
    let bucket_labels =
        (0..=FIRST_RESPONSE_BOUNDS_MIN.len()).map(|i| tr.t(&format!("console-frt-{i}")));
    let charts = vec![
        chart(
            "by-category",
            tr,
            "console-chart-category",
            category_header,
            stats
                .open_by_category
                .iter()
                .map(|c| (tr.t(&format!("ticket-category-{}", c.key)), c.count))
                .collect(),
        ),
        chart(
            "by-channel",
            tr,
            "console-chart-channel",
            tr.t("staff-tickets-channel"),
            stats
                .open_by_channel
                .iter()
                .map(|c| (tr.t(&format!("ticket-channel-{}", c.key)), c.count))
                .collect(),
        ),
        percent_chart(
            "sla",
            tr,
            "console-chart-sla",
            tr.t("console-chart-target"),
            sla_rows,
            tr.t1("console-chart-sla-summary", "running", &running.to_string()),
        ),
        chart(
            "first-response",
            tr,
            "console-chart-first-response",
            tr.t("console-chart-within"),
            bucket_labels.zip(fr.buckets.iter().copied()).collect(),
        ),
        chart(
            "satisfaction",
            tr,
            "console-chart-satisfaction",
            tr.t("console-chart-score"),
            sat.by_score
                .iter()
                .enumerate()
                .rev()
                .map(|(i, n)| ("★".repeat(i + 1), *n))
                .collect(),
        ),
        chart(
            "deflection",
            tr,
            "console-chart-deflection",
            tr.t("console-chart-outcome"),
            vec![
                (tr.t("console-deflected"), deflected),
                (tr.t("console-continued"), continued),
            ],
        ),
    ];
    let page = DashboardPage {
        chrome: user.ctx.chrome(),
        figures,
        charts,
        days: DASHBOARD_DAYS,
    };
    render(&state, locale, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_small_ones_stay_visible() {
        let i18n = std::sync::Arc::new(crate::i18n::I18n::load().unwrap());
        let tr = Tr::new(i18n, domain::Locale::En);
        let c = chart(
            "x",
            &tr,
            "console-chart-category",
            "Category".into(),
            vec![("a".into(), 200), ("b".into(), 1), ("c".into(), 0)],
        );
        assert_eq!(c.bars[0].width, CHART_BARS);
        assert_eq!(c.bars[1].width, 3);
        assert_eq!(c.bars[2].width, 0);
        assert_eq!(c.height, 16 + 3 * CHART_ROW);
        assert!(c.summary.contains("201"), "{}", c.summary);
    }

    #[test]
    fn queues_become_filters() {
        let g = GroupId::new();
        assert_eq!(queue_filters("mine", Some(&g)), (Some("me"), None));
        assert_eq!(queue_filters("unassigned", None), (Some("none"), None));
        assert_eq!(
            queue_filters("group", Some(&g)),
            (None, Some(g.to_string()))
        );
        assert_eq!(queue_filters("all", Some(&g)), (None, None));
    }
}
