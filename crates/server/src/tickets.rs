//! Ticket work shared by the API, the pages and the channel webhooks: who may see a
//! ticket, opening one from what a customer or guest typed, replying (and routing the
//! reply back to the platform it came from), attachments.

use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;
use domain::repo::{ContactIdentity, Delivery, MessageOutcome};
use domain::ticket::{
    Actor, ActorKind, Attachment, Category, Channel, LinkKind, NewMessage, NewTicket, Priority,
    ReportedTransaction, Requester, Ticket, TicketLink, TicketStatus, Visibility, parse_body,
    parse_subject,
};
use domain::{Email, Locale, Phone, Principal, Role, ValidationError};

/// May this principal read this ticket? Customers their own; the operator's support
/// staff all; merchant staff none (complaints reach merchants another way).
pub fn may_see(principal: &Principal, ticket: &Ticket) -> bool {
    match principal.role {
        Role::Customer => principal.customer_id() == ticket.customer_id(),
        r => r.is_support_staff(),
    }
}

/// The ticket with this id or number, if the principal may see it; otherwise 404 (never
/// 403: whether a ticket exists is not the caller's business).
pub async fn visible_ticket(
    state: &AppState,
    principal: &Principal,
    id_or_number: &str,
) -> Result<Ticket, ApiError> {
    let ticket = find_ticket(state, id_or_number).await?;
    if !may_see(principal, &ticket) {
        return Err(ApiError::NotFound);
    }
    Ok(ticket)
}

/// A ticket by UUID or by its human number.
pub async fn find_ticket(state: &AppState, id_or_number: &str) -> Result<Ticket, ApiError> {
    let raw = id_or_number.trim().trim_start_matches('#');
    if let Ok(number) = raw.parse::<i64>() {
        return Ok(state.repo.ticket_by_number(number).await?);
    }
    uuid::Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)?;
    Ok(state.repo.ticket(raw).await?)
}

/// The actor of a signed-in principal, for histories and message authors.
pub fn actor_of(principal: &Principal) -> Actor {
    Actor {
        kind: if principal.role == Role::Customer {
            ActorKind::Customer
        } else {
            ActorKind::Staff
        },
        id: principal.user.as_str().to_owned(),
        name: principal.display_name.clone(),
    }
}

/// What a customer or guest typed to open a ticket.
#[derive(Debug, Clone, Default)]
pub struct TicketForm {
    /// Category name.
    pub category: String,
    /// Subject.
    pub subject: String,
    /// The message.
    pub body: String,
    /// A transaction picked from the customer's history.
    pub transaction_id: Option<String>,
    /// When the transaction happened (guests): RFC 3339 or `YYYY-MM-DDTHH:MM` local to
    /// Jakarta, as a datetime-local input sends it.
    pub reported_at: Option<String>,
    /// How much (guests), in whole rupiah as typed.
    pub reported_amount: Option<String>,
}

/// A guest's way back: name and an email or phone.
#[derive(Debug, Clone, Default)]
pub struct GuestForm {
    /// Their name.
    pub name: String,
    /// Email, if given.
    pub email: Option<String>,
    /// Phone, if given.
    pub phone: Option<String>,
}

/// The checked parts of a ticket form.
struct Checked {
    category: Category,
    subject: String,
    body: String,
    reported: ReportedTransaction,
}

fn check_form(form: &TicketForm) -> Result<Checked, ValidationError> {
    let category = Category::parse(form.category.trim());
    let subject = parse_subject(&form.subject);
    let body = parse_body(&form.body);
    let at = parse_reported_at(form.reported_at.as_deref());
    let amount = parse_reported_amount(form.reported_amount.as_deref());
    ValidationError::collect([
        category.is_none().then(|| {
            ValidationError::field("category", "invalid_value", "choose what this is about")
        }),
        subject.as_ref().err().cloned(),
        body.as_ref().err().cloned(),
        at.as_ref().err().cloned(),
        amount.as_ref().err().cloned(),
    ])?;
    Ok(Checked {
        category: category.unwrap_or(Category::Other),
        subject: subject.unwrap_or_default(),
        body: body.unwrap_or_default(),
        reported: ReportedTransaction {
            at_us: at.unwrap_or_default(),
            amount_minor: amount.unwrap_or_default(),
        },
    })
}

fn parse_reported_at(raw: Option<&str>) -> Result<Option<i64>, ValidationError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        ValidationError::field(
            "reported_at",
            "invalid_format",
            "a date and time such as 2026-11-20T14:30",
        )
    };
    if let Ok(ts) = raw.parse::<jiff::Timestamp>() {
        return Ok(Some(ts.as_microsecond()));
    }
    // A datetime-local input has no zone; the wallet's home zone is the honest guess.
    let civil: jiff::civil::DateTime = raw.parse().map_err(|_| bad())?;
    let zoned = civil.in_tz("Asia/Jakarta").map_err(|_| bad())?;
    Ok(Some(zoned.timestamp().as_microsecond()))
}

