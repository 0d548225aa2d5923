//! Account protection in the server: the client's address, sign-in throttling and
//! locks, per-address rate limits, new-device checks, notices to account holders, the
//! audit trail and the background housekeeping. Password reset, two-step sign-in and
//! agent-assisted recovery live in the submodules.

pub mod agent;
pub mod reset;
pub mod second_factor;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use domain::protection::{
    Gate, NewAuditEntry, NoticeChannel, NoticeKind, Notification, RateLimit, ThrottlePolicy,
    ThrottleState, client_network, user_kind,
};
use domain::{Email, Locale, LoginId, Principal, UserId};
use fluent_bundle::FluentArgs;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

/// Configuration section `security`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// Failed sign-ins after which each further attempt has to wait (the wait doubles).
    pub throttle_after_failures: u32,
    /// Failed sign-ins that lock the account for a while.
    pub lock_after_failures: u32,
    /// Length of the first lock; a repeated lock lasts twice as long (at most a day).
    pub lock_minutes: u32,
    /// The first wait once throttled, in seconds.
    pub throttle_delay_secs: u32,
    /// Failed sign-ins, 2FA codes or reset requests allowed per client address per window.
    pub address_limit: u32,
    /// The per-address window, in minutes.
    pub address_window_minutes: u32,
    /// Lifetime of a password reset link.
    pub reset_token_minutes: u32,
    /// Reset messages sent to one account per hour at most (against message bombing).
    pub resets_per_hour: u32,
    /// Wait between an agent's 2FA reset and its effect, so the holder can object.
    pub totp_reset_wait_hours: u32,
    /// Show queued emails and text messages on `/dev/mailbox` (development only).
    pub dev_mailbox: bool,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            throttle_after_failures: 3,
            lock_after_failures: 10,
            lock_minutes: 15,
            throttle_delay_secs: 5,
            address_limit: 30,
            address_window_minutes: 10,
            reset_token_minutes: 30,
            resets_per_hour: 3,
            totp_reset_wait_hours: 24,
            dev_mailbox: false,
        }
    }
}

impl SecurityConfig {
    /// The throttling rules.
    pub fn policy(&self) -> ThrottlePolicy {
        ThrottlePolicy {
            throttle_after: self.throttle_after_failures,
            lock_after: self.lock_after_failures,
            lock_minutes: self.lock_minutes,
            base_delay_secs: self.throttle_delay_secs,
        }
    }

    fn address_rate(&self) -> RateLimit {
        RateLimit {
            max: self.address_limit.max(1),
            window_us: i64::from(self.address_window_minutes.max(1)) * 60_000_000,
        }
    }
}

tokio::task_local! {
    static CLIENT_IP: Option<IpAddr>;
}

/// The client address of the request being served (from the socket, or from
/// `X-Forwarded-For` when `server.trust_proxy` is set); `None` outside a request or when
/// the server was not started with connection info.
pub fn client_ip() -> Option<IpAddr> {
    CLIENT_IP.try_with(|ip| *ip).ok().flatten()
}

/// Middleware: resolves the client address once per request for [`client_ip`].
pub async fn client_address(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let socket = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = if state.config.server.trust_proxy {
        forwarded_for(req.headers()).or(socket)
    } else {
        socket
    };
    CLIENT_IP.scope(ip, next.run(req)).await
}

/// The last address of `X-Forwarded-For`: the one our proxy appended. Earlier entries
/// come from the client and prove nothing.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .next_back()
}

/// Key of a per-address limit: the address itself for IPv4, its /64 for IPv6 (one host
/// usually holds a whole /64).
fn address_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => client_network(Some(IpAddr::V6(v6))),
        },
        None => "unknown".into(),
    }
}

/// Refuses the request when this client address used up `kind`'s allowance.
pub async fn check_address(state: &AppState, kind: &str, now_us: i64) -> Result<(), ApiError> {
    let limit = state.config.security.address_rate();
    let bucket = format!("{kind}:{}", address_key(client_ip()));
    let current = limit.window_start(now_us);
    let (prev, cur) = state
        .repo
        .rate_counts(&bucket, current - limit.window_us, current)
        .await?;
    match limit.check(prev, cur, now_us) {
        None => Ok(()),
        Some(retry_after_secs) => {
            tracing::warn!(kind, bucket = %bucket, "per-address limit reached");
            Err(ApiError::Throttled { retry_after_secs })
        }
    }
}

