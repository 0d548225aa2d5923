//! `paydesk bench tickets --queue`: the agents' queue at a desk's scale. A million tickets
//! (by default) go into a scratch database with the due times the SLA engine stores, a
//! real `paydesk serve` child process answers an agent's queue tabs over HTTP, and the
//! command reports p50/p99 per tab and the server's peak memory against issue 6's targets.

use crate::bench::{bar, percentile};
use crate::bench_tickets::{Server, TicketsBench};
use anyhow::Context;
use domain::repo::{ContactIdentity, TicketRepo};
use domain::ticket::Channel;
use domain::{
    AccountStatus, DisplayName, Email, GroupId, Locale, Region, RegionId, Role, Staff, StaffId,
    SupportGroup,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use store::{Backend, Store, StoreOptions};

/// Issue 6's targets.
const TARGET_P99: Duration = Duration::from_millis(20);
const TARGET_PEAK_MIB: f64 = 200.0;
const AGENT_EMAIL: &str = "queue-bench@bench.paydesk.id";
const AGENT_PASSWORD: &str = "queue bench password";

/// Options of the queue benchmark.
#[derive(Debug, Clone)]
pub struct QueueBench {
    /// Tickets in the database.
    pub tickets: u64,
    /// Timed queue requests (spread over the tabs).
    pub queries: u64,
    /// Database; `None`: a new SQLite file in a scratch directory. Must be empty.
    pub database_url: Option<String>,
    /// Configuration file handed on to the server.
    pub config_file: Option<PathBuf>,
    /// Pool size the server runs with, for the report.
    pub max_connections: u32,
}

/// The tabs an agent works, as the console asks for them.
fn tabs(group: &str) -> Vec<(&'static str, String)> {
    let active = "status=new,open,pending_customer,on_hold&sort=queue&limit=25";
    vec![
        ("mine", format!("{active}&assignee=me")),
        ("unassigned", format!("{active}&assignee=none")),
        ("my group", format!("{active}&group={group}")),
        ("all", active.to_owned()),
    ]
}

/// Seeds, serves, times and reports.
pub async fn queue(o: &QueueBench) -> anyhow::Result<()> {
    anyhow::ensure!(o.tickets >= 1 && o.queries >= 1, "need tickets and queries");
    let scratch = std::env::temp_dir().join(format!("paydesk-bench-queue-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let url = o
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", scratch.join("queue.db").display()));
    let result = run(o, &url, &scratch).await;
    if o.database_url.is_none() {
        std::fs::remove_dir_all(&scratch).ok();
    }
    result
}

async fn run(o: &QueueBench, url: &str, scratch: &Path) -> anyhow::Result<()> {
    let backend = Backend::from_url(url)?;
    let group = seed(o, url).await?;
    let mut server = Server::start(
        &TicketsBench {
            tickets: 0,
            warmup: 0,
            concurrency: 1,
            database_url: Some(url.to_owned()),
            config_file: o.config_file.clone(),
            sqlite_full_sync: true,
            max_connections: o.max_connections,
        },
        url,
        scratch,
    )
    .await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let token = sign_in(&client, &server.base).await?;
    let tabs = tabs(&group);
    // Warm-up: connections, prepared statements, the database's pages.
    for (_, query) in tabs.iter().cycle().take(tabs.len() * 25) {
        fetch(&client, &server.base, &token, query).await?;
    }
    let mut per_tab: Vec<Vec<u64>> = vec![Vec::new(); tabs.len()];
    let mut sizes = vec![0usize; tabs.len()];
    let progress = bar(o.queries, "queue pages");
    for i in 0..o.queries {
        let t = (i as usize) % tabs.len();
        let started = Instant::now();
        let items = fetch(&client, &server.base, &token, &tabs[t].1).await?;
        per_tab[t].push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
        sizes[t] = items;
        progress.inc(1);
    }
    progress.finish_and_clear();
    let peak = server.peak_rss_kib();
    let stopped = server.stop().await;

    let backend_name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    println!(
        "paydesk bench tickets --queue ({backend_name}, {} tickets, one agent, sequential requests)",
        o.tickets
    );
    println!(
        "  GET /api/v1/tickets?sort=queue (25 a page, active statuses) through paydesk serve, pid {}",
        server.pid
    );
    let mut all: Vec<u64> = Vec::new();
    for (t, (name, _)) in tabs.iter().enumerate() {
        let mut l = per_tab[t].clone();
        l.sort_unstable();
        println!(
            "  {name:>10}: p50 {:?} p99 {:?} ({} requests, {} on the first page)",
            percentile(&l, 0.5),
            percentile(&l, 0.99),
            l.len(),
            sizes[t]
        );
        all.extend(l);
    }
    all.sort_unstable();
    let p99 = percentile(&all, 0.99);
    println!(
        "  all tabs: p50 {:?} p99 {p99:?}; target p99 < {TARGET_P99:?}: {}",
        percentile(&all, 0.5),
        if p99 < TARGET_P99 { "met" } else { "NOT met" }
    );
    match peak {
        Some(kib) => {
            let mib = kib as f64 / 1024.0;
            println!(
                "  server peak memory (VmHWM): {mib:.1} MiB; target < {TARGET_PEAK_MIB:.0} MiB: {}",
                if mib < TARGET_PEAK_MIB {
                    "met"
                } else {
                    "NOT met"
                }
            );
        }
        None => println!("  server peak memory: unknown (no /proc/<pid>/status)"),
    }
    stopped
}

/// Migrates, adds a region, four groups, forty agents (one who signs in) and the tickets.
/// Returns the signed-in agent's group.
async fn seed(o: &QueueBench, url: &str) -> anyhow::Result<String> {
    let store = Store::open(&StoreOptions {
        sqlite_full_sync: false,
        ..StoreOptions::new(url, 4)
    })
    .await?;
    let existing = store
        .tickets(&Default::default(), None, domain::Limit::parse(Some(1))?)
        .await?;
    anyhow::ensure!(
        existing.items.is_empty(),
        "the queue benchmark needs an empty database"
    );
    let now = server::now_us();
    store
        .upsert_region(&Region {
            id: RegionId::from_string("id-jakarta"),
            name: "Jakarta".into(),
            country: "ID".into(),
            time_zone: "Asia/Jakarta".into(),
            zone_abbreviation: "WIB".into(),
        })
        .await?;
    let groups: Vec<GroupId> = (0..4).map(|_| GroupId::new()).collect();
    for (i, g) in groups.iter().enumerate() {
        store
            .ensure_group(&SupportGroup {
                id: g.clone(),
                name: format!("Bench group {i}"),
            })
            .await?;
    }
    let passwords = server::auth::Passwords::new(19_456, 2)?;
    let password =
        domain::Password::new_password(AGENT_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = passwords
        .hash(&password)
        .await
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    let mut agents = Vec::new();
    for i in 0..40 {
        let email = if i == 0 {
            AGENT_EMAIL.to_owned()
        } else {
            format!("agent{i}@bench.paydesk.id")
        };
        let agent = Staff {
            id: StaffId::new(),
            email: Email::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?,
            display_name: DisplayName::parse(&format!("Bench Agent {i}"))
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            role: Role::Agent,
            merchant_id: None,
            group_id: Some(groups[i % groups.len()].clone()),
            locale: Locale::En,
            status: AccountStatus::Active,
            created_at_us: now,
        };
        store.insert_staff(&agent, &hash, false).await?;
        agents.push(agent.id.to_string());
    }
    let contact = store
        .upsert_contact(
            &ContactIdentity {
                channel: Channel::Web,
                external_id: "bench-requester@bench.paydesk.id".into(),
                display_name: "Bench requester".into(),
                email: Some("bench-requester@bench.paydesk.id".into()),
                phone: None,
                customer_id: None,
            },
            now,
        )
        .await?;
    let progress = bar(o.tickets, "tickets");
    store
        .bench_fill_tickets(
            o.tickets,
            &store::bench_queue::QueueFill {
                contact_id: contact.id,
                groups: groups.iter().map(|g| g.to_string()).collect(),
                agents,
                first_number: 10_000_000,
            },
            now,
            |n| progress.set_position(n),
        )
        .await
        .context("writing the tickets")?;
    progress.finish_and_clear();
    // A bulk load is followed by statistics, as an operator's import would be; the server's
    // own hourly refresh would otherwise find the table only after the run.
    store.analyze().await.context("analyzing the tickets")?;
    store.close().await;
    Ok(groups[0].to_string())
}

async fn sign_in(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let r = client
        .post(format!("{base}/api/v1/auth/tokens"))
        .json(&serde_json::json!({"audience": "staff", "login": AGENT_EMAIL, "password": AGENT_PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "sign-in failed: {}", r.status());
    let v: serde_json::Value = r.json().await?;
    v["token"]
        .as_str()
        .map(str::to_owned)
        .context("no token in the sign-in answer")
}

/// One queue page; returns how many tickets it held.
async fn fetch(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
) -> anyhow::Result<usize> {
    let r = client
        .get(format!("{base}/api/v1/tickets?{query}"))
        .bearer_auth(token)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "{query}: {}", r.status());
    let v: serde_json::Value = r.json().await?;
    Ok(v["items"].as_array().map_or(0, Vec::len))
}
