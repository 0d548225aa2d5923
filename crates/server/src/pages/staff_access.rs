//! The agent's account-access page for one customer: sign-in lock and two-step sign-in
//! status, the identity verification checklist, and — only after a passed check — unlock,
//! password reset link and 2FA reset. Every step is audited; the page shows the trail.

use super::{Chrome, PageUser, csrf_ok, error_page, render, same_origin};
use crate::auth::SupportStaff;
use crate::error::ApiError;
use crate::protection::agent;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::protection::{VerificationMethod, VerificationState};
use domain::{Customer, CustomerId, UserId};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/customers/{id}/access", get(show))
        .route("/staff/customers/{id}/access/verify", post(start))
        .route("/staff/customers/{id}/access/answer", post(answer))
        .route("/staff/customers/{id}/access/do/{action}", post(act))
}

struct Line {
    id: String,
    description: String,
    amount: String,
    date: String,
}

struct AuditRow {
    when: String,
    actor: String,
    action: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "staff_access.html")]
struct AccessPage {
    chrome: Chrome,
    customer: Customer,
    locked_minutes: String,
    throttled_secs: String,
    failures: u32,
    totp_enabled: bool,
    totp_reset_at: String,
    verified: bool,
    has_phone: bool,
    pending_id: String,
    pending_method: String,
    lines: Vec<Line>,
    last_state: String,
    audit: Vec<AuditRow>,
    notice: String,
    error: String,
}

