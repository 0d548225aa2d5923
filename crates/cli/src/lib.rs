//! Commands of the `paydesk` binary: `serve`, `migrate`, `demo`, `audit verify`, `config show`.

pub mod bench;
pub mod bench_queue;
pub mod bench_tickets;
pub mod demo;
pub mod demo_cards;
pub mod demo_complaints;
pub mod demo_coupons;
pub mod demo_tickets;
pub mod kb;
pub mod keys;
pub mod settings;

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::{AppState, Config};
use std::path::PathBuf;
use std::sync::Arc;
use store::{Store, StoreOptions};

/// paydesk: customer service for mobile payment wallets.
#[derive(Debug, Parser)]
#[command(name = "paydesk", version, about)]
pub struct Cli {
    /// Configuration file (default: ./paydesk.toml when it exists).
    #[arg(long, global = true, env = "PAYDESK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://paydesk.db or postgres://user:pass@host/db.
    #[arg(long, global = true, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Log format: text or json.
    #[arg(long, global = true, value_parser = ["text", "json"])]
    pub log_format: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (migrates the database first).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 or 0.0.0.0:80.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// The audit trail.
    Audit {
        /// What to do.
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Seed realistic demo data (idempotent) and print sign-in credentials.
    Demo {
        /// How many customers to create.
        #[arg(long, default_value_t = 1000)]
        customers: u32,
        /// Start the server after seeding.
        #[arg(long)]
        serve: bool,
        /// Address to listen on with --serve.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Measure performance on a scratch database (creates its own data).
    Bench {
        /// What to measure.
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Move help-center articles in and out as Markdown files with front matter.
    Kb {
        /// Import or export.
        #[command(subcommand)]
        action: KbAction,
    },
    /// Encryption keys of personal data at rest: generate, rotate.
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Inspect configuration.
    Config {
        /// What to show.
        #[command(subcommand)]
        action: ConfigAction,
    },
}

/// `paydesk bench …`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Ledger transfers between random accounts from concurrent submitters (vs pgbench on PostgreSQL).
    Ledger {
        /// Accounts.
        #[arg(long, default_value_t = 10_000)]
        accounts: u32,
        /// Transfers to post.
        #[arg(long, default_value_t = 1_000_000)]
        transfers: u64,
        /// Concurrent submitters.
        #[arg(long, default_value_t = 64)]
        concurrency: u32,
        /// Requests each submitter keeps in flight.
        #[arg(long, default_value_t = 2)]
        in_flight: u32,
        /// Transfers per request (clients batch their transfers, as TigerBeetle's do).
        #[arg(long, default_value_t = 128)]
        per_request: u32,
        /// Largest group commit (transfers per database transaction).
        #[arg(long, default_value_t = 16_000)]
        batch: usize,
        /// pgbench executable (default: the newest under /usr/lib/postgresql).
        #[arg(long)]
        pgbench: Option<String>,
        /// Seconds pgbench runs.
        #[arg(long, default_value_t = 20)]
        pgbench_seconds: u32,
        /// pgbench scale factor (one branch per client avoids measuring lock contention).
        #[arg(long, default_value_t = 64)]
        pgbench_scale: u32,
    },
    /// Help-center answer quality per language and latency (vs SQLite FTS5).
    Search {
        /// Folder of labelled query sets (en.tsv, id.tsv, zh-CN.tsv).
        #[arg(long, default_value = "kb/queries")]
        queries: std::path::PathBuf,
        /// Knowledge base folder.
        #[arg(long, default_value = "kb")]
        kb: std::path::PathBuf,
        /// Articles in the generated corpus for the latency run.
        #[arg(long, default_value_t = 10_000)]
        corpus: usize,
    },
    /// Filtered history pages over a large transaction table (vs OFFSET paging).
    History {
        /// Transactions to generate.
        #[arg(long, default_value_t = 10_000_000)]
        transactions: u64,
        /// Of which the measured customer has this many.
        #[arg(long, default_value_t = 100_000)]
        heavy: u64,
        /// Queries to time.
        #[arg(long, default_value_t = 500)]
        queries: u32,
        /// Time the queries on the rows an earlier run generated instead of adding more.
        #[arg(long)]
        reuse: bool,
    },
    /// Ticket intake over HTTP: guests open tickets on a `paydesk serve` child process from
    /// concurrent clients; tickets/s, latency and the server's peak memory (vs Chatwoot's
    /// documented capacity). The database is `--database-url` (or `DATABASE_URL`), else a
    /// new SQLite file in a scratch directory.
    Tickets {
        /// Tickets in the timed run.
        #[arg(long, default_value_t = 20_000)]
        tickets: u64,
        /// Tickets opened before timing starts.
        #[arg(long, default_value_t = 2_000)]
        warmup: u64,
        /// Concurrent clients (one keep-alive HTTP client shared by all).
        #[arg(long, default_value_t = 64)]
        concurrency: u32,
        /// Time the agents' queue instead: `--queue-tickets` tickets in the database, an
        /// agent's queue tabs over HTTP, p50/p99 and the server's peak memory.
        #[arg(long)]
        queue: bool,
        /// With `--queue`: tickets in the database.
        #[arg(long, default_value_t = 1_000_000)]
        queue_tickets: u64,
        /// With `--queue`: timed queue requests.
        #[arg(long, default_value_t = 2_000)]
        queue_requests: u64,
    },
}

/// `paydesk kb …`.
#[derive(Debug, Subcommand)]
pub enum KbAction {
    /// Create or update articles from `<slug>.<locale>.md` files (a running server picks
    /// them up at its next start).
    Import {
        /// Directory of article files (or a knowledge base with an `articles/` folder).
        dir: PathBuf,
    },
    /// Write every stored article to `<slug>.<locale>.md` files.
    Export {
        /// Target directory (created if missing).
        dir: PathBuf,
    },
}

/// `paydesk audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Re-computes the audit log's hash chain; fails naming the first edited, replaced or
    /// missing record.
    Verify,
}

/// `paydesk keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Print a new random data key and index key (base64) for the configuration.
    Generate,
    /// Re-encrypt every encrypted value under `encryption.active_key`; the old keys must
    /// stay configured until it has finished, and can be removed afterwards.
    Rotate,
    /// How many values each configured key still encrypts.
    Status,
}

