//! Social and phone channels: the webhooks that turn Messenger messages, X direct
//! messages and telephony call events into ticket messages, and the outbox worker that
//! sends agents' public replies back to the platforms.
//!
//! Webhooks live outside `/api/v1`: the platforms call them, not our clients, and each
//! proves who it is with an HMAC signature of the raw body instead of a session.

pub mod messenger;
pub mod outbox;
pub mod signature;
pub mod telephony;
pub mod x;

use crate::config::ChannelsConfig;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};
use domain::Locale;
use domain::repo::{ContactIdentity, MessageOutcome, RepoError, TicketRepo};
use domain::ticket::{
    ActorKind, Category, Channel, Contact, NewMessage, NewTicket, Priority, ReportedTransaction,
    Requester, Visibility,
};

/// The webhook routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/webhooks/messenger",
            get(messenger::verify_subscription).post(messenger::receive),
        )
        .route("/webhooks/x", get(x::crc).post(x::receive))
        .route("/webhooks/telephony", post(telephony::receive))
}

/// Whether a channel is switched on: social and phone channels need their secret in the
/// configuration. Replies to a switched-off channel must not be queued.
pub fn channel_enabled(config: &ChannelsConfig, channel: Channel) -> bool {
    match channel {
        Channel::Messenger => !config.messenger.app_secret.is_empty(),
        Channel::X => !config.x.consumer_secret.is_empty(),
        Channel::Phone => !config.telephony.secret.is_empty(),
        Channel::Web | Channel::App => true,
    }
}

/// The 404 a switched-off channel's webhook answers, so a scanner cannot tell it from a
/// route that does not exist.
fn switched_off(state: &AppState, channel: Channel) -> Result<(), ApiError> {
    if channel_enabled(&state.config.channels, channel) {
        Ok(())
    } else {
        Err(ApiError::RouteNotFound)
    }
}

/// The header's value as text, if present and readable.
fn header<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Logs why a signature was refused (the caller only learns that it was).
fn refuse(channel: Channel, e: signature::SignatureError) -> ApiError {
    tracing::warn!(channel = channel.as_str(), reason = %e, "webhook signature refused");
    ApiError::InvalidSignature
}

/// Reads a webhook body after its signature was checked.
fn parse_json<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("unreadable event: {e}")))
}

/// A message someone sent us on a social platform.
#[derive(Debug, Clone)]
pub(crate) struct SocialMessage {
    /// Messenger or X.
    pub channel: Channel,
    /// The platform's id of the sender (Messenger PSID, X user id).
    pub sender_id: String,
    /// The sender's name as the platform gave it.
    pub display_name: String,
    /// The platform's id of the message, to drop redeliveries.
    pub message_id: String,
    /// What they wrote (attachments already described in it).
    pub text: String,
}

/// Counts of a webhook delivery, answered to the platform (and read by tests).
#[derive(Debug, Default, serde::Serialize)]
pub struct Received {
    /// Messages stored.
    pub stored: u32,
    /// Redeliveries of messages stored before.
    pub duplicates: u32,
    /// Events that were not messages for us (echoes, reads, our own sends).
    pub ignored: u32,
}

impl Received {
    fn count(&mut self, outcome: Option<MessageOutcome>) {
        match outcome {
            Some(o) if o.duplicate => self.duplicates += 1,
            Some(_) => self.stored += 1,
            None => self.ignored += 1,
        }
    }
}

/// Stores a social message in the sender's open ticket on that channel, or opens one.
/// `None` when there was nothing to store (an empty message).
pub(crate) async fn receive_social(
    state: &AppState,
    msg: &SocialMessage,
    now_us: i64,
) -> Result<Option<MessageOutcome>, ApiError> {
    let repo = state.repo.as_ref();
    // The platforms allow shorter messages than we store, but never trust that.
    let text: String = msg.text.chars().take(10_000).collect();
    let Ok(body) = domain::ticket::parse_body(&text) else {
        return Ok(None);
    };
    let contact = repo
        .upsert_contact(
            &ContactIdentity {
                channel: msg.channel,
                external_id: msg.sender_id.clone(),
                display_name: msg.display_name.clone(),
                email: None,
                phone: None,
                customer_id: None,
            },
            now_us,
        )
        .await?;
    let message = NewMessage {
        author_kind: ActorKind::Contact,
        author_id: contact.id.clone(),
        author_name: contact.display_name.clone(),
        visibility: Visibility::Public,
        body: body.clone(),
        channel: msg.channel,
        external_id: Some(msg.message_id.clone()),
        attachments: Vec::new(),
    };
    let opening = Opening {
        subject: subject_from(&body, msg.channel),
        category: Category::Other,
        locale: guess_locale(&body),
    };
    let outcome = thread_message(repo, &contact, &opening, &message, now_us).await?;
    // Closed right now? The sender hears when we open, on their platform.
    crate::calendars::after_inbound(state, &outcome).await;
    Ok(Some(outcome))
}

