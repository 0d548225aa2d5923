//! Support tickets: who asked, on which channel, about what, where the conversation stands,
//! and the rules that move it. Storage applies these rules inside its transactions, so a
//! customer's reply and an agent's status change can never leave a ticket in a state the
//! rules do not allow.

use crate::ids::{CustomerId, GroupId, StaffId};
use crate::locale::Locale;
use crate::validation::ValidationError;
use serde::{Deserialize, Serialize};

string_enum!(
    /// Where a conversation happens; answers go back the same way.
    Channel {
        /// The contact form on the website.
        Web => "web",
        /// The mobile app (JSON API or its web view).
        App => "app",
        /// Facebook Messenger (Messenger Platform webhook and Send API).
        Messenger => "messenger",
        /// X direct messages (Account Activity API).
        X => "x",
        /// The phone hotline.
        Phone => "phone",
    }
);

impl Channel {
    /// Whether agents' public replies leave paydesk through a platform's send API (and
    /// therefore through the outbox), rather than being read in the portal.
    pub fn is_social(self) -> bool {
        matches!(self, Channel::Messenger | Channel::X)
    }
}

string_enum!(
    /// What a ticket is about; each category asks for what support needs.
    Category {
        /// Signing in, passwords, locks, two-factor.
        AccountSignIn => "account_sign_in",
        /// A payment, transfer or top-up that failed.
        FailedTransaction => "failed_transaction",
        /// A coupon that did not apply.
        Coupon => "coupon",
        /// Linking a bank card or account.
        CardLinking => "card_linking",
        /// A refund request or a refund not received.
        Refund => "refund",
        /// A complaint about a merchant.
        MerchantComplaint => "merchant_complaint",
        /// Privacy, data and security.
        PrivacySecurity => "privacy_security",
        /// Anything else.
        Other => "other",
    }
);

impl Category {
    /// Whether support needs the transaction to act: a failed transaction, a refund, a
    /// complaint about a merchant all start from one payment.
    pub fn needs_transaction(self) -> bool {
        matches!(
            self,
            Category::FailedTransaction | Category::Refund | Category::MerchantComplaint
        )
    }
}

string_enum!(
    /// Where a ticket stands.
    TicketStatus {
        /// Nobody has answered yet.
        New => "new",
        /// Support is working on it.
        Open => "open",
        /// Waiting for the customer to answer.
        PendingCustomer => "pending_customer",
        /// Waiting on someone else (a bank, a merchant, another team).
        OnHold => "on_hold",
        /// Support considers it answered; a customer reply reopens it.
        Solved => "solved",
        /// Final: nothing changes any more; a new message starts a new ticket.
        Closed => "closed",
    }
);

impl TicketStatus {
    /// Still needs someone's attention (not solved or closed).
    pub fn is_active(self) -> bool {
        !matches!(self, TicketStatus::Solved | TicketStatus::Closed)
    }
}

string_enum!(
    /// How urgent a ticket is.
    Priority {
        /// Whenever there is time.
        Low => "low",
        /// The default.
        Normal => "normal",
        /// Money is stuck or a customer cannot pay.
        High => "high",
        /// Fraud, account takeover, many customers affected.
        Urgent => "urgent",
    }
);

string_enum!(
    /// A wallet record a ticket is about.
    LinkKind {
        /// A wallet transaction.
        Transaction => "transaction",
        /// A refund.
        Refund => "refund",
        /// A flag a customer raised on a transaction.
        Flag => "flag",
        /// A complaint about a merchant.
        Complaint => "complaint",
        /// A linked bank card or account.
        Card => "card",
    }
);

string_enum!(
    /// Who can read a message.
    Visibility {
        /// The customer sees it (and social channels deliver it).
        Public => "public",
        /// Staff only.
        Internal => "internal",
    }
);

string_enum!(
    /// Whether a reply reached the customer's platform.
    DeliveryState {
        /// Read in paydesk itself (portal, app); nothing to deliver.
        NotApplicable => "not_applicable",
        /// Waiting in the outbox.
        Queued => "queued",
        /// The platform accepted it.
        Sent => "sent",
        /// Retries were exhausted or the platform refused it for good.
        Failed => "failed",
    }
);

string_enum!(
    /// What kind of party wrote a message or made a change.
    ActorKind {
        /// A signed-in customer.
        Customer => "customer",
        /// Someone known only by a channel identity (a Messenger sender, a guest's email).
        Contact => "contact",
        /// A member of staff.
        Staff => "staff",
        /// paydesk itself (automatic replies, webhooks).
        System => "system",
    }
);

