//! Social and phone channels: the Messenger, X and telephony webhooks (signatures checked
//! against values computed here independently, threading by sender, duplicates, replays)
//! and the outbox delivering replies to a fake platform on a local port.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use base64::Engine;
use domain::Limit;
use domain::repo::Delivery;
use domain::ticket::{
    ActorKind, CallState, Category, Channel, DeliveryState, NewMessage, Requester, Ticket,
    TicketMessage, TicketQuery, Visibility,
};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use server::Config;
use server::channels::outbox::{outbox_client, run_outbox_once};
use sha2::Sha256;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

const APP_SECRET: &str = "messenger-app-secret";
const VERIFY_TOKEN: &str = "verify-me";
const PAGE_TOKEN: &str = "page-token-123";
const X_SECRET: &str = "x-consumer-secret";
const X_TOKEN: &str = "x-user-token";
const X_SUPPORT_ACCOUNT: &str = "999000";
const PHONE_SECRET: &str = "telephony-secret";
const PSID: &str = "6543210987654321";

fn channels_config(api_base: &str) -> Config {
    let mut config = test_config();
    let c = &mut config.channels;
    c.messenger.app_secret = APP_SECRET.into();
    c.messenger.verify_token = VERIFY_TOKEN.into();
    c.messenger.page_access_token = PAGE_TOKEN.into();
    c.messenger.api_base = format!("{api_base}/v21.0");
    c.x.consumer_secret = X_SECRET.into();
    c.x.access_token = X_TOKEN.into();
    c.x.api_base = api_base.into();
    c.telephony.secret = PHONE_SECRET.into();
    config
}

pub(crate) async fn spawn_channels_app() -> TestApp {
    spawn_app_with(channels_config("http://127.0.0.1:9")).await
}

