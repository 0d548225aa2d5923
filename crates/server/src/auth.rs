//! Sign-in, sessions and who may call what.
//!
//! The sign-in path is a sequence of checks in [`sign_in`]: parse the login, look up the
//! credential, verify the password (always, also for unknown accounts, so timing does not
//! reveal which accounts exist), then check the account may sign in. Throttling and
//! locks (see [`crate::protection`]) come before the verification, the second factor
//! (TOTP) after it: each is a step that can end the attempt with its own `ApiError`, and
//! the session is only created once every step has passed.

use crate::error::ApiError;
use crate::protection::{self, second_factor, second_factor::SecondFactor};
use crate::state::AppState;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use domain::repo::{SessionKind, SessionRecord};
use domain::{AccountStatus, Email, LoginId, Password, Principal, Role};
use sha2::{Digest, Sha256};
use std::marker::PhantomData;
use std::sync::Arc;

/// Name of the page session cookie.
pub const SESSION_COOKIE: &str = "paydesk_session";

/// Argon2id hashing with the configured cost, off the async worker threads.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// Hash of a random password, verified against when the account does not exist so the
    /// answer takes as long as for a real account.
    dummy_hash: Arc<String>,
}

impl Passwords {
    /// Builds the hasher and its dummy hash.
    pub fn new(memory_kib: u32, iterations: u32) -> anyhow::Result<Self> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|e| anyhow::anyhow!("invalid Argon2 parameters: {e}"))?;
        let dummy_secret = hex::encode(rand::random::<[u8; 16]>());
        let dummy_hash = hash_with(&params, &dummy_secret)?;
        Ok(Self {
            params,
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    /// PHC string of the password's Argon2id hash.
    pub async fn hash(&self, password: &Password) -> Result<String, ApiError> {
        let params = self.params.clone();
        let secret = password.expose().to_owned();
        tokio::task::spawn_blocking(move || hash_with(&params, &secret))
            .await
            .map_err(|e| ApiError::Unexpected(e.into()))?
            .map_err(ApiError::Unexpected)
    }

    /// Whether the password matches the stored hash. A missing password (unusable input)
    /// or a missing hash (no such account) still costs one verification against the dummy
    /// hash, and answers false.
    pub async fn verify(
        &self,
        password: Option<&Password>,
        stored: Option<String>,
    ) -> Result<bool, ApiError> {
        let usable = password.is_some() && stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.as_ref().clone());
        let secret = password.map_or_else(String::new, |p| p.expose().to_owned());
        let matched = tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(secret.as_bytes(), hash.as_str())
                .is_ok()
        })
        .await
        .map_err(|e| ApiError::Unexpected(e.into()))?;
        Ok(usable && matched)
    }
}

fn hash_with(params: &Params, secret: &str) -> anyhow::Result<String> {
    let salt: [u8; 16] = rand::random();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_with_salt(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Which sign-in page or endpoint is used: customers and staff are separate populations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// End customers (email or phone).
    Customer,
    /// Agents, supervisors, admins, merchant staff (work email).
    Staff,
}

/// One sign-in attempt. `now_us` is a parameter so tests can move the clock.
#[derive(Debug, Clone, Copy)]
pub struct SignInAttempt<'a> {
    /// Customer or staff sign-in.
    pub audience: Audience,
    /// Email or phone as typed.
    pub login: &'a str,
    /// Password as typed.
    pub password: &'a str,
    /// One-time or recovery code, when the client already has one.
    pub code: Option<&'a str>,
    /// The client's user agent (for the new-device check).
    pub user_agent: &'a str,
    /// Now (µs).
    pub now_us: i64,
}

/// Where a sign-in ended up when the password was right.
#[derive(Debug, Clone)]
pub enum SignInOutcome {
    /// Signed in.
    SignedIn(Principal),
    /// The password was right; the account also needs a one-time code.
    NeedsCode(Principal),
}