string_enum!(
    /// Where a phone call stands.
    CallState {
        /// Ringing, not yet answered.
        Ringing => "ringing",
        /// The caller is choosing in the voice menu.
        InMenu => "in_menu",
        /// An agent is talking to the caller.
        Answered => "answered",
        /// Finished after an agent answered.
        Ended => "ended",
        /// Finished without an agent answering.
        Missed => "missed",
    }
);

/// Who a ticket is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Requester {
    /// A customer of the wallet.
    Customer(CustomerId),
    /// An unknown contact, by contact id, until an agent identifies them.
    Contact(String),
}

/// Someone who wrote through a channel before (or without) being known as a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Id.
    pub id: String,
    /// The channel that knows them.
    pub channel: Channel,
    /// The channel's identity: Messenger page-scoped id, X user id, phone number, email.
    pub external_id: String,
    /// The name the platform gave, or the guest typed.
    pub display_name: String,
    /// Email, when known.
    pub email: Option<String>,
    /// Phone, when known (E.164).
    pub phone: Option<String>,
    /// The customer they were identified as.
    pub customer_id: Option<CustomerId>,
    /// First seen (µs).
    pub created_at_us: i64,
}

/// A wallet record a ticket is linked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketLink {
    /// What it is.
    pub kind: LinkKind,
    /// Its id.
    pub record_id: String,
}

/// The customer's satisfaction with a solved ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rating {
    /// 1 (bad) to 5 (great).
    pub score: u8,
    /// Optional words.
    pub comment: String,
    /// When given (µs).
    pub rated_at_us: i64,
}

impl Rating {
    /// Checks a score and comment.
    pub fn parse(score: i64, comment: &str, now_us: i64) -> Result<Rating, ValidationError> {
        let comment = comment.trim();
        ValidationError::collect([
            (!(1..=5).contains(&score))
                .then(|| ValidationError::field("score", "out_of_range", "from 1 to 5")),
            (comment.chars().count() > 2000)
                .then(|| ValidationError::field("comment", "too_long", "at most 2,000 characters")),
        ])?;
        Ok(Rating {
            score: score as u8,
            comment: comment.to_owned(),
            rated_at_us: now_us,
        })
    }
}

/// What a customer told us about a transaction they could not pick from a history
/// (an unknown contact, a guest): when it happened and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReportedTransaction {
    /// When, as the customer said (µs).
    pub at_us: Option<i64>,
    /// How much, minor units of the wallet's currency.
    pub amount_minor: Option<i64>,
}

impl ReportedTransaction {
    /// Both time and amount given.
    pub fn is_complete(&self) -> bool {
        self.at_us.is_some() && self.amount_minor.is_some()
    }
}

/// A support ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    /// Id (UUIDv7).
    pub id: String,
    /// Human number, quoted on the phone ("ticket 1042").
    pub number: i64,
    /// Who it is for.
    pub requester: Requester,
    /// The requester's name for lists.
    pub requester_name: String,
    /// The channel identity it came through (kept after the requester is identified, so
    /// replies still reach the same Messenger or X conversation).
    pub contact_id: Option<String>,
    /// Where it started; replies go back there.
    pub channel: Channel,
    /// What it is about.
    pub category: Category,
    /// One line.
    pub subject: String,
    /// Where it stands.
    pub status: TicketStatus,
    /// How urgent.
    pub priority: Priority,
    /// The group working it.
    pub group_id: Option<GroupId>,
    /// The agent working it.
    pub assignee_id: Option<StaffId>,
    /// Free labels, lowercase.
    pub tags: Vec<String>,
    /// The requester's language, for automatic messages.
    pub locale: Locale,
    /// Wallet records it is about.
    pub links: Vec<TicketLink>,
    /// Time and amount an unknown contact gave for the transaction.
    pub reported: ReportedTransaction,
    /// The satisfaction rating, once given.
    pub rating: Option<Rating>,
    /// Opened (µs).
    pub created_at_us: i64,
    /// Last change (µs).
    pub updated_at_us: i64,
    /// Last time it became solved (µs).
    pub solved_at_us: Option<i64>,
    /// Its SLA: the policy that applies, due times, where each target stands.
    pub sla: crate::sla::TicketSla,
}

