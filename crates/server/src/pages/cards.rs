//! The customer's cards and bank accounts page: the list (masked) with each one's state,
//! the forms to add a card or an account, to confirm one with the issuer's code or the
//! micro-deposit amounts, and to remove one. A refusal is shown in the customer's language
//! with a link to its help article, and the form keeps what was typed (except the card
//! number and CVV, which are never sent back to the browser).

use super::{Chrome, PageUser, csrf_ok, error_page, render, same_origin};
use crate::api::cards::MethodView;
use crate::auth::CustomerOnly;
use crate::cards::{self, VerificationAnswer};
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use domain::cards::{CardInput, LinkVerification};
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/cards", get(show))
        .route("/cards/card", post(add_card))
        .route("/cards/account", post(add_account))
        .route("/cards/{id}/verify", post(verify))
        .route("/cards/{id}/remove", post(remove))
}

/// A bank for the account form.
struct BankOption {
    code: String,
    label: String,
}

#[derive(Template)]
#[template(path = "cards.html")]
struct CardsPage {
    chrome: Chrome,
    methods: Vec<MethodView>,
    banks: Vec<BankOption>,
    notice: String,
    /// The refusal, in the customer's language, and its help article.
    error: String,
    error_help: String,
    /// Which form the error belongs to (`card`, `account`, or a record id).
    error_form: String,
    dev_code: String,
    /// What the account form had (kept after a refusal).
    form_bank: String,
    form_holder: String,
}

#[derive(Default)]
struct Flash {
    notice: String,
    error: Option<ApiError>,
    error_form: String,
    bank: String,
    holder: String,
}

async fn page(state: &AppState, user: &PageUser<CustomerOnly>, flash: Flash) -> Response {
    let locale = user.ctx.tr.locale;
    let Some(customer) = user.principal.customer_id() else {
        return error_page(state, locale, &ApiError::Forbidden);
    };
    let methods = match state.repo.linked_methods(customer, false).await {
        Ok(m) => m,
        Err(e) => return error_page(state, locale, &e.into()),
    };
    let tr = &user.ctx.tr;
    let banks = cards::bank_table()
        .banks
        .iter()
        .map(|b| BankOption {
            code: b.code.clone(),
            label: if b.supported {
                format!("{} ({})", b.name, b.code)
            } else {
                format!(
                    "{} ({}) — {}",
                    b.name,
                    b.code,
                    tr.t("cards-bank-unsupported")
                )
            },
        })
        .collect();
    let (status, error, error_help) = match &flash.error {
        Some(
            e @ ApiError::CardLink {
                message, help_url, ..
            },
        ) => (e.parts().0, message.clone(), help_url.clone()),
        Some(ApiError::Throttled { retry_after_secs }) => (
            StatusCode::TOO_MANY_REQUESTS,
            tr.t1(
                "signin-error-throttled",
                "seconds",
                &retry_after_secs.to_string(),
            ),
            String::new(),
        ),
        Some(e) => (e.parts().0, tr.t("cards-error-unexpected"), String::new()),
        None => (StatusCode::OK, String::new(), String::new()),
    };
    let page = CardsPage {
        chrome: user.ctx.chrome(),
        methods: methods
            .iter()
            .map(|m| MethodView::new(state, locale, m, false))
            .collect(),
        banks,
        notice: flash.notice,
        error,
        error_help,
        error_form: flash.error_form,
        dev_code: if state.config.cards.dev_issuer {
            cards::DEV_ISSUER_CODE.to_owned()
        } else {
            String::new()
        },
        form_bank: flash.bank,
        form_holder: flash.holder,
    };
    let mut resp = render(state, locale, &page);
    *resp.status_mut() = status;
    resp
}

#[derive(Deserialize)]
struct ShowQuery {
    #[serde(default)]
    done: String,
}

async fn show(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let notice = match q.done.as_str() {
        "added-otp" => user.ctx.tr.t("cards-notice-added-otp"),
        "added-deposits" => user.ctx.tr.t("cards-notice-added-deposits"),
        "verified" => user.ctx.tr.t("cards-notice-verified"),
        "removed" => user.ctx.tr.t("cards-notice-removed"),
        _ => String::new(),
    };
    page(
        &state,
        &user,
        Flash {
            notice,
            ..Flash::default()
        },
    )
    .await
}

fn form_ok(user: &PageUser<CustomerOnly>, headers: &HeaderMap, csrf: &str) -> bool {
    same_origin(headers) && user.ctx.auth.as_ref().is_some_and(|a| csrf_ok(a, csrf))
}

