//! Password reset: a single-use 256-bit token, stored hashed, valid for
//! `security.reset_token_minutes`, sent to the customer's registered email or phone. It
//! ends every session and clears a lock, and never bypasses two-step sign-in.

use super::second_factor::{CodeKind, active_totp, use_code};
use super::{
    Holder, account_key, audit, begin_attempt, check_address, count_address, notify, public_url,
};
use crate::auth::{random_token, token_hash};
use crate::error::ApiError;
use crate::state::AppState;
use domain::protection::{NoticeChannel, NoticeKind};
use domain::{Customer, CustomerId, LoginId, Password, UserId};
use fluent_bundle::FluentArgs;

/// Handles "forgot password" for `login`. Answers the same whether or not an account
/// exists: the lookup and the message are done after the answer, in the background, so
/// not even the timing differs.
pub async fn request_reset(state: &AppState, login: &str, now_us: i64) -> Result<(), ApiError> {
    check_address(state, "reset", now_us).await?;
    count_address(state, "reset", now_us).await?;
    let Ok(login) = LoginId::parse(login) else {
        return Ok(());
    };
    let state = state.clone();
    let span = tracing::info_span!("password_reset_request");
    tokio::spawn(tracing::Instrument::instrument(
        async move {
            if let Err(e) = reset_for_login(&state, &login, now_us).await {
                tracing::error!(error = ?e, "password reset request failed");
            }
        },
        span,
    ));
    Ok(())
}

async fn reset_for_login(state: &AppState, login: &LoginId, now_us: i64) -> Result<(), ApiError> {
    let Some(credential) = state.repo.customer_credential(login).await? else {
        return Ok(());
    };
    let Some(id) = credential.principal.customer_id().cloned() else {
        return Ok(());
    };
    let customer = state.repo.customer(&id).await?;
    if customer.status != domain::AccountStatus::Active {
        return Ok(());
    }
    let channel = match login {
        LoginId::Email(_) => NoticeChannel::Email,
        LoginId::Phone(_) => NoticeChannel::Sms,
    };
    issue_reset(state, &customer, Some(channel), "customer", now_us)
        .await
        .map(|_| ())
}

/// Creates a reset token for a customer and sends its link (at most
/// `security.resets_per_hour` per account, so nobody can flood a customer's inbox).
/// Returns false when the hourly limit held it back.
pub async fn issue_reset(
    state: &AppState,
    customer: &Customer,
    channel: Option<NoticeChannel>,
    requested_by: &str,
    now_us: i64,
) -> Result<bool, ApiError> {
    let sent = state
        .repo
        .count_password_resets(&customer.id, now_us - 3_600_000_000)
        .await?;
    if sent >= i64::from(state.config.security.resets_per_hour) {
        tracing::warn!(customer = %customer.id, "password reset held back: hourly limit");
        return Ok(false);
    }
    let token = random_token();
    let minutes = state.config.security.reset_token_minutes.max(1);
    state
        .repo
        .create_password_reset(
            &token_hash(&token),
            &customer.id,
            requested_by,
            now_us,
            now_us + i64::from(minutes) * 60_000_000,
        )
        .await?;
    let holder = Holder::load(state, &UserId::Customer(customer.id.clone())).await?;
    let mut args = FluentArgs::new();
    args.set("link", format!("{}/reset?token={token}", public_url(state)));
    args.set("minutes", minutes.to_string());
    notify(
        state,
        &holder,
        NoticeKind::PasswordReset,
        channel,
        args,
        now_us,
    )
    .await?;
    audit(
        state,
        requested_by,
        "password_reset.sent",
        Some(customer.id.as_str()),
        "ok",
        serde_json::json!({"channel": channel.map(|c| c.as_str())}),
        now_us,
    )
    .await?;
    Ok(true)
}

/// What the reset page needs to know about a token: whose it is and whether a code is
/// asked for too. `InvalidToken` when it is unknown, used or expired.
pub async fn inspect(
    state: &AppState,
    token: &str,
    now_us: i64,
) -> Result<(CustomerId, bool), ApiError> {
    let customer = state
        .repo
        .password_reset_target(&token_hash(token), now_us)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let user = UserId::Customer(customer.clone());
    let needs_code = active_totp(state, &user, now_us).await?.is_some();
    Ok((customer, needs_code))
}