/// Something support still needs before it can act on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// The category needs a transaction and none is linked.
    Transaction,
    /// An unknown contact's transaction: time and amount not both given.
    TransactionTimeAndAmount,
    /// The requester is not identified as a customer, so their records cannot be read.
    CustomerIdentity,
}

impl Missing {
    /// Message key in the UI catalogues.
    pub fn message_key(self) -> &'static str {
        match self {
            Missing::Transaction => "ticket-missing-transaction",
            Missing::TransactionTimeAndAmount => "ticket-missing-time-amount",
            Missing::CustomerIdentity => "ticket-missing-identity",
        }
    }
}

impl Ticket {
    /// What support still needs, in the order an agent should ask for it.
    pub fn missing(&self) -> Vec<Missing> {
        let mut out = Vec::new();
        let known = matches!(self.requester, Requester::Customer(_));
        let wallet_category = self.category != Category::Other;
        if !known && wallet_category {
            out.push(Missing::CustomerIdentity);
        }
        if self.category.needs_transaction()
            && !self.links.iter().any(|l| l.kind == LinkKind::Transaction)
        {
            if known {
                out.push(Missing::Transaction);
            } else if !self.reported.is_complete() {
                out.push(Missing::TransactionTimeAndAmount);
            }
        }
        out
    }

    /// The customer behind the ticket, when known.
    pub fn customer_id(&self) -> Option<&CustomerId> {
        match &self.requester {
            Requester::Customer(id) => Some(id),
            Requester::Contact(_) => None,
        }
    }
}

/// Why a change to a ticket was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketRuleError {
    /// Closed tickets never change.
    #[error("the ticket is closed; a new message starts a new ticket")]
    Closed,
    /// A status cannot be set by hand.
    #[error("a ticket cannot be set back to new")]
    BackToNew,
    /// Only solved tickets may be closed.
    #[error("only a solved ticket can be closed")]
    CloseUnsolved,
    /// Ratings are asked for when solved.
    #[error("a ticket can be rated once it is solved")]
    RateUnsolved,
}

/// Checks a status change made by staff (or the system).
pub fn check_status_change(from: TicketStatus, to: TicketStatus) -> Result<(), TicketRuleError> {
    match (from, to) {
        (TicketStatus::Closed, _) => Err(TicketRuleError::Closed),
        (f, t) if f == t => Ok(()),
        (_, TicketStatus::New) => Err(TicketRuleError::BackToNew),
        (f, TicketStatus::Closed) if f != TicketStatus::Solved => {
            Err(TicketRuleError::CloseUnsolved)
        }
        _ => Ok(()),
    }
}

/// The status after a message, given who wrote it and the status staff asked for with
/// it (a reply "and set pending"). Closed tickets take no messages.
pub fn status_after_message(
    current: TicketStatus,
    author: ActorKind,
    visibility: Visibility,
    requested: Option<TicketStatus>,
) -> Result<TicketStatus, TicketRuleError> {
    if current == TicketStatus::Closed {
        return Err(TicketRuleError::Closed);
    }
    match author {
        // A customer's words need an answer: waiting on them or solved becomes open.
        ActorKind::Customer | ActorKind::Contact => Ok(match current {
            TicketStatus::PendingCustomer | TicketStatus::Solved | TicketStatus::OnHold => {
                TicketStatus::Open
            }
            other => other,
        }),
        ActorKind::Staff | ActorKind::System => {
            if let Some(to) = requested {
                check_status_change(current, to)?;
                return Ok(to);
            }
            // The first public answer takes a ticket out of "new"; notes do not.
            Ok(
                if current == TicketStatus::New && visibility == Visibility::Public {
                    TicketStatus::Open
                } else {
                    current
                },
            )
        }
    }
}

/// Checks a rating is asked at the right time.
pub fn check_rating(status: TicketStatus) -> Result<(), TicketRuleError> {
    match status {
        TicketStatus::Solved | TicketStatus::Closed => Ok(()),
        _ => Err(TicketRuleError::RateUnsolved),
    }
}

/// A ticket subject: one line of 1–200 characters.
pub fn parse_subject(raw: &str) -> Result<String, ValidationError> {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return Err(ValidationError::field("subject", "required", "a subject"));
    }
    if s.chars().count() > 200 {
        return Err(ValidationError::field(
            "subject",
            "too_long",
            "at most 200 characters",
        ));
    }
    Ok(s)
}