/// Checks a sign-in attempt. Unknown account, malformed login and wrong password all give
/// the same `InvalidCredentials` after the same work, and unknown logins are throttled
/// and locked exactly like accounts, so no answer tells whether an account exists.
pub async fn sign_in(state: &AppState, a: &SignInAttempt<'_>) -> Result<SignInOutcome, ApiError> {
    let now = a.now_us;
    protection::check_address(state, "sign_in", now).await?;
    let password = Password::for_sign_in(a.password).ok();
    let (credential, audience) = match a.audience {
        Audience::Customer => (
            match LoginId::parse(a.login) {
                Ok(id) => state.repo.customer_credential(&id).await?,
                Err(_) => None,
            },
            "customer",
        ),
        Audience::Staff => (
            match Email::parse(a.login) {
                Ok(email) => state.repo.staff_credential(&email).await?,
                Err(_) => None,
            },
            "staff",
        ),
    };
    // Throttling and locks come before the password is looked at: a throttled attempt is
    // answered without checking it, so guessing gains nothing while it lasts.
    let key = match &credential {
        Some(c) => protection::account_key(&c.principal.user),
        None => protection::login_key(audience, a.login),
    };
    let attempt = protection::begin_attempt(state, &key, now).await?;
    let stored_hash = credential.as_ref().map(|c| c.password_hash.clone());
    if !state
        .passwords
        .verify(password.as_ref(), stored_hash)
        .await?
    {
        tracing::info!(audience = ?a.audience, "sign-in rejected");
        attempt
            .failed(state, credential.as_ref().map(|c| &c.principal.user))
            .await?;
        return Err(ApiError::InvalidCredentials);
    }
    let credential = credential.ok_or(ApiError::InvalidCredentials)?;
    if credential.status != AccountStatus::Active {
        attempt.not_counted(state).await?;
        return Err(ApiError::AccountDisabled);
    }
    let user = credential.principal.user.clone();
    match second_factor::check_second_factor(state, &user, a.code, now).await? {
        SecondFactor::NotEnrolled | SecondFactor::Passed => {}
        SecondFactor::Missing => {
            attempt.not_counted(state).await?;
            return Ok(SignInOutcome::NeedsCode(credential.principal));
        }
        SecondFactor::Wrong => {
            attempt.failed(state, Some(&user)).await?;
            return Err(ApiError::TotpInvalid);
        }
    }
    attempt.succeeded(state).await?;
    protection::note_sign_in(state, &credential.principal, a.user_agent, now).await?;
    Ok(SignInOutcome::SignedIn(credential.principal))
}

/// The second step of a page sign-in: the code for the account whose password was
/// checked in the first step (identified by the step's token). Throttled per account.
pub async fn sign_in_second_step(
    state: &AppState,
    step_token: &str,
    code: &str,
    user_agent: &str,
    now_us: i64,
) -> Result<Principal, ApiError> {
    protection::check_address(state, "totp", now_us).await?;
    let step_hash = token_hash(step_token);
    let Some(user) = state.repo.sign_in_challenge(&step_hash, now_us).await? else {
        return Err(ApiError::InvalidToken);
    };
    let principal = match state.repo.principal(&user).await? {
        Some((p, AccountStatus::Active)) => p,
        _ => return Err(ApiError::InvalidToken),
    };
    let attempt = protection::begin_attempt(state, &protection::account_key(&user), now_us).await?;
    match second_factor::check_second_factor(state, &user, Some(code), now_us).await? {
        SecondFactor::Passed | SecondFactor::NotEnrolled => {}
        SecondFactor::Missing | SecondFactor::Wrong => {
            attempt.failed(state, Some(&user)).await?;
            protection::count_address(state, "totp", now_us).await?;
            return Err(ApiError::TotpInvalid);
        }
    }
    attempt.succeeded(state).await?;
    state.repo.delete_sign_in_challenge(&step_hash).await?;
    protection::note_sign_in(state, &principal, user_agent, now_us).await?;
    Ok(principal)
}

/// Starts the second step of a page sign-in: a token valid for five minutes.
pub async fn begin_second_step(
    state: &AppState,
    user: &domain::UserId,
    now_us: i64,
) -> Result<String, ApiError> {
    let token = random_token();
    state
        .repo
        .create_sign_in_challenge(&token_hash(&token), user, now_us + 5 * 60_000_000)
        .await?;
    Ok(token)
}

/// A new session's secret token (given to the client) and its stored record.
pub struct NewSession {
    /// The secret: cookie value or bearer token. Shown once, stored only hashed.
    pub token: String,
    /// What is stored.
    pub record: SessionRecord,
}

/// 256 random bits, URL-safe base64: session tokens, CSRF tokens, guest ticket links.
pub fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// SHA-256 of a token, as stored. A fast hash is right here: tokens are 256 random bits.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates and stores a session for a signed-in principal. Always a fresh id, so a
/// session id planted before sign-in is never promoted (session fixation).
pub async fn start_session(
    state: &AppState,
    principal: &Principal,
    kind: SessionKind,
    user_agent: &str,
) -> Result<NewSession, ApiError> {
    let token = random_token();
    let now = crate::now_us();
    let ttl_us = match kind {
        SessionKind::Cookie => state.config.auth.session_hours as i64 * 3_600_000_000,
        SessionKind::Bearer => state.config.auth.token_days as i64 * 86_400_000_000,
    };
    let record = SessionRecord {
        token_hash: token_hash(&token),
        user: principal.user.clone(),
        kind,
        csrf_token: random_token(),
        created_at_us: now,
        expires_at_us: now + ttl_us,
        user_agent: user_agent.chars().take(200).collect(),
        client_net: domain::protection::client_network(protection::client_ip()),
        last_seen_at_us: now,
    };
    state.repo.create_session(&record).await?;
    Ok(NewSession { token, record })
}

