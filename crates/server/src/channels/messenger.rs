//! Facebook Messenger Platform webhook: Meta's subscription check (GET) and message
//! events (POST), signed with the app secret.

use super::{Received, SocialMessage, header, parse_json, receive_social, refuse, switched_off};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header as h};
use axum::response::{IntoResponse, Response};
use domain::ticket::Channel;
use serde::Deserialize;
use subtle::ConstantTimeEq;

/// The query Meta sends when a webhook is subscribed.
#[derive(Debug, Deserialize)]
pub struct Subscription {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// `GET /webhooks/messenger`: answers Meta's challenge when the verify token matches.
pub async fn verify_subscription(
    State(state): State<AppState>,
    Query(q): Query<Subscription>,
) -> Result<Response, ApiError> {
    switched_off(&state, Channel::Messenger)?;
    let expected = state.config.channels.messenger.verify_token.as_bytes();
    let given = q.verify_token.unwrap_or_default();
    let token_ok = !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected));
    match (q.mode.as_deref(), q.challenge) {
        (Some("subscribe"), Some(challenge)) if token_ok => {
            Ok(([(h::CONTENT_TYPE, "text/plain; charset=utf-8")], challenge).into_response())
        }
        _ => Err(ApiError::Forbidden),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Payload {
    object: String,
    entry: Vec<Entry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Entry {
    messaging: Vec<Messaging>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Messaging {
    sender: Option<Party>,
    message: Option<Message>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Party {
    id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Message {
    mid: String,
    text: Option<String>,
    is_echo: bool,
    attachments: Vec<Attachment>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Attachment {
    #[serde(rename = "type")]
    kind: String,
    payload: Option<AttachmentPayload>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AttachmentPayload {
    url: Option<String>,
}

impl Message {
    /// The text, with a line per attachment ("[image attachment] https://…") so agents see
    /// what was sent even when there are no words.
    fn body(&self) -> String {
        let mut lines: Vec<String> = self.text.iter().cloned().collect();
        for a in &self.attachments {
            let kind = if a.kind.is_empty() { "file" } else { &a.kind };
            let url = a.payload.as_ref().and_then(|p| p.url.as_deref());
            lines.push(match url {
                Some(url) => format!("[{kind} attachment] {url}"),
                None => format!("[{kind} attachment]"),
            });
        }
        lines.join("\n")
    }
}

/// `POST /webhooks/messenger`: stores each message a person sent the page. The signature
/// is checked on the raw bytes before anything is parsed. Meta retries anything but a 200,
/// so events that are not messages for us are answered 200 and ignored.
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Received>, ApiError> {
    switched_off(&state, Channel::Messenger)?;
    let secret = &state.config.channels.messenger.app_secret;
    super::signature::verify_messenger(secret, &body, header(&headers, "x-hub-signature-256"))
        .map_err(|e| refuse(Channel::Messenger, e))?;
    let payload: Payload = parse_json(&body)?;
    let mut received = Received::default();
    if payload.object != "page" {
        return Ok(Json(received));
    }
    let now = crate::now_us();
    for event in payload.entry.iter().flat_map(|e| &e.messaging) {
        let (Some(sender), Some(message)) = (&event.sender, &event.message) else {
            // Deliveries, reads, postbacks: nothing to store.
            received.count(None);
            continue;
        };
        // Echoes are the page's own sends (our replies) coming back.
        if message.is_echo || sender.id.is_empty() || message.mid.is_empty() {
            received.count(None);
            continue;
        }
        let last4: String = {
            let chars: Vec<char> = sender.id.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        let msg = SocialMessage {
            channel: Channel::Messenger,
            sender_id: sender.id.clone(),
            display_name: format!("Messenger user {last4}"),
            message_id: message.mid.clone(),
            text: message.body(),
        };
        received.count(receive_social(&state, &msg, now).await?);
    }
    Ok(Json(received))
}