/// A message body: 1–10,000 characters, surrounding whitespace removed.
pub fn parse_body(raw: &str) -> Result<String, ValidationError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ValidationError::field(
            "body",
            "required",
            "write a message",
        ));
    }
    if s.chars().count() > 10_000 {
        return Err(ValidationError::field(
            "body",
            "too_long",
            "at most 10,000 characters",
        ));
    }
    Ok(s.to_owned())
}

/// Tags: lowercase letters, digits, `-` and `_`, 1–40 characters each, at most 20,
/// duplicates dropped.
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, ValidationError> {
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        let t = t.trim().to_lowercase();
        let ok = !t.is_empty()
            && t.chars().count() <= 40
            && t.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(ValidationError::field(
                "tags",
                "invalid_format",
                format!("{t:?}: letters, digits, - and _ only, at most 40"),
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 20 {
        return Err(ValidationError::field(
            "tags",
            "too_many",
            "at most 20 tags",
        ));
    }
    Ok(out)
}

/// A ticket to open, with its first message.
#[derive(Debug, Clone)]
pub struct NewTicket {
    /// Who it is for.
    pub requester: Requester,
    /// Channel.
    pub channel: Channel,
    /// Category.
    pub category: Category,
    /// Subject (parsed).
    pub subject: String,
    /// Priority.
    pub priority: Priority,
    /// Language for automatic messages.
    pub locale: Locale,
    /// Records it is about.
    pub links: Vec<TicketLink>,
    /// What an unknown contact said about the transaction.
    pub reported: ReportedTransaction,
    /// Labels.
    pub tags: Vec<String>,
    /// The first message (from the requester, or a staff note for a logged call).
    pub first_message: NewMessage,
}

/// A message to add to a ticket.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Who wrote it.
    pub author_kind: ActorKind,
    /// Their id (customer, contact or staff id; empty for the system).
    pub author_id: String,
    /// Their name as shown in the thread.
    pub author_name: String,
    /// Public or internal.
    pub visibility: Visibility,
    /// Text (parsed).
    pub body: String,
    /// Channel it came in on or goes out through.
    pub channel: Channel,
    /// The platform's id of the message, for dropping duplicate deliveries.
    pub external_id: Option<String>,
    /// Files attached, already stored.
    pub attachments: Vec<Attachment>,
}

/// A file attached to a message. The bytes live in the file store under `storage_key`;
/// the name is only ever shown, never used as a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// Id.
    pub id: String,
    /// The name the uploader gave (display only).
    pub file_name: String,
    /// Content type sniffed from the bytes.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Key in the file store.
    pub storage_key: String,
}

/// A message in a ticket's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketMessage {
    /// Id.
    pub id: String,
    /// The ticket.
    pub ticket_id: String,
    /// Who wrote it.
    pub author_kind: ActorKind,
    /// Their id.
    pub author_id: String,
    /// Their name.
    pub author_name: String,
    /// Public or internal.
    pub visibility: Visibility,
    /// Text.
    pub body: String,
    /// Channel.
    pub channel: Channel,
    /// The platform's id.
    pub external_id: Option<String>,
    /// Delivery to a social platform.
    pub delivery: DeliveryState,
    /// Last delivery error, if any.
    pub delivery_error: Option<String>,
    /// Files.
    pub attachments: Vec<Attachment>,
    /// Written (µs).
    pub created_at_us: i64,
}

/// One change in a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketEvent {
    /// Id.
    pub id: String,
    /// The ticket.
    pub ticket_id: String,
    /// Who changed it.
    pub actor_kind: ActorKind,
    /// Their id.
    pub actor_id: String,
    /// Their name.
    pub actor_name: String,
    /// What changed: `status`, `priority`, `assignee`, `link`, `requester`, …
    pub field: String,
    /// Before (empty when added).
    pub old_value: String,
    /// After (empty when removed).
    pub new_value: String,
    /// When (µs).
    pub at_us: i64,
}

/// Who is making a change, for the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Kind.
    pub kind: ActorKind,
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
}

impl Actor {
    /// paydesk itself.
    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            id: String::new(),
            name: "paydesk".into(),
        }
    }
}

/// Changes staff make to a ticket; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct TicketChanges {
    /// New status.
    pub status: Option<TicketStatus>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New category.
    pub category: Option<Category>,
    /// New group (`Some(None)` clears it).
    pub group_id: Option<Option<GroupId>>,
    /// New assignee (`Some(None)` clears it).
    pub assignee_id: Option<Option<StaffId>>,
    /// New tags (replaces all).
    pub tags: Option<Vec<String>>,
    /// New subject.
    pub subject: Option<String>,
}