fn parse_reported_amount(raw: Option<&str>) -> Result<Option<i64>, ValidationError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    // People type "50.000", "50,000" or "50000 " for fifty thousand rupiah.
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' '))
        .collect();
    let rupiah: i64 = digits.parse().map_err(|_| {
        ValidationError::field("reported_amount", "invalid_format", "an amount in rupiah")
    })?;
    if !(1..=1_000_000_000_000).contains(&rupiah) {
        return Err(ValidationError::field(
            "reported_amount",
            "out_of_range",
            "an amount in rupiah",
        ));
    }
    Ok(Some(rupiah * 100))
}

/// Opens a ticket for a signed-in customer on the web or in the app. A picked transaction
/// must be one of theirs.
pub async fn open_for_customer(
    state: &AppState,
    principal: &Principal,
    channel: Channel,
    form: &TicketForm,
    attachments: Vec<Attachment>,
) -> Result<Ticket, ApiError> {
    let customer = principal.customer_id().ok_or(ApiError::Forbidden)?.clone();
    let checked = check_form(form)?;
    let mut links = Vec::new();
    if let Some(tx) = form
        .transaction_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        let t = crate::api::transactions::visible_transaction(state, principal, tx.trim())
            .await
            .map_err(|e| match e {
                ApiError::NotFound => ValidationError::field(
                    "transaction_id",
                    "not_found",
                    "pick a transaction from your history",
                )
                .into(),
                other => other,
            })?;
        links.push(TicketLink {
            kind: LinkKind::Transaction,
            record_id: t.id,
        });
    }
    let new = NewTicket {
        requester: Requester::Customer(customer.clone()),
        channel,
        category: checked.category,
        subject: checked.subject,
        priority: Priority::Normal,
        locale: principal.locale,
        links,
        reported: checked.reported,
        tags: Vec::new(),
        first_message: NewMessage {
            author_kind: ActorKind::Customer,
            author_id: customer.to_string(),
            author_name: principal.display_name.clone(),
            visibility: Visibility::Public,
            body: checked.body,
            channel,
            external_id: None,
            attachments,
        },
    };
    let outcome = state
        .repo
        .create_ticket(&new, None, crate::now_us())
        .await?;
    tracing::info!(
        ticket = outcome.ticket.number,
        channel = channel.as_str(),
        "ticket opened"
    );
    crate::calendars::after_inbound(state, &outcome).await;
    Ok(outcome.ticket)
}

/// Opens a ticket for a guest of the contact form; returns it with the secret key of
/// the guest's link (shown once, stored hashed).
pub async fn open_for_guest(
    state: &AppState,
    guest: &GuestForm,
    form: &TicketForm,
    locale: Locale,
) -> Result<(Ticket, String), ApiError> {
    let name = guest.name.split_whitespace().collect::<Vec<_>>().join(" ");
    let email = guest
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Email::parse);
    let phone = guest
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Phone::parse);
    let checked = check_form(form);
    ValidationError::collect([
        (name.is_empty() || name.chars().count() > 100).then(|| {
            ValidationError::field("name", "required", "your name (up to 100 characters)")
        }),
        email.as_ref().and_then(|e| e.as_ref().err().cloned()),
        phone.as_ref().and_then(|p| p.as_ref().err().cloned()),
        (email.is_none() && phone.is_none()).then(|| {
            ValidationError::field(
                "email",
                "required",
                "an email or a phone number to reach you",
            )
        }),
        checked.as_ref().err().cloned(),
    ])?;
    let checked = checked?;
    let email = email.transpose()?;
    let phone = phone.transpose()?;
    let external_id = match (&email, &phone) {
        (Some(e), _) => e.as_str().to_owned(),
        (None, Some(p)) => p.as_str().to_owned(),
        (None, None) => return Err(ApiError::BadRequest("no contact".into())),
    };
    // A guest is never matched to a customer by what they type: anyone can type an
    // email. An agent identifies them (merge) after checking.
    let identity = ContactIdentity {
        channel: Channel::Web,
        external_id,
        display_name: name.clone(),
        email: email.map(|e| e.as_str().to_owned()),
        phone: phone.map(|p| p.as_str().to_owned()),
        customer_id: None,
    };
    let new = NewTicket {
        // The store puts the contact it finds or creates here and on the first message.
        requester: Requester::Contact(String::new()),
        channel: Channel::Web,
        category: checked.category,
        subject: checked.subject,
        priority: Priority::Normal,
        locale,
        links: Vec::new(),
        reported: checked.reported,
        tags: Vec::new(),
        first_message: NewMessage {
            author_kind: ActorKind::Contact,
            author_id: String::new(),
            author_name: name,
            visibility: Visibility::Public,
            body: checked.body,
            channel: Channel::Web,
            external_id: None,
            attachments: Vec::new(),
        },
    };
    let key = crate::auth::random_token();
    let (_, outcome) = state
        .repo
        .create_guest_ticket(
            &identity,
            &new,
            &crate::auth::token_hash(&key),
            crate::now_us(),
        )
        .await?;
    crate::calendars::after_inbound(state, &outcome).await;
    tracing::info!(ticket = outcome.ticket.number, "guest ticket opened");
    Ok((outcome.ticket, key))
}