fn hmac_sha256(key: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn post_raw(app: &TestApp, path: &str, body: &[u8], headers: &[(&str, String)]) -> Answer {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/json");
    for (name, value) in headers {
        b = b.header(*name, value);
    }
    app.send(b.body(Body::from(body.to_vec())).unwrap()).await
}

/// Posts with this signature header (or none) and expects `401 invalid_signature`.
async fn assert_refused(app: &TestApp, path: &str, body: &[u8], signature: Option<(&str, String)>) {
    let headers: Vec<(&str, String)> = signature.into_iter().collect();
    post_raw(app, path, body, &headers)
        .await
        .assert_problem(401, "invalid_signature");
}

pub(crate) async fn all_tickets(app: &TestApp) -> Vec<Ticket> {
    app.state
        .repo
        .tickets(
            &TicketQuery::default(),
            None,
            Limit::parse(Some(100)).unwrap(),
        )
        .await
        .unwrap()
        .items
}

async fn messages(app: &TestApp, ticket: &Ticket) -> Vec<TicketMessage> {
    app.state.repo.ticket_messages(&ticket.id).await.unwrap()
}

// ---- Messenger ----

fn messenger_payload(psid: &str, mid: &str, message: Value) -> Vec<u8> {
    let mut message = message;
    message["mid"] = json!(mid);
    json!({
        "object": "page",
        "entry": [{
            "id": "page-1",
            "time": 1_700_000_000_000_i64,
            "messaging": [{
                "sender": {"id": psid},
                "recipient": {"id": "page-1"},
                "timestamp": 1_700_000_000_000_i64,
                "message": message,
            }],
        }],
    })
    .to_string()
    .into_bytes()
}

async fn post_messenger(app: &TestApp, body: &[u8]) -> Answer {
    let sig = format!("sha256={}", hex::encode(hmac_sha256(APP_SECRET, &[body])));
    post_raw(
        app,
        "/webhooks/messenger",
        body,
        &[("x-hub-signature-256", sig)],
    )
    .await
}

async fn messenger_text(app: &TestApp, psid: &str, mid: &str, text: &str) -> Answer {
    post_messenger(app, &messenger_payload(psid, mid, json!({"text": text}))).await
}

#[tokio::test]
async fn messenger_subscription_challenge_needs_the_verify_token() {
    let app = spawn_channels_app().await;
    let ok = app
        .get(
            &format!(
                "/webhooks/messenger?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"
            ),
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body, "1158201444");
    assert!(ok.content_type().starts_with("text/plain"));

    let bad = app
        .get(
            "/webhooks/messenger?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1",
            None,
        )
        .await;
    bad.assert_problem(403, "forbidden");
    let no_mode = app
        .get(
            &format!("/webhooks/messenger?hub.verify_token={VERIFY_TOKEN}&hub.challenge=1"),
            None,
        )
        .await;
    no_mode.assert_problem(403, "forbidden");
}

#[tokio::test]
async fn messenger_messages_open_a_ticket_and_thread_by_sender() {
    let app = spawn_channels_app().await;
    let first = messenger_text(&app, PSID, "m_1", "Saldo saya hilang\nkemarin sore").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.json()["stored"], 1);

    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    let t = &tickets[0];
    assert_eq!(t.channel, Channel::Messenger);
    assert_eq!(t.category, Category::Other);
    assert_eq!(t.subject, "Saldo saya hilang");
    assert_eq!(t.locale, domain::Locale::Id);
    assert!(matches!(t.requester, Requester::Contact(_)));
    assert_eq!(t.requester_name, "Messenger user 4321");

    let second = messenger_text(&app, PSID, "m_2", "Tolong dicek ya").await;
    assert_eq!(second.json()["stored"], 1);
    // Another sender gets a ticket of their own.
    messenger_text(&app, "1111222233334444", "m_3", "Hello, my payment failed").await;
    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 2);
    let t = tickets.iter().find(|x| x.id == t.id).unwrap();
    let thread = messages(&app, t).await;
    assert_eq!(thread.len(), 2);
    assert_eq!(thread[0].body, "Saldo saya hilang\nkemarin sore");
    assert_eq!(thread[1].body, "Tolong dicek ya");
    for m in &thread {
        assert_eq!(m.author_kind, ActorKind::Contact);
        assert_eq!(m.visibility, Visibility::Public);
        assert_eq!(m.channel, Channel::Messenger);
    }
    assert_eq!(thread[1].external_id.as_deref(), Some("m_2"));
    let other = tickets.iter().find(|x| x.id != t.id).unwrap();
    assert_eq!(other.locale, domain::Locale::En);
}

#[tokio::test]
async fn messenger_redelivery_is_stored_once() {
    let app = spawn_channels_app().await;
    let body = messenger_payload(PSID, "m_dup", json!({"text": "Halo"}));
    assert_eq!(post_messenger(&app, &body).await.json()["stored"], 1);
    let again = post_messenger(&app, &body).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["duplicates"], 1);
    // Redelivered after a reply threaded more messages: still once.
    messenger_text(&app, PSID, "m_next", "Masih belum masuk").await;
    post_messenger(&app, &body).await;
    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(messages(&app, &tickets[0]).await.len(), 2);
}

#[tokio::test]
async fn messenger_refuses_bad_or_missing_signatures_and_stores_nothing() {
    let app = spawn_channels_app().await;
    let body = messenger_payload(PSID, "m_1", json!({"text": "Halo"}));
    let wrong = format!(
        "sha256={}",
        hex::encode(hmac_sha256("not-the-secret", &[&body]))
    );
    assert_refused(
        &app,
        "/webhooks/messenger",
        &body,
        Some(("x-hub-signature-256", wrong)),
    )
    .await;
    // A signature of other bytes (the body was changed on the way).
    let other = format!("sha256={}", hex::encode(hmac_sha256(APP_SECRET, &[b"{}"])));
    assert_refused(
        &app,
        "/webhooks/messenger",
        &body,
        Some(("x-hub-signature-256", other)),
    )
    .await;
    assert_refused(&app, "/webhooks/messenger", &body, None).await;
    assert!(all_tickets(&app).await.is_empty());
}

