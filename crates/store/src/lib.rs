//! Persistence for paydesk on SQLite (embedded default) or PostgreSQL, through sqlx's
//! `Any` driver and one body of portable SQL. Implements the domain's repository traits.

pub mod bench;
pub mod bench_queue;
mod calendars;
pub mod cards;
mod complaints;
mod coupons;
pub mod crypto;
mod directory;
pub mod files;
pub mod fts;
mod help;
mod idempotency;
mod identity;
pub mod ledger_batch;
mod privacy;
mod protection;
mod seed;
mod sessions;
mod sla;
mod statements;
pub mod testing;
mod ticket_settings;
mod tickets;
pub mod wallet;
mod write;

pub use seed::SeedOutcome;

// Dynamic SQL here is assembled only from constant fragments (column lists, table
// names chosen by a `match`); every value is bound, so `AssertSqlSafe` holds.
use crate::crypto::KeyRing;
use anyhow::Context;
use async_trait::async_trait;
use domain::repo::{RepoError, Repository};
use sqlx::AssertSqlSafe;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};
use std::sync::{Arc, Once};
use std::time::Duration;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file (WAL mode).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Chooses the backend from a database URL's scheme.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("unsupported database URL scheme (use sqlite:… or postgres://…)")
        }
    }
}

/// Storage options.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://path?mode=rwc` or `postgres://…`.
    pub url: String,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// SQLite only: fsync every commit (`true`, `synchronous = FULL`: a committed payment
    /// survives power loss) or only at checkpoints (`false`, `NORMAL`: survives a crash of
    /// the process but not of the machine). Money wants `true`.
    pub sqlite_full_sync: bool,
    /// Keys that encrypt personal data at rest. [`StoreOptions::new`] uses the public
    /// development ring (tests, benches); `paydesk` builds it from the configuration.
    pub keys: Arc<KeyRing>,
}

impl StoreOptions {
    /// Options for a URL with the safe defaults and the development key ring.
    pub fn new(url: impl Into<String>, max_connections: u32) -> Self {
        Self {
            url: url.into(),
            max_connections,
            sqlite_full_sync: true,
            keys: Arc::new(KeyRing::development()),
        }
    }
}

/// The database behind paydesk. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    keys: Arc<KeyRing>,
    /// SQLite: the process's writer connection, which writers take turns on and whose
    /// commits are grouped (see `write`); `None` on PostgreSQL.
    writer: Option<Arc<write::Writer>>,
    /// The ticket settings last read (see `ticket_settings`).
    settings: ticket_settings::SettingsCache,
}

static DRIVERS: Once = Once::new();

/// The VALUES list of a multi-row insert: `shape` (one row, its bound values written `?`)
/// repeated `rows` times, the marks numbered `$1, $2, …` across the rows in order. The
/// shape is a constant of the caller: it must hold no `?` other than the marks.
pub(crate) fn value_rows(shape: &str, rows: usize) -> String {
    let mut n = 0;
    let mut out = String::new();
    for i in 0..rows {
        if i > 0 {
            out.push_str(", ");
        }
        for ch in shape.chars() {
            if ch == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(ch);
            }
        }
    }
    out
}

/// The settings every SQLite connection runs with (the pool's and the writer's).
async fn sqlite_pragmas(conn: &mut AnyConnection, full_sync: bool) -> Result<(), sqlx::Error> {
    // WAL lets readers run beside the writer; busy_timeout makes concurrent writers
    // (other processes on the file) wait instead of failing with SQLITE_BUSY.
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute(if full_sync {
        "PRAGMA synchronous = FULL"
    } else {
        "PRAGMA synchronous = NORMAL"
    })
    .await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    // Deleted and overwritten records (erased customers, values replaced by their
    // ciphertexts) are zeroed, not left in free pages.
    conn.execute("PRAGMA secure_delete = ON").await?;
    conn.execute("PRAGMA busy_timeout = 10000").await?;
    // 16 MiB of page cache per connection instead of SQLite's 2 MiB: the history indexes
    // of a busy wallet outgrow 2 MiB quickly. Per connection, so the pool multiplies it:
    // 64 MiB each made a server with ten connections grow past 580 MiB
    // (docs/benchmarks.md).
    conn.execute("PRAGMA cache_size = -16384").await?;
    Ok(())
}

