//! Repository traits: what the domain needs from storage. `store` implements them once
//! for both SQLite and PostgreSQL; the server depends only on these traits.

use crate::help::{HelpVote, SaveOutcome, StoredArticle, VoteTally};
use crate::identity::{
    AccountStatus, Customer, Email, LoginId, Merchant, NewCustomer, NewStaff, Principal, Staff,
    SupportGroup,
};
use crate::ids::{CustomerId, MerchantId, RegionId, StaffId, UserId};
use crate::ledger::{Balance, GroupOutcome, LedgerAccount, TransferRequest};
use crate::locale::Locale;
use crate::money::Currency;
use crate::page::{Cursor, Limit, Page};
use crate::region::Region;
use crate::ticket::{
    Actor, Attachment, CallEvent, CallLog, Channel, Contact, DeliveryOutcome, NewMessage,
    NewTicket, OutboxItem, Rating, Ticket, TicketChanges, TicketEvent, TicketLink, TicketMessage,
    TicketQuery, TicketStatus,
};
use crate::wallet::{
    FailureReason, FlagReason, Refund, RefundDecision, RefundPolicy, RefundReason, RefundStatus,
    TransactionFlag, TransactionNote, TransactionQuery, WalletOperation, WalletTransaction,
};
use async_trait::async_trait;

/// Storage failures the domain distinguishes; anything else is `Unexpected`.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The record does not exist (or is not visible to the caller).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was violated; the string names what collided (`email`, `phone`).
    #[error("already exists: {0}")]
    Conflict(String),
    /// The record is not in a state that allows this (a decided refund, a resolved hold).
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// Database unreachable, corrupt data, a bug.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// What sign-in needs to check a password, without exposing it in the principal.
#[derive(Clone)]
pub struct Credential {
    /// The account.
    pub principal: Principal,
    /// PHC string of the Argon2id hash.
    pub password_hash: String,
    /// Whether the account may sign in at all.
    pub status: AccountStatus,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("principal", &self.principal)
            .field("password_hash", &"<redacted>")
            .field("status", &self.status)
            .finish()
    }
}

/// How a session is carried: a browser cookie or an API bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Page session in an HttpOnly cookie.
    Cookie,
    /// Mobile app / API bearer token.
    Bearer,
}

impl SessionKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

/// A stored session. Only the SHA-256 of the token is kept, so a database leak does not
/// hand out live sessions.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// Hex SHA-256 of the secret token.
    pub token_hash: String,
    /// Whose session.
    pub user: UserId,
    /// Cookie or bearer.
    pub kind: SessionKind,
    /// Token for CSRF checks on forms posted with this session.
    pub csrf_token: String,
    /// Created, µs since the epoch.
    pub created_at_us: i64,
    /// Expires, µs since the epoch.
    pub expires_at_us: i64,
    /// Client description (user agent), for the sessions list.
    pub user_agent: String,
    /// Network the session started from (IPv4 /24, IPv6 /64), "" when unknown.
    pub client_net: String,
    /// Last request seen (µs), noted at most every few minutes.
    pub last_seen_at_us: i64,
}

/// Filters for the staff customer directory.
#[derive(Debug, Clone, Default)]
pub struct CustomerQuery {
    /// Matches name, email or phone (case-insensitive substring).
    pub text: Option<String>,
    /// Only customers of this region.
    pub region_id: Option<RegionId>,
}