#[tokio::test]
async fn messenger_skips_echoes_and_describes_attachments() {
    let app = spawn_channels_app().await;
    let echo = messenger_payload(
        PSID,
        "m_echo",
        json!({"text": "our reply", "is_echo": true}),
    );
    let a = post_messenger(&app, &echo).await;
    assert_eq!(a.json()["ignored"], 1);
    assert!(all_tickets(&app).await.is_empty());

    let image = messenger_payload(
        PSID,
        "m_img",
        json!({"attachments": [{"type": "image", "payload": {"url": "https://cdn.example/receipt.jpg"}}]}),
    );
    assert_eq!(post_messenger(&app, &image).await.json()["stored"], 1);
    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(
        messages(&app, &tickets[0]).await[0].body,
        "[image attachment] https://cdn.example/receipt.jpg"
    );
}

#[tokio::test]
async fn switched_off_channels_answer_404() {
    let app = spawn_app().await;
    let body = messenger_payload(PSID, "m_1", json!({"text": "Halo"}));
    let sig = format!("sha256={}", hex::encode(hmac_sha256("", &[&body])));
    post_raw(
        &app,
        "/webhooks/messenger",
        &body,
        &[("x-hub-signature-256", sig)],
    )
    .await
    .assert_problem(404, "route_not_found");
    app.get(
        "/webhooks/messenger?hub.mode=subscribe&hub.verify_token=&hub.challenge=1",
        None,
    )
    .await
    .assert_problem(404, "route_not_found");
    app.get("/webhooks/x?crc_token=abc", None)
        .await
        .assert_problem(404, "route_not_found");
    post_raw(&app, "/webhooks/telephony", b"{}", &[])
        .await
        .assert_problem(404, "route_not_found");
    assert!(all_tickets(&app).await.is_empty());
}

// ---- X ----

fn x_payload(sender: &str, id: &str, text: &str) -> Vec<u8> {
    json!({
        "for_user_id": X_SUPPORT_ACCOUNT,
        "direct_message_events": [{
            "type": "message_create",
            "id": id,
            "created_timestamp": "1700000000000",
            "message_create": {
                "target": {"recipient_id": X_SUPPORT_ACCOUNT},
                "sender_id": sender,
                "message_data": {"text": text, "entities": {}},
            },
        }],
        "users": {
            sender: {"id": sender, "name": "Rina Wulandari", "screen_name": "rinaw"},
            X_SUPPORT_ACCOUNT: {"id": X_SUPPORT_ACCOUNT, "name": "Dompet Support", "screen_name": "dompet_cs"},
        },
    })
    .to_string()
    .into_bytes()
}

async fn post_x(app: &TestApp, body: &[u8]) -> Answer {
    let sig = format!("sha256={}", b64(&hmac_sha256(X_SECRET, &[body])));
    post_raw(
        app,
        "/webhooks/x",
        body,
        &[("x-twitter-webhooks-signature", sig)],
    )
    .await
}

#[tokio::test]
async fn x_crc_answer_is_the_hmac_of_the_token() {
    let app = spawn_channels_app().await;
    let a = app.get("/webhooks/x?crc_token=9b4507b3-2b5e", None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let expected = format!(
        "sha256={}",
        b64(&hmac_sha256(X_SECRET, &[b"9b4507b3-2b5e"]))
    );
    assert_eq!(a.json(), json!({ "response_token": expected }));
    app.get("/webhooks/x", None)
        .await
        .assert_problem(400, "bad_request");
}

#[tokio::test]
async fn x_direct_messages_are_verified_and_threaded() {
    let app = spawn_channels_app().await;
    let body = x_payload("4242", "dm_1", "Top up saya belum masuk");
    let wrong = format!("sha256={}", b64(&hmac_sha256("nope", &[&body])));
    assert_refused(
        &app,
        "/webhooks/x",
        &body,
        Some(("x-twitter-webhooks-signature", wrong)),
    )
    .await;
    assert_refused(&app, "/webhooks/x", &body, None).await;
    assert!(all_tickets(&app).await.is_empty());

    let a = post_x(&app, &body).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.json()["stored"], 1);
    post_x(&app, &x_payload("4242", "dm_2", "Sudah 2 jam")).await;
    // Our own sends come back as events from the support account: not stored.
    let own = post_x(&app, &x_payload(X_SUPPORT_ACCOUNT, "dm_3", "Kami cek ya")).await;
    assert_eq!(own.json()["ignored"], 1);
    // Redelivery.
    assert_eq!(post_x(&app, &body).await.json()["duplicates"], 1);

    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].channel, Channel::X);
    assert_eq!(tickets[0].requester_name, "Rina Wulandari (@rinaw)");
    assert_eq!(tickets[0].subject, "Top up saya belum masuk");
    let thread = messages(&app, &tickets[0]).await;
    assert_eq!(
        thread.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        ["Top up saya belum masuk", "Sudah 2 jam"]
    );
}