/// `paydesk config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the effective configuration as TOML, secrets redacted.
    Show,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let bind = match &cli.command {
        Command::Serve { bind } | Command::Demo { bind, .. } => bind.clone(),
        _ => None,
    };
    let config = settings::load(&settings::Overrides {
        config_file: cli.config.clone(),
        database_url: cli.database_url.clone(),
        log_format: cli.log_format.clone(),
        bind,
    })?;
    match cli.command {
        Command::Config {
            action: ConfigAction::Show,
        } => {
            print!("{}", settings::show(&config)?);
            Ok(())
        }
        Command::Audit {
            action: AuditAction::Verify,
        } => {
            let store = open_store(&config).await?;
            match store.verify_audit_log().await? {
                Ok(n) => {
                    println!("audit log intact: {n} records, hash chain verified");
                    Ok(())
                }
                Err(broken) => anyhow::bail!("audit log tampered with: {broken}"),
            }
        }
        Command::Keys { action } => keys::run(&config, action).await,
        Command::Migrate => {
            init_logging(&config);
            let store = open_store(&config).await?;
            println!("migrations applied ({})", store_backend_name(&store));
            Ok(())
        }
        Command::Kb { action } => {
            let store = open_store(&config).await?;
            match action {
                KbAction::Import { dir } => {
                    let summary = kb::import(&store, &dir, true).await?;
                    println!("{summary}");
                }
                KbAction::Export { dir } => {
                    let n = kb::export(&store, &dir, true).await?;
                    println!("{n} articles written to {}", dir.display());
                }
            }
            Ok(())
        }
        Command::Serve { .. } => {
            init_logging(&config);
            let store = open_store(&config).await?;
            serve(store, config).await
        }
        Command::Bench { what } => {
            // Only the ledger and history benches open the database here.
            match what {
                BenchCommand::Search {
                    queries,
                    kb,
                    corpus,
                } => {
                    bench::search(&bench::SearchBench {
                        kb,
                        queries,
                        corpus,
                    })
                    .await
                }
                BenchCommand::Ledger {
                    accounts,
                    transfers,
                    concurrency,
                    in_flight,
                    per_request,
                    batch,
                    pgbench,
                    pgbench_seconds,
                    pgbench_scale,
                } => {
                    anyhow::ensure!(
                        accounts >= 2 && concurrency >= 1 && batch >= 1,
                        "need at least 2 accounts, 1 submitter and a batch of 1"
                    );
                    let o = bench::LedgerBench {
                        accounts,
                        transfers,
                        concurrency,
                        in_flight,
                        per_request,
                        batch,
                        pgbench,
                        pgbench_seconds,
                        pgbench_scale,
                    };
                    let store = open_store(&config).await?;
                    bench::ledger(&store, &config.database.url, &o).await
                }
                BenchCommand::Tickets {
                    queue: true,
                    queue_tickets,
                    queue_requests,
                    ..
                } => {
                    bench_queue::queue(&bench_queue::QueueBench {
                        tickets: queue_tickets,
                        queries: queue_requests,
                        database_url: cli.database_url.clone(),
                        config_file: cli.config.clone(),
                        max_connections: config.database.max_connections,
                    })
                    .await
                }
                BenchCommand::Tickets {
                    tickets,
                    warmup,
                    concurrency,
                    ..
                } => {
                    bench_tickets::tickets(&bench_tickets::TicketsBench {
                        tickets,
                        warmup,
                        concurrency,
                        // Only an explicit database: the configured default
                        // (./paydesk.db) is somebody's real data.
                        database_url: cli.database_url.clone(),
                        config_file: cli.config.clone(),
                        sqlite_full_sync: config.database.sqlite_full_sync,
                        max_connections: config.database.max_connections,
                    })
                    .await
                }
                BenchCommand::History {
                    transactions,
                    heavy,
                    queries,
                    reuse,
                } => {
                    anyhow::ensure!(
                        heavy <= transactions,
                        "--heavy cannot exceed --transactions"
                    );
                    let store = open_store(&config).await?;
                    bench::history(
                        &store,
                        &bench::HistoryBench {
                            transactions,
                            heavy,
                            queries,
                            reuse,
                        },
                    )
                    .await
                }
            }
        }
        Command::Demo {
            customers,
            serve: then_serve,
            ..
        } => {
            // The demo is for trying paydesk out: without configured keys its data is
            // encrypted with the public development key (serve it with the same setting).
            let mut config = config;
            if config.encryption.keys.is_empty() && !config.encryption.development_key {
                config.encryption.development_key = true;
                eprintln!(
                    "note: no encryption keys configured; the demo data uses the public development key \
                     (serve it with PAYDESK__ENCRYPTION__DEVELOPMENT_KEY=true)"
                );
            }
            let store = open_store(&config).await?;
            if config.cards.fingerprint_key.is_empty() {
                // Public like the demo password; `paydesk serve` on this data needs the
                // same key (PAYDESK__CARDS__FINGERPRINT_KEY) to recognise these cards.
                config.cards.fingerprint_key = demo_cards::DEMO_FINGERPRINT_KEY.to_owned();
            }
            demo::seed(&store, &config, customers).await?;
            // The help center starts with the repository's knowledge base, once: an
            // operator's edits are never overwritten by a later `paydesk demo`.
            if domain::repo::HelpRepo::count_help_articles(&store).await? == 0
                && let Some(dir) = kb::bundled_kb_dir()
            {
                let summary = kb::import(&store, &dir, true).await?;
                println!("Help center articles from {}: {summary}.", dir.display());
            }
            if then_serve {
                init_logging(&config);
                // The demo is for trying paydesk out: reset links and the other notices
                // are readable on /dev/mailbox.
                config.security.dev_mailbox = true;
                // No real issuer in a demo: the built-in one accepts a fixed code.
                config.cards.dev_issuer = true;
                serve(store, config).await?;
            }
            Ok(())
        }
    }
}