/// Counts one event of `kind` against this client address.
pub async fn count_address(state: &AppState, kind: &str, now_us: i64) -> Result<(), ApiError> {
    let limit = state.config.security.address_rate();
    let bucket = format!("{kind}:{}", address_key(client_ip()));
    state
        .repo
        .rate_hit(&bucket, limit.window_start(now_us))
        .await?;
    Ok(())
}

/// Throttle key of an account.
pub fn account_key(user: &UserId) -> String {
    format!("{}:{}", user_kind(user), user.as_str())
}

/// Throttle key of a login that matches no account: the normalised login, so that
/// unknown logins slow down and lock exactly like real ones.
pub fn login_key(audience: &str, login: &str) -> String {
    let normalised = match LoginId::parse(login) {
        Ok(LoginId::Email(e)) => e.as_str().to_owned(),
        Ok(LoginId::Phone(p)) => p.as_str().to_owned(),
        Err(_) => match Email::parse(login) {
            Ok(e) => e.as_str().to_owned(),
            Err(_) => login.trim().to_lowercase().chars().take(100).collect(),
        },
    };
    // Hashed: the login of an unknown account may still be someone's email or number,
    // and throttle keys are stored in the clear.
    use sha2::Digest;
    let digest = sha2::Sha256::digest(normalised.as_bytes());
    format!("login:{audience}:{}", hex::encode(digest))
}

/// One checked attempt, already counted as a failure (so that parallel attempts on
/// several nodes cannot share a free slot); settle it with one of the methods.
#[must_use]
pub struct Attempt {
    key: String,
    before: Option<ThrottleState>,
    after: ThrottleState,
    now_us: i64,
}

/// Opens an attempt under `key`, or answers how long to wait without checking anything.
pub async fn begin_attempt(state: &AppState, key: &str, now_us: i64) -> Result<Attempt, ApiError> {
    let policy = state.config.security.policy();
    for _ in 0..8 {
        let before = state.repo.throttle_state(key).await?;
        let current = before.unwrap_or_default();
        if let Gate::Wait {
            retry_after_secs,
            locked,
        } = policy.gate(&current, now_us)
        {
            return Err(if locked {
                ApiError::AccountLocked { retry_after_secs }
            } else {
                ApiError::Throttled { retry_after_secs }
            });
        }
        let after = policy.after_failure(&current, now_us);
        if state
            .repo
            .swap_throttle(key, before.as_ref(), &after)
            .await?
        {
            return Ok(Attempt {
                key: key.to_owned(),
                before,
                after,
                now_us,
            });
        }
    }
    // Many attempts at the same moment on one account: that alone is reason to slow down.
    Err(ApiError::Throttled {
        retry_after_secs: 1,
    })
}

impl Attempt {
    /// Whether this attempt, failed, locks the account.
    pub fn locks(&self) -> bool {
        self.after.locked_until_us > self.now_us
    }

    /// The attempt succeeded: the failures are forgotten.
    pub async fn succeeded(self, state: &AppState) -> Result<(), ApiError> {
        state.repo.clear_throttle(&self.key).await?;
        Ok(())
    }

    /// The attempt proved nothing either way (the password was right but the code is
    /// still to come): put the count back as it was.
    pub async fn not_counted(self, state: &AppState) -> Result<(), ApiError> {
        let restore = self.before.unwrap_or_default();
        state
            .repo
            .swap_throttle(&self.key, Some(&self.after), &restore)
            .await?;
        Ok(())
    }

    /// The attempt failed: it stays counted, the address is charged, and the holder is
    /// told when this failure locked the account.
    pub async fn failed(self, state: &AppState, holder: Option<&UserId>) -> Result<(), ApiError> {
        count_address(state, "sign_in", self.now_us).await?;
        if self.locks()
            && let Some(user) = holder
        {
            let minutes = (self.after.locked_until_us - self.now_us).div_euclid(60_000_000);
            let who = Holder::load(state, user).await?;
            let mut args = FluentArgs::new();
            args.set("minutes", minutes.to_string());
            notify(
                state,
                &who,
                NoticeKind::AccountLocked,
                None,
                args,
                self.now_us,
            )
            .await?;
            audit(
                state,
                "system",
                "account.locked",
                customer_of(user),
                "ok",
                serde_json::json!({"minutes": minutes}),
                self.now_us,
            )
            .await?;
        }
        Ok(())
    }
}