// ---- Telephony ----

fn now_secs() -> i64 {
    server::now_us() / 1_000_000
}

async fn post_call_at(app: &TestApp, event: Value, t: i64) -> Answer {
    let body = event.to_string().into_bytes();
    let tag = hex::encode(hmac_sha256(
        PHONE_SECRET,
        &[t.to_string().as_bytes(), b".", &body],
    ));
    post_raw(
        app,
        "/webhooks/telephony",
        &body,
        &[("x-paydesk-signature", format!("t={t},v1={tag}"))],
    )
    .await
}

pub(crate) async fn post_call(app: &TestApp, event: Value) -> Answer {
    let a = post_call_at(app, event, now_secs()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a
}

#[tokio::test]
async fn a_phone_call_makes_one_ticket_for_the_matched_customer() {
    let app = spawn_channels_app().await;
    let from = "+6281234567890";
    let ev = |id: &str, kind: &str, extra: Value| {
        let mut v = json!({"event_id": id, "call_id": "call-1", "type": kind, "from": from});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    post_call(&app, ev("e1", "incoming", json!({}))).await;
    post_call(&app, ev("e2", "menu", json!({"digits": "2"}))).await;
    post_call(
        &app,
        ev("e3", "answered", json!({"agent_email": "agent@example.id"})),
    )
    .await;
    post_call(&app, ev("e4", "ended", json!({}))).await;
    let last = post_call(
        &app,
        ev(
            "e5",
            "recording",
            json!({"recording_url": "https://recordings.example/call-1.mp3"}),
        ),
    )
    .await;
    assert_eq!(last.json()["call_state"], "ended");

    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    let t = &tickets[0];
    assert_eq!(t.channel, Channel::Phone);
    assert_eq!(t.category, Category::FailedTransaction);
    // Ticket text is stored in the clear, so the number is masked there.
    assert_eq!(t.subject, "Phone call from +62 ••• 7890");
    assert_eq!(
        t.requester,
        Requester::Customer(app.accounts.customer.id.clone())
    );
    let calls = app.state.repo.ticket_calls(&t.id).await.unwrap();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.state, CallState::Ended);
    assert_eq!(call.ivr_choice.as_deref(), Some("2"));
    assert_eq!(
        call.recording_url.as_deref(),
        Some("https://recordings.example/call-1.mp3")
    );
    assert_eq!(call.agent_id.as_ref(), Some(&app.accounts.agent.id));
    let thread = messages(&app, t).await;
    assert_eq!(thread.len(), 1);
    assert_eq!(thread[0].author_kind, ActorKind::System);
    assert_eq!(thread[0].visibility, Visibility::Internal);
    assert_eq!(thread[0].body, "Incoming call from +62 ••• 7890");
    let events = app.state.repo.ticket_events(&t.id).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.field == "category" && e.new_value == "failed_transaction"),
        "{events:?}"
    );

    // The same caller again (typed the national way): the open ticket gets the call.
    let again = json!({"event_id": "e6", "call_id": "call-2", "type": "incoming", "from": "0812-3456-7890"});
    post_call(&app, again).await;
    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    let calls = app.state.repo.ticket_calls(&t.id).await.unwrap();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.from_number == from), "{calls:?}");
    assert_eq!(messages(&app, t).await.len(), 2);
}

