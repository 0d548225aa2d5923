//! Two `paydesk serve` processes on one database share the outbox (issue 5, "several
//! nodes"): every queued reply reaches the platform exactly once, both nodes take part,
//! and a node killed mid-delivery loses nothing — the other node takes its deliveries
//! over when their lease ends. Runs on whichever backend the suite runs on: on
//! PostgreSQL the claims use `FOR UPDATE SKIP LOCKED`; on SQLite two processes on one
//! file are serialised by the file lock, which must give the same guarantee.

use super::{free_port, http, paydesk};
use axum::extract::{Path, Query, State};
use axum::routing::post;
use axum::{Json, Router};
use domain::Locale;
use domain::repo::{ContactIdentity, Delivery, TicketRepo};
use domain::ticket::{
    ActorKind, Category, Channel, DeliveryState, NewMessage, NewTicket, Priority, Requester,
    Visibility,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::{Store, StoreOptions};

/// One send the fake platform answered 200.
#[derive(Debug, Clone)]
struct Sent {
    /// The node whose API base the request came to (each node gets its own).
    node: String,
    access_token: String,
    recipient: String,
    text: String,
}

/// A fake Messenger Send API: `POST /{node}/me/messages`. Answers like Meta's, except on
/// the routes of nodes told to hang, where a request is counted and never answered.
#[derive(Clone, Default)]
struct FakeMessenger {
    sent: Arc<Mutex<Vec<Sent>>>,
    hanging: Arc<Mutex<HashSet<String>>>,
    arrived_hanging: Arc<AtomicU64>,
    next_id: Arc<AtomicU64>,
}

impl FakeMessenger {
    async fn start(&self) -> String {
        let app = Router::new()
            .route("/{node}/me/messages", post(send))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }
}

async fn send(
    State(fake): State<FakeMessenger>,
    Path(node): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    if fake.hanging.lock().unwrap().contains(&node) {
        fake.arrived_hanging.fetch_add(1, Ordering::SeqCst);
        // The node is killed while it waits; its connection closing drops this future.
        std::future::pending::<()>().await;
    }
    let recipient = body["recipient"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    fake.sent.lock().unwrap().push(Sent {
        node,
        access_token: query.get("access_token").cloned().unwrap_or_default(),
        recipient: recipient.clone(),
        text: body["message"]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    });
    let n = fake.next_id.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "recipient_id": recipient, "message_id": format!("m_{n}") }))
}

/// A `paydesk serve` process; killed when dropped so a failing test leaves none behind.
struct Node {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Node {
    fn start(db: &str, name: &str, platform: &str, lease_secs: u32, dir: &std::path::Path) -> Node {
        let port = free_port();
        let log = dir.join(format!("node-{name}.log"));
        let mut child = paydesk(&["serve", "--bind", &format!("127.0.0.1:{port}")], db)
            // A channel is switched on by its secret; the webhook is not used here.
            .env(
                "PAYDESK__CHANNELS__MESSENGER__APP_SECRET",
                "two-nodes-secret",
            )
            .env(
                "PAYDESK__CHANNELS__MESSENGER__PAGE_ACCESS_TOKEN",
                format!("token-{name}"),
            )
            .env(
                "PAYDESK__CHANNELS__MESSENGER__API_BASE",
                format!("{platform}/{name}"),
            )
            // Small batches, polled often, so both nodes find work in the same queue.
            .env("PAYDESK__CHANNELS__OUTBOX__POLL_MS", "50")
            .env("PAYDESK__CHANNELS__OUTBOX__BATCH", "5")
            .env(
                "PAYDESK__CHANNELS__OUTBOX__LEASE_SECS",
                lease_secs.to_string(),
            )
            .env("PAYDESK__FILES__DIR", dir.join(format!("files-{name}")))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "node {name} exited ({status}) before it was ready:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            if let Ok((200, _)) = http(port, "GET", "/readyz", None, None, None) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "node {name} was not ready on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Node {
            name: name.to_owned(),
            child,
            log,
        }
    }