/// Filters for ticket lists.
#[derive(Debug, Clone, Default)]
pub struct TicketQuery {
    /// Only this customer's tickets (customers always get this).
    pub customer_id: Option<CustomerId>,
    /// Only this contact's tickets.
    pub contact_id: Option<String>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<TicketStatus>,
    /// Only this channel.
    pub channel: Option<Channel>,
    /// Only this category.
    pub category: Option<Category>,
    /// Only this assignee.
    pub assignee_id: Option<StaffId>,
    /// Only unassigned tickets.
    pub unassigned: bool,
    /// Only this group.
    pub group_id: Option<GroupId>,
    /// Subject or requester name contains this (case-insensitive).
    pub text: Option<String>,
    /// The order: most recently updated first unless the agents' queue order is asked for.
    pub sort: crate::console::TicketSort,
}

/// One phone call and what happened on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallLog {
    /// Id.
    pub id: String,
    /// The ticket it belongs to.
    pub ticket_id: String,
    /// The telephony provider's call id (empty for calls logged by hand).
    pub call_id: String,
    /// The caller's number.
    pub from_number: String,
    /// Where it stands.
    pub state: CallState,
    /// The voice-menu digit chosen.
    pub ivr_choice: Option<String>,
    /// The agent who answered.
    pub agent_id: Option<StaffId>,
    /// Started (µs).
    pub started_at_us: i64,
    /// Answered (µs).
    pub answered_at_us: Option<i64>,
    /// Ended (µs).
    pub ended_at_us: Option<i64>,
    /// Where the recording can be fetched.
    pub recording_url: Option<String>,
    /// The agent's summary (calls logged by hand).
    pub summary: String,
}

/// What the telephony provider told us about a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEvent {
    /// The phone rings.
    Incoming,
    /// The caller pressed a digit in the voice menu.
    MenuChoice(String),
    /// An agent picked up.
    Answered {
        /// The agent, when the provider knows them.
        agent_id: Option<StaffId>,
    },
    /// The call ended.
    Ended,
    /// The recording is ready.
    Recording(String),
}

/// The call's state after an event. Events may arrive late or twice; a call never goes
/// back from ended to ringing.
pub fn call_state_after(current: CallState, event: &CallEvent) -> CallState {
    let finished = matches!(current, CallState::Ended | CallState::Missed);
    match event {
        _ if finished => current,
        CallEvent::Incoming => current,
        CallEvent::MenuChoice(_) if current == CallState::Ringing => CallState::InMenu,
        CallEvent::MenuChoice(_) => current,
        CallEvent::Answered { .. } => CallState::Answered,
        CallEvent::Ended if current == CallState::Answered => CallState::Ended,
        CallEvent::Ended => CallState::Missed,
        CallEvent::Recording(_) => current,
    }
}

/// A message waiting to go out to a platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxItem {
    /// Id.
    pub id: String,
    /// Which platform.
    pub channel: Channel,
    /// The ticket message it delivers.
    pub message_id: String,
    /// The platform's id of the recipient.
    pub recipient: String,
    /// The text.
    pub body: String,
    /// Attempts so far (including the one in progress once claimed).
    pub attempts: u32,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Accepted; the platform's message id when it gave one.
    Sent(Option<String>),
    /// Failed; retry later unless `permanent`.
    Failed {
        /// What went wrong.
        error: String,
        /// The platform refused for good (a 4xx other than 429).
        permanent: bool,
    },
}

/// Attempts before a delivery is given up.
pub const MAX_DELIVERY_ATTEMPTS: u32 = 8;