#[tokio::test]
async fn a_menu_choice_opens_the_ticket_in_its_category_and_unknown_callers_are_contacts() {
    let app = spawn_channels_app().await;
    let a = post_call(
        &app,
        json!({"event_id": "m1", "call_id": "c9", "type": "menu", "digits": "3", "from": "+6285700001111"}),
    )
    .await;
    assert_eq!(a.json()["call_state"], "in_menu");
    post_call(
        &app,
        json!({"event_id": "m2", "call_id": "c9", "type": "ended", "from": "+6285700001111"}),
    )
    .await;
    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].category, Category::Refund);
    assert!(matches!(tickets[0].requester, Requester::Contact(_)));
    let calls = app.state.repo.ticket_calls(&tickets[0].id).await.unwrap();
    assert_eq!(calls[0].state, CallState::Missed);
}

#[tokio::test]
async fn telephony_refuses_replays_and_bad_signatures() {
    let app = spawn_channels_app().await;
    let event = json!({"event_id": "r1", "call_id": "call-r", "type": "incoming", "from": "+6281234567890"});
    // Signed correctly, but ten minutes ago (tolerance is five).
    post_call_at(&app, event.clone(), now_secs() - 600)
        .await
        .assert_problem(401, "invalid_signature");
    post_call_at(&app, event.clone(), now_secs() + 600)
        .await
        .assert_problem(401, "invalid_signature");
    let body = event.to_string();
    let t = now_secs();
    let wrong = hex::encode(hmac_sha256(
        "other-secret",
        &[t.to_string().as_bytes(), b".", body.as_bytes()],
    ));
    let header = ("x-paydesk-signature", format!("t={t},v1={wrong}"));
    assert_refused(&app, "/webhooks/telephony", body.as_bytes(), Some(header)).await;
    assert_refused(&app, "/webhooks/telephony", body.as_bytes(), None).await;
    assert!(all_tickets(&app).await.is_empty());

    // Signed but unreadable or incomplete events are the provider's bug: 400.
    post_call_at(&app, json!({"event_id": "x"}), now_secs())
        .await
        .assert_problem(400, "bad_request");
    post_call_at(
        &app,
        json!({"event_id": "r2", "call_id": "c", "type": "recording", "from": "+6281234567890", "recording_url": "javascript:alert(1)"}),
        now_secs(),
    )
    .await
    .assert_problem(400, "bad_request");
}

#[tokio::test]
async fn a_redelivered_call_event_counts_once() {
    let app = spawn_channels_app().await;
    let ev = json!({"event_id": "d1", "call_id": "call-d", "type": "incoming", "from": "+6281298765432"});
    let first = post_call(&app, ev.clone()).await;
    assert_eq!(first.json()["duplicate"], false);
    let again = post_call(&app, ev).await;
    assert_eq!(again.json()["duplicate"], true);
    assert_eq!(again.json()["ticket_id"], first.json()["ticket_id"]);
    let menu = json!({"event_id": "d2", "call_id": "call-d", "type": "menu", "digits": "1", "from": "+6281298765432"});
    post_call(&app, menu.clone()).await;
    post_call(&app, menu).await;
    let tickets = all_tickets(&app).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(
        tickets[0].requester,
        Requester::Customer(app.accounts.other_customer.id.clone())
    );
    assert_eq!(messages(&app, &tickets[0]).await.len(), 1);
    let events = app.state.repo.ticket_events(&tickets[0].id).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.field == "category").count(), 1);
}

// ---- Outbox ----

/// What the fake platform received.
#[derive(Debug, Clone)]
struct Recorded {
    path: String,
    query: String,
    authorization: String,
    body: Value,
}

/// A platform API on a local port that records requests and fails the first `fail`
/// of them with `fail_status`.
#[derive(Clone, Default)]
struct FakePlatform {
    requests: Arc<Mutex<Vec<Recorded>>>,
    fail: Arc<AtomicU32>,
    fail_status: Arc<AtomicU32>,
}