/// Accounts, credentials and profiles.
#[async_trait]
pub trait IdentityRepo: Send + Sync {
    /// Registers a customer; `Conflict("email"|"phone")` if either is taken.
    async fn create_customer(
        &self,
        new: &NewCustomer,
        password_hash: &str,
        now_us: i64,
    ) -> Result<Customer, RepoError>;
    /// Creates a staff account; `Conflict("email")` if taken.
    async fn create_staff(
        &self,
        new: &NewStaff,
        password_hash: &str,
        now_us: i64,
    ) -> Result<Staff, RepoError>;
    /// The credential of a customer signing in by email or phone.
    async fn customer_credential(&self, login: &LoginId) -> Result<Option<Credential>, RepoError>;
    /// The credential of a staff member signing in by email.
    async fn staff_credential(&self, email: &Email) -> Result<Option<Credential>, RepoError>;
    /// The principal behind a session, re-read on every request so a suspension applies at once.
    async fn principal(
        &self,
        user: &UserId,
    ) -> Result<Option<(Principal, AccountStatus)>, RepoError>;
    /// One customer.
    async fn customer(&self, id: &CustomerId) -> Result<Customer, RepoError>;
    /// Customers ordered by name then id, keyset-paginated.
    async fn list_customers(
        &self,
        query: &CustomerQuery,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<Customer>, RepoError>;
    /// One staff member.
    async fn staff(&self, id: &StaffId) -> Result<Staff, RepoError>;
    /// Staff ordered by name then id, optionally only one merchant's.
    async fn list_staff(
        &self,
        merchant: Option<&MerchantId>,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<Staff>, RepoError>;
    /// Saves a person's language choice.
    async fn set_locale(&self, user: &UserId, locale: Locale) -> Result<(), RepoError>;
}

/// Sign-in sessions for pages and the API.
#[async_trait]
pub trait SessionRepo: Send + Sync {
    /// Stores a new session.
    async fn create_session(&self, session: &SessionRecord) -> Result<(), RepoError>;
    /// The unexpired session with this token hash.
    async fn find_session(
        &self,
        token_hash: &str,
        now_us: i64,
    ) -> Result<Option<SessionRecord>, RepoError>;
    /// Ends a session (sign-out). Ending an unknown session is not an error.
    async fn delete_session(&self, token_hash: &str) -> Result<(), RepoError>;
}

/// Regions, merchants and support groups.
#[async_trait]
pub trait DirectoryRepo: Send + Sync {
    /// All regions by name.
    async fn regions(&self) -> Result<Vec<Region>, RepoError>;
    /// One region.
    async fn region(&self, id: &RegionId) -> Result<Region, RepoError>;
    /// Merchants by name then id, keyset-paginated.
    async fn list_merchants(
        &self,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<Merchant>, RepoError>;
    /// One merchant.
    async fn merchant(&self, id: &MerchantId) -> Result<Merchant, RepoError>;
    /// All support groups by name.
    async fn groups(&self) -> Result<Vec<SupportGroup>, RepoError>;
}

/// What an idempotency key lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    /// First use: the key is now reserved for this request.
    Reserved,
    /// Seen with the same request: replay this stored response.
    Completed {
        /// HTTP status of the first answer.
        status: u16,
        /// Body of the first answer.
        body: String,
    },
    /// The key is still being processed by a concurrent request.
    InProgress,
    /// The key was used with a different request body.
    Mismatch,
}

/// Client-supplied idempotency keys, scoped to the caller.
#[async_trait]
pub trait IdempotencyRepo: Send + Sync {
    /// Reserves `key` for `(owner, fingerprint)` or reports what it already holds.
    async fn begin_idempotent(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &str,
        now_us: i64,
    ) -> Result<IdempotencyState, RepoError>;
    /// Stores the response of a reserved key.
    async fn complete_idempotent(
        &self,
        owner: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), RepoError>;
    /// Releases a reservation whose request failed unexpectedly, so a retry may run again.
    async fn abandon_idempotent(&self, owner: &str, key: &str) -> Result<(), RepoError>;
}

/// The wallet's records: ledger, transactions, notes, flags, refunds.
#[async_trait]
pub trait WalletRepo: Send + Sync {
    /// A customer's wallet balance (an empty wallet if none exists yet).
    async fn wallet_balance(
        &self,
        customer: &CustomerId,
        currency: Currency,
    ) -> Result<Balance, RepoError>;
    /// Performs a money movement. Refusals on a rule (insufficient balance) are recorded as
    /// a failed transaction, not returned as errors.
    async fn execute(
        &self,
        op: &WalletOperation,
        now_us: i64,
    ) -> Result<WalletTransaction, RepoError>;
    /// Records a transaction that failed outside the ledger (bank declined, timeout, …).
    async fn record_failure(
        &self,
        op: &WalletOperation,
        reason: FailureReason,
        now_us: i64,
    ) -> Result<WalletTransaction, RepoError>;
    /// Confirms a held payment, in full or for less (the rest is released).
    async fn capture_payment(
        &self,
        transaction_id: &str,
        amount_minor: Option<i64>,
        now_us: i64,
    ) -> Result<WalletTransaction, RepoError>;
    /// Cancels a held payment.
    async fn void_payment(
        &self,
        transaction_id: &str,
        now_us: i64,
    ) -> Result<WalletTransaction, RepoError>;
    /// Expires up to `limit` holds whose time ran out; returns how many.
    async fn expire_holds(&self, now_us: i64, limit: u32) -> Result<u32, RepoError>;
    /// One transaction.
    async fn transaction(&self, id: &str) -> Result<WalletTransaction, RepoError>;
    /// A filtered page of transactions, newest first.
    async fn transactions(
        &self,
        query: &TransactionQuery,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<WalletTransaction>, RepoError>;
    /// A customer's notes on a transaction, oldest first.
    async fn notes(
        &self,
        transaction_id: &str,
        customer: &CustomerId,
    ) -> Result<Vec<TransactionNote>, RepoError>;
    /// Adds a note.
    async fn add_note(
        &self,
        transaction_id: &str,
        customer: &CustomerId,
        body: &str,
        now_us: i64,
    ) -> Result<TransactionNote, RepoError>;
    /// Edits one of the customer's notes.
    async fn update_note(
        &self,
        note_id: &str,
        customer: &CustomerId,
        body: &str,
        now_us: i64,
    ) -> Result<TransactionNote, RepoError>;
    /// Deletes one of the customer's notes.
    async fn delete_note(&self, note_id: &str, customer: &CustomerId) -> Result<(), RepoError>;
    /// Flags on a transaction.
    async fn flags(&self, transaction_id: &str) -> Result<Vec<TransactionFlag>, RepoError>;
    /// Raises a flag.
    async fn add_flag(
        &self,
        transaction_id: &str,
        customer: &CustomerId,
        reason: FlagReason,
        comment: &str,
        now_us: i64,
    ) -> Result<TransactionFlag, RepoError>;
    /// Flags not yet resolved, oldest first.
    async fn open_flags(
        &self,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<TransactionFlag>, RepoError>;
    /// A merchant's refund policy (the default if the merchant set none).
    async fn refund_policy(&self, merchant: &MerchantId) -> Result<RefundPolicy, RepoError>;
    /// Replaces a merchant's refund policy.
    async fn set_refund_policy(
        &self,
        merchant: &MerchantId,
        policy: &RefundPolicy,
        now_us: i64,
    ) -> Result<(), RepoError>;
    /// Requests a refund of a payment; the policy decides at once, under a lock, so
    /// concurrent requests never exceed the captured amount. Approved refunds move the
    /// money in the same database transaction.
    async fn request_refund(
        &self,
        payment_id: &str,
        amount_minor: i64,
        reason: RefundReason,
        now_us: i64,
    ) -> Result<Refund, RepoError>;
    /// Decides a refund waiting for the merchant.
    async fn decide_refund(
        &self,
        refund_id: &str,
        decision: &RefundDecision,
        now_us: i64,
    ) -> Result<Refund, RepoError>;
    /// One refund.
    async fn refund(&self, refund_id: &str) -> Result<Refund, RepoError>;
    /// Refunds of a payment, oldest first.
    async fn refunds_of_payment(&self, payment_id: &str) -> Result<Vec<Refund>, RepoError>;
    /// A merchant's refunds, newest first, optionally of one status.
    async fn merchant_refunds(
        &self,
        merchant: &MerchantId,
        status: Option<RefundStatus>,
        limit: Limit,
    ) -> Result<Vec<Refund>, RepoError>;
    /// Posts one group of linked posted transfers between existing accounts: all or none.
    async fn post_linked_transfers(
        &self,
        group: &[TransferRequest],
        now_us: i64,
    ) -> Result<GroupOutcome, RepoError>;
    /// Every ledger account, for audits and invariant checks.
    async fn ledger_accounts(&self) -> Result<Vec<LedgerAccount>, RepoError>;
}

/// Help-center articles, votes and the synonyms table.
#[async_trait]
pub trait HelpRepo: Send + Sync {
    /// Every stored translation, drafts and internal ones included, by slug then locale.
    async fn help_articles(&self) -> Result<Vec<StoredArticle>, RepoError>;
    /// One translation, if stored.
    async fn help_article(
        &self,
        slug: &str,
        locale: Locale,
    ) -> Result<Option<StoredArticle>, RepoError>;
    /// Number of stored translations.
    async fn count_help_articles(&self) -> Result<i64, RepoError>;
    /// A value that changes whenever any article or the synonyms table changes, so each
    /// node can tell cheaply that its in-memory index is stale.
    async fn help_fingerprint(&self) -> Result<String, RepoError>;
    /// Inserts or replaces one translation, reporting whether anything changed.
    async fn save_help_article(&self, article: &StoredArticle) -> Result<SaveOutcome, RepoError>;
    /// Records a vote.
    async fn add_help_vote(&self, vote: &HelpVote) -> Result<(), RepoError>;
    /// Vote counts per article, most helpful first.
    async fn help_vote_tallies(&self) -> Result<Vec<VoteTally>, RepoError>;
    /// The admin-edited synonyms table (TOML), if one was saved.
    async fn help_synonyms(&self) -> Result<Option<String>, RepoError>;
    /// Replaces the synonyms table.
    async fn set_help_synonyms(&self, toml: &str, now_us: i64) -> Result<(), RepoError>;
}

/// A contact's channel identity and what the channel told us about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactIdentity {
    /// The channel.
    pub channel: Channel,
    /// Messenger PSID, X user id, phone number (E.164) or email.
    pub external_id: String,
    /// Name to show.
    pub display_name: String,
    /// Email, when known.
    pub email: Option<String>,
    /// Phone, when known.
    pub phone: Option<String>,
    /// The customer this identity belongs to, when the channel proves it (the caller's
    /// number matches a customer's verified phone).
    pub customer_id: Option<CustomerId>,
}

/// A ticket message plus the outbox row that delivers it, when it goes to a platform.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Platform.
    pub channel: Channel,
    /// The platform's id of the recipient.
    pub recipient: String,
}

/// What adding a message did.
#[derive(Debug, Clone)]
pub struct MessageOutcome {
    /// The stored message.
    pub message: TicketMessage,
    /// The ticket after the message (status may have changed).
    pub ticket: Ticket,
    /// True when this was a duplicate delivery of a message already stored (same channel
    /// and external id): nothing was written.
    pub duplicate: bool,
}

/// A call event as recorded: the call and the ticket it belongs to.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    /// The call after the event.
    pub call: CallLog,
    /// Its ticket.
    pub ticket: Ticket,
    /// True when the provider's event id was seen before: nothing was written.
    pub duplicate: bool,
}

/// A help-center contact-form outcome: the customer read a suggested article and left
/// (deflected), or went on to send the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deflection {
    /// What they had typed.
    pub query: String,
    /// The article they opened or were shown, if any.
    pub article_slug: Option<String>,
    /// `deflected` or `continued`.
    pub outcome: String,
    /// The language.
    pub locale: Locale,
    /// When (µs).
    pub at_us: i64,
}