/// Sets a new password with a reset token (and the second factor when the account has
/// one). Ends every session of the account and clears its sign-in lock.
pub async fn complete_reset(
    state: &AppState,
    token: &str,
    new_password: &str,
    code: Option<&str>,
    now_us: i64,
) -> Result<(), ApiError> {
    check_address(state, "reset", now_us).await?;
    let hash = token_hash(token);
    let Some(customer_id) = state.repo.password_reset_target(&hash, now_us).await? else {
        count_address(state, "reset", now_us).await?;
        return Err(ApiError::InvalidToken);
    };
    let user = UserId::Customer(customer_id.clone());
    let customer = state.repo.customer(&customer_id).await?;
    let email = customer.email.as_ref().map(|e| e.as_str().to_owned());
    let phone = customer.phone.as_ref().map(|p| p.as_str().to_owned());
    let mut context = vec![customer.display_name.as_str()];
    context.extend(email.as_deref());
    context.extend(phone.as_deref());
    let password = Password::new_password_for(new_password, &context)?;
    if let Some(cred) = active_totp(state, &user, now_us).await? {
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            return Err(ApiError::TotpRequired);
        };
        // Its own counter: the account may be locked by password guesses, and the reset
        // is how its holder gets back in, but codes are still not to be guessed here.
        let attempt =
            begin_attempt(state, &format!("reset-code:{}", account_key(&user)), now_us).await?;
        match use_code(state, &cred, code, now_us).await? {
            Some(CodeKind::Totp | CodeKind::Recovery) => attempt.succeeded(state).await?,
            None => {
                attempt.failed(state, None).await?;
                return Err(ApiError::TotpInvalid);
            }
        }
    }
    if state
        .repo
        .consume_password_reset(&hash, now_us)
        .await?
        .is_none()
    {
        return Err(ApiError::InvalidToken);
    }
    let stored = state.passwords.hash(&password).await?;
    state.repo.set_password_hash(&user, &stored).await?;
    let ended = state.repo.end_user_sessions(&user, None).await?;
    state.repo.clear_throttle(&account_key(&user)).await?;
    let holder = Holder::load(state, &user).await?;
    notify(
        state,
        &holder,
        NoticeKind::PasswordChanged,
        None,
        FluentArgs::new(),
        now_us,
    )
    .await?;
    audit(
        state,
        &account_key(&user),
        "password.reset",
        Some(customer_id.as_str()),
        "ok",
        serde_json::json!({"sessions_ended": ended}),
        now_us,
    )
    .await
}

/// Changes a signed-in account's password after checking the current one; other
/// sessions end (the one in use stays).
pub async fn change_password(
    state: &AppState,
    session: &crate::auth::Authenticated,
    current: &str,
    new_password: &str,
    now_us: i64,
) -> Result<(), ApiError> {
    let user = &session.principal.user;
    let holder = Holder::load(state, user).await?;
    let mut context = vec![holder.name.as_str()];
    context.extend(holder.email.as_deref());
    context.extend(holder.phone.as_deref());
    let password = Password::new_password_for(new_password, &context)?;
    let attempt = begin_attempt(state, &account_key(user), now_us).await?;
    let stored = state.repo.password_hash(user).await?;
    let typed = Password::for_sign_in(current).ok();
    if !state.passwords.verify(typed.as_ref(), stored).await? {
        attempt.failed(state, Some(user)).await?;
        return Err(ApiError::Validation(domain::ValidationError::field(
            "current_password",
            "incorrect",
            "the current password is not right",
        )));
    }
    attempt.succeeded(state).await?;
    let hash = state.passwords.hash(&password).await?;
    state.repo.set_password_hash(user, &hash).await?;
    let ended = state
        .repo
        .end_user_sessions(user, Some(&session.token_hash))
        .await?;
    notify(
        state,
        &holder,
        NoticeKind::PasswordChanged,
        None,
        FluentArgs::new(),
        now_us,
    )
    .await?;
    audit(
        state,
        &account_key(user),
        "password.changed",
        super::customer_of(user),
        "ok",
        serde_json::json!({"sessions_ended": ended}),
        now_us,
    )
    .await
}