impl FakePlatform {
    async fn start() -> (FakePlatform, String) {
        let fake = FakePlatform::default();
        let shared = fake.clone();
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let fake = shared.clone();
                async move {
                    let n = {
                        let mut requests = fake.requests.lock().unwrap();
                        requests.push(Recorded {
                            path: uri.path().to_owned(),
                            query: uri.query().unwrap_or("").to_owned(),
                            authorization: headers
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_owned(),
                            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                        });
                        requests.len()
                    };
                    let failing = fake
                        .fail
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |f| f.checked_sub(1))
                        .is_ok();
                    if failing {
                        let status = fake.fail_status.load(Ordering::SeqCst) as u16;
                        return (
                            StatusCode::from_u16(status).unwrap(),
                            axum::Json(json!({"error": {"message": "try later", "code": 2}})),
                        );
                    }
                    let reply = if uri.path().ends_with("/me/messages") {
                        json!({"recipient_id": PSID, "message_id": format!("m_sent_{n}")})
                    } else {
                        json!({"data": {"dm_conversation_id": "c-1", "dm_event_id": format!("dm_sent_{n}")}})
                    };
                    (StatusCode::OK, axum::Json(reply))
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        (fake, format!("http://{addr}"))
    }

    fn fail_next(&self, n: u32, status: u16) {
        self.fail_status.store(u32::from(status), Ordering::SeqCst);
        self.fail.store(n, Ordering::SeqCst);
    }

    fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

/// An agent's public reply on the ticket, queued for delivery as the ticket API does.
async fn agent_reply(app: &TestApp, ticket: &Ticket, recipient: &str, body: &str) -> String {
    let agent = &app.accounts.agent;
    let message = NewMessage {
        author_kind: ActorKind::Staff,
        author_id: agent.id.to_string(),
        author_name: agent.display_name.as_str().to_owned(),
        visibility: Visibility::Public,
        body: body.into(),
        channel: ticket.channel,
        external_id: None,
        attachments: Vec::new(),
    };
    let delivery = Delivery {
        channel: ticket.channel,
        recipient: recipient.into(),
    };
    let out = app
        .state
        .repo
        .add_message(
            &ticket.id,
            &message,
            None,
            Some(&delivery),
            server::now_us(),
        )
        .await
        .unwrap();
    assert_eq!(out.message.delivery, DeliveryState::Queued);
    out.message.id
}

async fn message_by_id(app: &TestApp, ticket: &Ticket, id: &str) -> TicketMessage {
    messages(app, ticket)
        .await
        .into_iter()
        .find(|m| m.id == id)
        .unwrap()
}

async fn outbox_app() -> (TestApp, FakePlatform, reqwest::Client) {
    let (fake, base) = FakePlatform::start().await;
    let app = spawn_app_with(channels_config(&base)).await;
    let client = outbox_client(&app.state.config.channels.outbox).unwrap();
    (app, fake, client)
}

const SEC: i64 = 1_000_000;

/// One outbox round as if the clock said `at_us`; how many deliveries were attempted.
async fn outbox_round(app: &TestApp, client: &reqwest::Client, at_us: i64) -> usize {
    run_outbox_once(&app.state, "node-a", client, at_us)
        .await
        .unwrap()
}

#[tokio::test]
async fn messenger_reply_is_delivered_once_through_the_send_api() {
    let (app, fake, client) = outbox_app().await;
    messenger_text(&app, PSID, "m_1", "Saldo saya hilang").await;
    let ticket = all_tickets(&app).await.remove(0);
    let id = agent_reply(&app, &ticket, PSID, "Kami sedang cek, mohon tunggu").await;

    let now = server::now_us();
    assert_eq!(outbox_round(&app, &client, now).await, 1);
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/v21.0/me/messages");
    assert_eq!(r.query, format!("access_token={PAGE_TOKEN}"));
    assert_eq!(
        r.body,
        json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "Kami sedang cek, mohon tunggu"}})
    );
    let m = message_by_id(&app, &ticket, &id).await;
    assert_eq!(m.delivery, DeliveryState::Sent);
    assert_eq!(m.external_id.as_deref(), Some("m_sent_1"));

    // Nothing left: later rounds send nothing again.
    assert_eq!(outbox_round(&app, &client, now + 3600 * SEC).await, 0);
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn x_reply_is_sent_as_a_direct_message() {
    let (app, fake, client) = outbox_app().await;
    post_x(&app, &x_payload("4242", "dm_1", "Halo admin")).await;
    let ticket = all_tickets(&app).await.remove(0);
    let id = agent_reply(&app, &ticket, "4242", "Halo, ada yang bisa dibantu?").await;
    outbox_round(&app, &client, server::now_us()).await;
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/2/dm_conversations/with/4242/messages");
    assert_eq!(requests[0].authorization, format!("Bearer {X_TOKEN}"));
    assert_eq!(
        requests[0].body,
        json!({"text": "Halo, ada yang bisa dibantu?"})
    );
    let m = message_by_id(&app, &ticket, &id).await;
    assert_eq!(m.delivery, DeliveryState::Sent);
    assert_eq!(m.external_id.as_deref(), Some("dm_sent_1"));
}