fn store_backend_name(store: &Store) -> &'static str {
    match store.backend_kind() {
        store::Backend::Sqlite => "sqlite",
        store::Backend::Postgres => "postgres",
    }
}

pub(crate) async fn open_store(config: &Config) -> anyhow::Result<Store> {
    // A missing key is a startup error here, before anything is read or written.
    let keys = config.encryption.key_ring()?;
    Store::open(&StoreOptions {
        url: config.database.url.clone(),
        max_connections: config.database.max_connections,
        sqlite_full_sync: config.database.sqlite_full_sync,
        keys: Arc::new(keys),
    })
    .await
    .with_context(|| {
        format!(
            "opening database {}",
            server::config::redact_url(&config.database.url)
        )
    })
}

async fn serve(store: Store, config: Config) -> anyhow::Result<()> {
    let bind = config.server.bind.clone();
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("listening on {bind}"))?;
    let addr = listener.local_addr()?;
    let backend = store_backend_name(&store);
    let state = AppState::new(Arc::new(store.clone()), config)?;
    tracing::info!(%addr, backend, "paydesk listening");
    println!("paydesk is serving at http://{addr} ({backend})");
    server::serve(listener, state).await?;
    store.close().await;
    tracing::info!("paydesk stopped");
    Ok(())
}

fn init_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = if config.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