/// Seconds to wait before attempt `attempts + 1`: 10 s doubling to at most an hour, so a
/// platform outage of a few hours is ridden out without hammering it.
pub fn retry_delay_secs(attempts: u32) -> i64 {
    let exp = attempts.saturating_sub(1).min(10);
    (10_i64 << exp).min(3600)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    #[test]
    fn closed_is_final_for_every_change() {
        for &to in TicketStatus::ALL {
            assert_eq!(
                check_status_change(Closed, to),
                Err(TicketRuleError::Closed)
            );
        }
        for &kind in ActorKind::ALL {
            assert!(status_after_message(Closed, kind, Visibility::Public, None).is_err());
        }
    }

    #[test]
    fn customer_reply_reopens_solved_and_pending() {
        for from in [Solved, PendingCustomer, OnHold] {
            assert_eq!(
                status_after_message(from, ActorKind::Customer, Visibility::Public, None),
                Ok(Open)
            );
        }
        assert_eq!(
            status_after_message(New, ActorKind::Contact, Visibility::Public, None),
            Ok(New)
        );
    }

    #[test]
    fn first_public_answer_opens_a_new_ticket_but_a_note_does_not() {
        assert_eq!(
            status_after_message(New, ActorKind::Staff, Visibility::Public, None),
            Ok(Open)
        );
        assert_eq!(
            status_after_message(New, ActorKind::Staff, Visibility::Internal, None),
            Ok(New)
        );
        assert_eq!(
            status_after_message(
                Open,
                ActorKind::Staff,
                Visibility::Public,
                Some(PendingCustomer)
            ),
            Ok(PendingCustomer)
        );
    }

    #[test]
    fn only_solved_closes_and_nothing_returns_to_new() {
        for &from in TicketStatus::ALL {
            let close = check_status_change(from, Closed);
            assert_eq!(
                close.is_ok(),
                matches!(from, Solved | Closed) && from != Closed
            );
            if from != New && from != Closed {
                assert_eq!(
                    check_status_change(from, New),
                    Err(TicketRuleError::BackToNew)
                );
            }
        }
    }

    #[test]
    fn call_never_goes_back_after_it_ended() {
        let mut s = CallState::Ringing;
        s = call_state_after(s, &CallEvent::MenuChoice("2".into()));
        assert_eq!(s, CallState::InMenu);
        s = call_state_after(s, &CallEvent::Answered { agent_id: None });
        s = call_state_after(s, &CallEvent::Ended);
        assert_eq!(s, CallState::Ended);
        assert_eq!(call_state_after(s, &CallEvent::Incoming), CallState::Ended);
        assert_eq!(
            call_state_after(CallState::Ringing, &CallEvent::Ended),
            CallState::Missed
        );
    }

    #[test]
    fn missing_information_depends_on_category_and_requester() {
        let mut t = Ticket {
            id: "t".into(),
            number: 1,
            requester: Requester::Customer(CustomerId::new()),
            requester_name: "Siti".into(),
            contact_id: None,
            channel: Channel::Web,
            category: Category::FailedTransaction,
            subject: "x".into(),
            status: New,
            priority: Priority::Normal,
            group_id: None,
            assignee_id: None,
            tags: vec![],
            locale: Locale::En,
            links: vec![],
            reported: ReportedTransaction::default(),
            rating: None,
            created_at_us: 0,
            updated_at_us: 0,
            solved_at_us: None,
            sla: Default::default(),
        };
        assert_eq!(t.missing(), vec![Missing::Transaction]);
        t.links.push(TicketLink {
            kind: LinkKind::Transaction,
            record_id: "tx".into(),
        });
        assert!(t.missing().is_empty());
        t.links.clear();
        t.requester = Requester::Contact("c".into());
        assert_eq!(
            t.missing(),
            vec![Missing::CustomerIdentity, Missing::TransactionTimeAndAmount]
        );
        t.reported = ReportedTransaction {
            at_us: Some(1),
            amount_minor: Some(5),
        };
        assert_eq!(t.missing(), vec![Missing::CustomerIdentity]);
        t.category = Category::Other;
        assert!(t.missing().is_empty());
    }

    #[test]
    fn retry_delay_grows_and_is_capped() {
        assert_eq!(retry_delay_secs(1), 10);
        assert_eq!(retry_delay_secs(2), 20);
        assert_eq!(retry_delay_secs(30), 3600);
    }

    #[test]
    fn tags_and_text_are_checked() {
        assert_eq!(
            parse_tags(&["VIP".into(), "vip".into(), "bank-bca".into()]).unwrap(),
            vec!["vip", "bank-bca"]
        );
        assert!(parse_tags(&["<b>".into()]).is_err());
        assert!(parse_subject("   ").is_err());
        assert_eq!(parse_subject(" a\n b ").unwrap(), "a b");
        assert!(parse_body(&"x".repeat(10_001)).is_err());
        assert!(Rating::parse(6, "", 0).is_err());
        assert!(Rating::parse(5, "great", 0).is_ok());
    }
}