async fn page(
    state: &AppState,
    user: &PageUser<SupportStaff>,
    id: &str,
    notice: String,
    error: String,
) -> Response {
    let locale = user.ctx.tr.locale;
    let loaded = async {
        let id = CustomerId::parse(id).ok_or(ApiError::NotFound)?;
        let customer = state.repo.customer(&id).await?;
        let now = crate::now_us();
        let status = agent::status(state, &user.principal, &id, now).await?;
        let audit = state.repo.customer_audit(&id, 15).await?;
        Ok::<_, ApiError>((customer, status, audit, now))
    };
    let (customer, status, audit, now) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(state, locale, &e),
    };
    let mine = |v: &&domain::protection::IdentityVerification| matches!(&user.principal.user, UserId::Staff(s) if *s == v.staff_id);
    let pending = status
        .verifications
        .iter()
        .filter(mine)
        .find(|v| v.state == VerificationState::Pending && v.expires_at_us > now);
    let last_state = status
        .verifications
        .iter()
        .find(mine)
        .map(|v| v.state.as_str().to_owned())
        .unwrap_or_default();
    let tr = &user.ctx.tr;
    let page = AccessPage {
        chrome: user.ctx.chrome(),
        has_phone: customer.phone.is_some(),
        customer,
        locked_minutes: status
            .locked_for_secs
            .map(|s| s.div_ceil(60).to_string())
            .unwrap_or_default(),
        throttled_secs: status
            .throttled_for_secs
            .map(|s| s.to_string())
            .unwrap_or_default(),
        failures: status.failures,
        totp_enabled: status.totp_enabled,
        totp_reset_at: status
            .totp_reset_at_us
            .map(crate::api::views::rfc3339)
            .unwrap_or_default(),
        verified: status.verified,
        pending_id: pending.map(|v| v.id.clone()).unwrap_or_default(),
        pending_method: pending
            .map(|v| v.method.as_str().to_owned())
            .unwrap_or_default(),
        lines: pending
            .map(|v| {
                v.items
                    .iter()
                    .map(|i| Line {
                        id: i.id.clone(),
                        description: i.description.clone(),
                        amount: i.amount.clone(),
                        date: i.date.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        last_state: if last_state.is_empty() {
            String::new()
        } else {
            tr.t(&format!("access-state-{last_state}"))
        },
        audit: audit
            .into_iter()
            .map(|a| AuditRow {
                when: crate::api::views::rfc3339(a.at_us),
                actor: a.entry.actor,
                action: a.entry.action,
                outcome: a.entry.outcome,
            })
            .collect(),
        notice,
        error,
    };
    render(state, locale, &page)
}

async fn show(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Path(id): Path<String>,
) -> Response {
    page(&state, &user, &id, String::new(), String::new()).await
}

fn form_ok(
    user: &PageUser<SupportStaff>,
    headers: &HeaderMap,
    fields: &[(String, String)],
) -> bool {
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    same_origin(headers) && user.ctx.auth.as_ref().is_some_and(|a| csrf_ok(a, csrf))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// After a step: back to the page, or the page with the step's refusal in words.
async fn after(
    state: &AppState,
    user: &PageUser<SupportStaff>,
    id: &str,
    result: Result<String, ApiError>,
) -> Response {
    let tr = &user.ctx.tr;
    match result {
        Ok(notice) if notice.is_empty() => {
            Redirect::to(&format!("/staff/customers/{id}/access")).into_response()
        }
        Ok(notice) => page(state, user, id, notice, String::new()).await,
        Err(
            e @ (ApiError::NotFound
            | ApiError::RouteNotFound
            | ApiError::Forbidden
            | ApiError::Unexpected(_)),
        ) => error_page(state, tr.locale, &e),
        Err(e) => {
            let message = match &e {
                ApiError::VerificationRequired => tr.t("access-error-verify-first"),
                ApiError::Validation(v) => v
                    .errors
                    .first()
                    .map(|f| tr.t(&format!("access-error-{}", f.code.replace('_', "-"))))
                    .unwrap_or_default(),
                ApiError::InvalidState(_) => tr.t("access-error-state"),
                _ => tr.t("signin-error-unexpected"),
            };
            let mut resp = page(state, user, id, String::new(), message).await;
            *resp.status_mut() = e.parts().0;
            resp
        }
    }
}

fn refused(state: &AppState, user: &PageUser<SupportStaff>) -> Response {
    let mut resp = error_page(state, user.ctx.tr.locale, &ApiError::Forbidden);
    *resp.status_mut() = StatusCode::FORBIDDEN;
    resp
}

fn parse_customer(id: &str) -> Result<CustomerId, ApiError> {
    CustomerId::parse(id).ok_or(ApiError::NotFound)
}

async fn start(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !form_ok(&user, &headers, &fields) {
        return refused(&state, &user);
    }
    let r = async {
        let customer = parse_customer(&id)?;
        let method = VerificationMethod::parse(field(&fields, "method")).ok_or_else(|| {
            ApiError::Validation(domain::ValidationError::field(
                "method",
                "invalid_value",
                "choose a method",
            ))
        })?;
        agent::start_verification(&state, &user.principal, &customer, method, crate::now_us())
            .await?;
        Ok(String::new())
    }
    .await;
    after(&state, &user, &id, r).await
}

async fn answer(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !form_ok(&user, &headers, &fields) {
        return refused(&state, &user);
    }
    let r = async {
        let customer = parse_customer(&id)?;
        let given = agent::Answer {
            named: fields
                .iter()
                .filter(|(k, _)| k == "named")
                .map(|(_, v)| v.clone())
                .collect(),
            code: Some(field(&fields, "code").to_owned()).filter(|c| !c.is_empty()),
        };
        let v = agent::answer(
            &state,
            &user.principal,
            &customer,
            field(&fields, "verification"),
            &given,
            crate::now_us(),
        )
        .await?;
        Ok(user.ctx.tr.t(&format!("access-state-{}", v.state.as_str())))
    }
    .await;
    after(&state, &user, &id, r).await
}

/// Unlock, reset link or 2FA reset: each needs the agent's passed verification (checked,
/// and refusals audited, in `protection::agent`).
async fn act(
    State(state): State<AppState>,
    user: PageUser<SupportStaff>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !form_ok(&user, &headers, &fields) {
        return refused(&state, &user);
    }
    let tr = &user.ctx.tr;
    let r = async {
        let customer = parse_customer(&id)?;
        let now = crate::now_us();
        match action.as_str() {
            "unlock" => {
                agent::unlock(&state, &user.principal, &customer, now).await?;
                Ok(tr.t("access-unlocked"))
            }
            "reset" => {
                let sent = agent::send_reset(&state, &user.principal, &customer, now).await?;
                Ok(tr.t(if sent {
                    "access-reset-sent"
                } else {
                    "access-reset-held"
                }))
            }
            "totp-reset" => {
                let at = agent::start_totp_reset(&state, &user.principal, &customer, now).await?;
                Ok(tr.t1(
                    "access-totp-reset-scheduled",
                    "when",
                    &crate::api::views::rfc3339(at),
                ))
            }
            _ => Err(ApiError::RouteNotFound),
        }
    }
    .await;
    after(&state, &user, &id, r).await
}