fn refused(state: &AppState, user: &PageUser<CustomerOnly>) -> Response {
    let mut resp = error_page(state, user.ctx.tr.locale, &ApiError::Forbidden);
    *resp.status_mut() = StatusCode::FORBIDDEN;
    resp
}

fn method_of(raw: &str, default: LinkVerification) -> LinkVerification {
    LinkVerification::parse(raw).unwrap_or(default)
}

fn added(m: LinkVerification) -> Response {
    let done = match m {
        LinkVerification::IssuerOtp => "added-otp",
        LinkVerification::MicroDeposits => "added-deposits",
    };
    Redirect::to(&format!("/cards?done={done}")).into_response()
}

async fn failed(
    state: &AppState,
    user: &PageUser<CustomerOnly>,
    e: ApiError,
    form: &str,
    bank: String,
    holder: String,
) -> Response {
    if let ApiError::Unexpected(_) = e {
        return error_page(state, user.ctx.tr.locale, &e);
    }
    page(
        state,
        user,
        Flash {
            error: Some(e),
            error_form: form.to_owned(),
            bank,
            holder,
            ..Flash::default()
        },
    )
    .await
}

#[derive(Deserialize)]
struct CardForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    expiry_month: String,
    #[serde(default)]
    expiry_year: String,
    #[serde(default)]
    cvv: String,
    #[serde(default)]
    holder_name: String,
    #[serde(default)]
    verification: String,
}

async fn add_card(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Form(form): Form<CardForm>,
) -> Response {
    if !form_ok(&user, &headers, &form.csrf) {
        return refused(&state, &user);
    }
    let now = crate::now_us();
    let method = method_of(&form.verification, LinkVerification::IssuerOtp);
    // A month or year that is not a number is an invalid expiry, not a crash.
    let input = CardInput {
        number: form.number,
        expiry_month: form.expiry_month.trim().parse().unwrap_or(0),
        expiry_year: form.expiry_year.trim().parse().unwrap_or(0),
        cvv: Some(form.cvv),
    };
    let result = async {
        let checked =
            cards::check_card(&state, &user.principal, &input, &form.holder_name, now).await?;
        cards::link(&state, &user.principal, checked, method, now).await
    }
    .await;
    match result {
        Ok(_) => added(method),
        Err(e) => failed(&state, &user, e, "card", String::new(), form.holder_name).await,
    }
}

#[derive(Deserialize)]
struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bank_code: String,
    #[serde(default)]
    account_number: String,
    #[serde(default)]
    holder_name: String,
    #[serde(default)]
    verification: String,
}

async fn add_account(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Response {
    if !form_ok(&user, &headers, &form.csrf) {
        return refused(&state, &user);
    }
    let now = crate::now_us();
    let method = method_of(&form.verification, LinkVerification::MicroDeposits);
    let result = async {
        let checked = cards::check_account(
            &state,
            &user.principal,
            &form.bank_code,
            &form.account_number,
            &form.holder_name,
            now,
        )
        .await?;
        cards::link(&state, &user.principal, checked, method, now).await
    }
    .await;
    match result {
        Ok(_) => added(method),
        Err(e) => {
            failed(
                &state,
                &user,
                e,
                "account",
                form.bank_code,
                form.holder_name,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct VerifyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    amount_1: String,
    #[serde(default)]
    amount_2: String,
}

async fn verify(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<VerifyForm>,
) -> Response {
    if !form_ok(&user, &headers, &form.csrf) {
        return refused(&state, &user);
    }
    let answer = VerificationAnswer {
        code: Some(form.code),
        amounts: Some(vec![form.amount_1, form.amount_2]),
    };
    match cards::verify(&state, &user.principal, &id, &answer, crate::now_us()).await {
        Ok(_) => Redirect::to("/cards?done=verified").into_response(),
        Err(ApiError::NotFound) => error_page(&state, user.ctx.tr.locale, &ApiError::NotFound),
        Err(e) => failed(&state, &user, e, &id, String::new(), String::new()).await,
    }
}

#[derive(Deserialize)]
struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

async fn remove(
    State(state): State<AppState>,
    user: PageUser<CustomerOnly>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<RemoveForm>,
) -> Response {
    if !form_ok(&user, &headers, &form.csrf) {
        return refused(&state, &user);
    }
    match cards::remove(&state, &user.principal, &id, crate::now_us()).await {
        Ok(_) => Redirect::to("/cards?done=removed").into_response(),
        Err(e) => error_page(&state, user.ctx.tr.locale, &e),
    }
}