    /// SIGKILL: no shutdown handler runs, deliveries in flight are cut off.
    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!("--- node {} log (last 20 lines) ---\n{tail}", self.name)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Messenger conversation: its ticket and the sender's page-scoped id.
struct Conversation {
    ticket_id: String,
    psid: String,
}

/// A queued staff reply and where it must go.
struct Reply {
    text: String,
    psid: String,
}

/// `n` tickets opened by Messenger senders, as the webhook opens them.
async fn messenger_tickets(store: &Store, run: &str, n: usize) -> Vec<Conversation> {
    let now = jiff::Timestamp::now().as_microsecond();
    let mut out = Vec::new();
    for i in 0..n {
        let psid = format!("{run}{i:04}");
        let name = format!("Messenger sender {i}");
        let contact = store
            .upsert_contact(
                &ContactIdentity {
                    channel: Channel::Messenger,
                    external_id: psid.clone(),
                    display_name: name.clone(),
                    email: None,
                    phone: None,
                    customer_id: None,
                },
                now,
            )
            .await
            .unwrap();
        let opened = store
            .create_ticket(
                &NewTicket {
                    requester: Requester::Contact(contact.id.clone()),
                    channel: Channel::Messenger,
                    category: Category::FailedTransaction,
                    subject: format!("Top-up {i} did not arrive"),
                    priority: Priority::Normal,
                    locale: Locale::Id,
                    links: Vec::new(),
                    reported: Default::default(),
                    tags: Vec::new(),
                    first_message: NewMessage {
                        author_kind: ActorKind::Contact,
                        author_id: contact.id.clone(),
                        author_name: name,
                        visibility: Visibility::Public,
                        body: "Saldo saya belum masuk".into(),
                        channel: Channel::Messenger,
                        external_id: Some(format!("m_in_{run}_{i}")),
                        attachments: Vec::new(),
                    },
                },
                None,
                now,
            )
            .await
            .unwrap();
        out.push(Conversation {
            ticket_id: opened.ticket.id,
            psid,
        });
    }
    out
}

/// Public staff replies, `per_ticket` on each conversation, each queued for delivery in
/// the same transaction (as an agent's reply is).
async fn queue_replies(
    store: &Store,
    conversations: &[Conversation],
    per_ticket: usize,
) -> Vec<Reply> {
    let mut out = Vec::new();
    for k in 0..per_ticket {
        for c in conversations {
            let text = format!("Reply {k} to {}: we are checking your top-up.", c.psid);
            store
                .add_message(
                    &c.ticket_id,
                    &NewMessage {
                        author_kind: ActorKind::Staff,
                        author_id: "two-nodes-agent".into(),
                        author_name: "Agus".into(),
                        visibility: Visibility::Public,
                        body: text.clone(),
                        channel: Channel::Messenger,
                        external_id: None,
                        attachments: Vec::new(),
                    },
                    None,
                    Some(&Delivery {
                        channel: Channel::Messenger,
                        recipient: c.psid.clone(),
                    }),
                    jiff::Timestamp::now().as_microsecond(),
                )
                .await
                .unwrap();
            out.push(Reply {
                text,
                psid: c.psid.clone(),
            });
        }
    }
    out
}

/// Staff messages per delivery state, over all the conversations.
async fn delivery_states(store: &Store, conversations: &[Conversation]) -> BTreeMap<String, usize> {
    let mut states = BTreeMap::new();
    for c in conversations {
        for m in store.ticket_messages(&c.ticket_id).await.unwrap() {
            if m.author_kind == ActorKind::Staff {
                *states.entry(m.delivery.as_str().to_owned()).or_default() += 1;
            }
        }
    }
    states
}

/// Polls the store until every queued reply shows `sent`; panics after 60 s with the
/// counts and the nodes' logs.
fn wait_all_sent(
    rt: &tokio::runtime::Runtime,
    store: &Store,
    conversations: &[Conversation],
    expected: usize,
    nodes: &[&Node],
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let states = rt.block_on(delivery_states(store, conversations));
        let sent = states
            .get(DeliveryState::Sent.as_str())
            .copied()
            .unwrap_or(0);
        if sent == expected {
            return;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = nodes.iter().map(|n| n.log_tail()).collect();
            panic!(
                "after 60 s {sent} of {expected} replies are sent ({states:?})\n{}",
                logs.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Every reply was answered by the platform exactly once, to its sender, with the
/// sending node's own token.
fn assert_each_sent_once(replies: &[Reply], sent: &[Sent]) {
    let mut by_text: HashMap<&str, Vec<&Sent>> = HashMap::new();
    for s in sent {
        by_text.entry(s.text.as_str()).or_default().push(s);
        assert_eq!(s.access_token, format!("token-{}", s.node), "{s:?}");
    }
    for r in replies {
        let sends = by_text
            .get(r.text.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        assert_eq!(
            sends.len(),
            1,
            "reply {:?} was sent {} times: {sends:?}",
            r.text,
            sends.len()
        );
        assert_eq!(sends[0].recipient, r.psid, "{:?}", sends[0]);
    }
    assert_eq!(
        sent.len(),
        replies.len(),
        "the platform received something that was not queued"
    );
}

/// A fresh database with Messenger conversations, the runtime the store and the fake
/// platform run on, and a scratch directory for the nodes' logs and files.
struct World {
    rt: tokio::runtime::Runtime,
    db: String,
    store: Store,
    conversations: Vec<Conversation>,
    fake: FakeMessenger,
    dir: PathBuf,
}

impl World {
    fn new(conversations: usize) -> World {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let run = uuid::Uuid::now_v7().simple().to_string();
        let db = rt.block_on(store::testing::fresh_database_url()).unwrap();
        // Migrated here, once, so the two nodes do not race to migrate the same database.
        let store = rt
            .block_on(Store::open(&StoreOptions::new(db.clone(), 2)))
            .unwrap();
        let conversations = rt.block_on(messenger_tickets(&store, &run, conversations));
        let dir = std::env::temp_dir().join(format!("paydesk-two-nodes-{run}"));
        std::fs::create_dir_all(&dir).unwrap();
        World {
            rt,
            db,
            store,
            conversations,
            fake: FakeMessenger::default(),
            dir,
        }
    }

    fn node(&self, name: &str, platform: &str, lease_secs: u32) -> Node {
        Node::start(&self.db, name, platform, lease_secs, &self.dir)
    }

    fn queue_replies(&self, per_ticket: usize) -> Vec<Reply> {
        self.rt
            .block_on(queue_replies(&self.store, &self.conversations, per_ticket))
    }

    fn wait_all_sent(&self, expected: usize, nodes: &[&Node]) {
        wait_all_sent(&self.rt, &self.store, &self.conversations, expected, nodes);
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn two_nodes_share_the_outbox_and_send_each_reply_exactly_once() {
    let w = World::new(40);
    let platform = w.rt.block_on(w.fake.start());
    let mut a = w.node("a", &platform, 60);
    let mut b = w.node("b", &platform, 60);
    // Queued while both nodes poll, as agents reply while the cluster runs.
    let replies = w.queue_replies(5);
    assert_eq!(replies.len(), 200);
    w.wait_all_sent(replies.len(), &[&a, &b]);
    // A second send of a claimed reply would arrive within a few polls: wait for them.
    std::thread::sleep(Duration::from_millis(500));
    a.kill_9();
    b.kill_9();

    let sent = w.fake.sent();
    assert_each_sent_once(&replies, &sent);
    let mut per_node = BTreeMap::<&str, usize>::new();
    for s in &sent {
        *per_node.entry(s.node.as_str()).or_default() += 1;
    }
    // Which node wins the claims depends on scheduling: under load one node may take every
    // batch, which is correct. Exactly once (above) is the requirement; the split is shown.
    eprintln!("replies delivered per node: {per_node:?}");
}

#[test]
fn a_node_killed_mid_delivery_loses_no_reply() {
    let w = World::new(20);
    let replies = w.queue_replies(3);
    // Node a's sends reach the platform and are never answered: it dies holding them.
    w.fake.hanging.lock().unwrap().insert("a".into());
    let platform = w.rt.block_on(w.fake.start());

    let lease_secs = 2;
    let mut a = w.node("a", &platform, lease_secs);
    let deadline = Instant::now() + Duration::from_secs(30);
    while w.fake.arrived_hanging.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "node a claimed nothing\n{}",
            a.log_tail()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let b = w.node("b", &platform, lease_secs);
    a.kill_9();

    w.wait_all_sent(replies.len(), &[&b]);
    std::thread::sleep(Duration::from_millis(500));
    drop(b);
    let sent = w.fake.sent();
    assert!(
        sent.iter().all(|s| s.node == "b"),
        "the killed node's sends were never answered"
    );
    // The replies node a held when it died went out once, through node b.
    assert_each_sent_once(&replies, &sent);
}
