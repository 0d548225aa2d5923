//! paydesk's configuration. Layered by the CLI: built-in defaults, then `paydesk.toml`,
//! then `PAYDESK__SECTION__KEY` environment variables, then flags.

use serde::{Deserialize, Serialize};

/// The whole configuration. `Debug` prints the redacted copy (no keys, tokens or
/// database passwords), so logging it is safe.
#[derive(Clone, Serialize, Deserialize, Default)]
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
    /// Social and phone channels, and the outbox that delivers replies to them.
    pub channels: ChannelsConfig,
    /// Where uploaded files (ticket attachments, complaint evidence) are kept.
    pub files: FilesConfig,
    /// Sign-in throttling and locks, rate limits, password reset, two-step sign-in.
    pub security: crate::protection::SecurityConfig,
    /// Keys that encrypt personal data at rest.
    pub encryption: EncryptionConfig,
    /// Linking bank cards and bank accounts: the issuer's code service, the fingerprint key, limits.
    pub cards: crate::cards::CardsConfig,
    /// Merchant complaints: deadline tiers and evidence limits.
    pub complaints: ComplaintsConfig,
}

/// Merchant complaints.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ComplaintsConfig {
    /// Decision and merchant-response deadlines by disputed amount, in business days.
    pub deadlines: domain::complaint::DeadlineTiers,
    /// Most evidence files per side (customer, merchant) of one complaint.
    pub max_evidence_files: u32,
}

impl Default for ComplaintsConfig {
    fn default() -> Self {
        Self {
            deadlines: domain::complaint::DeadlineTiers::default(),
            max_evidence_files: 5,
        }
    }
}

/// Encryption at rest (TOTP secrets, customers' and contacts' email and phone numbers,
/// caller numbers). Keys are 32 random bytes in base64 (`paydesk keys generate`).
///
/// Rotation: add the new key under a new id, make it `active_key`, run
/// `paydesk keys rotate`, then remove the old key. Until rotation completes the old key
/// must stay: values under it are read with it.
#[derive(Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct EncryptionConfig {
    /// Data keys by id (lower-case letters, digits, `-`, `_`), e.g. `{ k2026 = "…" }`.
    pub keys: std::collections::BTreeMap<String, domain::privacy::Secret>,
    /// The id of the key that encrypts new values.
    pub active_key: String,
    /// Key of the blind indexes (keyed HMAC) that find customers by email or phone.
    /// Separate from the data keys and not rotated with them.
    pub index_key: domain::privacy::Secret,
    /// Use the public development key when no keys are configured (demo, tests). Never
    /// in production: its bytes are in the source code.
    pub development_key: bool,
}

impl std::fmt::Debug for EncryptionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptionConfig")
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .field("active_key", &self.active_key)
            .field("index_key", &self.index_key)
            .field("development_key", &self.development_key)
            .finish()
    }
}

impl EncryptionConfig {
    /// The key ring, or a clear error saying what is missing.
    pub fn key_ring(&self) -> anyhow::Result<store::crypto::KeyRing> {
        use anyhow::Context;
        if self.keys.is_empty() {
            anyhow::ensure!(
                self.development_key,
                "no encryption key is configured: paydesk encrypts personal data at rest. \
                 Generate keys with `paydesk keys generate` and set encryption.keys.<id>, \
                 encryption.active_key and encryption.index_key (or PAYDESK__ENCRYPTION__KEYS__<ID>, \
                 PAYDESK__ENCRYPTION__ACTIVE_KEY, PAYDESK__ENCRYPTION__INDEX_KEY); on a \
                 development machine, encryption.development_key = true uses a public key"
            );
            return Ok(store::crypto::KeyRing::development());
        }
        anyhow::ensure!(
            !self.index_key.is_empty(),
            "encryption.index_key is not set (32 bytes, base64; `paydesk keys generate`)"
        );
        let mut keys = Vec::new();
        for (id, secret) in &self.keys {
            let bytes = store::crypto::decode_key(secret.expose())
                .with_context(|| format!("encryption.keys.{id}"))?;
            keys.push((id.clone(), bytes));
        }
        let active = if self.active_key.is_empty() && keys.len() == 1 {
            keys[0].0.clone()
        } else {
            self.active_key.clone()
        };
        let index =
            store::crypto::decode_key(self.index_key.expose()).context("encryption.index_key")?;
        Ok(store::crypto::KeyRing::new(&keys, &active, index)?)
    }
}

