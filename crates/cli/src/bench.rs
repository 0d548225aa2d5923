//! `paydesk bench …`: performance figures measured here, printed beside a competitor's
//! figure from the same run. Run them on a scratch database: they create their own data.

use anyhow::Context;
use domain::ledger::{
    AccountKind, Balance, LedgerAccount, Phase, TransferRequest, check_invariants,
};
use domain::repo::WalletRepo;
use domain::wallet::{TransactionKind, TransactionQuery, TransactionStatus};
use domain::{Currency, Limit};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use store::ledger_batch::{GroupOutcome, LedgerBatcher};
use store::{Backend, Store};

/// A progress bar in the benches' common style.
pub(crate) fn bar(len: u64, msg: &'static str) -> ProgressBar {
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_message(msg);
    b
}

/// The `p` quantile of sorted microsecond latencies.
pub(crate) fn percentile(sorted: &[u64], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    Duration::from_micros(sorted[i.min(sorted.len() - 1)])
}

/// Options of `paydesk bench ledger`.
#[derive(Debug, Clone)]
pub struct LedgerBench {
    /// Accounts transfers move between.
    pub accounts: u32,
    /// Transfers to post.
    pub transfers: u64,
    /// Concurrent submitters.
    pub concurrency: u32,
    /// Requests each submitter keeps in flight (clients pipeline, as TigerBeetle's do).
    pub in_flight: u32,
    /// Transfers per request (clients batch, as TigerBeetle's do).
    pub per_request: u32,
    /// Largest group commit.
    pub batch: usize,
    /// pgbench to compare with on PostgreSQL (`None`: look under /usr/lib/postgresql).
    pub pgbench: Option<String>,
    /// Seconds pgbench runs.
    pub pgbench_seconds: u32,
    /// pgbench scale factor.
    pub pgbench_scale: u32,
}