impl Store {
    /// Connects (creating the SQLite file if needed) without migrating.
    pub async fn connect(options: &StoreOptions) -> anyhow::Result<Self> {
        DRIVERS.call_once(install_default_drivers);
        let backend = Backend::from_url(&options.url)?;
        let url = match backend {
            // `mode=rwc` creates the file on first start, so `paydesk serve` needs no setup.
            Backend::Sqlite if !options.url.contains("mode=") => {
                let sep = if options.url.contains('?') { '&' } else { '?' };
                format!("{}{sep}mode=rwc", options.url)
            }
            _ => options.url.clone(),
        };
        let full_sync = options.sqlite_full_sync;
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlite_pragmas(conn, full_sync).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .with_context(|| format!("connecting to the {backend:?} database"))?;
        let writer = match backend {
            Backend::Sqlite => {
                // A connection of its own, beside the pool: SQLite's one writer.
                let mut conn = AnyConnection::connect(&url)
                    .await
                    .context("opening the SQLite writer connection")?;
                sqlite_pragmas(&mut conn, full_sync).await?;
                Some(write::Writer::new(conn))
            }
            Backend::Postgres => None,
        };
        Ok(Store {
            pool,
            backend,
            keys: options.keys.clone(),
            writer,
            settings: Default::default(),
        })
    }

    /// Applies pending migrations of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .context("running database migrations")?;
        Ok(())
    }

    /// Gathers the planner's statistics for every table now: after a bulk load, before
    /// anything queries it (the benchmarks' generated data).
    pub async fn analyze(&self) -> Result<(), RepoError> {
        sqlx::query("ANALYZE")
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Connects, migrates and encrypts any personal data still stored in plain text
    /// (databases from before migration 0014): what `paydesk serve` does at start.
    pub async fn open(options: &StoreOptions) -> anyhow::Result<Self> {
        let store = Self::connect(options).await?;
        store.migrate().await?;
        let converted = store
            .encrypt_plaintext(&|_, _| {})
            .await
            .context("encrypting personal data stored in plain text")?;
        if converted > 0 {
            tracing::info!(converted, "encrypted personal data stored in plain text");
        }
        Ok(store)
    }

    /// The key ring values are encrypted with.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The placeholder for the `n`-th bound value (1-based). SQLite gets anonymous `?`:
    /// it resolves named ones by a linear scan per value, which makes statements with
    /// thousands of values quadratic. PostgreSQL needs `$n`.
    pub(crate) fn ph(&self, n: usize) -> String {
        match self.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${n}"),
        }
    }

    /// `(…, …), (…, …)` rows of `width` placeholders each.
    pub(crate) fn value_rows(&self, rows: usize, width: usize) -> String {
        (0..rows)
            .map(|r| {
                let cells: Vec<String> = (1..=width).map(|c| self.ph(r * width + c)).collect();
                format!("({})", cells.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The engine in use.
    pub fn backend_kind(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Maps a sqlx error to the domain's: unique violations become `Conflict` naming the
/// column, everything else is unexpected.
pub(crate) fn db_err(e: sqlx::Error) -> RepoError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        let msg = db.message().to_ascii_lowercase();
        let constraint = db.constraint().unwrap_or_default().to_ascii_lowercase();
        let what = ["email", "phone", "name", "idem_key"]
            .into_iter()
            .find(|c| msg.contains(c) || constraint.contains(c))
            .unwrap_or("record");
        return RepoError::Conflict(what.to_owned());
    }
    RepoError::Unexpected(anyhow::Error::new(e))
}

/// Escapes `%`, `_` and `\` so user text is matched literally by `LIKE … ESCAPE '\'`.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Reads a column or reports which one was missing or mistyped.
pub(crate) fn col<'r, T>(row: &'r sqlx::any::AnyRow, name: &str) -> Result<T, RepoError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get::<T, _>(name)
        .with_context(|| format!("reading column {name}"))
        .map_err(RepoError::Unexpected)
}

#[async_trait]
impl Repository for Store {
    async fn ping(&self) -> Result<(), RepoError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    fn pool_stats(&self) -> (u32, u32) {
        (self.pool.size(), self.pool.num_idle() as u32)
    }

    async fn optimize(&self) -> Result<(), RepoError> {
        match self.backend {
            // SQLite keeps no statistics on its own, and without them it prefers the status
            // index to the queue-order indexes and sorts every active ticket (see
            // docs/benchmarks.md). `optimize` analyzes only tables that changed enough since
            // their last analysis (0x10002: all tables, not only those this connection
            // used); `analysis_limit` bounds the work on a large table to a sample.
            Backend::Sqlite => {
                let mut conn = self.pool.acquire().await.map_err(db_err)?;
                sqlx::query("PRAGMA analysis_limit = 1000")
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
                sqlx::query("PRAGMA optimize = 0x10002")
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            // Autovacuum's analyze keeps PostgreSQL's statistics.
            Backend::Postgres => {}
        }
        Ok(())
    }
}

/// A bound value of a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    /// Text.
    Text(String),
    /// Integer (amounts, timestamps).
    Int(i64),
}

impl From<String> for Bind {
    fn from(s: String) -> Self {
        Bind::Text(s)
    }
}
impl From<&str> for Bind {
    fn from(s: &str) -> Self {
        Bind::Text(s.to_owned())
    }
}
impl From<i64> for Bind {
    fn from(v: i64) -> Self {
        Bind::Int(v)
    }
}

/// Sort direction of a keyset-paginated listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Smallest key first (names).
    Ascending,
    /// Largest key first (newest first).
    Descending,
}

