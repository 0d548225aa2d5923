//! Fresh databases for integration tests, on the backend chosen by the environment:
//! `PAYDESK_TEST_DATABASE_URL=postgres://…` (an admin URL; each test gets its own new
//! database on that server) or, when unset, a new SQLite file per test.

use anyhow::Context;
use sqlx::Connection;

/// Environment variable naming the PostgreSQL server for tests.
pub const TEST_DATABASE_ENV: &str = "PAYDESK_TEST_DATABASE_URL";

/// The URL of a new, empty database for one test.
pub async fn fresh_database_url() -> anyhow::Result<String> {
    let name = format!("paydesk_test_{}", uuid::Uuid::now_v7().simple());
    match std::env::var(TEST_DATABASE_ENV) {
        Ok(admin) if !admin.is_empty() => {
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .context("connecting to the test PostgreSQL server")?;
            // The name is generated above from hex digits only: safe to splice.
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .context("creating a test database")?;
            conn.close().await.ok();
            let (base, query) = match admin.split_once('?') {
                Some((b, q)) => (b, format!("?{q}")),
                None => (admin.as_str(), String::new()),
            };
            let (server, _) = base
                .rsplit_once('/')
                .filter(|(s, _)| {
                    s.contains("://") && s.split("://").nth(1).is_some_and(|h| !h.is_empty())
                })
                .context("PAYDESK_TEST_DATABASE_URL needs the form postgres://user@host:port/db")?;
            Ok(format!("{server}/{name}{query}"))
        }
        _ => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            Ok(format!("sqlite://{}", path.display()))
        }
    }
}
