//! The customer's side of support: the contact form (signed in, or as a guest) that
//! suggests help articles while they type; their tickets, each thread with replies, files
//! and a rating once solved; the guest's private link; and the same pages inside the app's
//! web view under `/app/`, signed in by a hand-off from the app's bearer token. Every form
//! is an ordinary post, so the pages work without JavaScript.

use super::wallet::{TxRow, local_time, tx_row};
use super::{Chrome, PageCtx, PageUser, csrf_ok, error_page, render, safe_next, same_origin};
use crate::api::tickets::{
    DeflectionBody, TicketView, attachment_response, detail, save_deflection,
};
use crate::api::views::PageParams;
use crate::auth::{self, CustomerOnly};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use crate::tickets::{self, Author, GuestForm, TicketForm};
use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use domain::repo::SessionKind;
use domain::ticket::{
    ActorKind, Attachment, Category, Channel, LinkKind, Rating, Ticket, TicketQuery, TicketStatus,
    Visibility,
};
use domain::wallet::TransactionQuery;
use domain::{CustomerId, Limit, Locale, Principal, Role, ValidationError};
use serde::Deserialize;
use std::collections::HashMap;

/// Transactions offered in the contact form's picker.
const RECENT_TRANSACTIONS: i64 = 20;
/// Tickets per page of the list.
const TICKETS_PER_PAGE: i64 = 25;
/// A guest has no region: their times are shown in the wallet's home zone, the zone the
/// contact form reads their "when did it happen" in.
const GUEST_TIME_ZONE: &str = "Asia/Jakarta";
/// Room left in a request body for the text fields next to the files.
const TEXT_ALLOWANCE: usize = 64 * 1024;

