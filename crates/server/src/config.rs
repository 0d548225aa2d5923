//! paydesk's configuration. Layered by the CLI: built-in defaults, then `paydesk.toml`,
//! then `PAYDESK__SECTION__KEY` environment variables, then flags.

use serde::{Deserialize, Serialize};

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// HTTP listener and limits.
    pub server: ServerConfig,
    /// Database connection.
    pub database: DatabaseConfig,
    /// Sessions and password hashing.
    pub auth: AuthConfig,
    /// Logging.
    pub log: LogConfig,
}

/// HTTP listener and limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub bind: String,
    /// Set when paydesk is served over HTTPS (directly or behind a TLS proxy): cookies get
    /// `Secure` and responses carry HSTS.
    pub tls: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Time allowed for one request before it is answered with 408.
    pub request_timeout_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            tls: false,
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
        }
    }
}

/// Database connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://paydesk.db` (default) or `postgres://user:pass@host/db`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// SQLite: fsync every commit so a committed payment survives power loss.
    pub sqlite_full_sync: bool,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://paydesk.db".into(),
            max_connections: 10,
            sqlite_full_sync: true,
        }
    }
}

/// Sessions and password hashing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Lifetime of a page session (cookie), in hours.
    pub session_hours: u64,
    /// Lifetime of an API bearer token, in days.
    pub token_days: u64,
    /// Argon2id memory cost in KiB (OWASP minimum for Argon2id: 19456).
    pub argon2_memory_kib: u32,
    /// Argon2id passes.
    pub argon2_iterations: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_hours: 12,
            token_days: 30,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
        }
    }
}

/// Logging.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// `tracing` filter directive, e.g. `info,sqlx=warn`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: "text".into(),
            level: "info,sqlx=warn,tower_http=info".into(),
        }
    }
}

impl Config {
    /// A copy safe to print: passwords in the database URL are replaced by `***`.
    pub fn redacted(&self) -> Config {
        let mut c = self.clone();
        c.database.url = redact_url(&c.database.url);
        c
    }
}

/// Replaces the password of `scheme://user:password@host/…` with `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                url.to_owned()
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://paydesk:s3cr%40t@db:5432/paydesk?sslmode=require"),
            "postgres://paydesk:***@db:5432/paydesk?sslmode=require"
        );
        assert_eq!(redact_url("sqlite://paydesk.db"), "sqlite://paydesk.db");
        assert_eq!(
            redact_url("postgres://paydesk@db/p"),
            "postgres://paydesk@db/p"
        );
    }
}