/// Social and phone channels. A channel whose secret is empty is switched off: its
/// webhook answers 404 and nothing is queued for it.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelsConfig {
    /// Facebook Messenger Platform.
    pub messenger: MessengerConfig,
    /// X Account Activity API (direct messages).
    pub x: XConfig,
    /// The phone hotline's telephony provider.
    pub telephony: TelephonyConfig,
    /// Delivery of replies to the platforms.
    pub outbox: OutboxConfig,
}

/// Facebook Messenger Platform.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MessengerConfig {
    /// The token Meta sends back in the GET verification challenge.
    pub verify_token: String,
    /// The app secret: `X-Hub-Signature-256` is the HMAC-SHA256 of the body with it.
    pub app_secret: String,
    /// Page access token for the Send API.
    pub page_access_token: String,
    /// Graph API base URL (tests point it at a local server).
    pub api_base: String,
}

impl Default for MessengerConfig {
    fn default() -> Self {
        Self {
            verify_token: String::new(),
            app_secret: String::new(),
            page_access_token: String::new(),
            api_base: "https://graph.facebook.com/v21.0".into(),
        }
    }
}

/// X Account Activity API.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct XConfig {
    /// The app's consumer secret: CRC answers and `x-twitter-webhooks-signature` use it.
    pub consumer_secret: String,
    /// OAuth 2.0 user access token of the support account, for sending direct messages.
    pub access_token: String,
    /// API base URL (tests point it at a local server).
    pub api_base: String,
}

impl Default for XConfig {
    fn default() -> Self {
        Self {
            consumer_secret: String::new(),
            access_token: String::new(),
            api_base: "https://api.x.com".into(),
        }
    }
}

/// The phone hotline's telephony webhook.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelephonyConfig {
    /// Shared secret signing each call event.
    pub secret: String,
    /// Oldest accepted signature timestamp, in seconds, against replays.
    pub tolerance_secs: i64,
    /// Voice-menu digit to ticket category (`"1" = "account_sign_in"`).
    pub menu: std::collections::BTreeMap<String, String>,
}

impl Default for TelephonyConfig {
    fn default() -> Self {
        let menu = [
            ("1", "account_sign_in"),
            ("2", "failed_transaction"),
            ("3", "refund"),
            ("4", "coupon"),
            ("5", "card_linking"),
            ("6", "merchant_complaint"),
            ("7", "privacy_security"),
            ("0", "other"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Self {
            secret: String::new(),
            tolerance_secs: 300,
            menu,
        }
    }
}

/// Delivery of replies to the platforms.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// How often each node looks for due deliveries, in milliseconds.
    pub poll_ms: u64,
    /// How long a node owns a claimed delivery before another may retry it, in seconds.
    pub lease_secs: i64,
    /// Deliveries claimed at once.
    pub batch: u32,
    /// Time allowed for one call to a platform, in seconds.
    pub http_timeout_secs: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            poll_ms: 1000,
            lease_secs: 60,
            batch: 20,
            http_timeout_secs: 10,
        }
    }
}