const JS: &str = include_str!("../../static/support.js");
const CSS: &str = include_str!("../../static/support.css");

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/contact", get(contact).post(contact_submit))
        .route("/support", get(ticket_list))
        .route("/support/tickets/{number}", get(customer_ticket))
        .route("/support/tickets/{number}/reply", post(customer_reply))
        .route("/support/tickets/{number}/rating", post(customer_rating))
        .route("/support/attachments/{id}", get(customer_attachment))
        .route("/support/guest/{key}", get(guest_ticket))
        .route("/support/guest/{key}/reply", post(guest_reply))
        .route("/support/guest/{key}/rating", post(guest_rating))
        .route(
            "/support/guest/{key}/attachments/{id}",
            get(guest_attachment),
        )
        .route("/app/handoff", post(handoff))
        .route("/app/support", get(ticket_list))
        .route(
            "/app/support/new",
            get(app_contact).post(app_contact_submit),
        )
        .route("/app/support/tickets/{number}", get(customer_ticket))
        .route("/app/support/tickets/{number}/reply", post(customer_reply))
        .route(
            "/app/support/tickets/{number}/rating",
            post(customer_rating),
        )
        .route(
            "/static/support.js",
            get(|| async { asset("text/javascript; charset=utf-8", JS) }),
        )
        .route(
            "/static/support.css",
            get(|| async { asset("text/css; charset=utf-8", CSS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

// ------------------------------------------------------------------- framing

/// Where a page is shown: on the website, or in the app's web view (no site chrome; links
/// stay under `/app/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Site,
    App,
}

impl Frame {
    fn of(ctx: &PageCtx) -> Self {
        if ctx.path.starts_with("/app/") {
            Frame::App
        } else {
            Frame::Site
        }
    }

    fn list(self) -> &'static str {
        match self {
            Frame::Site => "/support",
            Frame::App => "/app/support",
        }
    }

    fn new_ticket(self) -> &'static str {
        match self {
            Frame::Site => "/contact",
            Frame::App => "/app/support/new",
        }
    }

    fn ticket(self, number: i64) -> String {
        format!("{}/tickets/{number}", self.list())
    }

    fn channel(self) -> Channel {
        match self {
            Frame::Site => Channel::Web,
            Frame::App => Channel::App,
        }
    }
}

fn with_status(mut resp: Response, status: StatusCode) -> Response {
    *resp.status_mut() = status;
    resp
}

fn forbidden(state: &AppState, locale: Locale) -> Response {
    error_page(state, locale, &ApiError::Forbidden)
}

/// The signed-in customer of a page, if the visitor is one.
fn customer_of(ctx: &PageCtx) -> Option<&Principal> {
    ctx.auth
        .as_ref()
        .map(|a| &a.principal)
        .filter(|p| p.role == Role::Customer)
}

/// The caller speaking the page's language (an explicit choice may differ from the
/// account's), so automatic messages on the ticket come in the language they wrote in.
fn in_page_language(principal: &Principal, locale: Locale) -> Principal {
    let mut p = principal.clone();
    p.locale = locale;
    p
}

async fn time_zone_of(state: &AppState, customer: &CustomerId) -> Result<String, ApiError> {
    let c = state.repo.customer(customer).await?;
    Ok(state.repo.region(&c.region_id).await?.time_zone)
}

/// [`local_time`] of an RFC 3339 time as the API views carry it.
fn local_rfc3339(rfc: &str, time_zone: &str) -> String {
    rfc.parse::<jiff::Timestamp>()
        .map(|t| local_time(t.as_microsecond(), time_zone))
        .unwrap_or_else(|_| rfc.to_owned())
}

/// `512 KB`, `4.8 MB`: file sizes as people read them.
fn size_label(bytes: usize) -> String {
    const MB: usize = 1024 * 1024;
    if bytes < MB {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{}.{} MB", bytes / MB, (bytes % MB) * 10 / MB)
    }
}

/// A guest's private link must not leak: no referrer to the sites it links to, not kept
/// in shared caches, not indexed.
fn private_link(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    resp
}

// --------------------------------------------------------------- form reading

/// How many files, and how large, a message may carry: the file limit, and what fits in
/// one request next to the text.
struct FileLimits {
    per_file: usize,
    total: usize,
    count: usize,
}

impl FileLimits {
    fn of(state: &AppState) -> Self {
        let total = state
            .config
            .server
            .body_limit_bytes
            .saturating_sub(TEXT_ALLOWANCE);
        FileLimits {
            per_file: state.config.files.max_file_bytes.min(total),
            total,
            count: state.config.files.max_files_per_message,
        }
    }

    fn hint(&self, tr: &Tr) -> String {
        format!(
            "{} {}",
            tr.t1("support-files-count", "count", &self.count.to_string()),
            tr.t1("support-files-size", "size", &self.per_file_label())
        )
    }

    /// The largest file, as people read it.
    fn per_file_label(&self) -> String {
        size_label(self.per_file)
    }
}

/// A support form as posted: its text fields, and its files still in memory, so nothing
/// is stored before the post is known to be the visitor's own.
#[derive(Default)]
struct Posted {
    fields: HashMap<String, String>,
    files: Vec<(String, axum::body::Bytes)>,
}

impl Posted {
    async fn read(form: Result<Multipart, MultipartRejection>) -> Result<Posted, ApiError> {
        let mut form = form.map_err(|_| ApiError::UnsupportedMediaType)?;
        let unreadable =
            |e: axum::extract::multipart::MultipartError| ApiError::BadRequest(e.body_text());
        let mut out = Posted::default();
        while let Some(field) = form.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "files" {
                let file_name = field.file_name().unwrap_or("file").to_owned();
                let bytes = field.bytes().await.map_err(unreadable)?;
                // A file input left empty still sends a part with no bytes.
                if !bytes.is_empty() {
                    out.files.push((file_name, bytes));
                }
            } else {
                let text = field.text().await.map_err(unreadable)?;
                out.fields.insert(name, text);
            }
        }
        Ok(out)
    }

    fn take(&mut self, name: &str) -> String {
        self.fields.remove(name).unwrap_or_default()
    }

    /// Stores the files (sniffed and size-checked by the ticket service). A refused file
    /// is reported rather than returned as an error, so the page can show it next to
    /// everything else that was typed.
    async fn store_files(
        &mut self,
        state: &AppState,
    ) -> Result<(Vec<Attachment>, Option<ValidationError>), ApiError> {
        let limit = state.config.files.max_files_per_message;
        if self.files.len() > limit {
            let too_many = ValidationError::field("files", "too_many", "too many files");
            return Ok((Vec::new(), Some(too_many)));
        }
        let mut stored = Vec::with_capacity(self.files.len());
        for (name, bytes) in std::mem::take(&mut self.files) {
            match tickets::store_attachment(state, &name, &bytes).await {
                Ok(a) => stored.push(a),
                Err(ApiError::Validation(v)) => return Ok((Vec::new(), Some(v))),
                Err(e) => return Err(e),
            }
        }
        Ok((stored, None))
    }
}

/// Translated messages of refused fields, each shown next to its field.
#[derive(Default)]
struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    fn new(err: &ValidationError, tr: &Tr, limits: &FileLimits) -> Self {
        let mut out: Vec<(String, String)> = Vec::new();
        for e in &err.errors {
            let message = match (e.field.as_str(), e.code) {
                ("email", "required") => tr.t("support-error-reach"),
                ("files", "too_large") => {
                    tr.t1("support-error-files-size", "size", &limits.per_file_label())
                }
                ("files", "too_many") => tr.t1(
                    "support-error-files-count",
                    "count",
                    &limits.count.to_string(),
                ),
                ("files", "unsupported_type") => tr.t("support-error-files-type"),
                ("files", _) => tr.t("support-error-files-empty"),
                (field, _) => tr.t(&format!("support-error-{}", field.replace('_', "-"))),
            };
            if !out.iter().any(|(f, _)| *f == e.field) {
                out.push((e.field.clone(), message));
            }
        }
        FieldErrors(out)
    }

    /// The message for a field ("" when it passed).
    fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map_or("", |(_, m)| m.as_str())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// --------------------------------------------------------------- contact form