/// The customer id of a user, for audit records.
pub fn customer_of(user: &UserId) -> Option<&str> {
    match user {
        UserId::Customer(c) => Some(c.as_str()),
        UserId::Staff(_) => None,
    }
}

/// Records a successful sign-in's device and tells the holder when it is a device not
/// seen in their last 20 sign-ins (user agent and network). The very first sign-in has
/// nothing to compare with and is not reported.
pub async fn note_sign_in(
    state: &AppState,
    principal: &Principal,
    user_agent: &str,
    now_us: i64,
) -> Result<(), ApiError> {
    let net = client_network(client_ip());
    let agent: String = user_agent.chars().take(200).collect();
    let history = state.repo.recent_sign_ins(&principal.user, 20).await?;
    let known = history.iter().any(|(ua, n)| *ua == agent && *n == net);
    state
        .repo
        .record_sign_in(&principal.user, &agent, &net, now_us)
        .await?;
    if !history.is_empty() && !known {
        let who = Holder::load(state, &principal.user).await?;
        let mut args = FluentArgs::new();
        args.set("device", device_label(&agent));
        args.set(
            "network",
            if net.is_empty() {
                "?".to_owned()
            } else {
                net.clone()
            },
        );
        args.set("when", crate::api::views::rfc3339(now_us));
        notify(state, &who, NoticeKind::NewDevice, None, args, now_us).await?;
    }
    Ok(())
}

