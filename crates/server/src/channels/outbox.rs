//! The outbox worker: delivers agents' public replies on social tickets through the
//! platforms' send APIs. A reply is stored with its outbox row in one transaction (see
//! `TicketRepo::add_message`), so a reply is never lost between the database and the
//! platform; every node runs a worker, and claims with a lease make each delivery one
//! node's at a time.

use super::channel_enabled;
use crate::config::{ChannelsConfig, OutboxConfig};
use crate::state::AppState;
use domain::ticket::{Channel, DeliveryOutcome, OutboxItem};
use std::time::{Duration, Instant};
use tokio::task::{JoinHandle, JoinSet};

/// The HTTP client deliveries use: rustls, a timeout per call, no redirects (a send API
/// that redirects a POST is misconfigured, and following it could leak the token).
pub fn outbox_client(config: &OutboxConfig) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(config.http_timeout_secs.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("paydesk/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// A name for this node in outbox claims: host, process id and a random part, so two
/// processes on one host (or a restarted one) never share a claim.
pub fn node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Polls the outbox every `poll_ms` until aborted; goes on at once while batches are full.
pub fn spawn_outbox_worker(state: AppState, node: String) -> JoinHandle<()> {
    tokio::spawn(async move {
        let cfg = state.config.channels.outbox.clone();
        let client = match outbox_client(&cfg) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "outbox worker not started: HTTP client failed");
                return;
            }
        };
        let pause = Duration::from_millis(cfg.poll_ms.max(10));
        loop {
            match run_outbox_once(&state, &node, &client, crate::now_us()).await {
                Ok(n) if n > 0 && n >= cfg.batch as usize => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox round failed; will retry"),
            }
            tokio::time::sleep(pause).await;
        }
    })
}

/// Claims the deliveries due at `now_us`, sends them concurrently (so one slow platform
/// does not outlast the lease of the others) and records each outcome. Returns how many
/// were attempted.
pub async fn run_outbox_once(
    state: &AppState,
    node: &str,
    client: &reqwest::Client,
    now_us: i64,
) -> anyhow::Result<usize> {
    let cfg = &state.config.channels.outbox;
    let lease_us = cfg.lease_secs.max(1).saturating_mul(1_000_000);
    let items = state
        .repo
        .claim_outbox(node, now_us, lease_us, cfg.batch.max(1))
        .await?;
    let count = items.len();
    let started = Instant::now();
    let mut sends = JoinSet::new();
    for item in items {
        let client = client.clone();
        let config = state.config.clone();
        sends.spawn(async move {
            let outcome = deliver(&client, &config.channels, &item).await;
            (item, outcome)
        });
    }
    while let Some(joined) = sends.join_next().await {
        let (item, outcome) = joined?;
        match &outcome {
            DeliveryOutcome::Sent(_) => {
                tracing::info!(outbox_id = %item.id, channel = item.channel.as_str(), "reply delivered")
            }
            DeliveryOutcome::Failed { error, permanent } => tracing::warn!(
                outbox_id = %item.id,
                channel = item.channel.as_str(),
                attempts = item.attempts,
                permanent,
                error = %error,
                "reply delivery failed"
            ),
        }
        let elapsed = i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX);
        // Keep going on a failure: the other sends happened and must be recorded; this
        // one is retried when its lease ends.
        if let Err(e) = state
            .repo
            .finish_outbox(&item.id, node, &outcome, now_us.saturating_add(elapsed))
            .await
        {
            tracing::warn!(outbox_id = %item.id, error = %e, "recording a delivery failed");
        }
    }
    Ok(count)
}

/// Sends one reply through its platform's API and says how it went. Never fails: every
/// problem is an outcome, temporary (retried with backoff) or permanent.
pub async fn deliver(
    client: &reqwest::Client,
    channels: &ChannelsConfig,
    item: &OutboxItem,
) -> DeliveryOutcome {
    let permanent = |error: String| DeliveryOutcome::Failed {
        error,
        permanent: true,
    };
    if !channel_enabled(channels, item.channel) {
        return permanent(format!(
            "the {} channel is switched off in the configuration",
            item.channel.as_str()
        ));
    }
    let request = match item.channel {
        Channel::Messenger => {
            let m = &channels.messenger;
            client
                .post(format!("{}/me/messages", m.api_base.trim_end_matches('/')))
                .query(&[("access_token", &m.page_access_token)])
                .json(&serde_json::json!({
                    "recipient": { "id": item.recipient },
                    "messaging_type": "RESPONSE",
                    "message": { "text": item.body },
                }))
        }
        Channel::X => {
            // X user ids are numbers; anything else must not reach the URL path.
            if item.recipient.is_empty() || !item.recipient.bytes().all(|b| b.is_ascii_digit()) {
                return permanent("the recipient is not an X user id".into());
            }
            let x = &channels.x;
            client
                .post(format!(
                    "{}/2/dm_conversations/with/{}/messages",
                    x.api_base.trim_end_matches('/'),
                    item.recipient
                ))
                .bearer_auth(&x.access_token)
                .json(&serde_json::json!({ "text": item.body }))
        }
        other => {
            return permanent(format!(
                "{} replies are not delivered through the outbox",
                other.as_str()
            ));
        }
    };
    match request.send().await {
        // The URL can carry the page access token: never let it into the error.
        Err(e) => DeliveryOutcome::Failed {
            error: format!("request failed: {}", e.without_url()),
            permanent: false,
        },
        Ok(resp) => outcome_of(resp).await,
    }
}

/// 2xx is sent (with the platform's message id when it gives one); 429 and 5xx are worth
/// retrying; any other 4xx will fail the same way again.
async fn outcome_of(resp: reqwest::Response) -> DeliveryOutcome {
    let status = resp.status();
    let body = resp.bytes().await.unwrap_or_default();
    if status.is_success() {
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let id = json["message_id"]
            .as_str()
            .or_else(|| json["data"]["dm_event_id"].as_str())
            .map(str::to_owned);
        return DeliveryOutcome::Sent(id);
    }
    let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
    DeliveryOutcome::Failed {
        error: format!("HTTP {}: {text}", status.as_u16()),
        permanent: status.is_client_error() && status != reqwest::StatusCode::TOO_MANY_REQUESTS,
    }
}