/// What the contact form carries, kept as typed so a refused form comes back whole.
#[derive(Debug, Default, Clone)]
struct Draft {
    category: String,
    subject: String,
    body: String,
    transaction_id: String,
    name: String,
    email: String,
    phone: String,
    reported_at: String,
    reported_amount: String,
    /// The top article suggested while typing (set by the page's script).
    suggested: String,
    /// What the suggestions were asked for.
    suggest_query: String,
}

impl Draft {
    fn take(p: &mut Posted) -> Self {
        Draft {
            category: p.take("category"),
            subject: p.take("subject"),
            body: p.take("body"),
            transaction_id: p.take("transaction_id"),
            name: p.take("name"),
            email: p.take("email"),
            phone: p.take("phone"),
            reported_at: p.take("reported_at"),
            reported_amount: p.take("reported_amount"),
            suggested: p.take("suggested"),
            suggest_query: p.take("suggest_query"),
        }
    }

    fn ticket_form(&self, customer: bool) -> TicketForm {
        let some = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
        TicketForm {
            category: self.category.clone(),
            subject: self.subject.clone(),
            body: self.body.clone(),
            // Each kind of visitor gets only their own fields: a picked transaction for a
            // customer, the time and amount for a guest.
            transaction_id: if customer {
                some(&self.transaction_id)
            } else {
                None
            },
            reported_at: if customer {
                None
            } else {
                some(&self.reported_at)
            },
            reported_amount: if customer {
                None
            } else {
                some(&self.reported_amount)
            },
        }
    }

    fn guest_form(&self) -> GuestForm {
        GuestForm {
            name: self.name.clone(),
            email: Some(self.email.clone()),
            phone: Some(self.phone.clone()),
        }
    }
}

/// An option of the category menu.
struct CategoryChoice {
    value: &'static str,
    label: String,
    selected: bool,
}

/// A transaction of the picker.
struct Pick {
    id: String,
    row: TxRow,
    failed: bool,
    checked: bool,
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    chrome: Chrome,
    action: &'static str,
    list_href: &'static str,
    customer: bool,
    categories: Vec<CategoryChoice>,
    /// The categories that ask for a transaction, for the script that shows the picker.
    tx_categories: String,
    picks: Vec<Pick>,
    d: Draft,
    errors: FieldErrors,
    files_again: bool,
    files_hint: String,
    limits: FileLimits,
    suggest_locale: &'static str,
    /// When support answers (open now, or the next opening), from the business calendar.
    hours: crate::calendars::SupportHours,
}

async fn contact_page(
    state: &AppState,
    ctx: &PageCtx,
    d: Draft,
    errors: FieldErrors,
    files_again: bool,
) -> Result<ContactPage, ApiError> {
    let frame = Frame::of(ctx);
    let tr = &ctx.tr;
    let mut picks = Vec::new();
    if let Some(customer) = customer_of(ctx).and_then(|p| p.customer_id()) {
        let time_zone = time_zone_of(state, customer).await?;
        let q = TransactionQuery {
            customer_id: Some(customer.clone()),
            ..TransactionQuery::default()
        };
        let page = state
            .repo
            .transactions(&q, None, Limit::parse(Some(RECENT_TRANSACTIONS))?)
            .await?;
        picks = page
            .items
            .iter()
            .map(|t| Pick {
                id: t.id.clone(),
                row: tx_row(t, tr, &time_zone, "/wallet/tx/"),
                failed: t.status == domain::wallet::TransactionStatus::Failed,
                checked: t.id == d.transaction_id.trim(),
            })
            .collect();
    }
    let limits = FileLimits::of(state);
    let customer_id = customer_of(ctx).and_then(|p| p.customer_id().cloned());
    let hours =
        crate::calendars::support_hours(state, customer_id.as_ref(), Channel::Web, tr.locale)
            .await?;
    Ok(ContactPage {
        hours,
        chrome: ctx.chrome(),
        action: frame.new_ticket(),
        list_href: frame.list(),
        customer: customer_of(ctx).is_some(),
        categories: Category::ALL
            .iter()
            .map(|c| CategoryChoice {
                value: c.as_str(),
                label: tr.t(&format!("ticket-category-{}", c.as_str())),
                selected: c.as_str() == d.category.trim(),
            })
            .collect(),
        tx_categories: Category::ALL
            .iter()
            .filter(|c| c.needs_transaction())
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        picks,
        d,
        errors,
        files_again,
        files_hint: limits.hint(tr),
        limits,
        suggest_locale: tr.locale.tag(),
    })
}

#[derive(Debug, Default, Deserialize)]
struct ContactQuery {
    #[serde(default)]
    category: String,
}