/// The ticket a guest's secret key opens.
pub async fn guest_ticket(state: &AppState, key: &str) -> Result<Ticket, ApiError> {
    if key.len() < 20 || key.len() > 100 {
        return Err(ApiError::NotFound);
    }
    Ok(state
        .repo
        .ticket_by_guest_key(&crate::auth::token_hash(key))
        .await?)
}

/// Who is writing a reply.
#[derive(Debug, Clone)]
pub enum Author<'a> {
    /// A signed-in customer or member of staff.
    Signed(&'a Principal),
    /// A guest holding the ticket's secret link.
    Guest,
}

/// A reply or note on a ticket. Customers and guests write public replies; staff choose,
/// and may set a status with it. A public staff reply on a Messenger or X ticket is
/// queued for delivery to that platform in the same transaction. Solving asks the
/// customer for a rating.
pub async fn reply(
    state: &AppState,
    author: Author<'_>,
    ticket: &Ticket,
    body: &str,
    visibility: Visibility,
    status: Option<TicketStatus>,
    attachments: Vec<Attachment>,
) -> Result<MessageOutcome, ApiError> {
    let body = parse_body(body)?;
    let (kind, id, name) = match &author {
        Author::Signed(p) => {
            let a = actor_of(p);
            (a.kind, a.id, a.name)
        }
        Author::Guest => (
            ActorKind::Contact,
            ticket.contact_id.clone().unwrap_or_default(),
            ticket.requester_name.clone(),
        ),
    };
    let staff = kind == ActorKind::Staff;
    if !staff && (visibility == Visibility::Internal || status.is_some()) {
        return Err(ApiError::Forbidden);
    }
    let delivery = if staff && visibility == Visibility::Public {
        delivery_for(state, ticket).await?
    } else {
        None
    };
    let message = NewMessage {
        author_kind: kind,
        author_id: id,
        author_name: name,
        visibility,
        body,
        channel: ticket.channel,
        external_id: None,
        attachments,
    };
    let outcome = state
        .repo
        .add_message(
            &ticket.id,
            &message,
            status,
            delivery.as_ref(),
            crate::now_us(),
        )
        .await?;
    if outcome.ticket.status == TicketStatus::Solved && ticket.status != TicketStatus::Solved {
        ask_for_rating(state, &outcome.ticket).await?;
    }
    crate::calendars::after_inbound(state, &outcome).await;
    Ok(outcome)
}

/// Where a public staff message must be delivered, for tickets from social platforms.
pub async fn delivery_for(state: &AppState, ticket: &Ticket) -> Result<Option<Delivery>, ApiError> {
    if !ticket.channel.is_social() {
        return Ok(None);
    }
    let Some(contact_id) = ticket.contact_id.as_deref() else {
        return Ok(None);
    };
    let contact = state.repo.contact(contact_id).await?;
    Ok(Some(Delivery {
        channel: ticket.channel,
        recipient: contact.external_id,
    }))
}

/// Posts the automatic "how did we do?" message when a ticket becomes solved, in the
/// requester's language, delivered like any public reply.
pub async fn ask_for_rating(state: &AppState, ticket: &Ticket) -> Result<(), ApiError> {
    let tr = Tr::new(state.i18n.clone(), ticket.locale);
    let body = tr.t1(
        "ticket-rating-request",
        "number",
        &ticket.number.to_string(),
    );
    let delivery = delivery_for(state, ticket).await?;
    let message = NewMessage {
        author_kind: ActorKind::System,
        author_id: String::new(),
        author_name: "paydesk".into(),
        visibility: Visibility::Public,
        body,
        channel: ticket.channel,
        external_id: None,
        attachments: Vec::new(),
    };
    state
        .repo
        .add_message(
            &ticket.id,
            &message,
            None,
            delivery.as_ref(),
            crate::now_us(),
        )
        .await?;
    Ok(())
}