/// A `WHERE` clause built from optional filters, with `$n` placeholders and their values,
/// plus keyset pagination on `(key_column, id)`.
#[derive(Default)]
pub(crate) struct Filters {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Filters {
    /// Adds a value and returns its placeholder number.
    pub(crate) fn bind(&mut self, value: impl Into<Bind>) -> usize {
        self.binds.push(value.into());
        self.binds.len()
    }

    /// Adds a condition written with placeholders from [`Filters::bind`].
    pub(crate) fn clause(&mut self, sql: String) {
        self.clauses.push(sql);
    }

    /// Keeps rows strictly after the cursor in `ORDER BY key_column, id` (either direction).
    /// `numeric` keys are compared as integers.
    pub(crate) fn after(
        &mut self,
        cursor: Option<&domain::Cursor>,
        key_column: &str,
        order: Order,
        numeric: bool,
    ) -> Result<(), RepoError> {
        if let Some(c) = cursor {
            let key: Bind = if numeric {
                Bind::Int(c.key.parse().map_err(|_| {
                    RepoError::Unexpected(anyhow::anyhow!("cursor key is not a number"))
                })?)
            } else {
                Bind::Text(c.key.clone())
            };
            let k = self.bind(key);
            let i = self.bind(c.id.clone());
            let op = if order == Order::Ascending { ">" } else { "<" };
            self.clause(format!(
                "({key_column} {op} ${k} OR ({key_column} = ${k} AND id {op} ${i}))"
            ));
        }
        Ok(())
    }

    /// Runs `SELECT {columns} FROM {table} WHERE … ORDER BY key_column, id LIMIT limit+1`.
    pub(crate) async fn fetch_page(
        &self,
        pool: &AnyPool,
        columns: &str,
        table: &str,
        key_column: &str,
        order: Order,
        limit: domain::Limit,
    ) -> Result<Vec<sqlx::any::AnyRow>, RepoError> {
        let dir = if order == Order::Ascending {
            "ASC"
        } else {
            "DESC"
        };
        let sql = format!(
            "SELECT {columns} FROM {table} {} ORDER BY {key_column} {dir}, id {dir} LIMIT {}",
            self.where_sql(),
            limit.get() + 1
        );
        self.fetch_all(pool, sql).await
    }

    /// The `WHERE …` part ("" without conditions).
    pub(crate) fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// Runs any query built with these binds.
    pub(crate) async fn fetch_all(
        &self,
        pool: &AnyPool,
        sql: String,
    ) -> Result<Vec<sqlx::any::AnyRow>, RepoError> {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(v) => q.bind(*v),
            };
        }
        q.fetch_all(pool).await.map_err(db_err)
    }
}