async fn show_contact(state: &AppState, ctx: &PageCtx, q: ContactQuery) -> Response {
    let d = Draft {
        category: q.category,
        ..Draft::default()
    };
    match contact_page(state, ctx, d, FieldErrors::default(), false).await {
        Ok(page) => render(state, ctx.tr.locale, &page),
        Err(e) => error_page(state, ctx.tr.locale, &e),
    }
}

async fn contact(State(state): State<AppState>, ctx: PageCtx, q: Query<ContactQuery>) -> Response {
    show_contact(&state, &ctx, q.0).await
}

async fn app_contact(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    q: Query<ContactQuery>,
) -> Response {
    show_contact(&state, &user.ctx, q.0).await
}

async fn contact_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    submit_contact(&state, &ctx, &headers, form).await
}

async fn app_contact_submit(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    submit_contact(&state, &user.ctx, &headers, form).await
}

/// A ticket just opened from the contact form.
enum Opened {
    /// A customer's: their ticket page shows it.
    Customer(Ticket),
    /// A guest's, with the key of their private link.
    Guest(Ticket, String),
}

async fn submit_contact(
    state: &AppState,
    ctx: &PageCtx,
    headers: &HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let locale = ctx.tr.locale;
    if !same_origin(headers) {
        return forbidden(state, locale);
    }
    let mut posted = match Posted::read(form).await {
        Ok(p) => p,
        Err(e) => return error_page(state, locale, &e),
    };
    // Guests have no session and so no token; anyone signed in must send theirs.
    let csrf = posted.take("csrf");
    if !ctx.auth.as_ref().is_none_or(|a| csrf_ok(a, &csrf)) {
        return forbidden(state, locale);
    }
    let draft = Draft::take(&mut posted);
    let had_files = !posted.files.is_empty();
    let opened = async {
        let (files, refused) = posted.store_files(state).await?;
        if let Some(refused) = refused {
            return Err(ApiError::Validation(refused));
        }
        open_ticket(state, ctx, &draft, files).await
    };
    let opened = match opened.await {
        Ok(o) => o,
        Err(ApiError::Validation(v)) => {
            let errors = FieldErrors::new(&v, &ctx.tr, &FileLimits::of(state));
            return match contact_page(state, ctx, draft, errors, had_files).await {
                Ok(page) => with_status(
                    render(state, locale, &page),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                Err(e) => error_page(state, locale, &e),
            };
        }
        Err(e) => return error_page(state, locale, &e),
    };
    record_continued(state, &draft, locale).await;
    match opened {
        Opened::Customer(t) => {
            Redirect::to(&format!("{}?done=opened", Frame::of(ctx).ticket(t.number)))
                .into_response()
        }
        Opened::Guest(t, key) => {
            let page = GuestDonePage {
                chrome: ctx.chrome(),
                number: t.number,
                link: format!("/support/guest/{key}"),
            };
            private_link(render(state, locale, &page))
        }
    }
}

async fn open_ticket(
    state: &AppState,
    ctx: &PageCtx,
    draft: &Draft,
    files: Vec<Attachment>,
) -> Result<Opened, ApiError> {
    let locale = ctx.tr.locale;
    if let Some(principal) = customer_of(ctx) {
        let principal = in_page_language(principal, locale);
        let channel = Frame::of(ctx).channel();
        let form = draft.ticket_form(true);
        let t = tickets::open_for_customer(state, &principal, channel, &form, files).await?;
        return Ok(Opened::Customer(t));
    }
    let form = draft.ticket_form(false);
    let (t, key) = tickets::open_for_guest(state, &draft.guest_form(), &form, locale).await?;
    // The guest's first message carries no files, so they follow in a message of their own.
    // The ticket exists by now: failing here must not cost the guest the only copy of their
    // link (they can attach again from it).
    if !files.is_empty() {
        let note = ctx.tr.t("support-files-message");
        let public = Visibility::Public;
        if let Err(e) = tickets::reply(state, Author::Guest, &t, &note, public, None, files).await {
            tracing::error!(ticket = t.number, error = ?e, "guest's files not attached");
        }
    }
    Ok(Opened::Guest(t, key))
}

/// The visitor saw suggested articles and sent the form anyway: the suggestions did not
/// answer them. Losing this count must never lose their ticket, so failures are logged.
async fn record_continued(state: &AppState, draft: &Draft, locale: Locale) {
    let slug = draft.suggested.trim();
    if slug.is_empty() {
        return;
    }
    let query = if draft.suggest_query.trim().is_empty() {
        draft.subject.clone()
    } else {
        draft.suggest_query.clone()
    };
    let outcome = DeflectionBody {
        query,
        article_slug: Some(slug.to_owned()),
        outcome: "continued".into(),
        locale: Some(locale.tag().into()),
    };
    if let Err(e) = save_deflection(state, &outcome).await {
        tracing::warn!(error = ?e, "deflection outcome not recorded");
    }
}

#[derive(Template)]
#[template(path = "support_guest_done.html")]
struct GuestDonePage {
    chrome: Chrome,
    number: i64,
    link: String,
}

// -------------------------------------------------------------- ticket list

struct TicketRow {
    href: String,
    number: i64,
    subject: String,
    status: String,
    status_code: &'static str,
    category: String,
    updated: String,
    transaction_linked: bool,
}

#[derive(Template)]
#[template(path = "support_list.html")]
struct ListPage {
    chrome: Chrome,
    new_href: &'static str,
    rows: Vec<TicketRow>,
    next_href: String,
    first_href: String,
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    cursor: String,
}

async fn ticket_list(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Query(q): Query<ListQuery>,
) -> Response {
    let locale = user.ctx.tr.locale;
    let frame = Frame::of(&user.ctx);
    let loaded = async {
        let customer = user.principal.customer_id().ok_or(ApiError::Forbidden)?;
        let time_zone = time_zone_of(&state, customer).await?;
        let (limit, cursor) = PageParams {
            limit: Some(TICKETS_PER_PAGE),
            cursor: Some(q.cursor.clone()).filter(|c| !c.is_empty()),
        }
        .parse()?;
        let query = TicketQuery {
            customer_id: Some(customer.clone()),
            ..TicketQuery::default()
        };
        let page = state.repo.tickets(&query, cursor.as_ref(), limit).await?;
        Ok::<_, ApiError>((time_zone, page))
    };
    let (time_zone, page) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(&state, locale, &e),
    };
    let tr = &user.ctx.tr;
    let rows = page
        .items
        .iter()
        .map(|t| TicketRow {
            href: frame.ticket(t.number),
            number: t.number,
            subject: t.subject.clone(),
            status: tr.t(&format!("ticket-status-{}", t.status.as_str())),
            status_code: t.status.as_str(),
            category: tr.t(&format!("ticket-category-{}", t.category.as_str())),
            updated: local_time(t.updated_at_us, &time_zone),
            transaction_linked: t.links.iter().any(|l| l.kind == LinkKind::Transaction),
        })
        .collect();
    let list = ListPage {
        chrome: user.ctx.chrome(),
        new_href: frame.new_ticket(),
        rows,
        next_href: page
            .next_cursor
            .map(|c| format!("{}?cursor={}", frame.list(), super::url_encode(&c)))
            .unwrap_or_default(),
        first_href: if q.cursor.is_empty() {
            String::new()
        } else {
            frame.list().to_owned()
        },
    };
    render(&state, locale, &list)
}