/// A short, readable name of a user agent (`Chrome on Android`).
pub fn device_label(user_agent: &str) -> String {
    let ua = user_agent.to_ascii_lowercase();
    let browser = [
        ("edg/", "Edge"),
        ("opr/", "Opera"),
        ("firefox/", "Firefox"),
        ("chromium/", "Chromium"),
        ("chrome/", "Chrome"),
        ("safari/", "Safari"),
        ("curl/", "curl"),
        ("okhttp", "Android app"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("android", "Android"),
        ("iphone", "iPhone"),
        ("ipad", "iPad"),
        ("windows", "Windows"),
        ("mac os", "macOS"),
        ("cros", "ChromeOS"),
        ("linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} · {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => o.to_owned(),
        (None, None) if ua.trim().is_empty() => "?".to_owned(),
        (None, None) => user_agent.chars().take(60).collect(),
    }
}

/// Whom a notice goes to and how they can be reached.
#[derive(Debug, Clone)]
pub struct Holder {
    /// The account.
    pub user: UserId,
    /// Name for the greeting.
    pub name: String,
    /// Registered email.
    pub email: Option<String>,
    /// Registered phone (customers).
    pub phone: Option<String>,
    /// Language of their notices.
    pub locale: Locale,
}

impl Holder {
    /// Reads the account behind `user`.
    pub async fn load(state: &AppState, user: &UserId) -> Result<Holder, ApiError> {
        Ok(match user {
            UserId::Customer(id) => {
                let c = state.repo.customer(id).await?;
                Holder {
                    user: user.clone(),
                    name: c.display_name.as_str().to_owned(),
                    email: c.email.map(|e| e.as_str().to_owned()),
                    phone: c.phone.map(|p| p.as_str().to_owned()),
                    locale: c.locale,
                }
            }
            UserId::Staff(id) => {
                let s = state.repo.staff(id).await?;
                Holder {
                    user: user.clone(),
                    name: s.display_name.as_str().to_owned(),
                    email: Some(s.email.as_str().to_owned()),
                    phone: None,
                    locale: s.locale,
                }
            }
        })
    }

    /// The address on `channel`, or the best one (email first) when `None`.
    fn reach(&self, channel: Option<NoticeChannel>) -> Option<(NoticeChannel, String)> {
        let email = self.email.clone().map(|e| (NoticeChannel::Email, e));
        let sms = self.phone.clone().map(|p| (NoticeChannel::Sms, p));
        match channel {
            Some(NoticeChannel::Email) => email,
            Some(NoticeChannel::Sms) => sms,
            None => email.or(sms),
        }
    }
}

/// Where people reach this server, for links in notices.
pub fn public_url(state: &AppState) -> String {
    let configured = state.config.server.public_url.trim_end_matches('/');
    if configured.is_empty() {
        format!("http://{}", state.config.server.bind)
    } else {
        configured.to_owned()
    }
}

/// Queues a notice to the holder in their language (`notice-<kind>-subject` and
/// `-body` in the catalogues, with `args` plus `$name`), on `channel` or their best one.
/// A holder with no address on the channel gets nothing; that is logged, not an error.
pub async fn notify(
    state: &AppState,
    holder: &Holder,
    kind: NoticeKind,
    channel: Option<NoticeChannel>,
    mut args: FluentArgs<'static>,
    now_us: i64,
) -> Result<(), ApiError> {
    let Some((channel, recipient)) = holder.reach(channel) else {
        tracing::warn!(user = %holder.user.as_str(), kind = kind.as_str(), "no address for a notice");
        return Ok(());
    };
    args.set("name", holder.name.clone());
    let key = kind.as_str().replace('_', "-");
    let subject = state
        .i18n
        .message(holder.locale, &format!("notice-{key}-subject"), Some(&args));
    let body = state
        .i18n
        .message(holder.locale, &format!("notice-{key}-body"), Some(&args));
    let n = Notification {
        id: uuid::Uuid::now_v7().to_string(),
        user: holder.user.clone(),
        channel,
        recipient,
        kind,
        subject,
        body,
        created_at_us: now_us,
    };
    state.repo.queue_notification(&n).await?;
    tracing::info!(user = %holder.user.as_str(), kind = kind.as_str(), channel = channel.as_str(), "notice queued");
    Ok(())
}

/// `staff:<id>` or `customer:<id>`.
pub fn actor(principal: &Principal) -> String {
    account_key(&principal.user)
}

/// Appends to the audit chain.
pub async fn audit(
    state: &AppState,
    actor: &str,
    action: &str,
    customer: Option<&str>,
    outcome: &str,
    detail: serde_json::Value,
    now_us: i64,
) -> Result<(), ApiError> {
    state
        .repo
        .append_audit(
            &NewAuditEntry {
                actor: actor.to_owned(),
                action: action.to_owned(),
                customer_id: customer.map(str::to_owned),
                outcome: outcome.to_owned(),
                detail: detail.to_string(),
            },
            now_us,
        )
        .await?;
    Ok(())
}

/// Periodic work any node may do: 2FA resets whose wait is over take effect, and old
/// rate windows are dropped.
pub async fn housekeeping(state: &AppState, now_us: i64) -> Result<(), ApiError> {
    for user in state.repo.due_totp_resets(now_us).await? {
        second_factor::apply_totp_reset(state, &user, now_us).await?;
    }
    let window = state.config.security.address_rate().window_us;
    state.repo.purge_rate_windows(now_us - 3 * window).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_proxys_entry_of_x_forwarded_for_counts() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "1.2.3.4, 198.51.100.7".parse().unwrap());
        assert_eq!(forwarded_for(&h), Some("198.51.100.7".parse().unwrap()));
        assert_eq!(forwarded_for(&HeaderMap::new()), None);
    }

    #[test]
    fn unknown_logins_are_keyed_like_the_account_would_be() {
        assert_eq!(
            login_key("customer", " Nobody@Example.ID "),
            login_key("customer", "nobody@example.id")
        );
        assert_eq!(
            login_key("customer", "0812-3456-7890"),
            login_key("customer", "+6281234567890")
        );
        let key = login_key("customer", "nobody@example.id");
        assert!(key.starts_with("login:customer:") && !key.contains("nobody"));
        assert_ne!(key, login_key("staff", "nobody@example.id"));
    }

    #[test]
    fn devices_read_as_people_say_them() {
        assert_eq!(
            device_label(
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
            ),
            "Chrome · Android"
        );
        assert_eq!(device_label(""), "?");
    }
}