/// A resolved session: who, and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who is signed in.
    pub principal: Principal,
    /// Hash of the session token (to end it).
    pub token_hash: String,
    /// CSRF token of this session, embedded in its forms.
    pub csrf_token: String,
}

/// Looks up a session token of the given kind and the live principal behind it.
pub async fn resolve(
    state: &AppState,
    token: &str,
    kind: SessionKind,
) -> Result<Option<Authenticated>, ApiError> {
    let hash = token_hash(token);
    let Some(session) = state.repo.find_session(&hash, crate::now_us()).await? else {
        return Ok(None);
    };
    if session.kind != kind {
        return Ok(None);
    }
    // "Last seen" for the sessions list, written at most every five minutes per session
    // so that reads stay reads.
    let now = crate::now_us();
    if now - session.last_seen_at_us > 5 * 60_000_000 {
        state
            .repo
            .touch_session(&hash, now, now - 5 * 60_000_000)
            .await?;
    }
    match state.repo.principal(&session.user).await? {
        Some((principal, AccountStatus::Active)) => Ok(Some(Authenticated {
            principal,
            token_hash: hash,
            csrf_token: session.csrf_token,
        })),
        _ => Ok(None),
    }
}

/// Who may call a route. Every handler names one in its signature, so a route without a
/// declared policy does not compile.
pub trait Access: Send + Sync + 'static {
    /// Short name used in the OpenAPI document and the authorization matrix.
    const NAME: &'static str;
    /// Whether a role passes.
    fn allows(role: Role) -> bool;
    /// Where a page visitor without a session is sent to sign in.
    const STAFF_PAGE: bool;
}

macro_rules! access {
    ($(#[$doc:meta])* $name:ident, $label:literal, staff_page = $staff:literal, |$r:ident| $rule:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl Access for $name {
            const NAME: &'static str = $label;
            const STAFF_PAGE: bool = $staff;
            fn allows($r: Role) -> bool {
                $rule
            }
        }
    };
}

access!(
    /// Anyone signed in.
    SignedIn, "signed_in", staff_page = false, |_r| true
);
access!(
    /// End customers only.
    CustomerOnly, "customer", staff_page = false, |r| r == Role::Customer
);
access!(
    /// The operator's support staff: agents, supervisors, admins.
    SupportStaff, "support_staff", staff_page = true, |r| r.is_support_staff()
);
access!(
    /// Any staff, merchant staff included.
    AnyStaff, "staff", staff_page = true, |r| r != Role::Customer
);
access!(
    /// Admins only.
    AdminOnly, "admin", staff_page = true, |r| r == Role::Admin
);
access!(
    /// Merchant staff only.
    MerchantOnly, "merchant", staff_page = true, |r| r == Role::Merchant
);

access!(
    /// Merchant staff (for their own merchant) and admins.
    MerchantOrAdmin, "merchant_or_admin", staff_page = true, |r| matches!(r, Role::Merchant | Role::Admin)
);

access!(
    /// Supervisors and admins: the dashboard of the whole desk.
    SupervisorOrAdmin, "supervisor_or_admin", staff_page = true, |r| matches!(r, Role::Supervisor | Role::Admin)
);

access!(
    /// Customers (for their own records) and the operator's support staff; not merchants.
    CustomerOrSupport, "customer_or_support", staff_page = false, |r| r == Role::Customer || r.is_support_staff()
);

/// An API caller authenticated by bearer token and allowed by policy `P`.
pub struct ApiUser<P: Access> {
    /// The caller.
    pub principal: Principal,
    /// Their session.
    pub session: Authenticated,
    _policy: PhantomData<P>,
}

impl<P: Access> FromRequestParts<AppState> for ApiUser<P> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let session = resolve(state, token, SessionKind::Bearer)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if !P::allows(session.principal.role) {
            return Err(ApiError::Forbidden);
        }
        Ok(ApiUser {
            principal: session.principal.clone(),
            session,
            _policy: PhantomData,
        })
    }
}

/// Routes open to anonymous callers take `Option<ApiUser<P>>`: no bearer token is an
/// anonymous call, but a token that is invalid or of a refused role is still an error, so
/// a client with an expired token learns it instead of silently acting as a guest.
impl<P: Access> axum::extract::OptionalFromRequestParts<AppState> for ApiUser<P> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        if bearer_token(&parts.headers).is_none() {
            return Ok(None);
        }
        <Self as FromRequestParts<AppState>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

/// The token of an `Authorization: Bearer …` header, if there is a non-empty one.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Reads the page session cookie from request headers.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    axum_extra::extract::CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}