/// Tickets, their threads, channel contacts, phone calls and the delivery outbox.
#[async_trait]
pub trait TicketRepo: Send + Sync {
    /// The contact with this channel identity, created on first sight. A known customer
    /// id on the identity is stored on the contact (and kept once set).
    async fn upsert_contact(
        &self,
        identity: &ContactIdentity,
        now_us: i64,
    ) -> Result<Contact, RepoError>;
    /// Opens a guest's web ticket in one transaction: the contact with this identity
    /// (created on first sight) becomes the requester and the first message's author,
    /// and the hash of the guest's secret key is stored with the ticket.
    async fn create_guest_ticket(
        &self,
        identity: &ContactIdentity,
        new: &NewTicket,
        key_hash: &str,
        now_us: i64,
    ) -> Result<(Contact, MessageOutcome), RepoError>;
    /// One contact.
    async fn contact(&self, id: &str) -> Result<Contact, RepoError>;
    /// Identifies a contact as a customer: the contact and every ticket it requested move
    /// to the customer, recorded in each ticket's history.
    async fn merge_contact(
        &self,
        contact_id: &str,
        customer: &CustomerId,
        actor: &Actor,
        now_us: i64,
    ) -> Result<u64, RepoError>;
    /// Opens a ticket with its first message, numbered from one shared counter. A first
    /// message whose external id was stored before is a duplicate delivery: the existing
    /// ticket is returned with `duplicate = true` and nothing is written.
    async fn create_ticket(
        &self,
        new: &NewTicket,
        delivery: Option<&Delivery>,
        now_us: i64,
    ) -> Result<MessageOutcome, RepoError>;
    /// One ticket by id.
    async fn ticket(&self, id: &str) -> Result<Ticket, RepoError>;
    /// One ticket by number.
    async fn ticket_by_number(&self, number: i64) -> Result<Ticket, RepoError>;
    /// The requester's most recent ticket on a channel that is not closed, for threading
    /// social messages and calls by sender.
    async fn latest_active_ticket(
        &self,
        contact_id: &str,
        channel: Channel,
    ) -> Result<Option<Ticket>, RepoError>;
    /// Tickets, most recently updated first, keyset-paginated.
    async fn tickets(
        &self,
        query: &TicketQuery,
        after: Option<&Cursor>,
        limit: Limit,
    ) -> Result<Page<Ticket>, RepoError>;
    /// The thread, oldest first (internal notes included; callers filter).
    async fn ticket_messages(&self, ticket_id: &str) -> Result<Vec<TicketMessage>, RepoError>;
    /// The history, oldest first.
    async fn ticket_events(&self, ticket_id: &str) -> Result<Vec<TicketEvent>, RepoError>;
    /// Adds a message, moving the status by the rules (staff may ask for a status with a
    /// reply), and queues its delivery when given — all in one database transaction, so a
    /// reply is never stored without its delivery or the other way round. A message whose
    /// external id was stored before is a duplicate: nothing is written.
    async fn add_message(
        &self,
        ticket_id: &str,
        message: &NewMessage,
        requested_status: Option<TicketStatus>,
        delivery: Option<&Delivery>,
        now_us: i64,
    ) -> Result<MessageOutcome, RepoError>;
    /// Applies staff changes, checking status rules, recording each change in the history.
    async fn update_ticket(
        &self,
        ticket_id: &str,
        changes: &TicketChanges,
        actor: &Actor,
        now_us: i64,
    ) -> Result<Ticket, RepoError>;
    /// Links a wallet record (no-op if already linked).
    async fn link_record(
        &self,
        ticket_id: &str,
        link: &TicketLink,
        actor: &Actor,
        now_us: i64,
    ) -> Result<Ticket, RepoError>;
    /// Unlinks a wallet record.
    async fn unlink_record(
        &self,
        ticket_id: &str,
        link: &TicketLink,
        actor: &Actor,
        now_us: i64,
    ) -> Result<Ticket, RepoError>;
    /// Stores the requester's rating (replacing an earlier one) once solved.
    async fn rate_ticket(
        &self,
        ticket_id: &str,
        rating: &Rating,
        now_us: i64,
    ) -> Result<Ticket, RepoError>;
    /// Records a telephony event. The first event of a call opens its call log on the
    /// ticket given by `ticket_for_new_call`; later events update it. `event_id` makes
    /// redelivered events no-ops.
    async fn record_call_event(
        &self,
        event_id: &str,
        call_id: &str,
        from_number: &str,
        event: &CallEvent,
        ticket_for_new_call: &str,
        now_us: i64,
    ) -> Result<CallOutcome, RepoError>;
    /// The ticket a provider's call belongs to, if the call was seen before.
    async fn call_ticket(&self, call_id: &str) -> Result<Option<String>, RepoError>;
    /// Logs a call by hand (an agent's summary).
    async fn log_call(
        &self,
        call: &CallLog,
        actor: &Actor,
        now_us: i64,
    ) -> Result<CallLog, RepoError>;
    /// A ticket's calls, oldest first.
    async fn ticket_calls(&self, ticket_id: &str) -> Result<Vec<CallLog>, RepoError>;
    /// Claims up to `limit` deliveries that are due, for `lease_us`: each is handed to one
    /// node only (PostgreSQL: `FOR UPDATE SKIP LOCKED`); an unfinished claim is retried
    /// after its lease ends, so a node dying mid-delivery loses nothing.
    async fn claim_outbox(
        &self,
        node: &str,
        now_us: i64,
        lease_us: i64,
        limit: u32,
    ) -> Result<Vec<OutboxItem>, RepoError>;
    /// Records how a claimed delivery ended; failures are rescheduled with backoff until
    /// the attempts run out. The message's delivery state follows.
    async fn finish_outbox(
        &self,
        id: &str,
        node: &str,
        outcome: &DeliveryOutcome,
        now_us: i64,
    ) -> Result<(), RepoError>;
    /// One attachment with the id of its ticket, for downloads.
    async fn attachment(&self, id: &str) -> Result<(String, Attachment), RepoError>;
    /// The ticket a guest's secret link opens.
    async fn ticket_by_guest_key(&self, key_hash: &str) -> Result<Ticket, RepoError>;
    /// Records a contact-form outcome.
    async fn record_deflection(&self, deflection: &Deflection) -> Result<(), RepoError>;
    /// `(deflected, continued)` counts since a time.
    async fn deflection_counts(&self, since_us: i64) -> Result<(i64, i64), RepoError>;
}

/// Everything the server needs from storage.
#[async_trait]
pub trait Repository:
    IdentityRepo
    + SessionRepo
    + DirectoryRepo
    + IdempotencyRepo
    + WalletRepo
    + HelpRepo
    + TicketRepo
    + crate::sla::SlaRepo
    + crate::calendar::CalendarRepo
    + crate::console::ConsoleRepo
    + crate::protection::ProtectionRepo
    + crate::privacy::PrivacyRepo
    + crate::cards::CardRepo
    + crate::coupon::CouponRepo
    + crate::complaint::ComplaintRepo
{
    /// Cheap round trip to the database, for readiness checks.
    async fn ping(&self) -> Result<(), RepoError>;
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Connection pool size and idle connections, for metrics.
    fn pool_stats(&self) -> (u32, u32);
    /// Refreshes the query planner's statistics where the database does not do it on its
    /// own; cheap when nothing changed. Run at start and hourly.
    async fn optimize(&self) -> Result<(), RepoError>;
}
