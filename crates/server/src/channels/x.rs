//! X Account Activity webhook: the CRC check X repeats every hour (GET) and direct-message
//! events (POST), both signed with the app's consumer secret.

use super::{Received, SocialMessage, header, parse_json, receive_social, refuse, switched_off};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use domain::ticket::Channel;
use serde::Deserialize;
use std::collections::HashMap;

/// The challenge X sends to check we hold the consumer secret.
#[derive(Debug, Deserialize)]
pub struct Crc {
    crc_token: Option<String>,
}

/// `GET /webhooks/x?crc_token=…`: `{"response_token": "sha256=<base64 HMAC>"}`.
pub async fn crc(
    State(state): State<AppState>,
    Query(q): Query<Crc>,
) -> Result<Json<serde_json::Value>, ApiError> {
    switched_off(&state, Channel::X)?;
    let token = q
        .crc_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::BadRequest("crc_token is required".into()))?;
    let secret = &state.config.channels.x.consumer_secret;
    let response_token = super::signature::x_token(secret, token.as_bytes())
        .ok_or_else(|| ApiError::Unexpected(anyhow::anyhow!("HMAC key rejected")))?;
    Ok(Json(
        serde_json::json!({ "response_token": response_token }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Payload {
    for_user_id: String,
    direct_message_events: Vec<DmEvent>,
    users: HashMap<String, User>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DmEvent {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    message_create: Option<MessageCreate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MessageCreate {
    sender_id: String,
    message_data: MessageData,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MessageData {
    text: String,
    attachment: Option<DmAttachment>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DmAttachment {
    media: Option<Media>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Media {
    #[serde(rename = "type")]
    kind: String,
    media_url_https: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct User {
    name: String,
    screen_name: String,
}

impl MessageData {
    fn body(&self) -> String {
        let mut lines = vec![self.text.clone()];
        if let Some(media) = self.attachment.as_ref().and_then(|a| a.media.as_ref()) {
            let kind = if media.kind.is_empty() {
                "media"
            } else {
                &media.kind
            };
            lines.push(format!("[{kind} attachment] {}", media.media_url_https));
        }
        lines.join("\n")
    }
}

fn display_name(users: &HashMap<String, User>, id: &str) -> String {
    match users.get(id) {
        Some(u) if !u.name.is_empty() && !u.screen_name.is_empty() => {
            format!("{} (@{})", u.name, u.screen_name)
        }
        Some(u) if !u.screen_name.is_empty() => format!("@{}", u.screen_name),
        Some(u) if !u.name.is_empty() => u.name.clone(),
        _ => format!("X user {id}"),
    }
}

/// `POST /webhooks/x`: stores each direct message sent to the support account. Our own
/// sends come back as events too (sender = the account itself) and are skipped.
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Received>, ApiError> {
    switched_off(&state, Channel::X)?;
    let secret = &state.config.channels.x.consumer_secret;
    super::signature::verify_x(
        secret,
        &body,
        header(&headers, "x-twitter-webhooks-signature"),
    )
    .map_err(|e| refuse(Channel::X, e))?;
    let payload: Payload = parse_json(&body)?;
    let now = crate::now_us();
    let mut received = Received::default();
    for event in &payload.direct_message_events {
        let create = match &event.message_create {
            Some(c) if event.kind == "message_create" && !event.id.is_empty() => c,
            _ => {
                received.count(None);
                continue;
            }
        };
        if create.sender_id.is_empty() || create.sender_id == payload.for_user_id {
            received.count(None);
            continue;
        }
        let msg = SocialMessage {
            channel: Channel::X,
            sender_id: create.sender_id.clone(),
            display_name: display_name(&payload.users, &create.sender_id),
            message_id: event.id.clone(),
            text: create.message_data.body(),
        };
        received.count(receive_social(&state, &msg, now).await?);
    }
    Ok(Json(received))
}