#[tokio::test]
async fn failed_deliveries_are_retried_after_backoff_and_refusals_fail() {
    use DeliveryState::{Failed, Queued, Sent};
    let (app, fake, client) = outbox_app().await;
    messenger_text(&app, PSID, "m_1", "Halo").await;
    let ticket = all_tickets(&app).await.remove(0);
    // A second ahead, so replies written during the test are already due at `now`.
    let now = server::now_us() + SEC;

    // (platform fails the first n calls with this status, then per round: seconds after
    // `now`, deliveries attempted, delivery state after it)
    type Round = (i64, usize, DeliveryState);
    let cases: [(&str, u32, u16, &[Round]); 3] = [
        // Two 500s: retried after 10 s, then 20 s; not earlier.
        (
            "first",
            2,
            500,
            &[
                (0, 1, Queued),
                (2, 0, Queued),
                (15, 1, Queued),
                (20, 0, Queued),
                (45, 1, Sent),
            ],
        ),
        // Rate limiting is temporary too.
        ("second", 1, 429, &[(50, 1, Queued), (70, 1, Sent)]),
        // A 400 will not get better: failed at once, never retried.
        ("third", 1, 400, &[(80, 1, Failed), (7200, 0, Failed)]),
    ];
    for (reply, fail, status, rounds) in cases {
        let id = agent_reply(&app, &ticket, PSID, &format!("The {reply} reply")).await;
        fake.fail_next(fail, status);
        for &(at, attempted, state) in rounds {
            let what = format!("{reply} reply, {status}, at +{at} s");
            assert_eq!(
                outbox_round(&app, &client, now + at * SEC).await,
                attempted,
                "{what}"
            );
            let m = message_by_id(&app, &ticket, &id).await;
            assert_eq!(m.delivery, state, "{what}");
            if state != Sent {
                let error = m.delivery_error.unwrap_or_default();
                assert!(error.contains(&status.to_string()), "{what}: {error}");
            }
        }
    }
    // 3 + 2 + 1 calls reached the platform.
    assert_eq!(fake.requests().len(), 6);
}

#[tokio::test]
async fn an_unreachable_platform_is_retried_and_the_token_stays_out_of_errors() {
    // A port that nothing listens on: connection refused.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let app = spawn_app_with(channels_config(&format!("http://{closed}"))).await;
    let client = outbox_client(&app.state.config.channels.outbox).unwrap();
    messenger_text(&app, PSID, "m_1", "Halo").await;
    let ticket = all_tickets(&app).await.remove(0);
    let id = agent_reply(&app, &ticket, PSID, "Balasan").await;
    outbox_round(&app, &client, server::now_us()).await;
    let m = message_by_id(&app, &ticket, &id).await;
    assert_eq!(m.delivery, DeliveryState::Queued);
    let error = m.delivery_error.unwrap_or_default();
    assert!(!error.is_empty());
    assert!(!error.contains(PAGE_TOKEN), "{error}");
}