/// Posts transfers between uniformly random accounts from many submitters through the
/// group-commit batcher; prints transfers/s and latency, and pgbench's tpcb-like rate.
pub async fn ledger(store: &Store, database_url: &str, o: &LedgerBench) -> anyhow::Result<()> {
    let now = jiff::Timestamp::now().as_microsecond();
    let run = uuid::Uuid::now_v7().simple().to_string();
    let funding = format!("bench:{run}:funding");
    let ids: Vec<String> = (0..o.accounts)
        .map(|i| format!("bench:{run}:{i}"))
        .collect();
    let mut accounts = vec![LedgerAccount {
        id: funding.clone(),
        kind: AccountKind::BankClearing,
        currency: Currency::IDR,
        balance: Balance::default(),
    }];
    accounts.extend(ids.iter().map(|id| LedgerAccount {
        id: id.clone(),
        kind: AccountKind::CustomerWallet,
        currency: Currency::IDR,
        balance: Balance::default(),
    }));
    store.create_ledger_accounts(&accounts, now).await?;
    let batcher = LedgerBatcher::start(store.clone(), o.batch);
    // Fund every wallet so most transfers succeed; a few still bounce on a low balance.
    let setup = bar(u64::from(o.accounts), "funding");
    for chunk in ids.chunks(o.batch) {
        let groups: Vec<Vec<TransferRequest>> = chunk
            .iter()
            .map(|id| {
                vec![TransferRequest {
                    id: uuid::Uuid::now_v7().to_string(),
                    debit_account: funding.clone(),
                    credit_account: id.clone(),
                    amount: 10_000_000_00,
                    currency: Currency::IDR,
                    phase: Phase::Posted,
                }]
            })
            .collect();
        store.post_transfer_groups(&groups, now).await?;
        setup.inc(chunk.len() as u64);
    }
    setup.finish_and_clear();

    let next = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let progress = bar(o.transfers, "transfers");
    let ids = Arc::new(ids);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..o.concurrency * o.in_flight.max(1) {
        let (batcher, next, refused, progress, ids) = (
            batcher.clone(),
            next.clone(),
            refused.clone(),
            progress.clone(),
            ids.clone(),
        );
        let total = o.transfers;
        let per_request = u64::from(o.per_request.max(1));
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(u64::from(w));
            let mut latencies = Vec::new();
            loop {
                // Claim up to `per_request` transfers of the total, as one client request.
                let first = next.fetch_add(per_request, Ordering::Relaxed);
                if first >= total {
                    break;
                }
                let n = per_request.min(total - first);
                let groups: Vec<Vec<TransferRequest>> = (0..n)
                    .map(|_| {
                        let a = rng.random_range(0..ids.len());
                        let mut b = rng.random_range(0..ids.len() - 1);
                        if b >= a {
                            b += 1;
                        }
                        vec![TransferRequest {
                            id: uuid::Uuid::now_v7().to_string(),
                            debit_account: ids[a].clone(),
                            credit_account: ids[b].clone(),
                            amount: rng.random_range(1..100_000_00),
                            currency: Currency::IDR,
                            phase: Phase::Posted,
                        }]
                    })
                    .collect();
                let sent = Instant::now();
                let outcomes = batcher
                    .submit_many(groups)
                    .await
                    .map_err(|e| anyhow::anyhow!(e))?;
                let micros = sent.elapsed().as_micros() as u64;
                for outcome in outcomes {
                    if outcome != GroupOutcome::Posted {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    latencies.push(micros);
                }
                progress.inc(n);
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    let elapsed = started.elapsed();
    progress.finish_and_clear();
    latencies.sort_unstable();
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    let all = store.ledger_accounts().await?;
    check_invariants(all.iter()).map_err(|e| anyhow::anyhow!("ledger invariant broken: {e}"))?;
    let backend = match store.backend_kind() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    println!("paydesk bench ledger ({backend}, durable commits)");
    println!(
        "  accounts {}  transfers {}  submitters {} x {} requests in flight x {} transfers per request  max batch {}",
        o.accounts,
        latencies.len(),
        o.concurrency,
        o.in_flight,
        o.per_request,
        o.batch
    );
    println!(
        "  refused (insufficient funds) {}",
        refused.load(Ordering::Relaxed)
    );
    println!(
        "  paydesk: {rate:.0} transfers/s in {:.1} s; latency p50 {:?} p99 {:?}",
        elapsed.as_secs_f64(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    println!("  invariants after the run: debits = credits, no wallet below zero: ok");
    if store.backend_kind() == Backend::Postgres {
        match pgbench_rate(database_url, o) {
            Ok(tps) => println!(
                "  pgbench -b tpcb-like -c {} (same server): {tps:.0} tps; paydesk / pgbench = {:.2}",
                o.concurrency,
                rate / tps
            ),
            Err(e) => println!("  pgbench comparison skipped: {e:#}"),
        }
    } else {
        println!(
            "  (pgbench compares on PostgreSQL only; the SQLite target is 50,000 transfers/s)"
        );
    }
    Ok(())
}

fn find_pgbench(explicit: &Option<String>) -> anyhow::Result<String> {
    if let Some(p) = explicit {
        return Ok(p.clone());
    }
    let mut found: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL's programs are not under /usr/lib/postgresql; pass --pgbench")?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin/pgbench"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found
        .pop()
        .map(|p| p.display().to_string())
        .context("no pgbench found; pass --pgbench")
}

fn pgbench_rate(database_url: &str, o: &LedgerBench) -> anyhow::Result<f64> {
    let pgbench = find_pgbench(&o.pgbench)?;
    let init = std::process::Command::new(&pgbench)
        .args(["-i", "-q", "-s", &o.pgbench_scale.to_string(), database_url])
        .output()
        .context("running pgbench -i")?;
    anyhow::ensure!(
        init.status.success(),
        "pgbench -i failed: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let clients = o.concurrency.to_string();
    let seconds = o.pgbench_seconds.to_string();
    let out = std::process::Command::new(&pgbench)
        .args([
            "-b",
            "tpcb-like",
            "-n",
            "-c",
            &clients,
            "-j",
            "2",
            "-T",
            &seconds,
            database_url,
        ])
        .output()
        .context("running pgbench")?;
    anyhow::ensure!(
        out.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("tps = ")
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
        .context("pgbench printed no tps")
}

/// Options of `paydesk bench history`.
#[derive(Debug, Clone)]
pub struct HistoryBench {
    /// Transactions in all.
    pub transactions: u64,
    /// Of which the measured customer has this many.
    pub heavy: u64,
    /// Filtered page queries to time.
    pub queries: u32,
    /// Reuse rows generated by an earlier run.
    pub reuse: bool,
}

/// Fills the history with `transactions` rows (one customer holding `heavy` of them) and
/// times filtered first pages with keyset pagination, against the same filter paged with
/// OFFSET at the same depth (how generic help desks page).
pub async fn history(store: &Store, o: &HistoryBench) -> anyhow::Result<()> {
    let now = jiff::Timestamp::now().as_microsecond();
    let (heavy, merchants) = if o.reuse {
        store.bench_existing_history().await?
    } else {
        store
            .bench_fill_history(o.transactions, o.heavy, now, |n| {
                static BAR: std::sync::OnceLock<ProgressBar> = std::sync::OnceLock::new();
                BAR.get_or_init(|| bar(o.transactions, "rows"))
                    .set_position(n);
            })
            .await?
    };
    let mut rng = StdRng::seed_from_u64(11);
    let mut keyset = Vec::new();
    let mut offset = Vec::new();
    let limit = Limit::parse(Some(25)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let progress = bar(u64::from(o.queries), "queries");
    for _ in 0..o.queries {
        let mut q = TransactionQuery {
            customer_id: Some(heavy.clone()),
            ..TransactionQuery::default()
        };
        match rng.random_range(0..5) {
            0 => q.kinds = vec![TransactionKind::Payment],
            1 => q.statuses = vec![TransactionStatus::Failed],
            2 => {
                q.min_minor = Some(100_000_00);
                q.max_minor = Some(500_000_00);
            }
            3 => q.text = Some(merchants[rng.random_range(0..merchants.len())].to_lowercase()),
            _ => {
                let days = rng.random_range(1..300);
                q.from_us = Some(now - days * 86_400_000_000);
                q.to_us = Some(now - (days - 7).max(0) * 86_400_000_000);
            }
        }
        // Keyset: walk to page 1-4 like a person scrolling, time the last page.
        let pages = rng.random_range(1..5u32);
        let mut cursor = None;
        let mut last = Duration::ZERO;
        for _ in 0..pages {
            let t = Instant::now();
            let page = store.transactions(&q, cursor.as_ref(), limit).await?;
            last = t.elapsed();
            match page.next_cursor {
                Some(c) => {
                    cursor = Some(domain::Cursor::decode(&c).map_err(|e| anyhow::anyhow!("{e}"))?)
                }
                None => break,
            }
        }
        keyset.push(last.as_micros() as u64);
        let t = Instant::now();
        store
            .bench_offset_page(&q, i64::from(pages - 1) * 25, 25)
            .await?;
        offset.push(t.elapsed().as_micros() as u64);
        progress.inc(1);
    }
    progress.finish_and_clear();
    keyset.sort_unstable();
    offset.sort_unstable();
    let backend = match store.backend_kind() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    println!("paydesk bench history ({backend})");
    println!(
        "  transactions {} (customer under test: {}), {} filtered page queries",
        o.transactions, o.heavy, o.queries
    );
    println!(
        "  paydesk keyset pages: p50 {:?} p99 {:?}",
        percentile(&keyset, 0.5),
        percentile(&keyset, 0.99)
    );
    println!(
        "  OFFSET pages, same filters and depth: p50 {:?} p99 {:?}",
        percentile(&offset, 0.5),
        percentile(&offset, 0.99)
    );
    let ratio =
        percentile(&offset, 0.99).as_secs_f64() / percentile(&keyset, 0.99).as_secs_f64().max(1e-9);
    println!("  p99 OFFSET / keyset = {ratio:.2}");
    Ok(())
}

/// Options of `paydesk bench search`.
#[derive(Debug, Clone)]
pub struct SearchBench {
    /// The knowledge base folder (`kb` or `kb/articles`).
    pub kb: std::path::PathBuf,
    /// Folder of labelled query sets `en.tsv`, `id.tsv`, `zh-CN.tsv`.
    pub queries: std::path::PathBuf,
    /// Size of the generated corpus for the latency run.
    pub corpus: usize,
}

fn fts_docs(articles: &[search::Article]) -> Vec<store::fts::FtsDoc> {
    articles
        .iter()
        .filter(|a| {
            a.visibility == search::Visibility::Public && a.status == search::Status::Published
        })
        .map(|a| store::fts::FtsDoc {
            slug: a.slug.clone(),
            locale: a.locale.tag().to_owned(),
            title: a.title.clone(),
            keywords: a.keywords.join(" "),
            body: a.body_text(),
        })
        .collect()
}

/// Recall@1, Recall@3 and MRR of ranked answers against expected slugs.
fn scores(ranked: &[(Vec<String>, &str)]) -> (f64, f64, f64) {
    let n = ranked.len().max(1) as f64;
    let mut at1 = 0.0;
    let mut at3 = 0.0;
    let mut rr = 0.0;
    for (hits, expected) in ranked {
        if let Some(pos) = hits.iter().take(10).position(|s| s == expected) {
            rr += 1.0 / (pos as f64 + 1.0);
            if pos == 0 {
                at1 += 1.0;
            }
            if pos < 3 {
                at3 += 1.0;
            }
        }
    }
    (at1 / n, at3 / n, rr / n)
}

/// Answer quality per language on the labelled query sets, paydesk against SQLite FTS5
/// (`unicode61`) over the same articles; then index build time and search latency on a
/// generated corpus of `corpus` articles, for both.
pub async fn search(o: &SearchBench) -> anyhow::Result<()> {
    let dir = if o.kb.join("articles").is_dir() {
        o.kb.join("articles")
    } else {
        o.kb.clone()
    };
    let articles = search::load_kb_dir(&dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut queries = Vec::new();
    for locale in domain::Locale::ALL {
        let path = o.queries.join(format!("{}.tsv", locale.tag()));
        queries.extend(search::load_queries(&path, locale).map_err(|e| anyhow::anyhow!("{e}"))?);
    }
    let index = search::HelpIndex::build(&articles).map_err(|e| anyhow::anyhow!("{e}"))?;
    let ours = search::evaluate(&index, &queries).map_err(|e| anyhow::anyhow!("{e}"))?;
    let fts = store::fts::Fts5Baseline::build(&fts_docs(&articles)).await?;
    println!(
        "paydesk bench search: {} articles, {} labelled queries",
        articles.len(),
        queries.len()
    );
    println!(
        "  {:<6} {:>5}  {:>22}  {:>22}  {:>22}",
        "lang", "n", "Recall@1 ours/fts5", "Recall@3 ours/fts5", "MRR ours/fts5"
    );
    for locale in domain::Locale::ALL {
        let mine: Vec<_> = queries.iter().filter(|q| q.locale == locale).collect();
        let mut ranked = Vec::new();
        for q in &mine {
            ranked.push((
                fts.search(&q.query, locale.tag(), 10).await?,
                q.expected_slug.as_str(),
            ));
        }
        let (f1, f3, fm) = scores(&ranked);
        let Some(s) = ours.scores(locale) else {
            continue;
        };
        println!(
            "  {:<6} {:>5}  {:>9.3} / {:<9.3}  {:>9.3} / {:<9.3}  {:>9.3} / {:<9.3}",
            locale.tag(),
            mine.len(),
            s.recall_at_1,
            f1,
            s.recall_at_3,
            f3,
            s.mrr,
            fm
        );
    }

    // Latency on a generated corpus: the knowledge base copied under new slugs until it
    // holds `corpus` articles.
    let mut corpus = Vec::with_capacity(o.corpus);
    let mut round = 0;
    while corpus.len() < o.corpus && !articles.is_empty() {
        for a in &articles {
            if corpus.len() >= o.corpus {
                break;
            }
            let mut copy = a.clone();
            copy.slug = format!("{}-{round}", a.slug);
            corpus.push(copy);
        }
        round += 1;
    }
    let started = Instant::now();
    let big = search::HelpIndex::build(&corpus).map_err(|e| anyhow::anyhow!("{e}"))?;
    let build = started.elapsed();
    let started = Instant::now();
    let big_fts = store::fts::Fts5Baseline::build(&fts_docs(&corpus)).await?;
    let fts_build = started.elapsed();
    let progress = bar(queries.len() as u64, "queries");
    let (mut ours_us, mut fts_us) = (Vec::new(), Vec::new());
    for q in &queries {
        let t = Instant::now();
        big.search(&q.query, q.locale, search::Audience::Public, 10)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        ours_us.push(t.elapsed().as_micros() as u64);
        let t = Instant::now();
        big_fts.search(&q.query, q.locale.tag(), 10).await?;
        fts_us.push(t.elapsed().as_micros() as u64);
        progress.inc(1);
    }
    progress.finish_and_clear();
    ours_us.sort_unstable();
    fts_us.sort_unstable();
    println!("  generated corpus: {} articles", corpus.len());
    println!(
        "  index build: paydesk {:.2?}, fts5 {:.2?}",
        build, fts_build
    );
    println!(
        "  search latency: paydesk p50 {:?} p99 {:?}; fts5 p50 {:?} p99 {:?}; p99 paydesk / fts5 = {:.2}",
        percentile(&ours_us, 0.5),
        percentile(&ours_us, 0.99),
        percentile(&fts_us, 0.5),
        percentile(&fts_us, 0.99),
        percentile(&ours_us, 0.99).as_secs_f64()
            / percentile(&fts_us, 0.99).as_secs_f64().max(1e-9)
    );
    Ok(())
}