/// Uploaded files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesConfig {
    /// Directory for the local file store (created on start).
    pub dir: String,
    /// Largest file accepted, in bytes.
    pub max_file_bytes: usize,
    /// Most files on one message.
    pub max_files_per_message: usize,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            dir: "paydesk-files".into(),
            max_file_bytes: 5 * 1024 * 1024,
            max_files_per_message: 5,
        }
    }
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
    /// Behind a reverse proxy: take the client address from the last `X-Forwarded-For`
    /// entry (the one the proxy added) instead of the socket. Off unless a proxy that
    /// sets the header is the only way in, or clients could pick their own address.
    pub trust_proxy: bool,
    /// The address people reach paydesk at (`https://help.example.com`), for links in
    /// emails and text messages; empty = `http://` + `bind`.
    pub public_url: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            tls: false,
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            trust_proxy: false,
            public_url: String::new(),
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
        for key in c.encryption.keys.values_mut() {
            *key = domain::privacy::Secret::new("***");
        }
        if !c.encryption.index_key.is_empty() {
            c.encryption.index_key = domain::privacy::Secret::new("***");
        }
        for secret in [
            &mut c.channels.messenger.app_secret,
            &mut c.channels.messenger.page_access_token,
            &mut c.channels.messenger.verify_token,
            &mut c.channels.x.consumer_secret,
            &mut c.channels.x.access_token,
            &mut c.channels.telephony.secret,
            &mut c.cards.fingerprint_key,
            &mut c.cards.issuer_api_key,
        ] {
            if !secret.is_empty() {
                *secret = "***".into();
            }
        }
        c
    }
}

/// `set` or `unset`: whether a secret is configured, never its value.
fn presence(secret: &str) -> &'static str {
    if secret.is_empty() { "unset" } else { "set" }
}

impl std::fmt::Debug for MessengerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessengerConfig")
            .field("verify_token", &presence(&self.verify_token))
            .field("app_secret", &presence(&self.app_secret))
            .field("page_access_token", &presence(&self.page_access_token))
            .field("api_base", &self.api_base)
            .finish()
    }
}

impl std::fmt::Debug for XConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XConfig")
            .field("consumer_secret", &presence(&self.consumer_secret))
            .field("access_token", &presence(&self.access_token))
            .field("api_base", &self.api_base)
            .finish()
    }
}

impl std::fmt::Debug for TelephonyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelephonyConfig")
            .field("secret", &presence(&self.secret))
            .field("tolerance_secs", &self.tolerance_secs)
            .field("menu", &self.menu)
            .finish()
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match serde_json::to_string(&self.redacted()) {
            Ok(json) => write!(f, "Config {json}"),
            Err(_) => f.write_str("Config { … }"),
        }
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
    fn debug_output_of_the_configuration_hides_every_secret() {
        let mut c = Config::default();
        c.database.url = "postgres://paydesk:hunter2@db/p".into();
        c.channels.messenger.app_secret = "app-secret-1".into();
        c.channels.telephony.secret = "tel-secret-1".into();
        c.encryption
            .keys
            .insert("k1".into(), domain::privacy::Secret::new("data-key-bytes"));
        c.encryption.index_key = domain::privacy::Secret::new("index-key-bytes");
        let debug = format!("{c:?}");
        for secret in [
            "hunter2",
            "app-secret-1",
            "tel-secret-1",
            "data-key-bytes",
            "index-key-bytes",
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(!format!("{:?}", c.encryption).contains("data-key-bytes"));
        assert!(!format!("{:?}", c.channels).contains("app-secret-1"));
        assert!(!format!("{:?}", c.channels).contains("tel-secret-1"));
        assert!(debug.contains("k1"), "key ids are not secret: {debug}");
    }

    #[test]
    fn a_missing_key_is_a_clear_error_and_keys_must_be_valid() {
        let mut e = EncryptionConfig::default();
        let err = e.key_ring().unwrap_err().to_string();
        assert!(err.contains("paydesk keys generate"), "{err}");
        e.development_key = true;
        assert_eq!(e.key_ring().unwrap().active_key_id(), "dev");
        e.keys.insert(
            "k1".into(),
            domain::privacy::Secret::new(store::crypto::generate_key()),
        );
        assert!(e.key_ring().is_err(), "no index key");
        e.index_key = domain::privacy::Secret::new(store::crypto::generate_key());
        assert_eq!(e.key_ring().unwrap().active_key_id(), "k1");
        e.keys
            .insert("k2".into(), domain::privacy::Secret::new("not a key"));
        assert!(format!("{:#}", e.key_ring().unwrap_err()).contains("encryption.keys.k2"));
    }

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