// --------------------------------------------------------------- ticket page

/// Who is looking at a thread.
enum Viewer {
    /// The signed-in customer whose ticket it is.
    Customer(Principal),
    /// Whoever holds the guest's private link.
    Guest,
}

/// A ticket with everything its page needs to know about the visitor.
struct Place {
    ticket: Ticket,
    viewer: Viewer,
    /// This ticket's page; its forms post below it.
    base: String,
    /// Where attachments are downloaded from (id appended).
    attachments: String,
    /// The list of the visitor's tickets ("" for guests, who have none).
    list_href: &'static str,
    /// Where a new ticket is opened.
    new_href: &'static str,
    /// Whether links may lead to the wallet pages (not from inside the app).
    wallet_links: bool,
    time_zone: String,
}

async fn customer_place(
    state: &AppState,
    user: &PageUser<CustomerOnly>,
    number: &str,
) -> Result<Place, ApiError> {
    let frame = Frame::of(&user.ctx);
    // Someone else's ticket is 404, exactly like one that does not exist.
    let ticket = tickets::visible_ticket(state, &user.principal, number).await?;
    let customer = user.principal.customer_id().ok_or(ApiError::Forbidden)?;
    Ok(Place {
        base: frame.ticket(ticket.number),
        attachments: "/support/attachments/".into(),
        list_href: frame.list(),
        new_href: frame.new_ticket(),
        wallet_links: frame == Frame::Site,
        time_zone: time_zone_of(state, customer).await?,
        viewer: Viewer::Customer(in_page_language(&user.principal, user.ctx.tr.locale)),
        ticket,
    })
}

async fn guest_place(state: &AppState, key: &str) -> Result<Place, ApiError> {
    let ticket = tickets::guest_ticket(state, key).await?;
    let base = format!("/support/guest/{key}");
    Ok(Place {
        attachments: format!("{base}/attachments/"),
        base,
        list_href: "",
        new_href: "/contact",
        wallet_links: false,
        time_zone: GUEST_TIME_ZONE.into(),
        viewer: Viewer::Guest,
        ticket,
    })
}

struct FileLink {
    href: String,
    name: String,
    size: String,
}