/// Opens the ticket a customer's flag on a transaction starts, linked to both. A flag on
/// a transaction the customer does not recognise may be account takeover: urgent work
/// for privacy and security. An improper payment is a merchant matter.
pub async fn open_for_flag(
    state: &AppState,
    principal: &Principal,
    channel: Channel,
    transaction: &domain::wallet::WalletTransaction,
    flag: &domain::wallet::TransactionFlag,
) -> Result<Ticket, ApiError> {
    use domain::wallet::{FlagReason, TransactionKind};
    let (category, priority) = match flag.reason {
        FlagReason::NotRecognised => (Category::PrivacySecurity, Priority::High),
        FlagReason::Improper if transaction.kind == TransactionKind::Payment => {
            (Category::MerchantComplaint, Priority::Normal)
        }
        FlagReason::Improper => (Category::FailedTransaction, Priority::Normal),
    };
    let tr = Tr::new(state.i18n.clone(), principal.locale);
    let subject = parse_subject(&tr.t1(
        &format!("ticket-flag-subject-{}", flag.reason.as_str()),
        "reference",
        &transaction.reference,
    ))?;
    let comment = flag.comment.trim();
    let body = if comment.is_empty() {
        tr.t(&format!("ticket-flag-body-{}", flag.reason.as_str()))
    } else {
        comment.to_owned()
    };
    let new = NewTicket {
        requester: Requester::Customer(flag.customer_id.clone()),
        channel,
        category,
        subject,
        priority,
        locale: principal.locale,
        links: vec![
            TicketLink {
                kind: LinkKind::Transaction,
                record_id: transaction.id.clone(),
            },
            TicketLink {
                kind: LinkKind::Flag,
                record_id: flag.id.clone(),
            },
        ],
        reported: ReportedTransaction::default(),
        tags: vec!["flag".into()],
        first_message: NewMessage {
            author_kind: ActorKind::Customer,
            author_id: flag.customer_id.to_string(),
            author_name: principal.display_name.clone(),
            visibility: Visibility::Public,
            body: parse_body(&body)?,
            channel,
            external_id: None,
            attachments: Vec::new(),
        },
    };
    Ok(state
        .repo
        .create_ticket(&new, None, crate::now_us())
        .await?
        .ticket)
}

/// Content types accepted as attachments, sniffed from the bytes.
const ALLOWED_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
];

/// Checks and stores one uploaded file: the size limit, a content type sniffed from the
/// bytes (what the client claims is ignored), and a display name stripped of any path.
pub async fn store_attachment(
    state: &AppState,
    file_name: &str,
    bytes: &[u8],
) -> Result<Attachment, ApiError> {
    let limit = state.config.files.max_file_bytes;
    if bytes.is_empty() {
        return Err(ValidationError::field("files", "empty", "the file is empty").into());
    }
    if bytes.len() > limit {
        return Err(ValidationError::field(
            "files",
            "too_large",
            format!("each file at most {} KB", limit / 1024),
        )
        .into());
    }
    let content_type = sniff(bytes).ok_or_else(|| {
        ValidationError::field(
            "files",
            "unsupported_type",
            "images (PNG, JPEG, GIF, WebP), PDF or plain text only",
        )
    })?;
    let display: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let key = state.files.put(bytes).await.map_err(ApiError::Unexpected)?;
    Ok(Attachment {
        id: uuid::Uuid::now_v7().to_string(),
        file_name: if display.trim().is_empty() {
            "file".into()
        } else {
            display
        },
        content_type: content_type.to_owned(),
        size_bytes: bytes.len() as i64,
        storage_key: key,
    })
}

/// The content type of the bytes, if it is one we accept. Text must be valid UTF-8
/// without NUL bytes; HTML and scripts pass only as text and are always served as
/// downloads, never rendered.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if let Some(kind) = infer::get(bytes) {
        return ALLOWED_TYPES
            .iter()
            .copied()
            .find(|t| *t == kind.mime_type());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => Some("text/plain"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sniffing_ignores_names_and_refuses_executables() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]),
            Some("image/png")
        );
        assert_eq!(
            sniff("chat log: terima kasih".as_bytes()),
            Some("text/plain")
        );
        assert_eq!(sniff(b"MZ\x90\x00\x03\x00\x00\x00"), None);
        assert_eq!(sniff(&[0xff, 0xfe, 0x00, 0x00, 0x01]), None);
    }

    #[test]
    fn reported_amounts_and_times_read_as_people_type_them() {
        assert_eq!(
            parse_reported_amount(Some("50.000")).unwrap(),
            Some(5_000_000)
        );
        assert_eq!(parse_reported_amount(Some(" ")).unwrap(), None);
        assert!(parse_reported_amount(Some("lima puluh")).is_err());
        let at = parse_reported_at(Some("2026-11-20T14:30"))
            .unwrap()
            .unwrap();
        assert_eq!(
            at,
            "2026-11-20T07:30:00Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_microsecond()
        );
        assert!(parse_reported_at(Some("yesterday")).is_err());
    }
}
