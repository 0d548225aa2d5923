//! Persistence for paydesk on SQLite (embedded default) or PostgreSQL, through sqlx's
//! `Any` driver and one body of portable SQL. Implements the domain's repository traits.

mod directory;
mod idempotency;
mod identity;
mod seed;
mod sessions;
pub mod testing;

pub use seed::SeedOutcome;

// Dynamic SQL here is assembled only from constant fragments (column lists, table
// names chosen by a `match`); every value is bound, so `AssertSqlSafe` holds.
use anyhow::Context;
use async_trait::async_trait;
use domain::repo::{RepoError, Repository};
use sqlx::AssertSqlSafe;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::sync::Once;
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
}

/// The database behind paydesk. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static DRIVERS: Once = Once::new();

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
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; busy_timeout makes concurrent
                        // writers wait instead of failing with SQLITE_BUSY.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .with_context(|| format!("connecting to the {backend:?} database"))?;
        Ok(Store { pool, backend })
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

    /// Connects and migrates: what `paydesk serve` does at start.
    pub async fn open(options: &StoreOptions) -> anyhow::Result<Self> {
        let store = Self::connect(options).await?;
        store.migrate().await?;
        Ok(store)
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
}

/// A `WHERE` clause built from optional filters, with `$n` placeholders and their values,
/// plus keyset pagination on `(key_column, id)`.
#[derive(Default)]
pub(crate) struct Filters {
    clauses: Vec<String>,
    binds: Vec<String>,
}

impl Filters {
    /// Adds a value and returns its placeholder number.
    pub(crate) fn bind(&mut self, value: impl Into<String>) -> usize {
        self.binds.push(value.into());
        self.binds.len()
    }

    /// Adds a condition written with placeholders from [`Filters::bind`].
    pub(crate) fn clause(&mut self, sql: String) {
        self.clauses.push(sql);
    }

    /// Keeps rows strictly after the cursor in `ORDER BY key_column, id`.
    pub(crate) fn after(&mut self, cursor: Option<&domain::Cursor>, key_column: &str) {
        if let Some(c) = cursor {
            let k = self.bind(c.key.clone());
            let i = self.bind(c.id.clone());
            self.clause(format!(
                "({key_column} > ${k} OR ({key_column} = ${k} AND id > ${i}))"
            ));
        }
    }

    /// Runs `SELECT {columns} FROM {table} WHERE … ORDER BY key_column, id LIMIT limit+1`.
    pub(crate) async fn fetch_page(
        &self,
        pool: &AnyPool,
        columns: &str,
        table: &str,
        key_column: &str,
        limit: domain::Limit,
    ) -> Result<Vec<sqlx::any::AnyRow>, RepoError> {
        let where_sql = if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {columns} FROM {table} {where_sql} ORDER BY {key_column}, id LIMIT {}",
            limit.get() + 1
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in &self.binds {
            q = q.bind(b.as_str());
        }
        q.fetch_all(pool).await.map_err(db_err)
    }
}