/// What a ticket opened by a channel starts with.
pub(crate) struct Opening {
    /// One line.
    pub subject: String,
    /// What it is about, when the channel knows (a voice-menu choice).
    pub category: Category,
    /// The requester's language, for automatic messages.
    pub locale: Locale,
}

/// Adds `message` to the contact's latest ticket on the message's channel that is not
/// closed, or opens a ticket with it. Conversations on social platforms and by phone have
/// no subject line to thread by, so the sender is the thread.
pub(crate) async fn thread_message(
    repo: &dyn TicketRepo,
    contact: &Contact,
    opening: &Opening,
    message: &NewMessage,
    now_us: i64,
) -> Result<MessageOutcome, RepoError> {
    if let Some(ticket) = repo
        .latest_active_ticket(&contact.id, message.channel)
        .await?
    {
        return repo
            .add_message(&ticket.id, message, None, None, now_us)
            .await;
    }
    let new = NewTicket {
        // Always by contact, even when it is a known customer: storage files the ticket as
        // that customer and keeps the contact on it, which is what threads the next message.
        requester: Requester::Contact(contact.id.clone()),
        channel: message.channel,
        category: opening.category,
        subject: opening.subject.clone(),
        priority: Priority::Normal,
        locale: opening.locale,
        links: Vec::new(),
        reported: ReportedTransaction::default(),
        tags: Vec::new(),
        first_message: message.clone(),
    };
    repo.create_ticket(&new, None, now_us).await
}

/// A subject from a message: its first non-empty line, at most 80 characters.
pub(crate) fn subject_from(body: &str, channel: Channel) -> String {
    let line = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut subject: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        subject.pop();
        subject.push('…');
    }
    domain::ticket::parse_subject(&subject)
        .unwrap_or_else(|_| format!("Message on {}", channel.as_str()))
}

/// A guess at the language of a message, for automatic replies: Chinese characters mean
/// Chinese; otherwise English only when it has more common English than Indonesian words,
/// since most of the wallet's customers write Indonesian.
pub(crate) fn guess_locale(text: &str) -> Locale {
    if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return Locale::ZhCn;
    }
    const EN: &[&str] = &[
        "the", "my", "is", "i", "you", "not", "please", "why", "what", "was", "have", "can't",
        "cannot", "did", "didn't", "money", "payment", "hello", "hi", "help", "it", "and",
    ];
    const ID: &[&str] = &[
        "saya", "tidak", "yang", "dan", "ini", "itu", "apa", "ga", "gak", "belum", "sudah",
        "tolong", "bisa", "kenapa", "uang", "saldo", "mohon", "kak", "min", "aku", "dong",
    ];
    let (mut en, mut id) = (0, 0);
    for word in text
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(str::to_lowercase)
    {
        en += usize::from(EN.contains(&word.as_str()));
        id += usize::from(ID.contains(&word.as_str()));
    }
    if en > id { Locale::En } else { Locale::Id }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_is_the_first_line_cut_at_80() {
        assert_eq!(
            subject_from("\n  Saldo hilang  \nsecond", Channel::X),
            "Saldo hilang"
        );
        let long = "a".repeat(100);
        let s = subject_from(&long, Channel::X);
        assert_eq!(s.chars().count(), 80);
        assert!(s.ends_with('…'));
        assert_eq!(subject_from("   ", Channel::X), "Message on x");
    }

    #[test]
    fn locale_guess() {
        assert_eq!(guess_locale("我的付款失败了"), Locale::ZhCn);
        assert_eq!(guess_locale("My payment failed, why?"), Locale::En);
        assert_eq!(guess_locale("saldo saya tidak masuk"), Locale::Id);
        assert_eq!(guess_locale("???"), Locale::Id);
    }
}