struct MessageRow {
    author: String,
    /// Written by the requester (shown as "you").
    mine: bool,
    /// Written by paydesk itself.
    automatic: bool,
    time: String,
    body: String,
    files: Vec<FileLink>,
}

/// A 1–5 choice of the rating form.
struct Score {
    value: u8,
    label: String,
    checked: bool,
}

/// What the last action left to say, and the values to keep when it failed.
#[derive(Default)]
struct Feedback {
    done_key: &'static str,
    error_key: &'static str,
    errors: FieldErrors,
    draft: String,
    files_again: bool,
    score: String,
    comment: String,
}

#[derive(Template)]
#[template(path = "support_ticket.html")]
struct TicketPage {
    chrome: Chrome,
    t: TicketView,
    opened: String,
    updated: String,
    base: String,
    list_href: &'static str,
    new_href: &'static str,
    guest: bool,
    linked: Vec<TxRow>,
    wallet_links: bool,
    reported_at: String,
    reported_amount: String,
    messages: Vec<MessageRow>,
    closed: bool,
    solved: bool,
    rated: String,
    rating_comment: String,
    scores: Vec<Score>,
    done: String,
    error: String,
    errors: FieldErrors,
    draft: String,
    comment: String,
    files_again: bool,
    files_hint: String,
    limits: FileLimits,
}

async fn ticket_page(
    state: &AppState,
    ctx: &PageCtx,
    place: &Place,
    fb: Feedback,
) -> Result<TicketPage, ApiError> {
    let tr = &ctx.tr;
    let t = &place.ticket;
    let thread = detail(state, t, tr, false).await?;
    let mut linked = Vec::new();
    // A transaction is the customer's record: shown to them signed in, never on a link
    // that anyone holding it could open.
    if matches!(place.viewer, Viewer::Customer(_)) {
        for l in t.links.iter().filter(|l| l.kind == LinkKind::Transaction) {
            let tx = state.repo.transaction(&l.record_id).await?;
            linked.push(tx_row(&tx, tr, &place.time_zone, "/wallet/tx/"));
        }
    }
    let messages = thread
        .messages
        .iter()
        .map(|m| {
            let kind = ActorKind::parse(&m.author_kind);
            let mine = matches!(kind, Some(ActorKind::Customer | ActorKind::Contact));
            let automatic = kind == Some(ActorKind::System);
            MessageRow {
                author: match kind {
                    Some(ActorKind::Staff) => tr.t1("support-author-staff", "name", &m.author_name),
                    _ if automatic => tr.t("support-author-automatic"),
                    _ => tr.t("support-author-you"),
                },
                mine,
                automatic,
                time: local_rfc3339(&m.created_at, &place.time_zone),
                body: m.body.clone(),
                files: m
                    .attachments
                    .iter()
                    .map(|a| FileLink {
                        href: format!("{}{}", place.attachments, a.id),
                        name: a.file_name.clone(),
                        size: size_label(usize::try_from(a.size_bytes).unwrap_or_default()),
                    })
                    .collect(),
            }
        })
        .collect();
    let rating = t.rating.as_ref();
    let score = if fb.score.is_empty() {
        rating.map(|r| r.score.to_string()).unwrap_or_default()
    } else {
        fb.score.clone()
    };
    let limits = FileLimits::of(state);
    Ok(TicketPage {
        chrome: ctx.chrome(),
        opened: local_time(t.created_at_us, &place.time_zone),
        updated: local_time(t.updated_at_us, &place.time_zone),
        base: place.base.clone(),
        list_href: place.list_href,
        new_href: place.new_href,
        guest: matches!(place.viewer, Viewer::Guest),
        linked,
        wallet_links: place.wallet_links,
        reported_at: t
            .reported
            .at_us
            .map(|us| local_time(us, &place.time_zone))
            .unwrap_or_default(),
        reported_amount: t
            .reported
            .amount_minor
            .map(|m| domain::Money::new(m, domain::Currency::IDR).to_string())
            .unwrap_or_default(),
        messages,
        closed: t.status == TicketStatus::Closed,
        solved: t.status == TicketStatus::Solved,
        rated: rating
            .map(|r| tr.t1("support-rated", "score", &r.score.to_string()))
            .unwrap_or_default(),
        rating_comment: rating.map(|r| r.comment.clone()).unwrap_or_default(),
        scores: (1..=5u8)
            .map(|v| Score {
                value: v,
                label: tr.t(&format!("support-score-{v}")),
                checked: score == v.to_string(),
            })
            .collect(),
        done: if fb.done_key.is_empty() {
            String::new()
        } else {
            tr.t(fb.done_key)
        },
        error: if fb.error_key.is_empty() {
            String::new()
        } else {
            tr.t(fb.error_key)
        },
        errors: fb.errors,
        draft: fb.draft,
        comment: if fb.comment.is_empty() {
            rating.map(|r| r.comment.clone()).unwrap_or_default()
        } else {
            fb.comment
        },
        files_again: fb.files_again,
        files_hint: limits.hint(tr),
        limits,
        t: thread.ticket,
    })
}

/// Renders a ticket page with feedback, answering with `status`.
async fn thread_response(
    state: &AppState,
    ctx: &PageCtx,
    place: &Place,
    fb: Feedback,
    status: StatusCode,
) -> Response {
    match ticket_page(state, ctx, place, fb).await {
        Ok(page) => with_status(render(state, ctx.tr.locale, &page), status),
        Err(e) => error_page(state, ctx.tr.locale, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

impl DoneQuery {
    /// Only known confirmations are shown: the query string is not a place for text.
    fn feedback(&self) -> Feedback {
        Feedback {
            done_key: match self.done.as_str() {
                "opened" => "support-done-opened",
                "replied" => "support-done-replied",
                "rated" => "support-done-rated",
                _ => "",
            },
            ..Feedback::default()
        }
    }
}

async fn customer_ticket(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Path(number): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    match customer_place(&state, &user, &number).await {
        Ok(place) => thread_response(&state, &user.ctx, &place, q.feedback(), StatusCode::OK).await,
        Err(e) => error_page(&state, user.ctx.tr.locale, &e),
    }
}

async fn guest_ticket(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(key): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    private_link(match guest_place(&state, &key).await {
        Ok(place) => thread_response(&state, &ctx, &place, q.feedback(), StatusCode::OK).await,
        Err(e) => error_page(&state, ctx.tr.locale, &e),
    })
}

async fn customer_reply(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Path(number): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    match customer_place(&state, &user, &number).await {
        Ok(place) => post_reply(&state, &user.ctx, &place, &headers, form).await,
        Err(e) => error_page(&state, user.ctx.tr.locale, &e),
    }
}

async fn guest_reply(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Path(key): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    private_link(match guest_place(&state, &key).await {
        Ok(place) => post_reply(&state, &ctx, &place, &headers, form).await,
        Err(e) => error_page(&state, ctx.tr.locale, &e),
    })
}

/// Same-origin post, and for a signed-in customer this session's CSRF token. A guest
/// has no session: the secret key in the address is what a forged post cannot know.
fn post_allowed(ctx: &PageCtx, place: &Place, headers: &HeaderMap, csrf: &str) -> bool {
    same_origin(headers)
        && match place.viewer {
            Viewer::Customer(_) => ctx.auth.as_ref().is_some_and(|a| csrf_ok(a, csrf)),
            Viewer::Guest => true,
        }
}

async fn post_reply(
    state: &AppState,
    ctx: &PageCtx,
    place: &Place,
    headers: &HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let locale = ctx.tr.locale;
    let mut posted = match Posted::read(form).await {
        Ok(p) => p,
        Err(e) => return error_page(state, locale, &e),
    };
    if !post_allowed(ctx, place, headers, &posted.take("csrf")) {
        return forbidden(state, locale);
    }
    let body = posted.take("body");
    let had_files = !posted.files.is_empty();
    let sent = async {
        let (files, refused) = posted.store_files(state).await?;
        if let Some(refused) = refused {
            return Err(ApiError::Validation(refused));
        }
        let author = match &place.viewer {
            Viewer::Customer(p) => Author::Signed(p),
            Viewer::Guest => Author::Guest,
        };
        tickets::reply(
            state,
            author,
            &place.ticket,
            &body,
            Visibility::Public,
            None,
            files,
        )
        .await
    };
    let again = |error_key, errors, status| {
        let fb = Feedback {
            error_key,
            errors,
            draft: body.clone(),
            files_again: had_files,
            ..Feedback::default()
        };
        thread_response(state, ctx, place, fb, status)
    };
    match sent.await {
        Ok(_) => Redirect::to(&format!("{}?done=replied#latest", place.base)).into_response(),
        Err(ApiError::Validation(v)) => {
            let errors = FieldErrors::new(&v, &ctx.tr, &FileLimits::of(state));
            again("", errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        // Closed while they were typing.
        Err(ApiError::InvalidState(_)) => {
            again(
                "support-error-closed",
                FieldErrors::default(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => error_page(state, locale, &e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct RatingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

async fn customer_rating(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(form): Form<RatingForm>,
) -> Response {
    match customer_place(&state, &user, &number).await {
        Ok(place) => post_rating(&state, &user.ctx, &place, &headers, form).await,
        Err(e) => error_page(&state, user.ctx.tr.locale, &e),
    }
}

async fn guest_rating(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Path(key): Path<String>,
    Form(form): Form<RatingForm>,
) -> Response {
    private_link(match guest_place(&state, &key).await {
        Ok(place) => post_rating(&state, &ctx, &place, &headers, form).await,
        Err(e) => error_page(&state, ctx.tr.locale, &e),
    })
}

async fn post_rating(
    state: &AppState,
    ctx: &PageCtx,
    place: &Place,
    headers: &HeaderMap,
    form: RatingForm,
) -> Response {
    let locale = ctx.tr.locale;
    if !post_allowed(ctx, place, headers, &form.csrf) {
        return forbidden(state, locale);
    }
    let again = |error_key, errors, status| {
        let fb = Feedback {
            error_key,
            errors,
            score: form.score.clone(),
            comment: form.comment.clone(),
            ..Feedback::default()
        };
        thread_response(state, ctx, place, fb, status)
    };
    let now = crate::now_us();
    let score = form.score.trim().parse::<i64>().unwrap_or(0);
    let rated = match Rating::parse(score, &form.comment, now) {
        Ok(rating) => state.repo.rate_ticket(&place.ticket.id, &rating, now).await,
        Err(v) => {
            let errors = FieldErrors::new(&v, &ctx.tr, &FileLimits::of(state));
            return again("", errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    match rated {
        Ok(_) => Redirect::to(&format!("{}?done=rated#rating", place.base)).into_response(),
        Err(domain::repo::RepoError::InvalidState(_)) => {
            again(
                "support-error-not-solved",
                FieldErrors::default(),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => error_page(state, locale, &e.into()),
    }
}

async fn customer_attachment(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Path(id): Path<String>,
) -> Response {
    let principal = &user.principal;
    attachment_response(&state, &id, |ticket, public| {
        public && tickets::may_see(principal, ticket)
    })
    .await
    .unwrap_or_else(|e| error_page(&state, user.ctx.tr.locale, &e))
}

async fn guest_attachment(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((key, id)): Path<(String, String)>,
) -> Response {
    let served = async {
        let ticket = tickets::guest_ticket(&state, &key).await?;
        attachment_response(&state, &id, |t, public| public && t.id == ticket.id).await
    };
    private_link(
        served
            .await
            .unwrap_or_else(|e| error_page(&state, ctx.tr.locale, &e)),
    )
}

// ------------------------------------------------------------------- hand-off

#[derive(Debug, Default, Deserialize)]
struct HandoffForm {
    #[serde(default)]
    next: String,
}

/// The app opens its web view signed in: it posts its customer's bearer token and the
/// `/app/` page to show, and gets that page with a cookie session of its own (so the
/// token itself never sits in a cookie or an address).
async fn handoff(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    form: Result<Form<HandoffForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let locale = super::request_locale(&headers);
    let Some(token) = auth::bearer_token(&headers) else {
        return error_page(&state, locale, &ApiError::Unauthenticated);
    };
    let principal = match auth::resolve(&state, token, SessionKind::Bearer).await {
        Ok(Some(a)) => a.principal,
        Ok(None) => return error_page(&state, locale, &ApiError::Unauthenticated),
        Err(e) => return error_page(&state, locale, &e),
    };
    // Staff work in the console, never in a customer's web view.
    if principal.role != Role::Customer {
        return forbidden(&state, principal.locale);
    }
    let next = form.map(|f| f.0.next).unwrap_or_default();
    let next = match next.trim() {
        "" => "/app/support",
        n => n,
    };
    // Only a page of the web view: never another site, nor the rest of this one.
    let local = next.starts_with("/app/")
        && safe_next(Some(next), "") == next
        && next.chars().all(|c| c.is_ascii_graphic());
    if !local {
        let bad = ApiError::BadRequest("next must be a path under /app/".into());
        return error_page(&state, principal.locale, &bad);
    }
    let jar = match super::signin::browser_session(&state, jar, &headers, &principal).await {
        Ok(jar) => jar,
        Err(e) => return error_page(&state, locale, &e),
    };
    tracing::info!(customer = %principal.user.as_str(), "app web view signed in by hand-off");
    (jar, Redirect::to(next)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sizes_read_as_people_say_them() {
        assert_eq!(size_label(1), "1 KB");
        assert_eq!(size_label(1024 * 1024 - 1), "1024 KB");
        assert_eq!(size_label(5 * 1024 * 1024), "5.0 MB");
        assert_eq!(size_label(1024 * 1024 + 900 * 1024), "1.8 MB");
    }

    #[test]
    fn each_visitor_sends_only_their_own_transaction_fields() {
        let d = Draft {
            category: "refund".into(),
            transaction_id: "tx".into(),
            reported_at: "2026-11-20T14:30".into(),
            reported_amount: "50.000".into(),
            ..Draft::default()
        };
        let customer = d.ticket_form(true);
        assert_eq!(customer.transaction_id.as_deref(), Some("tx"));
        assert!(customer.reported_at.is_none() && customer.reported_amount.is_none());
        let guest = d.ticket_form(false);
        assert!(guest.transaction_id.is_none());
        assert_eq!(guest.reported_amount.as_deref(), Some("50.000"));
    }
}
